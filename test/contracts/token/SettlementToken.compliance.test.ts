import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";

import { PermitTypes } from "../../../relayer/chain/typed-data.js";
import { deploySystem, UNIT, type System } from "../fixtures.js";
import { domainOf, latestTimestamp, makeAuthorization, signAuthorization } from "./signing.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const reason = (text: string) => ethers.encodeBytes32String(text);
const SANCTIONS = reason("sanctions-hit");

/** The system with the stranger blocklisted. */
async function strangerBlocklisted() {
  const sys = await deploySystem(ethers);
  await sys.token.connect(sys.issuer).mint(sys.stranger.address, 50n * UNIT, reason("wire:stranger"));
  await sys.token.connect(sys.compliance).blocklist(sys.stranger.address, SANCTIONS);
  return sys;
}

/** The system with the token paused (the issuer holds tokens to burn). */
async function paused() {
  const sys = await deploySystem(ethers);
  await sys.token.connect(sys.issuer).mint(sys.issuer.address, 100n * UNIT, reason("reserve:in"));
  await sys.token.connect(sys.pauser).pause();
  return sys;
}

async function signedTransfer(sys: System, from = sys.buyer, to = sys.merchant.address) {
  const auth = await makeAuthorization(sys, { from: from.address, to });
  const signature = await signAuthorization(from, "transfer", auth, domainOf(sys));
  return { auth, signature };
}

describe("SettlementToken blocklist", () => {
  it("emits Blocklisted with the reason and reports the account blocklisted", async () => {
    const { token, compliance, stranger } = await networkHelpers.loadFixture(system);
    await expect(token.connect(compliance).blocklist(stranger.address, SANCTIONS))
      .to.emit(token, "Blocklisted")
      .withArgs(stranger.address, SANCTIONS);
    expect(await token.isBlocklisted(stranger.address)).to.equal(true);
  });

  it("emits Unblocklisted with the reason and reports the account clear", async () => {
    const { token, compliance, stranger } = await networkHelpers.loadFixture(strangerBlocklisted);
    await expect(token.connect(compliance).unblocklist(stranger.address, reason("false-positive")))
      .to.emit(token, "Unblocklisted")
      .withArgs(stranger.address, reason("false-positive"));
    expect(await token.isBlocklisted(stranger.address)).to.equal(false);
  });

  it("reverts a transfer from a blocklisted sender with TokenAccountBlocklisted", async () => {
    const { token, stranger, merchant } = await networkHelpers.loadFixture(strangerBlocklisted);
    await expect(token.connect(stranger).transfer(merchant.address, UNIT))
      .to.be.revertedWithCustomError(token, "TokenAccountBlocklisted")
      .withArgs(stranger.address);
  });

  it("reverts a transfer to a blocklisted recipient with TokenAccountBlocklisted", async () => {
    const { token, buyer, stranger } = await networkHelpers.loadFixture(strangerBlocklisted);
    await expect(token.connect(buyer).transfer(stranger.address, UNIT))
      .to.be.revertedWithCustomError(token, "TokenAccountBlocklisted")
      .withArgs(stranger.address);
  });

  it("reverts an approval by a blocklisted owner with TokenAccountBlocklisted", async () => {
    const { token, stranger, merchant } = await networkHelpers.loadFixture(strangerBlocklisted);
    await expect(token.connect(stranger).approve(merchant.address, UNIT))
      .to.be.revertedWithCustomError(token, "TokenAccountBlocklisted")
      .withArgs(stranger.address);
  });

  it("reverts an approval of a blocklisted spender with TokenAccountBlocklisted", async () => {
    const { token, buyer, stranger } = await networkHelpers.loadFixture(strangerBlocklisted);
    await expect(token.connect(buyer).approve(stranger.address, UNIT))
      .to.be.revertedWithCustomError(token, "TokenAccountBlocklisted")
      .withArgs(stranger.address);
  });

  it("reverts a permit of a blocklisted spender with TokenAccountBlocklisted", async () => {
    const sys = await networkHelpers.loadFixture(strangerBlocklisted);
    const message = {
      owner: sys.buyer.address,
      spender: sys.stranger.address,
      value: UNIT,
      nonce: 0n,
      deadline: (await latestTimestamp(ethers)) + 3_600n,
    };
    const sig = ethers.Signature.from(await sys.buyer.signTypedData(domainOf(sys), PermitTypes, message));
    await expect(sys.token.permit(message.owner, message.spender, message.value, message.deadline, sig.v, sig.r, sig.s))
      .to.be.revertedWithCustomError(sys.token, "TokenAccountBlocklisted")
      .withArgs(sys.stranger.address);
  });

  it("reverts transferFrom by a blocklisted spender holding a limited allowance", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await sys.token.connect(sys.buyer).approve(sys.stranger.address, 10n * UNIT);
    await sys.token.connect(sys.compliance).blocklist(sys.stranger.address, SANCTIONS);
    await expect(sys.token.connect(sys.stranger).transferFrom(sys.buyer.address, sys.merchant.address, UNIT))
      .to.be.revertedWithCustomError(sys.token, "TokenAccountBlocklisted")
      .withArgs(sys.stranger.address);
  });

  it("reverts transferFrom by a blocklisted spender holding an unlimited allowance", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await sys.token.connect(sys.buyer).approve(sys.stranger.address, MaxUint256);
    await sys.token.connect(sys.compliance).blocklist(sys.stranger.address, SANCTIONS);
    await expect(sys.token.connect(sys.stranger).transferFrom(sys.buyer.address, sys.merchant.address, UNIT))
      .to.be.revertedWithCustomError(sys.token, "TokenAccountBlocklisted")
      .withArgs(sys.stranger.address);
  });

  it("reverts transferFrom out of a blocklisted owner with TokenAccountBlocklisted", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await sys.token.connect(sys.buyer).approve(sys.merchant.address, MaxUint256);
    await sys.token.connect(sys.compliance).blocklist(sys.buyer.address, SANCTIONS);
    await expect(sys.token.connect(sys.merchant).transferFrom(sys.buyer.address, sys.merchant.address, UNIT))
      .to.be.revertedWithCustomError(sys.token, "TokenAccountBlocklisted")
      .withArgs(sys.buyer.address);
  });

  it("reverts a mint to a blocklisted account with TokenAccountBlocklisted", async () => {
    const { token, issuer, stranger } = await networkHelpers.loadFixture(strangerBlocklisted);
    await expect(token.connect(issuer).mint(stranger.address, UNIT, reason("wire:1")))
      .to.be.revertedWithCustomError(token, "TokenAccountBlocklisted")
      .withArgs(stranger.address);
  });

  it("reverts an EIP-3009 transfer from a blocklisted authorizer and leaves the nonce unused", async () => {
    const sys = await networkHelpers.loadFixture(strangerBlocklisted);
    const { auth, signature } = await signedTransfer(sys, sys.stranger);
    await expect(
      sys.token.transferWithAuthorization(auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, signature),
    )
      .to.be.revertedWithCustomError(sys.token, "TokenAccountBlocklisted")
      .withArgs(sys.stranger.address);
    expect(await sys.token.authorizationState(auth.from, auth.nonce)).to.equal(false);
  });

  it("reverts an EIP-3009 transfer to a blocklisted payee with TokenAccountBlocklisted", async () => {
    const sys = await networkHelpers.loadFixture(strangerBlocklisted);
    const { auth, signature } = await signedTransfer(sys, sys.buyer, sys.stranger.address);
    await expect(
      sys.token.transferWithAuthorization(auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, signature),
    )
      .to.be.revertedWithCustomError(sys.token, "TokenAccountBlocklisted")
      .withArgs(sys.stranger.address);
  });

  it("lets an unblocklisted account send, receive and approve again", async () => {
    const { token, compliance, stranger, buyer, merchant } = await networkHelpers.loadFixture(strangerBlocklisted);
    await token.connect(compliance).unblocklist(stranger.address, reason("cleared"));
    await expect(token.connect(stranger).transfer(merchant.address, UNIT)).to.changeTokenBalances(
      ethers,
      token,
      [stranger, merchant],
      [-UNIT, UNIT],
    );
    await expect(token.connect(buyer).transfer(stranger.address, UNIT)).to.emit(token, "Transfer");
    await expect(token.connect(stranger).approve(merchant.address, UNIT)).to.emit(token, "Approval");
  });
});

describe("SettlementToken pause", () => {
  it("emits Paused with the pauser and reports paused", async () => {
    const { token, pauser } = await networkHelpers.loadFixture(system);
    await expect(token.connect(pauser).pause()).to.emit(token, "Paused").withArgs(pauser.address);
    expect(await token.paused()).to.equal(true);
  });

  it("reverts transfer while paused with EnforcedPause", async () => {
    const { token, buyer, merchant } = await networkHelpers.loadFixture(paused);
    await expect(token.connect(buyer).transfer(merchant.address, UNIT)).to.be.revertedWithCustomError(token, "EnforcedPause");
  });

  it("reverts transferFrom while paused with EnforcedPause", async () => {
    const { token, buyer, merchant } = await networkHelpers.loadFixture(paused);
    await token.connect(buyer).approve(merchant.address, UNIT);
    await expect(token.connect(merchant).transferFrom(buyer.address, merchant.address, UNIT)).to.be.revertedWithCustomError(
      token,
      "EnforcedPause",
    );
  });

  it("reverts mint while paused with EnforcedPause", async () => {
    const { token, issuer, buyer } = await networkHelpers.loadFixture(paused);
    await expect(token.connect(issuer).mint(buyer.address, UNIT, reason("wire:1"))).to.be.revertedWithCustomError(
      token,
      "EnforcedPause",
    );
  });

  it("reverts burn while paused with EnforcedPause", async () => {
    const { token, issuer } = await networkHelpers.loadFixture(paused);
    await expect(token.connect(issuer).burn(UNIT, reason("redeem:1"))).to.be.revertedWithCustomError(token, "EnforcedPause");
  });

  it("reverts transferWithAuthorization while paused with EnforcedPause and leaves the nonce unused", async () => {
    const sys = await networkHelpers.loadFixture(paused);
    const { auth, signature } = await signedTransfer(sys);
    await expect(
      sys.token.transferWithAuthorization(auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, signature),
    ).to.be.revertedWithCustomError(sys.token, "EnforcedPause");
    expect(await sys.token.authorizationState(auth.from, auth.nonce)).to.equal(false);
  });

  it("reverts receiveWithAuthorization while paused with EnforcedPause", async () => {
    const sys = await networkHelpers.loadFixture(paused);
    const auth = await makeAuthorization(sys);
    const signature = await signAuthorization(sys.buyer, "receive", auth, domainOf(sys));
    await expect(
      sys.token
        .connect(sys.merchant)
        .receiveWithAuthorization(auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, signature),
    ).to.be.revertedWithCustomError(sys.token, "EnforcedPause");
  });

  it("keeps approvals open while paused", async () => {
    const { token, buyer, merchant } = await networkHelpers.loadFixture(paused);
    await expect(token.connect(buyer).approve(merchant.address, UNIT)).to.emit(token, "Approval").withArgs(buyer.address, merchant.address, UNIT);
  });

  it("reverts a second pause with EnforcedPause and an unpause while running with ExpectedPause", async () => {
    const sys = await networkHelpers.loadFixture(paused);
    await expect(sys.token.connect(sys.pauser).pause()).to.be.revertedWithCustomError(sys.token, "EnforcedPause");
    await sys.token.connect(sys.pauser).unpause();
    await expect(sys.token.connect(sys.pauser).unpause()).to.be.revertedWithCustomError(sys.token, "ExpectedPause");
  });

  it("restores transfers, mints and EIP-3009 transfers after unpause", async () => {
    const sys = await networkHelpers.loadFixture(paused);
    await expect(sys.token.connect(sys.pauser).unpause()).to.emit(sys.token, "Unpaused").withArgs(sys.pauser.address);
    expect(await sys.token.paused()).to.equal(false);
    await expect(sys.token.connect(sys.buyer).transfer(sys.merchant.address, UNIT)).to.emit(sys.token, "Transfer");
    await expect(sys.token.connect(sys.issuer).mint(sys.buyer.address, UNIT, reason("wire:1"))).to.emit(sys.token, "Minted");
    const { auth, signature } = await signedTransfer(sys);
    await expect(
      sys.token.transferWithAuthorization(auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, signature),
    ).to.emit(sys.token, "AuthorizationUsed");
  });
});

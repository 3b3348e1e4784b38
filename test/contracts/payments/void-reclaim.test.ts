import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, authorizeErc3009, deploySystem, makeTerms, ROLES, UNIT } from "../fixtures.js";
import { statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);
const OPEN = statusBits(PaymentStatus.Authorized, PaymentStatus.Captured, PaymentStatus.Disputed);

async function authorized() {
  const sys = await networkHelpers.loadFixture(system);
  const terms = await makeTerms(sys);
  const id = await authorizeErc3009(sys, terms);
  return { sys, terms, id };
}

describe("PaymentEscrow void", () => {
  it("returns the whole authorization to the buyer and ends Voided", async () => {
    const { sys, terms, id } = await authorized();
    const tx = sys.escrow.connect(sys.operator).void(terms);
    await expect(tx).to.emit(sys.escrow, "PaymentVoided").withArgs(id, terms.amount);
    await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.escrowAddress, sys.buyer], [-terms.amount, terms.amount]);
    const state = await sys.escrow.paymentState(id);
    expect(state.status).to.equal(PaymentStatus.Voided);
    expect(state.capturable).to.equal(0n);
  });

  it("returns only the uncaptured rest after a partial capture and stays Captured", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).capture(terms, 40n * UNIT);
    const tx = sys.escrow.connect(sys.operator).void(terms);
    await expect(tx).to.emit(sys.escrow, "PaymentVoided").withArgs(id, 60n * UNIT);
    await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.escrowAddress, sys.buyer], [-60n * UNIT, 60n * UNIT]);
    const state = await sys.escrow.paymentState(id);
    expect(state.status).to.equal(PaymentStatus.Captured);
    expect(state.capturable).to.equal(0n);
    expect(state.held).to.equal(40n * UNIT);
  });

  it("ends Released when the captured part was already released", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).capture(terms, 40n * UNIT);
    await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
    expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Captured);
    await sys.escrow.connect(sys.operator).void(terms);
    expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Released);
  });

  it("reverts with EscrowNothingToReturn when everything was captured", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeAndCapture(sys, terms);
    await expect(sys.escrow.connect(sys.operator).void(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowNothingToReturn")
      .withArgs(id);
  });

  it("reverts with EscrowUnexpectedStatus once Voided (terminal)", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).void(terms);
    await expect(sys.escrow.connect(sys.operator).void(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
      .withArgs(id, PaymentStatus.Voided, OPEN);
  });

  it("reverts with AccessControlUnauthorizedAccount when the buyer voids", async () => {
    const { sys, terms } = await authorized();
    await expect(sys.escrow.connect(sys.buyer).void(terms))
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(sys.buyer.address, ROLES.OPERATOR);
  });
});

describe("PaymentEscrow reclaim", () => {
  it("reverts with EscrowAuthorizationNotExpired one second before the authorization expiry", async () => {
    const { sys, terms, id } = await authorized();
    await networkHelpers.time.setNextBlockTimestamp(terms.authorizationExpiry - 1n);
    await expect(sys.escrow.connect(sys.buyer).reclaim(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowAuthorizationNotExpired")
      .withArgs(id, terms.authorizationExpiry);
  });

  it("returns the uncaptured amount to the buyer at the authorization expiry and ends Voided", async () => {
    const { sys, terms, id } = await authorized();
    await networkHelpers.time.setNextBlockTimestamp(terms.authorizationExpiry);
    const tx = sys.escrow.connect(sys.buyer).reclaim(terms);
    await expect(tx).to.emit(sys.escrow, "PaymentReclaimed").withArgs(id, terms.amount);
    await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.escrowAddress, sys.buyer], [-terms.amount, terms.amount]);
    expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Voided);
  });

  it("may be called by the operator", async () => {
    const { sys, terms, id } = await authorized();
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await expect(sys.escrow.connect(sys.operator).reclaim(terms)).to.emit(sys.escrow, "PaymentReclaimed").withArgs(id, terms.amount);
  });

  it("reverts with AccessControlUnauthorizedAccount for anyone else", async () => {
    const { sys, terms } = await authorized();
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await expect(sys.escrow.connect(sys.stranger).reclaim(terms))
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(sys.stranger.address, ROLES.OPERATOR);
  });

  it("works while the escrow is paused", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.pauser).pause();
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await expect(sys.escrow.connect(sys.buyer).reclaim(terms)).to.emit(sys.escrow, "PaymentReclaimed").withArgs(id, terms.amount);
  });

  it("works while the buyer is frozen in KYC", async () => {
    const { sys, terms, id } = await authorized();
    await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, ethers.encodeBytes32String("aml"));
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await expect(sys.escrow.connect(sys.buyer).reclaim(terms)).to.changeTokenBalances(
      ethers,
      sys.token,
      [sys.buyer],
      [terms.amount],
    );
    expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Voided);
  });

  it("returns only the uncaptured rest after a partial capture and stays Captured", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).capture(terms, 25n * UNIT);
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await expect(sys.escrow.connect(sys.buyer).reclaim(terms)).to.emit(sys.escrow, "PaymentReclaimed").withArgs(id, 75n * UNIT);
    const state = await sys.escrow.paymentState(id);
    expect(state.status).to.equal(PaymentStatus.Captured);
    expect(state.held).to.equal(25n * UNIT);
  });

  it("reverts with EscrowNothingToReturn when everything was captured", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeAndCapture(sys, terms);
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await expect(sys.escrow.connect(sys.buyer).reclaim(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowNothingToReturn")
      .withArgs(id);
  });

  it("reverts with EscrowUnexpectedStatus after a void", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).void(terms);
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await expect(sys.escrow.connect(sys.buyer).reclaim(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
      .withArgs(id, PaymentStatus.Voided, OPEN);
  });
});

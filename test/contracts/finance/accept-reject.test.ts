import { expect } from "chai";
import { network } from "hardhat";

import { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";
import { stateBits } from "./helpers.js";
import { acceptance, DAY, deployFinance, issue, makeInvoice, rejection, SELF } from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);

async function pending() {
  const f = await networkHelpers.loadFixture(finance);
  const terms = await makeInvoice(f);
  const id = await issue(f, terms);
  return { f, terms, id };
}

describe("ReceivableRegistry accept and reject", () => {
  it("accepts by the debtor's signature relayed by the operator; the nonce is spent", async () => {
    const { f, id } = await pending();
    const auth = await acceptance(f, f.debtor, id);
    await expect(f.registry.connect(f.operator).accept(id, auth))
      .to.emit(f.registry, "ReceivableAccepted").withArgs(id, f.debtor.address)
      .and.to.emit(f.registry, "AuthorizationUsed").withArgs(f.debtor.address, auth.nonce);
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Accepted);
    expect(await f.registry.nonceUsed(f.debtor.address, auth.nonce)).to.equal(true);
  });

  it("accepts when the debtor sends it itself", async () => {
    const { f, id } = await pending();
    await f.registry.connect(f.debtor).accept(id, SELF);
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Accepted);
  });

  it("refuses an acceptance signed by the supplier (wrong party)", async () => {
    const { f, id } = await pending();
    await expect(f.registry.connect(f.operator).accept(id, await acceptance(f, f.supplier, id)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature").withArgs(f.debtor.address);
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Pending);
  });

  it("refuses an expired signature and a reused nonce", async () => {
    const { f, id } = await pending();
    const now = BigInt(await networkHelpers.time.latest());
    await expect(f.registry.connect(f.operator).accept(id, await acceptance(f, f.debtor, id, now)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableSignatureExpired").withArgs(now);
    const auth = await acceptance(f, f.debtor, id);
    await f.registry.connect(f.debtor).cancelAuthorization(auth.nonce);
    await expect(f.registry.connect(f.operator).accept(id, auth))
      .to.be.revertedWithCustomError(f.registry, "ReceivableNonceUsed").withArgs(f.debtor.address, auth.nonce);
  });

  it("refuses acceptance after acceptBy: the expired invoice can never move", async () => {
    const { f, id, terms } = await pending();
    await networkHelpers.time.increaseTo(terms.acceptBy + 1n);
    await expect(f.registry.connect(f.debtor).accept(id, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableAcceptanceExpired").withArgs(id, terms.acceptBy);
    await expect(f.registry.connect(f.supplier).transferFrom(f.supplier.address, f.tier2.address, id))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState")
      .withArgs(id, ReceivableState.Pending, stateBits(ReceivableState.Accepted, ReceivableState.Overdue));
  });

  it("refuses acceptance twice", async () => {
    const { f, id } = await pending();
    await f.registry.connect(f.debtor).accept(id, SELF);
    await expect(f.registry.connect(f.debtor).accept(id, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState")
      .withArgs(id, ReceivableState.Accepted, stateBits(ReceivableState.Pending));
  });

  it("rejects by the debtor's signature: terminal, cannot be accepted or moved", async () => {
    const { f, id } = await pending();
    const reason = ethers.encodeBytes32String("goods-not-received");
    await expect(f.registry.connect(f.operator).reject(id, reason, await rejection(f, f.debtor, id, reason)))
      .to.emit(f.registry, "ReceivableRejected").withArgs(id, f.debtor.address, reason);
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Rejected);
    await expect(f.registry.connect(f.debtor).accept(id, SELF)).to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState");
    await expect(f.registry.connect(f.supplier).transferFrom(f.supplier.address, f.tier2.address, id))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState")
      .withArgs(id, ReceivableState.Rejected, stateBits(ReceivableState.Accepted, ReceivableState.Overdue));
  });

  it("refuses a rejection by a stranger, and lets the debtor reject after acceptBy", async () => {
    const { f, id, terms } = await pending();
    await expect(f.registry.connect(f.outsider).reject(id, ethers.ZeroHash, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnauthorizedCaller").withArgs(f.outsider.address);
    await networkHelpers.time.increaseTo(terms.acceptBy + DAY);
    await f.registry.connect(f.debtor).reject(id, ethers.ZeroHash, SELF);
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Rejected);
  });

  it("requires the accepting debtor to pass KYC (a frozen debtor cannot accept)", async () => {
    const { f, id } = await pending();
    await f.kyc.connect(f.compliance).freeze(f.debtor.address, ethers.encodeBytes32String("aml"));
    await expect(f.registry.connect(f.debtor).accept(id, SELF)).to.be.revertedWithCustomError(f.kyc, "KycFrozen");
  });

  it("a cancelled nonce cannot be cancelled again", async () => {
    const { f } = await pending();
    const nonce = ethers.id("n");
    await expect(f.registry.connect(f.debtor).cancelAuthorization(nonce))
      .to.emit(f.registry, "AuthorizationCanceled").withArgs(f.debtor.address, nonce);
    await expect(f.registry.connect(f.debtor).cancelAuthorization(nonce))
      .to.be.revertedWithCustomError(f.registry, "ReceivableNonceUsed").withArgs(f.debtor.address, nonce);
  });
});

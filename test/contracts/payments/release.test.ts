import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus, type PaymentTerms } from "../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, authorizeErc3009, DAY, deploySystem, makeTerms, UNIT, type System } from "../fixtures.js";
import { feeSplit, latest, ledger, releasedEvents, signReceipt, statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

async function captured() {
  const sys = await networkHelpers.loadFixture(system);
  const terms = await makeTerms(sys);
  const id = await authorizeAndCapture(sys, terms);
  const heldSince = (await sys.escrow.paymentState(id)).heldSince;
  return { sys, terms, id, releasableAt: heldSince + terms.confirmationWindow };
}

async function expectCredited(sys: System, terms: PaymentTerms, gross: bigint) {
  const { fee, partnerFee, net } = feeSplit(terms, gross);
  const balances = await ledger(sys);
  expect(balances.merchant).to.equal(net);
  expect(balances.treasury).to.equal(fee - partnerFee);
  expect(balances.partner).to.equal(partnerFee);
}

describe("PaymentEscrow release", () => {
  it("reverts with EscrowConfirmationWindowOpen one second before the window ends", async () => {
    const { sys, terms, id, releasableAt } = await captured();
    await networkHelpers.time.setNextBlockTimestamp(releasableAt - 1n);
    await expect(sys.escrow.connect(sys.stranger).release(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowConfirmationWindowOpen")
      .withArgs(id, releasableAt);
  });

  it("releases at the end of the window when anyone calls, crediting net, fee and partner share", async () => {
    const { sys, terms, id, releasableAt } = await captured();
    await networkHelpers.time.setNextBlockTimestamp(releasableAt);
    // 100 at 2.5% = 2.5 fee, of which the partner's 20% = 0.5
    await expect(sys.escrow.connect(sys.stranger).release(terms))
      .to.emit(sys.escrow, "PaymentReleased")
      .withArgs(id, terms.amount, 2_500_000n, 500_000n, 97_500_000n);
    await expectCredited(sys, terms, terms.amount);
    const state = await sys.escrow.paymentState(id);
    expect(state.status).to.equal(PaymentStatus.Released);
    expect(state.held).to.equal(0n);
    expect(state.released).to.equal(terms.amount);
  });

  it("emits fee + net == gross for an amount that does not divide evenly", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { amount: 123_456_789n });
    await authorizeAndCapture(sys, terms);
    await networkHelpers.time.increase(terms.confirmationWindow);
    const [event] = await releasedEvents(sys, sys.escrow.connect(sys.stranger).release(terms));
    if (!event) throw new Error("no PaymentReleased event");
    expect(event.fee + event.net).to.equal(event.gross);
    expect(event.gross).to.equal(terms.amount);
    expect(event).to.deep.equal({ gross: terms.amount, ...feeSplit(terms, terms.amount) });
  });

  it("keeps the tokens in escrow: release only credits balances", async () => {
    const { sys, terms, releasableAt } = await captured();
    await networkHelpers.time.setNextBlockTimestamp(releasableAt);
    await expect(sys.escrow.connect(sys.stranger).release(terms)).to.changeTokenBalances(
      ethers,
      sys.token,
      [sys.escrowAddress, sys.merchant, sys.settlement],
      [0n, 0n, 0n],
    );
  });

  it("waits for a full window after a later capture", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeErc3009(sys, terms);
    await sys.escrow.connect(sys.operator).capture(terms, 40n * UNIT);
    await networkHelpers.time.increase(DAY);
    await sys.escrow.connect(sys.operator).capture(terms, 60n * UNIT);
    const releasableAt = (await latest(sys)) + terms.confirmationWindow;
    await networkHelpers.time.setNextBlockTimestamp(releasableAt - 1n);
    await expect(sys.escrow.release(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowConfirmationWindowOpen")
      .withArgs(id, releasableAt);
    await networkHelpers.time.setNextBlockTimestamp(releasableAt);
    await expect(sys.escrow.release(terms)).to.emit(sys.escrow, "PaymentReleased").withArgs(id, terms.amount, 2_500_000n, 500_000n, 97_500_000n);
  });

  it("reverts with EscrowNothingHeld when the captured part was already released", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeAndCapture(sys, terms, 40n * UNIT);
    await networkHelpers.time.increase(terms.confirmationWindow);
    await sys.escrow.release(terms);
    await expect(sys.escrow.release(terms)).to.be.revertedWithCustomError(sys.escrow, "EscrowNothingHeld").withArgs(id);
  });

  it("reverts with EscrowUnexpectedStatus for a payment that was never captured", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeErc3009(sys, terms);
    await networkHelpers.time.increase(terms.confirmationWindow);
    await expect(sys.escrow.release(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
      .withArgs(id, PaymentStatus.Authorized, statusBits(PaymentStatus.Captured));
  });

  it("reverts with EscrowUnexpectedStatus once Released", async () => {
    const { sys, terms, id, releasableAt } = await captured();
    await networkHelpers.time.increaseTo(releasableAt);
    await sys.escrow.release(terms);
    await expect(sys.escrow.release(terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
      .withArgs(id, PaymentStatus.Released, statusBits(PaymentStatus.Captured));
  });
});


describe("PaymentEscrow confirmReceipt", () => {
  it("releases at once when the buyer confirms in person", async () => {
    const { sys, terms, id } = await captured();
    await expect(sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"))
      .to.emit(sys.escrow, "ReceiptConfirmed")
      .withArgs(id)
      .and.to.emit(sys.escrow, "PaymentReleased")
      .withArgs(id, terms.amount, 2_500_000n, 500_000n, 97_500_000n);
    await expectCredited(sys, terms, terms.amount);
    expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Released);
  });

  it("releases at once on the buyer's relayed ReceiptConfirmation signature", async () => {
    const { sys, terms, id } = await captured();
    const deadline = (await latest(sys)) + 600n;
    const signature = await signReceipt(sys, sys.buyer, id, deadline);
    await expect(sys.escrow.connect(sys.stranger).confirmReceipt(terms, deadline, signature))
      .to.emit(sys.escrow, "ReceiptConfirmed")
      .withArgs(id);
    await expectCredited(sys, terms, terms.amount);
  });

  it("accepts a signature at its deadline second", async () => {
    const { sys, terms, id } = await captured();
    const deadline = (await latest(sys)) + 600n;
    const signature = await signReceipt(sys, sys.buyer, id, deadline);
    await networkHelpers.time.setNextBlockTimestamp(deadline);
    await expect(sys.escrow.connect(sys.operator).confirmReceipt(terms, deadline, signature)).to.emit(
      sys.escrow,
      "ReceiptConfirmed",
    );
  });

  it("reverts with EscrowSignatureExpired one second after the deadline", async () => {
    const { sys, terms, id } = await captured();
    const deadline = (await latest(sys)) + 600n;
    const signature = await signReceipt(sys, sys.buyer, id, deadline);
    await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
    await expect(sys.escrow.connect(sys.operator).confirmReceipt(terms, deadline, signature))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowSignatureExpired")
      .withArgs(deadline);
  });

  it("reverts with EscrowSignatureUsed when a confirmation is replayed after a later capture", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeAndCapture(sys, terms, 40n * UNIT);
    const deadline = (await latest(sys)) + DAY;
    const signature = await signReceipt(sys, sys.buyer, id, deadline);
    await sys.escrow.connect(sys.operator).confirmReceipt(terms, deadline, signature);
    await sys.escrow.connect(sys.operator).capture(terms, 60n * UNIT);
    await expect(sys.escrow.connect(sys.operator).confirmReceipt(terms, deadline, signature)).to.be.revertedWithCustomError(
      sys.escrow,
      "EscrowSignatureUsed",
    );
    expect((await sys.escrow.paymentState(id)).held).to.equal(60n * UNIT);
  });

  it("reverts with EscrowInvalidSignature when someone other than the buyer signed", async () => {
    const { sys, terms, id } = await captured();
    const deadline = (await latest(sys)) + 600n;
    const signature = await signReceipt(sys, sys.merchant, id, deadline);
    await expect(sys.escrow.connect(sys.operator).confirmReceipt(terms, deadline, signature))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidSignature")
      .withArgs(sys.buyer.address);
  });

  it("reverts with EscrowNothingHeld when nothing captured is held", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeAndCapture(sys, terms, 40n * UNIT);
    await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
    await expect(sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowNothingHeld")
      .withArgs(id);
  });
});


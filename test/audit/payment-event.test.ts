// The escrow's per-event rules shared by the audit's ledger and the relayer's projection: each event moves the
// payment as PaymentEscrow does and names whose money moved; the movements account for every change of what the
// escrow owes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { applyEscrowEvent, UNAUTHORIZED, type Movement, type PaymentAmounts, type PaymentEvent } from "../../audit/ledger/payment-event.js";

/** Applies events in order from an unauthorized payment; returns the payment and every movement. */
function run(...events: PaymentEvent[]): { payment: PaymentAmounts; movements: Movement[] } {
  let payment: PaymentAmounts = { ...UNAUTHORIZED };
  const movements: Movement[] = [];
  for (const event of events) {
    const applied = applyEscrowEvent(payment, event);
    payment = applied.payment;
    movements.push(...applied.movements);
  }
  return { payment, movements };
}

const owedByMovements = (movements: Movement[]) => movements.reduce((sum, m) => sum + m.capturableDelta + m.heldDelta + m.balanceDelta, 0n);
const parties = (movements: Movement[]) => movements.map((m) => [m.kind, m.party, m.amount, m.balanceDelta]);

const authorize = (amount: bigint): PaymentEvent => ({ name: "PaymentAuthorized", args: { amount } });
const capture = (amount: bigint): PaymentEvent => ({ name: "PaymentCaptured", args: { amount } });
const release = (gross: bigint, fee: bigint, partnerFee: bigint): PaymentEvent => ({ name: "PaymentReleased", args: { gross, fee, partnerFee, net: gross - fee } });
const refund = (fromHeld: bigint, fromMerchant: bigint): PaymentEvent => ({ name: "PaymentRefunded", args: { amount: fromHeld + fromMerchant, fromHeld, fromMerchant } });

describe("escrow event rules", () => {
  it("a release credits the merchant its net, the treasury the fee less the partner's share, the partner its share", () => {
    const { payment, movements } = run(authorize(1_000n), capture(1_000n), release(1_000n, 25n, 5n));
    assert.equal(payment.status, "released");
    assert.deepEqual([payment.capturable, payment.held, payment.released], [0n, 0n, 1_000n]);
    assert.deepEqual(parties(movements.slice(2)), [["release", "merchant", 975n, 975n], ["fee", "treasury", 20n, 20n], ["partner_fee", "partner", 5n, 5n]]);
    assert.equal(owedByMovements(movements), 1_000n);
  });

  it("a release without a partner's share credits no partner, and a fee wholly the partner's credits no treasury", () => {
    assert.deepEqual(run(release(100n, 3n, 0n)).movements.map((m) => m.kind), ["release", "fee"]);
    assert.deepEqual(run(release(100n, 3n, 3n)).movements.map((m) => m.kind), ["release", "partner_fee"]);
  });

  it("a refund after a release debits the merchant's balance, and the payment stays released until all of it is refunded", () => {
    const released = run(authorize(1_000n), capture(1_000n), release(1_000n, 0n, 0n), refund(0n, 400n));
    assert.equal(released.payment.status, "released");
    assert.deepEqual([released.payment.refundedAfterRelease, released.payment.refunded], [400n, 400n]);
    assert.deepEqual(parties(released.movements.slice(-1)), [["refund", "merchant", 400n, -400n]]);
    assert.equal(run(authorize(1_000n), capture(1_000n), release(1_000n, 0n, 0n), refund(0n, 1_000n)).payment.status, "refunded");
  });

  it("a void returns the capturable part to the buyer: voided if nothing was captured, captured if funds are held", () => {
    const voided = run(authorize(500n), { name: "PaymentVoided", args: { amount: 500n } });
    assert.equal(voided.payment.status, "voided");
    assert.deepEqual(parties(voided.movements.slice(-1)), [["void", "buyer", 500n, 0n]]);
    assert.equal(owedByMovements(voided.movements), 0n);
    assert.equal(run(authorize(500n), capture(200n), { name: "PaymentReclaimed", args: { amount: 300n } }).payment.status, "captured");
  });

  it("a capture moves money inside the escrow only, so it names no party", () => {
    const { movements } = run(authorize(500n), capture(200n));
    assert.deepEqual(movements.slice(-1).map((m) => [m.party, m.capturableDelta, m.heldDelta]), [[null, -200n, 200n]]);
  });

  it("a dispute holds the payment disputed until resolved, and moves no money itself", () => {
    const opened = run(authorize(500n), capture(500n), { name: "DisputeOpened" });
    assert.equal(opened.payment.status, "disputed");
    const resolved = applyEscrowEvent(opened.payment, { name: "DisputeResolved" });
    assert.equal(resolved.payment.status, "captured");
    assert.deepEqual(resolved.movements, []);
  });

  it("leaves the payment it is given unchanged and keeps its other fields", () => {
    const before = { ...UNAUTHORIZED, paymentId: "0x01" };
    const { payment } = applyEscrowEvent(before, authorize(10n));
    assert.deepEqual([before.status, before.capturable], ["none", 0n]);
    assert.deepEqual([payment.paymentId, payment.status, payment.capturable], ["0x01", "authorized", 10n]);
  });
});

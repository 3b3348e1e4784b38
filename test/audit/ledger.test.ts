// The ledger rebuilt from events: each lifecycle lands where the escrow puts it (amounts, status, balances, fees).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { releaseSplit } from "../../audit/ledger/fees.js";
import { checkInvariants } from "../../audit/ledger/invariants.js";
import { BUYER, consistentState, ESCROW, Events, ISSUER, ledgerOf, MERCHANT, PARTNER, pid, TOKEN, TREASURY, ZERO } from "./support/ledger-fixtures.js";

describe("ledger", () => {
  it("a captured and released payment credits the merchant's net, the treasury's fee less the partner's share, and the partner", () => {
    const events = Events.world().mint(BUYER, 100_000n).authorize(1, 10_001n).capture(1, 10_001n).release(1, 0n, 10_001n);
    const ledger = ledgerOf(events);
    const p = ledger.payments.get(pid(1))!;
    assert.equal(p.status, "released");
    assert.deepEqual([p.capturable, p.held, p.released, p.refunded], [0n, 0n, 10_001n, 0n]);
    // 250 bps of 10,001 = 250.025 -> 250 (down); partner 20% of 250 = 50
    assert.deepEqual([p.fee, p.partnerFee, p.net], [250n, 50n, 9_751n]);
    const balances = ledger.balances.get(TOKEN)!;
    assert.equal(balances.get(MERCHANT)!.balance, 9_751n);
    assert.equal(balances.get(TREASURY)!.balance, 200n);
    assert.equal(balances.get(PARTNER)!.balance, 50n);
    assert.deepEqual(checkInvariants(ledger, consistentState(ledger)), []);
  });

  it("fees on partial releases follow the running total, so they add up to the fee of the whole", () => {
    const first = releaseSplit(0n, 3_333n, { feeBps: 250, partner: PARTNER, partnerShareBps: 2_000 });
    const second = releaseSplit(3_333n, 6_668n, { feeBps: 250, partner: PARTNER, partnerShareBps: 2_000 });
    const whole = releaseSplit(0n, 10_001n, { feeBps: 250, partner: PARTNER, partnerShareBps: 2_000 });
    assert.equal(first.fee + second.fee, whole.fee);
    assert.equal(first.partnerFee + second.partnerFee, whole.partnerFee);
    assert.equal(releaseSplit(0n, 10_000n, { feeBps: 250, partner: ZERO, partnerShareBps: 0 }).partnerFee, 0n);
  });

  it("a refund after release comes out of the merchant's balance and counts in refundedAfterRelease", () => {
    const events = Events.world().mint(BUYER, 100_000n).authorize(1, 10_000n).capture(1, 10_000n).release(1, 0n, 10_000n).refund(1, 0n, 4_000n);
    const ledger = ledgerOf(events);
    const p = ledger.payments.get(pid(1))!;
    assert.equal(p.status, "released");
    assert.deepEqual([p.released, p.refundedAfterRelease, p.refunded], [10_000n, 4_000n, 4_000n]);
    assert.equal(ledger.balances.get(TOKEN)!.get(MERCHANT)!.balance, 9_750n - 4_000n);
    assert.deepEqual(checkInvariants(ledger, consistentState(ledger)), []);
  });

  it("a refund of everything captured leaves the payment refunded; a void of an uncaptured one leaves it voided", () => {
    const events = Events.world().mint(BUYER, 100_000n).authorize(1, 500n).capture(1, 500n).refund(1, 500n, 0n).authorize(2, 700n);
    events.add("escrow.PaymentVoided", { paymentId: pid(2), amount: 700n }).add("token.Transfer", { from: ESCROW, to: BUYER, value: 700n }, true);
    const ledger = ledgerOf(events);
    assert.equal(ledger.payments.get(pid(1))!.status, "refunded");
    assert.equal(ledger.payments.get(pid(2))!.status, "voided");
    assert.deepEqual(checkInvariants(ledger, consistentState(ledger)), []);
  });

  it("a partial capture then a reclaim after expiry keeps the captured part held and the payment captured", () => {
    const events = Events.world().mint(BUYER, 100_000n).authorize(1, 1_000n).capture(1, 400n);
    events.add("escrow.PaymentReclaimed", { paymentId: pid(1), amount: 600n }).add("token.Transfer", { from: ESCROW, to: BUYER, value: 600n }, true);
    const ledger = ledgerOf(events);
    const p = ledger.payments.get(pid(1))!;
    assert.deepEqual([p.status, p.capturable, p.held, p.reclaimed], ["captured", 0n, 400n, 600n]);
    assert.deepEqual(checkInvariants(ledger, consistentState(ledger)), []);
  });

  it("a dispute resolved with a split refunds the buyer's part and releases the merchant's part in one transaction", () => {
    const events = Events.world().mint(BUYER, 100_000n).authorize(1, 1_000n).capture(1, 1_000n);
    events.add("escrow.DisputeOpened", { paymentId: pid(1), reason: pid(77) });
    events.add("escrow.DisputeResolved", { paymentId: pid(1), buyerAmount: 250n, merchantAmount: 750n });
    events.refund(1, 250n, 0n, true).release(1, 0n, 750n, undefined, true);
    const ledger = ledgerOf(events);
    const p = ledger.payments.get(pid(1))!;
    assert.deepEqual([p.status, p.held, p.refunded, p.released, p.disputeUsed], ["released", 0n, 250n, 750n, true]);
    assert.deepEqual(p.history.map((h) => h.statusAfter), ["authorized", "captured", "disputed", "captured", "captured", "released"]);
    assert.deepEqual(checkInvariants(ledger, consistentState(ledger)), []);
  });

  it("records mints and burns with their fiat references, KYC changes and large-transaction reports", () => {
    const events = Events.world().mint(ISSUER, 5_000n, pid(9));
    events.add("token.Transfer", { from: ISSUER, to: ZERO, value: 2_000n }).add("token.Burned", { issuer: ISSUER, amount: 2_000n, fiatReference: pid(10) }, true);
    events.add("kyc.KycRecordSet", { account: BUYER, tier: 2, country: "0x5347", expiresAt: 1_900_000_000, dossierHash: pid(5), reason: pid(6) });
    events.add("kyc.AccountFrozen", { account: BUYER, reason: pid(7) });
    events.mint(BUYER, 2_000_000n).authorize(1, 1_000_000n);
    events.add("escrow.LargeTransactionReported", { paymentId: pid(1), buyer: BUYER, merchant: MERCHANT, token: TOKEN, amount: 1_000_000n }, true);
    const ledger = ledgerOf(events);
    assert.deepEqual(
      ledger.stablecoin.issuance.map((i) => [i.kind, i.amount, i.fiatReference]),
      [["mint", 5_000n, pid(9)], ["burn", 2_000n, pid(10)], ["mint", 2_000_000n, "0x" + "aa".repeat(32)]],
    );
    assert.deepEqual(ledger.kycChanges.map((k) => k.kind), ["record_set", "frozen"]);
    assert.equal(ledger.largeTransactions.length, 1);
    assert.deepEqual(checkInvariants(ledger, consistentState(ledger)), []);
  });

  it("sorts events into chain order before applying them", () => {
    const events = Events.world().mint(BUYER, 100_000n).authorize(1, 100n).capture(1, 100n);
    const ledger = ledgerOf(Object.assign(new Events(), { list: [...events.list].reverse() }) as Events);
    assert.equal(ledger.payments.get(pid(1))!.status, "captured");
    assert.equal(ledger.anomalies.length, 0);
  });
});

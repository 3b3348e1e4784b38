// The ledger projection (pure): each escrow log moves its payment as the escrow does and makes one entry per
// account whose money moved; what the escrow owes always equals the sum of the entries' deltas.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { LedgerProjectionError, projectLog, type ChainPayment, type LedgerContext, type LedgerEntry, type LedgerLog } from "../../../relayer/domain/ledger.js";

const MERCHANT = "0x1111111111111111111111111111111111111111";
const BUYER = "0x2222222222222222222222222222222222222222";
const TOKEN = "0x3333333333333333333333333333333333333333";
const PARTNER = "0x4444444444444444444444444444444444444444";
const TREASURY = "0x5555555555555555555555555555555555555555";
const ID = `0x${"ab".repeat(32)}`;

const context: LedgerContext = { treasury: TREASURY, partnerOf: () => PARTNER, isMerchant: (a) => a === MERCHANT };
let logIndex = 0;
const log = (event: string, args: Record<string, string>): LedgerLog => ({
  blockNumber: 10, logIndex: logIndex++, txHash: `0x${"cd".repeat(32)}`, blockTime: 1_700_000_000, event, paymentId: ID, args: { paymentId: ID, ...args },
});

/** Applies logs in order; returns the payment and every entry made. */
function run(...logs: LedgerLog[]): { payment: ChainPayment | undefined; entries: LedgerEntry[] } {
  let payment: ChainPayment | undefined;
  const entries: LedgerEntry[] = [];
  for (const l of logs) {
    const result = projectLog(payment, l, context);
    payment = result.payment ?? payment;
    entries.push(...result.entries);
  }
  return { payment, entries };
}

const authorized = (amount: string) => log("PaymentAuthorized", { merchant: MERCHANT, buyer: BUYER, token: TOKEN, amount, orderRef: `0x${"01".repeat(32)}`, method: "0" });
const owed = (entries: LedgerEntry[]) => entries.reduce((sum, e) => sum + e.capturableDelta + e.heldDelta + e.balanceDelta, 0n);

describe("ledger projection", () => {
  it("voids an authorization: nothing owed afterwards, status voided", () => {
    const { payment, entries } = run(authorized("100"), log("PaymentVoided", { amount: "100" }));
    assert.equal(payment?.status, "voided");
    assert.deepEqual(entries.map((e) => [e.kind, e.capturableDelta]), [["authorize", 100n], ["void", -100n]]);
    assert.equal(owed(entries), 0n);
  });

  it("splits a dispute: the buyer's part refunded from held, the merchant's released with fees", () => {
    const { payment, entries } = run(
      authorized("1000"),
      log("PaymentCaptured", { amount: "1000" }),
      log("DisputeOpened", { reason: `0x${"00".repeat(32)}` }),
      log("DisputeResolved", { buyerAmount: "400", merchantAmount: "600" }),
      log("PaymentRefunded", { amount: "400", fromHeld: "400", fromMerchant: "0" }),
      log("PaymentReleased", { gross: "600", fee: "15", partnerFee: "3", net: "585" }),
    );
    assert.equal(payment?.status, "released");
    assert.equal(payment?.held, 0n);
    assert.equal(payment?.refunded, 400n);
    assert.deepEqual(
      entries.slice(2).map((e) => [e.kind, e.account, e.amount, e.balanceDelta]),
      [["refund", MERCHANT, 400n, 0n], ["release", MERCHANT, 585n, 585n], ["fee", TREASURY, 12n, 12n], ["partner_fee", PARTNER, 3n, 3n]],
    );
    // what stays owed is exactly the balances credited
    assert.equal(owed(entries), 600n);
  });

  it("keeps a payment disputed while funds are held", () => {
    const { payment } = run(authorized("50"), log("PaymentCaptured", { amount: "50" }), log("DisputeOpened", { reason: `0x${"00".repeat(32)}` }));
    assert.equal(payment?.status, "disputed");
  });

  it("debits a payout from the merchant's balance", () => {
    const { entries } = projectLog(undefined, { ...log("PayoutSent", { token: TOKEN, account: MERCHANT, to: BUYER, amount: "585" }), paymentId: null }, context);
    assert.deepEqual(entries.map((e) => [e.kind, e.merchant, e.balanceDelta]), [["payout", MERCHANT, -585n]]);
  });

  it("debits a collection for the receivable registry from the debtor's balance", () => {
    const collected = log("BalanceCollected", { token: TOKEN, merchant: MERCHANT, collector: BUYER, amount: "400" });
    const { entries } = projectLog(undefined, { ...collected, paymentId: null }, context);
    assert.deepEqual(entries.map((e) => [e.kind, e.account, e.merchant, e.balanceDelta]), [["collection", MERCHANT, MERCHANT, -400n]]);
  });

  it("refuses a payment event for a payment never authorized", () => {
    assert.throws(() => projectLog(undefined, log("PaymentCaptured", { amount: "1" }), context), LedgerProjectionError);
  });
});

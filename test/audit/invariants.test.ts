// Each invariant catches its planted fault, and names it: one broken thing per test, everything else consistent.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { checkInvariants, type ChainState, type InvariantName } from "../../audit/ledger/invariants.js";
import type { Ledger } from "../../audit/ledger/ledger.js";
import { BUYER, consistentState, ESCROW, Events, ISSUER, ledgerOf, MERCHANT, PARTNER, pid, TOKEN, TREASURY, ZERO } from "./support/ledger-fixtures.js";

const violated = (ledger: Ledger, state: ChainState = consistentState(ledger)) => checkInvariants(ledger, state).map((v) => v.invariant);
const only = (names: InvariantName[], expected: InvariantName) => {
  assert.ok(names.length > 0, `expected ${expected} to be violated`);
  assert.deepEqual([...new Set(names)], [expected]);
};
const released = () => Events.world().mint(BUYER, 100_000n).authorize(1, 10_000n).capture(1, 10_000n);

describe("invariants", () => {
  it("hold on a consistent history", () => {
    assert.deepEqual(violated(ledgerOf(released().release(1, 0n, 10_000n))), []);
  });

  it("ledger_event_applies: an event for a payment never authorized, or in a status that forbids it", () => {
    only(violated(ledgerOf(Events.world().capture(9, 1n))), "ledger_event_applies");
    const afterVoid = Events.world().mint(BUYER, 100_000n).authorize(1, 100n);
    afterVoid.add("escrow.PaymentVoided", { paymentId: pid(1), amount: 100n }).add("token.Transfer", { from: ESCROW, to: BUYER, value: 100n }, true);
    afterVoid.capture(1, 100n);
    assert.ok(violated(ledgerOf(afterVoid)).includes("ledger_event_applies"));
  });

  it("payment_amounts_add_up: a capture beyond what is capturable", () => {
    const names = violated(ledgerOf(Events.world().mint(BUYER, 100_000n).authorize(1, 100n).capture(1, 150n)), { ...consistentState(ledgerOf(Events.world())), escrowTokenBalances: new Map([[TOKEN, 100n]]) });
    assert.ok(names.includes("payment_amounts_add_up"));
  });

  it("terms_match_authorization: calldata terms whose amount differs from the event", () => {
    const events = released().release(1, 0n, 10_000n);
    const terms = new Map([[pid(1), { merchant: MERCHANT, buyer: BUYER, token: TOKEN, amount: 9_999n, preApprovalExpiry: 1n, authorizationExpiry: 2n, refundExpiry: 3n, confirmationWindow: 4n, kycTier: 1, feeBps: 250, partner: PARTNER, partnerShareBps: 2_000, orderRef: pid(1001) }]]);
    only(violated(ledgerOf(events, terms)), "terms_match_authorization");
  });

  it("release_fee_rate: a fee one unit above the rate on the running total", () => {
    only(violated(ledgerOf(released().release(1, 0n, 10_000n, { fee: 251n, net: 9_749n }))), "release_fee_rate");
  });

  it("release_fee_rate: the calldata's fee terms win over the merchant's configuration", () => {
    const events = released().release(1, 0n, 10_000n);
    const terms = new Map([[pid(1), { merchant: MERCHANT, buyer: BUYER, token: TOKEN, amount: 10_000n, preApprovalExpiry: 1n, authorizationExpiry: 2n, refundExpiry: 3n, confirmationWindow: 4n, kycTier: 1, feeBps: 300, partner: PARTNER, partnerShareBps: 2_000, orderRef: pid(1001) }]]);
    only(violated(ledgerOf(events, terms)), "release_fee_rate");
  });

  it("release_fee_split: fee + net differs from gross", () => {
    only(violated(ledgerOf(released().release(1, 0n, 10_000n, { net: 9_751n }))).filter((n) => n !== "escrow_solvency" && n !== "escrow_account_balance"), "release_fee_split");
  });

  it("refund_parts_add_up: a refund whose parts do not add up", () => {
    const events = released();
    events.add("escrow.PaymentRefunded", { paymentId: pid(1), amount: 600n, fromHeld: 500n, fromMerchant: 0n }).add("token.Transfer", { from: ESCROW, to: BUYER, value: 500n }, true);
    const names = violated(ledgerOf(events));
    assert.ok(names.includes("refund_parts_add_up"));
    // the payment's refunded total then disagrees with its parts as well
    assert.deepEqual([...new Set(names)].sort(), ["payment_amounts_add_up", "refund_parts_add_up"]);
  });

  it("dispute_split: the merchant's part of a resolution is not released", () => {
    const events = released();
    events.add("escrow.DisputeOpened", { paymentId: pid(1), reason: pid(77) });
    events.add("escrow.DisputeResolved", { paymentId: pid(1), buyerAmount: 4_000n, merchantAmount: 6_000n });
    events.refund(1, 4_000n, 0n, true);
    only(violated(ledgerOf(events)), "dispute_split");
  });

  it("payout_whole_balance: a payout of less than the account's balance", () => {
    const events = released().release(1, 0n, 10_000n);
    events.add("escrow.PayoutSent", { token: TOKEN, account: MERCHANT, to: MERCHANT, amount: 9_000n }).add("token.Transfer", { from: ESCROW, to: MERCHANT, value: 9_000n }, true);
    only(violated(ledgerOf(events)), "payout_whole_balance");
  });

  it("large_transaction_reported: a payment at the threshold without its report, and a report without a payment", () => {
    only(violated(ledgerOf(Events.world().mint(BUYER, 2_000_000n).authorize(1, 1_000_000n))), "large_transaction_reported");
    only(violated(ledgerOf(Events.world().add("escrow.LargeTransactionReported", { paymentId: pid(5), buyer: BUYER, merchant: MERCHANT, token: TOKEN, amount: 5n }))), "large_transaction_reported");
  });

  it("escrow_solvency: the escrow holds one unit less than it owes", () => {
    const ledger = ledgerOf(released().release(1, 0n, 10_000n));
    const state = consistentState(ledger);
    only(violated(ledger, { ...state, escrowTokenBalances: new Map([[TOKEN, state.escrowTokenBalances.get(TOKEN)! - 1n]]) }), "escrow_solvency");
  });

  it("escrow_solvency: tokens leave the escrow by a Transfer no escrow event explains", () => {
    const events = released().release(1, 0n, 10_000n).add("token.Transfer", { from: ESCROW, to: BUYER, value: 1n });
    only(violated(ledgerOf(events)), "escrow_solvency");
  });

  it("escrow_account_balance: the escrow's book of the treasury differs from the ledger's", () => {
    const ledger = ledgerOf(released().release(1, 0n, 10_000n));
    const state = consistentState(ledger);
    const accounts = new Map(state.escrowAccountBalances.get(TOKEN)!);
    accounts.set(TREASURY, accounts.get(TREASURY)! + 7n);
    only(violated(ledger, { ...state, escrowAccountBalances: new Map([[TOKEN, accounts]]) }), "escrow_account_balance");
  });

  it("stablecoin_supply: totalSupply differs from minted − burned, and a mint without its Minted event", () => {
    const ledger = ledgerOf(released());
    const state = consistentState(ledger);
    const names = violated(ledger, { ...state, stablecoin: { ...state.stablecoin, totalSupply: state.stablecoin.totalSupply + 1n } });
    // the Transfer-derived holders no longer sum to the (wrong) supply either
    assert.deepEqual([...new Set(names)].sort(), ["stablecoin_holders", "stablecoin_supply"]);
    const unbacked = released().add("token.Transfer", { from: ZERO, to: ISSUER, value: 50n });
    assert.ok(violated(ledgerOf(unbacked)).includes("stablecoin_supply"));
  });

  it("stablecoin_holders: a Transfer-derived balance goes negative", () => {
    const events = released().add("token.Transfer", { from: PARTNER, to: ISSUER, value: 5n });
    only(violated(ledgerOf(events)), "stablecoin_holders");
  });
});

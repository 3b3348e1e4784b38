// reconcile(): the chain's payments against the relayer's records, one difference per missing, extra or differing field.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { reconcile, type AuditPayment, type ChainPaymentView } from "../../audit/reconcile.js";
import { BUYER, MERCHANT, pid, TOKEN } from "./support/ledger-fixtures.js";

const OTHER_MERCHANT = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";

const chain = (n: number, over: Partial<ChainPaymentView> = {}): ChainPaymentView => ({
  payment_id: pid(n), merchant: MERCHANT, buyer: BUYER, token: TOKEN, amount: 1_000n, chain_status: "released",
  amount_capturable: 0n, amount_held: 0n, amount_released: 1_000n, amount_refunded: 200n, ...over,
});
const record = (n: number, over: Partial<AuditPayment> = {}): AuditPayment => ({
  object: "audit.payment", payment_id: pid(n), intent_id: `pi_${n}`, merchant: MERCHANT, buyer: BUYER, token: TOKEN, order_ref: `order-${n}`,
  amount: "1000", status: "released", chain_status: "released", amount_capturable: "0", amount_held: "0", amount_released: "1000",
  amount_refunded: "200", created_at: "2026-01-01T00:00:00.000Z", ...over,
});

describe("reconcile", () => {
  it("finds no difference when every payment matches, whatever the checksum case of addresses", () => {
    const r = reconcile([chain(1), chain(2)], [record(2, { merchant: MERCHANT.toLowerCase(), token: TOKEN.toUpperCase().replace("0X", "0x") }), record(1)]);
    assert.deepEqual(r.differences, []);
    assert.deepEqual([r.chain_payments, r.relayer_records, r.compared], [2, 2, 2]);
  });

  it("lists a payment on chain that the relayer lacks as missing", () => {
    const r = reconcile([chain(1), chain(2)], [record(1)]);
    assert.deepEqual(r.differences.map((d) => [d.kind, d.payment_id]), [["missing", pid(2)]]);
  });

  it("lists a relayer record the chain does not know as extra, unless it never reached the chain", () => {
    const r = reconcile([chain(1)], [record(1), record(2), record(3, { chain_status: "none", status: "failed" })]);
    assert.deepEqual(r.differences.map((d) => [d.kind, d.payment_id]), [["extra", pid(2)]]);
  });

  it("lists each differing field as a mismatch with both values", () => {
    const r = reconcile([chain(1)], [record(1, { amount_refunded: "300", chain_status: "refunded", buyer: MERCHANT })]);
    assert.deepEqual(
      r.differences.map((d) => (d.kind === "mismatch" ? [d.field, d.chain, d.relayer] : d.kind)),
      [["chain_status", "released", "refunded"], ["amount_refunded", "200", "300"], ["buyer", BUYER.toLowerCase(), MERCHANT.toLowerCase()]],
    );
  });

  it("compares every agreed field: amount, capturable, held, released, merchant and token too", () => {
    const fields = ["amount", "amount_capturable", "amount_held", "amount_released"] as const;
    for (const field of fields) {
      const r = reconcile([chain(1)], [record(1, { [field]: "7" })]);
      assert.deepEqual(r.differences.map((d) => (d.kind === "mismatch" ? d.field : d.kind)), [field]);
    }
    const r = reconcile([chain(1)], [record(1, { merchant: OTHER_MERCHANT, token: BUYER })]);
    assert.deepEqual(r.differences.map((d) => (d.kind === "mismatch" ? d.field : d.kind)), ["merchant", "token"]);
  });

  it("compares only the merchants in scope when a scope is given", () => {
    const r = reconcile([chain(1), chain(2, { merchant: OTHER_MERCHANT })], [record(1, { amount_held: "5" })], { merchants: [MERCHANT.toLowerCase()] });
    assert.deepEqual(r.differences.map((d) => (d.kind === "mismatch" ? d.field : d.kind)), ["amount_held"]);
    assert.equal(r.out_of_scope, 1);
  });

  it("refuses malformed relayer records: a short id, a non-integer amount, a payment listed twice", () => {
    assert.throws(() => reconcile([], [record(1, { payment_id: "0x1234" })]), /not 32 bytes/);
    assert.throws(() => reconcile([chain(1)], [record(1, { amount: "1e3" })]), /not a decimal integer/);
    assert.throws(() => reconcile([], [record(1), record(1, { intent_id: "pi_dup" })]), /twice/);
  });
});

// reconcileReceivables(): the registry's receivables rebuilt from its logs against the relayer's register, token id
// by token id: state, face value, holder and financed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { reconcileReceivables, type AuditReceivable, type ChainReceivableView } from "../../audit/reconcile.js";

const HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const ZERO = "0x0000000000000000000000000000000000000000";
const hex = (n: number) => "0x" + n.toString(16).padStart(64, "0");

const chain = (n: number, over: Partial<ChainReceivableView> = {}): ChainReceivableView => ({
  token_id: hex(n), face_value: 1_000n, holder: HOLDER, state: "accepted", financed: false, ...over,
});
const record = (n: number, over: Partial<AuditReceivable> = {}): AuditReceivable => ({
  id: `rcv_${n}`, token_id: String(n), face_value: "1000", holder: HOLDER, state: "accepted", financed: false, ...over,
});

describe("reconcileReceivables", () => {
  it("finds no difference when every receivable matches: hex and decimal token ids, checksum case, a split one's missing holder", () => {
    const r = reconcileReceivables(
      [chain(1), chain(2, { state: "split", holder: null }), chain(300)],
      [record(300, { holder: HOLDER.toLowerCase() }), record(2, { state: "split", holder: ZERO }), record(1)],
    );
    assert.deepEqual(r.differences, []);
    assert.deepEqual([r.chain_receivables, r.relayer_receivables, r.compared], [3, 3, 3]);
  });

  it("lists one mismatch per differing field, by token id then field order", () => {
    const r = reconcileReceivables(
      [chain(10), chain(9)],
      [record(10, { holder: OTHER, financed: true }), record(9, { state: "repaid", face_value: "999" })],
    );
    assert.deepEqual(
      r.differences.map((d) => (d.kind === "mismatch" ? [d.token_id, d.receivable_id, d.field, d.chain, d.relayer] : d.kind)),
      [
        ["9", "rcv_9", "state", "accepted", "repaid"],
        ["9", "rcv_9", "face_value", "1000", "999"],
        ["10", "rcv_10", "holder", HOLDER.toLowerCase(), OTHER.toLowerCase()],
        ["10", "rcv_10", "financed", "false", "true"],
      ],
    );
  });

  it("lists a receivable on chain the relayer lacks as missing, and one the relayer says is on chain but is not as extra", () => {
    const r = reconcileReceivables([chain(1), chain(2)], [record(1), record(3)]);
    assert.deepEqual(r.differences.map((d) => [d.kind, d.token_id]), [["missing", "2"], ["extra", "3"]]);
  });

  it("does not count a receivable whose issue has not reached the chain (state none) as extra", () => {
    const r = reconcileReceivables([chain(1)], [record(1), record(4, { state: "none" })]);
    assert.deepEqual(r.differences, []);
  });

  it("refuses a malformed relayer receivable or one listed twice", () => {
    assert.throws(() => reconcileReceivables([], [record(1, { token_id: "0x01" })]), /token_id "0x01" is not a decimal integer/);
    assert.throws(() => reconcileReceivables([chain(1)], [record(1, { face_value: "1e3" })]), /face_value "1e3" is not a decimal integer/);
    assert.throws(() => reconcileReceivables([], [record(1), record(1, { id: "rcv_again" })]), /lists receivable 1 twice \(rcv_1, rcv_again\)/);
  });
});

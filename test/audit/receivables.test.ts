// The receivables register rebuilt from the registry's events, and its invariants with planted faults.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { checkInvariants, type ChainState, type InvariantName } from "../../audit/ledger/invariants.js";
import { buildLedger, type Ledger } from "../../audit/ledger/ledger.js";
import { idHex } from "../../audit/ledger/receivables.js";
import { BUYER, consistentState, ESCROW, Events, MERCHANT, PARTNER, TOKEN, ZERO } from "./support/ledger-fixtures.js";

const REGISTRY = "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853";
const SUPPLIER = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";
const TIER2 = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f";
const FINANCIER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const ROOT = 0xabcn;
const [PART_A, PART_B] = [0xa1n, 0xa2n];
const FACE = 1_000_000n;

/** The merchant (also the debtor) earns 1,170,000 net from two sales; its invoice is split, a part financed, all repaid. */
function scenario(over: { splitFaces?: bigint[]; allocateB?: bigint; financeTwice?: boolean; allocateTo?: string } = {}): Events {
  const e = Events.world().mint(BUYER, 2_000_000n).mint(FINANCIER, 500_000n).authorize(1, 600_000n).capture(1, 600_000n).release(1, 0n, 600_000n)
    .authorize(2, 600_000n).capture(2, 600_000n).release(2, 0n, 600_000n);
  const r = (kind: any, args: any, sameTx = false) => e.add(kind, args, sameTx);
  r("receivables.Transfer", { from: ZERO, to: SUPPLIER, tokenId: ROOT });
  r("receivables.ReceivableIssued", { id: ROOT, issuer: SUPPLIER, debtor: MERCHANT, token: TOKEN, faceValue: FACE, dueAt: 1_900_000_000, acceptBy: 1_890_000_000, documentHash: "0x" + "dd".repeat(32), invoiceRef: "0x" + "01".repeat(32) }, true);
  r("receivables.ReceivableAccepted", { id: ROOT, debtor: MERCHANT });
  const faces = over.splitFaces ?? [700_000n, 300_000n];
  r("receivables.Transfer", { from: SUPPLIER, to: ZERO, tokenId: ROOT });
  r("receivables.Transfer", { from: ZERO, to: SUPPLIER, tokenId: PART_A }, true);
  r("receivables.Transfer", { from: ZERO, to: TIER2, tokenId: PART_B }, true);
  r("receivables.ReceivableSplit", { parentId: ROOT, rootId: ROOT, partIds: [PART_A, PART_B], faceValues: faces, recipients: [SUPPLIER, TIER2] }, true);
  r("token.Transfer", { from: FINANCIER, to: TIER2, value: 290_000n });
  r("receivables.Transfer", { from: TIER2, to: FINANCIER, tokenId: PART_B }, true);
  r("receivables.ReceivableFinanced", { id: PART_B, holder: TIER2, financier: FINANCIER, annualRateBps: 600, daysToMaturity: 90n, price: 295_561n, fee: 0n }, true);
  if (over.financeTwice) r("receivables.ReceivableFinanced", { id: PART_B, holder: FINANCIER, financier: PARTNER, annualRateBps: 500, daysToMaturity: 80n, price: 296_000n, fee: 0n });
  // repayment of the whole face value from the debtor's escrow balance: the holders are paid at once, except the
  // financier, frozen, who is credited a claim
  r("escrow.BalanceCollected", { token: TOKEN, merchant: MERCHANT, collector: REGISTRY, amount: FACE });
  r("token.Transfer", { from: ESCROW, to: REGISTRY, value: FACE }, true);
  r("receivables.RepaymentReceived", { rootId: ROOT, targetId: ROOT, debtor: MERCHANT, source: 1, amount: FACE }, true);
  r("token.Transfer", { from: REGISTRY, to: SUPPLIER, value: 700_000n }, true);
  r("receivables.RepaymentAllocated", { id: PART_A, holder: SUPPLIER, lateFee: 0n, principal: 700_000n, credited: false }, true);
  r("receivables.ReceivableRepaid", { id: PART_A }, true);
  r("receivables.ClaimCredited", { token: TOKEN, account: FINANCIER, id: PART_B, amount: 300_000n }, true);
  r("receivables.RepaymentAllocated", { id: PART_B, holder: over.allocateTo ?? FINANCIER, lateFee: 0n, principal: over.allocateB ?? 300_000n, credited: true }, true);
  r("receivables.ReceivableRepaid", { id: PART_B }, true);
  return e;
}

const ledgerOf = (e: Events) => buildLedger(e.list, new Map(), { stablecoin: TOKEN, receivables: REGISTRY });
function stateOf(ledger: Ledger): ChainState {
  const claims = ledger.receivables!.claims.get(TOKEN)!;
  // The financier was minted nothing here: give the stablecoin holders a consistent supply.
  const base = consistentState(ledger);
  return { ...base, receivables: { registry: REGISTRY, tokenBalances: new Map([[TOKEN, [...claims.values()].reduce((a, b) => a + b, 0n)]]), claimable: new Map([[TOKEN, new Map(claims)]]) } };
}
const receivableViolations = (ledger: Ledger, state = stateOf(ledger)) =>
  checkInvariants(ledger, state).filter((v) => v.invariant.startsWith("receivable_")).map((v) => v.invariant);
const only = (names: InvariantName[], expected: InvariantName) => assert.deepEqual([...new Set(names)], [expected]);

describe("receivables register", () => {
  it("rebuilds lineage, holders, financing, repayments and claims", () => {
    const ledger = ledgerOf(scenario());
    const reg = ledger.receivables!;
    const root = reg.receivables.get(idHex(ROOT))!;
    const [a, b] = [reg.receivables.get(idHex(PART_A))!, reg.receivables.get(idHex(PART_B))!];
    assert.deepEqual([root.status, root.parts, root.holder], ["split", [idHex(PART_A), idHex(PART_B)], null]);
    assert.deepEqual([a.parent, a.root, a.faceValue, a.holder, a.status, a.principalPaid], [idHex(ROOT), idHex(ROOT), 700_000n, SUPPLIER, "repaid", 700_000n]);
    assert.deepEqual([b.holder, b.financed, b.financing!.financier, b.financing!.price, b.status], [FINANCIER, true, FINANCIER, 295_561n, "repaid"]);
    assert.equal(reg.claims.get(TOKEN)!.get(FINANCIER), 300_000n);
    assert.equal(ledger.balances.get(TOKEN)!.get(MERCHANT)!.collected, FACE);
    assert.deepEqual(checkInvariants(ledger, stateOf(ledger)), []);
  });

  it("receivable_parts_sum: parts that do not add up to the parent", () => {
    // and the last part is then paid beyond its (smaller) face value
    assert.deepEqual([...new Set(receivableViolations(ledgerOf(scenario({ splitFaces: [700_000n, 299_999n] }))))], ["receivable_parts_sum", "receivable_repayment"]);
  });

  it("receivable_financed_once: a part financed a second time", () => {
    only(receivableViolations(ledgerOf(scenario({ financeTwice: true }))), "receivable_financed_once");
  });

  it("receivable_repayment: a repayment not handed out in full, or paid to someone other than the holder", () => {
    assert.ok(receivableViolations(ledgerOf(scenario({ allocateB: 299_000n }))).includes("receivable_repayment"));
    only(receivableViolations(ledgerOf(scenario({ allocateTo: TIER2 }))), "receivable_repayment");
  });

  it("receivable_registry_solvency: the registry holds less than the open claims", () => {
    const ledger = ledgerOf(scenario());
    const state = stateOf(ledger);
    only(receivableViolations(ledger, { ...state, receivables: { ...state.receivables!, tokenBalances: new Map([[TOKEN, 299_999n]]) } }), "receivable_registry_solvency");
  });
});

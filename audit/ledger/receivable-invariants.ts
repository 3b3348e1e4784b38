// The receivables register's invariants (IReceivableRegistry): parts sum to their parent's face value, nothing is
// financed twice, repayments reach the holders exactly, and the registry holds exactly the claims it owes. Pure.
import type { ChainState, Violation } from "./invariants.js";
import type { Ledger } from "./ledger.js";
import type { ReceivablesLedger } from "./receivables.js";

export function checkReceivables(register: ReceivablesLedger, ledger: Ledger, state: ChainState): Violation[] {
  const out: Violation[] = [];
  const at = (e: { blockNumber: number; txHash: string }) => ({ blockNumber: e.blockNumber, txHash: e.txHash });

  for (const a of register.anomalies) out.push({ invariant: "receivable_event_applies", subject: a.subject, message: `${a.event}: ${a.message}`, ...at(a) });

  // Σ parts = parent face value, for every split (the parts inherit debtor, token, due date from the parent).
  for (const s of register.splits) {
    const sum = s.faceValues.reduce((x, y) => x + y, 0n);
    if (sum !== s.parentFace) out.push({ invariant: "receivable_parts_sum", subject: s.parentId, message: "the parts' face values differ from the parent's", expected: s.parentFace.toString(), actual: sum.toString(), ...at(s) });
    if (s.faceValues.some((v) => v === 0n)) out.push({ invariant: "receivable_parts_sum", subject: s.parentId, message: "a part with a zero face value", ...at(s) });
  }

  // Financed once: no financing of a receivable already financed, or split from one that was.
  for (const r of register.refinanced) out.push({ invariant: "receivable_financed_once", subject: r.id, message: "financed again (itself or an ancestor was financed before)", ...at(r) });

  // Repayments: each is handed out in full to the holders of the time; nobody is paid beyond face value.
  for (const p of register.repayments) {
    const allocated = p.allocations.reduce((x, a) => x + a.lateFee + a.principal, 0n);
    if (allocated !== p.amount) out.push({ invariant: "receivable_repayment", subject: p.targetId, message: "the allocations differ from the repayment", expected: p.amount.toString(), actual: allocated.toString(), ...at(p) });
    for (const a of p.allocations) {
      if (a.registeredHolder !== null && a.registeredHolder !== a.holder) {
        out.push({ invariant: "receivable_repayment", subject: a.id, message: "paid to someone other than the holder", expected: a.registeredHolder, actual: a.holder, ...at(p) });
      }
    }
    if (p.source === 1) {
      const collected = ledger.collections.filter((c) => c.txHash === p.txHash && c.merchant === p.debtor).reduce((x, c) => x + c.amount, 0n);
      if (collected !== p.amount) out.push({ invariant: "receivable_repayment", subject: p.targetId, message: "a repayment from the escrow balance without the matching BalanceCollected", expected: p.amount.toString(), actual: collected.toString(), ...at(p) });
    }
  }
  for (const r of register.receivables.values()) {
    if (r.principalPaid > r.faceValue) out.push({ invariant: "receivable_repayment", subject: r.id, message: "more principal paid than the face value", expected: r.faceValue.toString(), actual: r.principalPaid.toString() });
    if (r.status === "repaid" && r.principalPaid !== r.faceValue) out.push({ invariant: "receivable_repayment", subject: r.id, message: "repaid without its whole face value paid", expected: r.faceValue.toString(), actual: r.principalPaid.toString() });
    if (r.lateFeePaid > r.lateFeeAccrued) out.push({ invariant: "receivable_repayment", subject: r.id, message: "more late fee paid than accrued", expected: r.lateFeeAccrued.toString(), actual: r.lateFeePaid.toString() });
  }

  // The registry's balance of each token equals the open claims in it; each claimant's claimable equals the ledger's.
  const s = state.receivables;
  if (!s) {
    out.push({ invariant: "receivable_registry_solvency", subject: register.address, message: "the registry's state was not read" });
    return out;
  }
  const tokens = new Set([...s.tokenBalances.keys(), ...register.claims.keys()]);
  for (const token of tokens) {
    const open = [...(register.claims.get(token)?.values() ?? [])].reduce((x, y) => x + y, 0n);
    const held = s.tokenBalances.get(token);
    if (held !== open) out.push({ invariant: "receivable_registry_solvency", subject: token, message: "token.balanceOf(registry) differs from the open claims", expected: open.toString(), actual: String(held ?? "not read") });
    for (const [account, claim] of register.claims.get(token) ?? []) {
      const onChain = s.claimable.get(token)?.get(account);
      if (onChain !== claim) out.push({ invariant: "receivable_registry_solvency", subject: `${token}/${account}`, message: "registry.claimable differs from the ledger's claim", expected: claim.toString(), actual: String(onChain ?? "not read") });
    }
  }
  return out;
}

// The invariants the audit checks from outside, on the ledger and on the few state values read at the scanned
// head block. Pure: each check returns violations, never throws. docs/audit.md lists every formula.
import { releaseSplit } from "./fees.js";
import type { Ledger, LedgerPayment } from "./ledger.js";

export const INVARIANTS = [
  "ledger_event_applies",
  "payment_amounts_add_up",
  "terms_match_authorization",
  "release_fee_split",
  "release_fee_rate",
  "refund_parts_add_up",
  "dispute_split",
  "payout_whole_balance",
  "large_transaction_reported",
  "escrow_solvency",
  "escrow_account_balance",
  "stablecoin_supply",
  "stablecoin_holders",
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: InvariantName;
  /** A payment id, a token, or token/account. */
  subject: string;
  message: string;
  expected?: string;
  actual?: string;
  blockNumber?: number;
  txHash?: string;
}

/** State read from the chain at the scanned head block. */
export interface ChainState {
  escrow: string;
  /** token -> token.balanceOf(escrow). */
  escrowTokenBalances: ReadonlyMap<string, bigint>;
  /** token -> account -> escrow.balanceOf(token, account), for every account the ledger has a balance for. */
  escrowAccountBalances: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
  stablecoin: { totalSupply: bigint; totalMinted: bigint; totalBurned: bigint };
}

export function checkInvariants(ledger: Ledger, state: ChainState): Violation[] {
  return [
    ...ledger.anomalies.map(
      (a): Violation => ({ invariant: "ledger_event_applies", subject: a.subject, message: `${a.event}: ${a.message}`, blockNumber: a.blockNumber, txHash: a.txHash }),
    ),
    ...[...ledger.payments.values()].flatMap(checkPayment),
    ...checkPayouts(ledger),
    ...checkLargeTransactions(ledger),
    ...checkSolvency(ledger, state),
    ...checkStablecoin(ledger, state),
  ];
}

/** One payment: its amounts, its terms, and each release, refund and dispute resolution in its history. */
export function checkPayment(p: LedgerPayment): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: InvariantName, message: string, expected?: bigint | string, actual?: bigint | string, at?: { blockNumber: number; txHash: string }) =>
    out.push({
      invariant,
      subject: p.paymentId,
      message,
      ...(expected === undefined ? {} : { expected: String(expected), actual: String(actual) }),
      ...(at ? { blockNumber: at.blockNumber, txHash: at.txHash } : {}),
    });

  // authorized = capturable + captured + voided + reclaimed; captured = held + released + refunded from held
  const accounted = p.capturable + p.captured + p.voided + p.reclaimed;
  if (accounted !== p.amount) v("payment_amounts_add_up", "capturable + captured + voided + reclaimed differs from the authorized amount", p.amount, accounted);
  const capturedParts = p.held + p.released + p.refundedFromHeld;
  if (capturedParts !== p.captured) v("payment_amounts_add_up", "held + released + refunded from held differs from the captured amount", p.captured, capturedParts);
  if (p.capturable < 0n || p.held < 0n) v("payment_amounts_add_up", "a negative capturable or held amount", "0", p.capturable < 0n ? p.capturable : p.held);
  if (p.refundedAfterRelease > p.released) v("payment_amounts_add_up", "more refunded from the merchant's balance than was released", p.released, p.refundedAfterRelease);
  if (p.refunded !== p.refundedFromHeld + p.refundedAfterRelease) v("payment_amounts_add_up", "refunds differ from their parts", p.refundedFromHeld + p.refundedAfterRelease, p.refunded);

  if (p.terms) {
    const t = p.terms;
    const pairs: [string, string, string][] = [
      ["merchant", t.merchant, p.merchant],
      ["buyer", t.buyer, p.buyer],
      ["token", t.token, p.token],
      ["amount", t.amount.toString(), p.amount.toString()],
      ["orderRef", t.orderRef, p.orderRef],
    ];
    for (const [field, inTerms, inEvent] of pairs) {
      if (inTerms.toLowerCase() !== inEvent.toLowerCase()) v("terms_match_authorization", `${field} in the terms differs from PaymentAuthorized`, inTerms, inEvent, p.authorized);
    }
  }

  const history = p.history;
  for (let i = 0; i < history.length; i++) {
    const e = history[i]!;
    const a = e.args;
    if (e.event === "PaymentReleased") {
      const gross = BigInt(a.gross!);
      const fee = BigInt(a.fee!);
      const partnerFee = BigInt(a.partnerFee!);
      const net = BigInt(a.net!);
      if (fee + net !== gross) v("release_fee_split", "fee + net differs from gross", gross, fee + net, e);
      if (partnerFee > fee) v("release_fee_split", "the partner's share exceeds the fee", fee, partnerFee, e);
      if (!p.feeTerms) {
        v("release_fee_rate", "no fee terms known for the payment (no decodable calldata, no merchant configuration)", undefined, undefined, e);
      } else {
        const want = releaseSplit(e.releasedBefore, gross, p.feeTerms);
        if (want.fee !== fee) v("release_fee_rate", `fee differs from ${p.feeTerms.feeBps} bps on the running total`, want.fee, fee, e);
        if (want.partnerFee !== partnerFee) v("release_fee_rate", `partner fee differs from ${p.feeTerms.partnerShareBps} bps of the running fee`, want.partnerFee, partnerFee, e);
      }
    } else if (e.event === "PaymentRefunded") {
      const amount = BigInt(a.amount!);
      const parts = BigInt(a.fromHeld!) + BigInt(a.fromMerchant!);
      if (amount !== parts) v("refund_parts_add_up", "fromHeld + fromMerchant differs from the refund", amount, parts, e);
    } else if (e.event === "DisputeResolved") {
      const buyer = BigInt(a.buyerAmount!);
      const merchant = BigInt(a.merchantAmount!);
      if (buyer + merchant !== e.heldBefore) v("dispute_split", "buyer + merchant parts differ from the held funds", e.heldBefore, buyer + merchant, e);
      // The parts follow in the same transaction: the buyer's as a refund from held funds, the merchant's as a release.
      const after = history.slice(i + 1).filter((x) => x.txHash === e.txHash);
      const refunded = after.filter((x) => x.event === "PaymentRefunded").reduce((s, x) => s + BigInt(x.args.fromHeld!), 0n);
      const released = after.filter((x) => x.event === "PaymentReleased").reduce((s, x) => s + BigInt(x.args.gross!), 0n);
      if (refunded !== buyer) v("dispute_split", "the buyer's part was not refunded as resolved", buyer, refunded, e);
      if (released !== merchant) v("dispute_split", "the merchant's part was not released as resolved", merchant, released, e);
    }
  }
  return out;
}

/** A payout sends, or fails to send, the account's whole balance. */
function checkPayouts(ledger: Ledger): Violation[] {
  return ledger.payouts
    .filter((p) => p.amount !== p.balanceBefore)
    .map((p) => ({
      invariant: "payout_whole_balance" as const,
      subject: `${p.token}/${p.account}`,
      message: `${p.sent ? "PayoutSent" : "PayoutFailed"} amount differs from the account's balance`,
      expected: p.balanceBefore.toString(),
      actual: p.amount.toString(),
      blockNumber: p.blockNumber,
      txHash: p.txHash,
    }));
}

/** Every payment at or above its token's threshold (when authorized) is reported once, and every report is one. */
function checkLargeTransactions(ledger: Ledger): Violation[] {
  const out: Violation[] = [];
  const reports = new Map<string, number>();
  for (const r of ledger.largeTransactions) {
    reports.set(r.paymentId, (reports.get(r.paymentId) ?? 0) + 1);
    const p = ledger.payments.get(r.paymentId);
    if (!p) {
      out.push({ invariant: "large_transaction_reported", subject: r.paymentId, message: "a report for a payment that was never authorized", blockNumber: r.blockNumber, txHash: r.txHash });
    } else if (r.amount !== p.amount || r.buyer !== p.buyer || r.merchant !== p.merchant || r.token !== p.token) {
      out.push({ invariant: "large_transaction_reported", subject: r.paymentId, message: "the report differs from the payment", expected: p.amount.toString(), actual: r.amount.toString(), blockNumber: r.blockNumber, txHash: r.txHash });
    }
  }
  for (const p of ledger.payments.values()) {
    const threshold = ledger.thresholdAtAuthorization.get(p.paymentId) ?? 0n;
    const due = threshold !== 0n && p.amount >= threshold ? 1 : 0;
    const made = reports.get(p.paymentId) ?? 0;
    if (made !== due) {
      out.push({
        invariant: "large_transaction_reported",
        subject: p.paymentId,
        message: due ? `amount ${p.amount} >= threshold ${threshold} but ${made} reports` : `${made} reports for an amount below the threshold ${threshold}`,
        expected: String(due),
        actual: String(made),
        blockNumber: p.authorized.blockNumber,
        txHash: p.authorized.txHash,
      });
    }
  }
  return out;
}

/** What the escrow owes per token: Σ(capturable + held) over payments + Σ account balances. */
export function owedByEscrow(ledger: Ledger): Map<string, { inPayments: bigint; inBalances: bigint }> {
  const owed = new Map<string, { inPayments: bigint; inBalances: bigint }>();
  const entry = (token: string) => {
    let e = owed.get(token);
    if (!e) owed.set(token, (e = { inPayments: 0n, inBalances: 0n }));
    return e;
  };
  for (const token of ledger.tokens.keys()) entry(token);
  for (const p of ledger.payments.values()) entry(p.token).inPayments += p.capturable + p.held;
  for (const [token, accounts] of ledger.balances) for (const b of accounts.values()) entry(token).inBalances += b.balance;
  return owed;
}

function checkSolvency(ledger: Ledger, state: ChainState): Violation[] {
  const out: Violation[] = [];
  for (const [token, { inPayments, inBalances }] of owedByEscrow(ledger)) {
    const held = state.escrowTokenBalances.get(token);
    if (held === undefined) {
      out.push({ invariant: "escrow_solvency", subject: token, message: "the escrow's token balance was not read" });
    } else if (held !== inPayments + inBalances) {
      out.push({ invariant: "escrow_solvency", subject: token, message: "token.balanceOf(escrow) differs from Σ(capturable + held) + Σ balances", expected: (inPayments + inBalances).toString(), actual: held.toString() });
    }
    if (token === ledger.stablecoin.address) {
      const fromTransfers = ledger.stablecoin.holders.get(state.escrow) ?? 0n;
      if (fromTransfers !== inPayments + inBalances) {
        out.push({ invariant: "escrow_solvency", subject: token, message: "the escrow's balance from Transfer events differs from what it owes", expected: (inPayments + inBalances).toString(), actual: fromTransfers.toString() });
      }
    }
  }
  for (const [token, accounts] of ledger.balances) {
    for (const b of accounts.values()) {
      const onChain = state.escrowAccountBalances.get(token)?.get(b.account);
      if (onChain !== b.balance) {
        out.push({ invariant: "escrow_account_balance", subject: `${token}/${b.account}`, message: "escrow.balanceOf(token, account) differs from the ledger's balance", expected: b.balance.toString(), actual: String(onChain ?? "not read") });
      }
    }
  }
  return out;
}

function checkStablecoin(ledger: Ledger, state: ChainState): Violation[] {
  const out: Violation[] = [];
  const s = ledger.stablecoin;
  const subject = s.address;
  const fromIssuance = s.totalMinted - s.totalBurned;
  const { totalSupply, totalMinted, totalBurned } = state.stablecoin;
  if (totalSupply !== fromIssuance) out.push({ invariant: "stablecoin_supply", subject, message: "totalSupply differs from Σ Minted − Σ Burned", expected: fromIssuance.toString(), actual: totalSupply.toString() });
  if (totalMinted !== s.totalMinted) out.push({ invariant: "stablecoin_supply", subject, message: "totalMinted() differs from Σ Minted", expected: s.totalMinted.toString(), actual: totalMinted.toString() });
  if (totalBurned !== s.totalBurned) out.push({ invariant: "stablecoin_supply", subject, message: "totalBurned() differs from Σ Burned", expected: s.totalBurned.toString(), actual: totalBurned.toString() });
  if (s.transferMinted !== s.totalMinted) out.push({ invariant: "stablecoin_supply", subject, message: "Σ Transfer from 0 differs from Σ Minted (issuance without a fiat reference)", expected: s.totalMinted.toString(), actual: s.transferMinted.toString() });
  if (s.transferBurned !== s.totalBurned) out.push({ invariant: "stablecoin_supply", subject, message: "Σ Transfer to 0 differs from Σ Burned", expected: s.totalBurned.toString(), actual: s.transferBurned.toString() });
  let sum = 0n;
  for (const [holder, balance] of s.holders) {
    sum += balance;
    if (balance < 0n) out.push({ invariant: "stablecoin_holders", subject: `${subject}/${holder}`, message: "a negative balance from Transfer events", expected: "0", actual: balance.toString() });
  }
  if (sum !== totalSupply) out.push({ invariant: "stablecoin_holders", subject, message: "Σ Transfer-derived balances differs from totalSupply", expected: totalSupply.toString(), actual: sum.toString() });
  return out;
}

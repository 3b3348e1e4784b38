// The audit report: one JSON document, or CSV files (one per table). Pure except the two writers at the end.
import { writeFile } from "node:fs/promises";
import path from "node:path";

import type { Rebuild } from "./chain/rebuild.js";
import { INVARIANTS, owedByEscrow, type Violation } from "./ledger/invariants.js";
import type { Difference, ReceivableDifference, ReceivablesReconciliation, Reconciliation } from "./reconcile.js";

type Row = Record<string, string | number | boolean>;
export type ReportPayment = { [key: string]: string | number | boolean | Row[]; history: Row[] };

export interface AuditReport {
  object: "audit.report";
  generated_at: string;
  /** No broken invariant and no difference. */
  ok: boolean;
  chain: { chain_id: number; from_block: number; head_block: number; head_hash: string; head_time: string };
  contracts: Rebuild["contracts"];
  summary: {
    logs: number;
    payments: number;
    terms_recovered: number;
    payments_by_status: Record<string, number>;
    tokens: Row[];
    stablecoin: Row;
    kyc_changes: number;
    large_transactions: number;
    violations: number;
    differences: number | null;
  };
  payments: ReportPayment[];
  balances: Row[];
  payouts: Row[];
  issuance: Row[];
  kyc_changes: Row[];
  large_transactions: Row[];
  /** Null when the deployment has no receivable registry. */
  receivables: { receivables: Row[]; repayments: Row[]; claims: Row[] } | null;
  invariants: { checked: readonly string[]; violations: Violation[] };
  reconciliation:
    | (Reconciliation & {
        relayer_url: string;
        merchants: string[] | null;
        /** The registry's receivables against the relayer's register; null when the deployment has no registry. */
        receivables?: ReceivablesReconciliation | null;
      })
    | null;
  seconds: Rebuild["seconds"];
}

export function buildReport(rebuild: Rebuild, reconciliation: AuditReport["reconciliation"], now = new Date()): AuditReport {
  const { ledger, state } = rebuild;
  const byStatus: Record<string, number> = {};
  const payments = [...ledger.payments.values()].map((p) => {
    byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
    return {
      payment_id: p.paymentId,
      merchant: p.merchant,
      buyer: p.buyer,
      token: p.token,
      order_ref: p.orderRef,
      amount: p.amount.toString(),
      status: p.status,
      capturable: p.capturable.toString(),
      held: p.held.toString(),
      captured: p.captured.toString(),
      released: p.released.toString(),
      refunded: p.refunded.toString(),
      refunded_from_held: p.refundedFromHeld.toString(),
      refunded_after_release: p.refundedAfterRelease.toString(),
      voided: p.voided.toString(),
      reclaimed: p.reclaimed.toString(),
      fee: p.fee.toString(),
      partner_fee: p.partnerFee.toString(),
      net: p.net.toString(),
      fee_bps: p.feeTerms?.feeBps ?? "",
      partner: p.feeTerms?.partner ?? "",
      partner_share_bps: p.feeTerms?.partnerShareBps ?? "",
      fee_terms_source: p.feeTerms?.source ?? "unknown",
      dispute_opened: p.disputeUsed,
      receipt_confirmed: p.receiptConfirmed,
      funding_method: ["erc3009", "permit", "allowance"][p.fundingMethod] ?? String(p.fundingMethod),
      authorized_block: p.authorized.blockNumber,
      authorized_tx: p.authorized.txHash,
      history: p.history.map((h) => ({
        payment_id: p.paymentId,
        event: h.event,
        block_number: h.blockNumber,
        log_index: h.logIndex,
        tx_hash: h.txHash,
        status_after: h.statusAfter,
        args: JSON.stringify(h.args),
      })),
    };
  });
  const balances = [...ledger.balances.values()].flatMap((m) =>
    [...m.values()].map((b) => ({
      token: b.token,
      account: b.account,
      roles: [...b.roles].sort().join("|"),
      credited_net: b.creditedNet.toString(),
      credited_fees: b.creditedFees.toString(),
      credited_partner_fees: b.creditedPartnerFees.toString(),
      debited_refunds: b.debitedRefunds.toString(),
      collected: b.collected.toString(),
      paid_out: b.paidOut.toString(),
      payouts: b.payouts,
      failed_payouts: b.failedPayouts,
      balance: b.balance.toString(),
      on_chain_balance: String(state.escrowAccountBalances.get(b.token)?.get(b.account) ?? ""),
    })),
  );
  const tokens = [...owedByEscrow(ledger)].map(([token, owed]) => {
    const fees = [...(ledger.balances.get(token)?.values() ?? [])];
    return {
      token,
      allowed: ledger.tokens.get(token)?.allowed ?? false,
      owed_in_payments: owed.inPayments.toString(),
      owed_in_balances: owed.inBalances.toString(),
      owed_total: (owed.inPayments + owed.inBalances).toString(),
      escrow_token_balance: String(state.escrowTokenBalances.get(token) ?? ""),
      fees_to_treasury: fees.reduce((s, b) => s + b.creditedFees, 0n).toString(),
      fees_to_partners: fees.reduce((s, b) => s + b.creditedPartnerFees, 0n).toString(),
    };
  });
  const s = ledger.stablecoin;
  const at = (e: { blockNumber: number; logIndex: number; txHash: string }) => ({ block_number: e.blockNumber, log_index: e.logIndex, tx_hash: e.txHash });
  const differences = reconciliation ? reconciliation.differences.length + (reconciliation.receivables?.differences.length ?? 0) : null;
  return {
    object: "audit.report",
    generated_at: now.toISOString(),
    ok: rebuild.violations.length === 0 && !differences,
    chain: {
      chain_id: rebuild.chainId,
      from_block: rebuild.fromBlock,
      head_block: rebuild.head.number,
      head_hash: rebuild.head.hash,
      head_time: new Date(rebuild.head.timestamp * 1000).toISOString(),
    },
    contracts: rebuild.contracts,
    summary: {
      logs: rebuild.logs,
      payments: ledger.payments.size,
      terms_recovered: rebuild.termsRecovered,
      payments_by_status: byStatus,
      tokens,
      stablecoin: {
        token: s.address,
        total_supply: state.stablecoin.totalSupply.toString(),
        minted: s.totalMinted.toString(),
        burned: s.totalBurned.toString(),
        mints: s.issuance.filter((i) => i.kind === "mint").length,
        burns: s.issuance.filter((i) => i.kind === "burn").length,
        holders: [...s.holders.values()].filter((b) => b !== 0n).length,
      },
      kyc_changes: ledger.kycChanges.length,
      large_transactions: ledger.largeTransactions.length,
      violations: rebuild.violations.length,
      differences,
    },
    payments,
    balances,
    payouts: ledger.payouts.map((p) => ({ ...at(p), token: p.token, account: p.account, to: p.to, amount: p.amount.toString(), sent: p.sent })),
    issuance: s.issuance.map((i) => ({ ...at(i), kind: i.kind, issuer: i.issuer, account: i.account, amount: i.amount.toString(), fiat_reference: i.fiatReference })),
    kyc_changes: ledger.kycChanges.map((k) => {
      const { blockNumber: _b, logIndex: _l, txHash: _t, kind, ...rest } = k;
      return { ...at(k), kind, ...Object.fromEntries(Object.entries(rest).map(([key, v]) => [snake(key), typeof v === "boolean" ? v : String(v)])) };
    }),
    large_transactions: ledger.largeTransactions.map((r) => ({ ...at(r), payment_id: r.paymentId, buyer: r.buyer, merchant: r.merchant, token: r.token, amount: r.amount.toString() })),
    receivables: ledger.receivables
      ? {
          receivables: [...ledger.receivables.receivables.values()].map((r) => ({
            id: r.id, root: r.root, parent: r.parent ?? "", parts: r.parts.join("|"), issuer: r.issuer, debtor: r.debtor, token: r.token,
            face_value: r.faceValue.toString(), due_at: new Date(r.dueAt * 1000).toISOString(), document_hash: r.documentHash, invoice_ref: r.invoiceRef ?? "",
            status: r.status, holder: r.holder ?? "", financed: r.financed, financier: r.financing?.financier ?? "", financed_price: r.financing?.price.toString() ?? "",
            financed_fee: r.financing?.fee.toString() ?? "", financed_rate_bps: r.financing?.annualRateBps ?? "", principal_paid: r.principalPaid.toString(),
            late_fee_paid: r.lateFeePaid.toString(), late_fee_accrued: r.lateFeeAccrued.toString(), issued_block: r.issued.blockNumber, issued_tx: r.issued.txHash,
          })),
          repayments: ledger.receivables.repayments.flatMap((p) =>
            p.allocations.map((a) => ({
              ...at(p), root_id: p.rootId, target_id: p.targetId, debtor: p.debtor, source: p.source === 1 ? "escrow_balance" : "wallet", amount: p.amount.toString(),
              receivable_id: a.id, holder: a.holder, late_fee: a.lateFee.toString(), principal: a.principal.toString(), credited: a.credited,
            })),
          ),
          claims: [...ledger.receivables.claims].flatMap(([token, m]) => [...m].map(([account, amount]) => ({ token, account, open_claim: amount.toString() }))),
        }
      : null,
    invariants: { checked: INVARIANTS, violations: rebuild.violations },
    reconciliation,
    seconds: rebuild.seconds,
  };
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

// ------------------------------------------------------------------ CSV

const CELL_NEEDS_QUOTES = /[",\r\n]/;
function cell(value: unknown): string {
  const text = value === undefined || value === null ? "" : String(value);
  return CELL_NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row; `columns` fixes the order (every row's keys, in first-seen order, by default). */
export function toCsv(rows: Record<string, unknown>[], columns?: string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [cols.map(cell).join(","), ...rows.map((r) => cols.map((c) => cell(r[c])).join(","))].join("\r\n") + "\r\n";
}

const DIFFERENCE_COLUMNS = ["kind", "payment_id", "intent_id", "field", "chain", "relayer"];
function differenceRows(differences: Difference[]): Record<string, unknown>[] {
  return differences.map((d) =>
    d.kind === "mismatch"
      ? d
      : d.kind === "missing"
        ? { kind: d.kind, payment_id: d.payment_id, intent_id: "", field: "", chain: JSON.stringify(d.chain), relayer: "" }
        : { kind: d.kind, payment_id: d.payment_id, intent_id: d.intent_id, field: "", chain: "", relayer: JSON.stringify(d.relayer) },
  );
}

const RECEIVABLE_DIFFERENCE_COLUMNS = ["kind", "token_id", "receivable_id", "field", "chain", "relayer"];
function receivableDifferenceRows(differences: ReceivableDifference[]): Record<string, unknown>[] {
  return differences.map((d) =>
    d.kind === "mismatch"
      ? d
      : d.kind === "missing"
        ? { kind: d.kind, token_id: d.token_id, receivable_id: "", field: "", chain: JSON.stringify(d.chain), relayer: "" }
        : { kind: d.kind, token_id: d.token_id, receivable_id: d.receivable_id, field: "", chain: "", relayer: JSON.stringify(d.relayer) },
  );
}

/** The CSV tables of a report: `<name>.csv` holds the payments, `<name>.<table>.csv` the others. */
export function csvTables(report: AuditReport): Record<string, string> {
  return {
    payments: toCsv(report.payments.map(({ history: _h, ...row }) => row)),
    events: toCsv(report.payments.flatMap((p) => p.history), ["payment_id", "event", "block_number", "log_index", "tx_hash", "status_after", "args"]),
    balances: toCsv(report.balances),
    payouts: toCsv(report.payouts, ["block_number", "log_index", "tx_hash", "token", "account", "to", "amount", "sent"]),
    issuance: toCsv(report.issuance, ["block_number", "log_index", "tx_hash", "kind", "issuer", "account", "amount", "fiat_reference"]),
    kyc_changes: toCsv(report.kyc_changes),
    large_transactions: toCsv(report.large_transactions, ["block_number", "log_index", "tx_hash", "payment_id", "buyer", "merchant", "token", "amount"]),
    violations: toCsv(report.invariants.violations as unknown as Record<string, unknown>[], ["invariant", "subject", "message", "expected", "actual", "blockNumber", "txHash"]),
    differences: toCsv(differenceRows(report.reconciliation?.differences ?? []), DIFFERENCE_COLUMNS),
    ...(report.reconciliation?.receivables
      ? { receivable_differences: toCsv(receivableDifferenceRows(report.reconciliation.receivables.differences), RECEIVABLE_DIFFERENCE_COLUMNS) }
      : {}),
    ...(report.receivables
      ? { receivables: toCsv(report.receivables.receivables), receivable_repayments: toCsv(report.receivables.repayments), receivable_claims: toCsv(report.receivables.claims, ["token", "account", "open_claim"]) }
      : {}),
  };
}

/** Writes the report as JSON (`.json`) or CSV tables (`.csv`); returns the files written. */
export async function writeReport(report: AuditReport, file: string): Promise<string[]> {
  if (file.endsWith(".json")) {
    await writeFile(file, JSON.stringify(report, null, 2) + "\n");
    return [file];
  }
  const base = file.slice(0, -".csv".length);
  const written: string[] = [];
  for (const [table, csv] of Object.entries(csvTables(report))) {
    const target = table === "payments" ? file : `${base}.${table}.csv`;
    await writeFile(target, csv);
    written.push(path.resolve(target));
  }
  return written;
}

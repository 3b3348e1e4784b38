// /v1/audit/* (auditor scope, read-only): the relayer's payments in the agreed AuditPayment shape, a payment's
// on-chain timeline, search, the ledger projected from the escrow's logs, balances and solvency, AML reports and
// the KYC change log. Every list is keyset-paginated on an index and exports as CSV (?format=csv or Accept: text/csv).
import type { Request, Response, Router } from "express";
import { z } from "zod";

import { toAuditPayment, type AuditPayment } from "../../application/audit.js";
import type { ReconciliationService } from "../../application/reconciliation.js";
import { ApiError } from "../../domain/errors.js";
import { reconciliations, type ReconciliationRun } from "../../persistence/reconciliations.js";
import { ReceivableState } from "../../chain/receivable-typed-data.js";
import type { Receivable } from "../../domain/receivable.js";
import { receivableRegister, type HolderRecord } from "../../persistence/receivable-register.js";
import { principalOf } from "../auth.js";
import { completeIdempotency } from "../idempotency.js";
import { CHAIN_STATUSES, dayOf, LEDGER_KINDS, type ChainPayment, type LedgerEntry } from "../../domain/ledger.js";
import { invalid, notFound } from "../../domain/errors.js";
import { mapInOrder, type Database, type Sql } from "../../persistence/database.js";
import { intents } from "../../persistence/intents.js";
import { kycChanges, type KycChange } from "../../persistence/kyc-changes.js";
import { ledger, type ChainLogRow } from "../../persistence/ledger.js";
import { merchants } from "../../persistence/merchants.js";
import { requireScope } from "../auth.js";
import { streamCsv, wantsCsv, type CsvPage } from "../csv.js";
import type { RouteRegistry } from "../openapi.js";
import { address, bytes32, listOf, objectId } from "../schemas/common.js";
import { parseBody, parseParams, parseQuery } from "../validate.js";
import { changeJson, changeSchema } from "./kyc.js";
import { serviceOf, type ReceivableRouteDeps } from "./receivables.js";

export interface AuditRouteDeps extends Pick<ReceivableRouteDeps, "receivables"> {
  db: Database;
  /** Absent when the relayer runs without one (the reconciliation routes then answer 503). */
  reconciliation?: ReconciliationService;
  audit?: {
    /** The escrow's balance of `token`, read from the chain (solvency). */
    escrowTokenBalance(token: string): Promise<bigint>;
    /** Tokens the escrow serves, shown in solvency even before any ledger entry. */
    tokens: string[];
  };
}

const STATUSES = [
  "requires_authorization", "processing", "requires_capture", "captured", "disputed", "released", "canceled", "refunded", "failed",
] as const;
const CSV_PAGE = 500;

const format = z.enum(["json", "csv"]).optional().meta({ description: "csv streams every matching row (also with Accept: text/csv)" });
const limit = z.coerce.number().int().min(1).max(100).default(20);
const blockNumber = z.coerce.number().int().min(0);
const unixSeconds = z.coerce.number().int().min(0).meta({ description: "Unix seconds" });

// ---- schemas
const auditPayment = z
  .object({
    object: z.literal("audit.payment"),
    payment_id: z.string().meta({ description: "The escrow's payment id (EIP-712 hash of the terms), lower-case hex" }),
    intent_id: z.string(),
    merchant: z.string(),
    buyer: z.string(),
    token: z.string(),
    order_ref: z.string(),
    amount: z.string().meta({ description: "The authorized amount in the terms, minor units" }),
    status: z.enum(STATUSES),
    chain_status: z.enum(CHAIN_STATUSES).meta({ description: "The escrow status the relayer last confirmed" }),
    amount_capturable: z.string(),
    amount_held: z.string(),
    amount_released: z.string().meta({ description: "Gross ever released to the merchant (the escrow's PaymentState.released), as the relayer recorded it" }),
    amount_refunded: z.string(),
    created_at: z.string(),
  })
  .meta({ id: "AuditPayment", description: "The relayer's record of a payment (what the audit CLI reconciles with the chain)" });

const chainPaymentSchema = z
  .object({
    object: z.literal("audit.chain_payment"),
    payment_id: z.string(),
    merchant: z.string(),
    buyer: z.string(),
    token: z.string(),
    amount: z.string(),
    order_ref_hash: z.string(),
    status: z.enum(CHAIN_STATUSES),
    amount_capturable: z.string(),
    amount_held: z.string(),
    amount_released: z.string().meta({ description: "Gross ever released" }),
    amount_refunded_after_release: z.string(),
    amount_refunded: z.string(),
    authorized_block: z.number(),
    authorized_at: z.string(),
  })
  .meta({ id: "AuditChainPayment", description: "A payment as the escrow's logs tell it (the ledger's projection)" });

const chainEvent = z
  .object({
    object: z.literal("audit.chain_event"),
    event: z.string(),
    block_number: z.number(),
    block_time: z.string().nullable(),
    transaction_hash: z.string(),
    log_index: z.number(),
    args: z.record(z.string(), z.string()),
  })
  .meta({ id: "AuditChainEvent" });

const paymentDetail = z
  .object({
    object: z.literal("audit.payment_detail"),
    payment_id: z.string(),
    payment: auditPayment.nullable().meta({ description: "The relayer's record, null if the relayer has none" }),
    chain: chainPaymentSchema.nullable().meta({ description: "The chain's view, null if the escrow never authorized it" }),
    timeline: z.array(chainEvent),
  })
  .meta({ id: "AuditPaymentDetail" });

const ledgerEntry = z
  .object({
    id: z.string(),
    object: z.literal("audit.ledger_entry"),
    block_number: z.number(),
    log_index: z.number(),
    leg: z.number(),
    block_time: z.string(),
    transaction_hash: z.string(),
    kind: z.enum(LEDGER_KINDS),
    payment_id: z.string().nullable(),
    token: z.string(),
    merchant: z.string().nullable(),
    buyer: z.string().nullable(),
    account: z.string().nullable(),
    amount: z.string(),
    capturable_delta: z.string(),
    held_delta: z.string(),
    balance_delta: z.string(),
  })
  .meta({ id: "AuditLedgerEntry" });

const balanceSchema = z
  .object({ id: z.string(), object: z.literal("audit.balance"), token: z.string(), account: z.string(), balance: z.string() })
  .meta({ id: "AuditBalance", description: "An account's balance in the escrow (merchant, treasury, partner), from the ledger" });

const largeTransaction = z
  .object({
    id: z.string(),
    object: z.literal("audit.large_transaction"),
    payment_id: z.string(),
    merchant: z.string(),
    buyer: z.string(),
    token: z.string(),
    amount: z.string(),
    block_number: z.number(),
    block_time: z.string().nullable(),
    transaction_hash: z.string(),
  })
  .meta({ id: "AuditLargeTransaction", description: "An AML report the escrow emitted (LargeTransactionReported)" });

const solvency = z.object({
  token: z.string(),
  escrow_balance: z.string().nullable().meta({ description: "The escrow's token balance on chain (null if it could not be read)" }),
  owed: z.string().meta({ description: "capturable + held + balances, from the ledger" }),
  capturable: z.string(),
  held: z.string(),
  balances: z.string(),
  difference: z.string().nullable().meta({ description: "escrow_balance - owed" }),
  solvent: z.boolean().nullable(),
});

const overdueReceivables = z
  .object({
    count: z.number().nullable().meta({ description: "Counted up to 1000; null when the relayer has no receivable registry" }),
    more_than: z.boolean(),
    grace_period: z.number().nullable().meta({ description: "The registry's grace period in seconds" }),
    as_of: z.number().nullable().meta({ description: "The chain time (Unix seconds) the count was taken at" }),
  })
  .meta({ description: "Accepted or Overdue receivables with dueAt + the registry's grace period passed (what markOverdue would take)" });

const overview = z
  .object({
    object: z.literal("audit.overview"),
    solvency: z.array(solvency),
    daily: z.array(
      z.object({
        token: z.string(),
        day: z.string(),
        authorized: z.string(),
        captured: z.string(),
        released: z.string(),
        refunded: z.string(),
        fees: z.string(),
        payments: z.number(),
      }),
    ),
    open_disputes: z.object({
      count: z.number().meta({ description: "Counted up to 1000" }),
      more_than: z.boolean().meta({ description: "True when there are more than `count`" }),
      data: z.array(chainPaymentSchema),
    }),
    ledger_block: z.number().meta({ description: "The last block the ledger has projected" }),
    overdue_receivables: overdueReceivables,
  })
  .meta({ id: "AuditOverview" });

const difference = z
  .object({
    kind: z.enum(["missing", "extra", "mismatch"]),
    payment_id: z.string(),
    intent_id: z.string().optional(),
    field: z.string().optional(),
    chain: z.unknown().optional().meta({ description: "mismatch: the chain's value; missing: the chain's fields" }),
    relayer: z.unknown().optional().meta({ description: "mismatch: the relayer's value; extra: the relayer's fields" }),
  })
  .meta({ id: "AuditDifference" });

const reconciliationSchema = z
  .object({
    id: z.string(),
    object: z.literal("audit.reconciliation"),
    status: z.enum(["running", "completed", "failed"]),
    head_block: z.number().nullable().meta({ description: "The chain was rebuilt up to this block" }),
    chain_payments: z.number().nullable(),
    relayer_records: z.number().nullable(),
    compared: z.number().nullable(),
    differences_total: z.number().nullable(),
    differences: z.array(difference).meta({ description: "The first 10,000 differences, by payment id" }),
    violations: z.array(z.unknown()).meta({ description: "Invariants the chain-only rebuild found broken (audit library)" }),
    error: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "AuditReconciliation", description: "The chain, rebuilt from its logs alone, compared payment by payment with the relayer's records" });

// ---- the receivables register
/** The registry's ReceivableState, by value, as the API names it. */
export const RECEIVABLE_STATES = ["none", "pending", "accepted", "rejected", "split", "repaid", "overdue", "defaulted"] as const;
type ReceivableStateName = (typeof RECEIVABLE_STATES)[number];

const auditReceivable = z
  .object({
    id: z.string(),
    object: z.literal("audit.receivable"),
    token_id: z.string().meta({ description: "The ERC-721 token id in the ReceivableRegistry (decimal)" }),
    root_id: z.string().meta({ description: "The invoice (root receivable) this one belongs to; its own id for a root" }),
    parent_id: z.string().nullable(),
    issuer: z.string(),
    debtor: z.string(),
    token: z.string(),
    holder: z.string().meta({ description: "The current holder; the zero address once split" }),
    face_value: z.string(),
    state: z.enum(RECEIVABLE_STATES).meta({ description: "The registry's state as the relayer last read it (none: not on chain yet)" }),
    financed: z.boolean(),
    principal_paid: z.string(),
    late_fee_due: z.string(),
    issued_at: z.number().meta({ description: "Unix seconds (0 until issued)" }),
    due_at: z.number().meta({ description: "Unix seconds" }),
    accept_by: z.number().meta({ description: "Unix seconds" }),
    invoice_ref: z.string().nullable(),
    document_hash: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "AuditReceivable", description: "A receivable (an invoice or a part of one) in the relayer's mirror of the ReceivableRegistry" });

const holderSchema = z.object({ address: z.string(), since: z.string(), transaction_hash: z.string().nullable() });

interface ReceivableNodeJson extends z.infer<typeof auditReceivable> {
  holders: z.infer<typeof holderSchema>[];
  children: ReceivableNodeJson[];
}
const receivableNode: z.ZodType<ReceivableNodeJson> = auditReceivable
  .extend({
    holders: z.array(holderSchema).meta({ description: "Everyone who held it, in order" }),
    get children() {
      return z.array(receivableNode).meta({ description: "The parts it was split into, in creation order" });
    },
  })
  .meta({ id: "AuditReceivableNode", description: "A receivable in its invoice's tree, with its parts" });

const receivableDetail = z
  .object({
    object: z.literal("audit.receivable_detail"),
    receivable: auditReceivable.meta({ description: "The receivable asked for" }),
    tree: receivableNode.meta({ description: "The whole invoice: the root, its parts and their sub-parts" }),
  })
  .meta({ id: "AuditReceivableDetail" });

// ---- queries
const paymentsQuery = z.strictObject({
  limit,
  starting_after: bytes32.optional().meta({ description: "The last payment_id of the previous page" }),
  merchant: address.optional(),
  buyer: address.optional(),
  token: address.optional(),
  status: z.enum(STATUSES).optional(),
  format,
});
const paymentParams = z.strictObject({ payment_id: bytes32 });
const searchQuery = z.strictObject({
  q: z.string().trim().min(1).max(100).meta({ description: "A payment id, intent id (pi_...), order reference, address or transaction hash" }),
  limit,
});
const ENTRY_ID = /^le_(\d+)_(\d+)_(\d+)$/;
const entriesQuery = z.strictObject({
  limit,
  starting_after: z.string().regex(ENTRY_ID, "must be a ledger entry id (le_<block>_<log>_<leg>)").optional(),
  merchant: address.optional(),
  buyer: address.optional(),
  token: address.optional(),
  kind: z.enum(LEDGER_KINDS).optional(),
  from_block: blockNumber.optional(),
  to_block: blockNumber.optional(),
  from_time: unixSeconds.optional(),
  to_time: unixSeconds.optional(),
  format,
});
const BALANCE_ID = /^bal_(0x[0-9a-fA-F]{40})_(0x[0-9a-fA-F]{40})$/;
const balancesQuery = z.strictObject({
  limit,
  starting_after: z.string().regex(BALANCE_ID, "must be a balance id (bal_<token>_<account>)").optional(),
  token: address.optional(),
  account: address.optional(),
  format,
});
const LARGE_ID = /^ltr_(\d+)_(\d+)$/;
const largeQuery = z.strictObject({
  limit,
  starting_after: z.string().regex(LARGE_ID, "must be a report id (ltr_<block>_<log>)").optional(),
  from_block: blockNumber.optional(),
  to_block: blockNumber.optional(),
  format,
});
const kycQuery = z.strictObject({ limit, starting_after: objectId("kyc").optional(), address: address.optional(), format });
const receivableFilters = {
  issuer: address.optional(),
  debtor: address.optional(),
  holder: address.optional().meta({ description: "The current holder" }),
  root: objectId("rcv").optional().meta({ description: "An invoice's root receivable id: every part of it" }),
};
const receivablesQuery = z.strictObject({
  limit,
  starting_after: objectId("rcv").optional().meta({ description: "The last id of the previous page" }),
  ...receivableFilters,
  state: z.enum(RECEIVABLE_STATES).optional(),
  overdue: z.enum(["true"]).optional().meta({ description: "Only the overdue ones (see the overview), oldest due first" }),
  format,
});
const receivableParams = z.strictObject({
  id: z.union([objectId("rcv"), z.string().regex(/^\d{1,78}$/)]).meta({ description: "The receivable id (rcv_…) or its token id (decimal)" }),
});
const overviewQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) });

// ---- JSON of each row
const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

const entryJson = (e: LedgerEntry) => ({
  id: `le_${e.blockNumber}_${e.logIndex}_${e.leg}`,
  object: "audit.ledger_entry" as const,
  block_number: e.blockNumber,
  log_index: e.logIndex,
  leg: e.leg,
  block_time: iso(e.blockTime)!,
  transaction_hash: e.txHash,
  kind: e.kind,
  payment_id: e.paymentId,
  token: e.token,
  merchant: e.merchant,
  buyer: e.buyer,
  account: e.account,
  amount: e.amount.toString(),
  capturable_delta: e.capturableDelta.toString(),
  held_delta: e.heldDelta.toString(),
  balance_delta: e.balanceDelta.toString(),
});

const chainPaymentJson = (p: ChainPayment) => ({
  object: "audit.chain_payment" as const,
  payment_id: p.paymentId,
  merchant: p.merchant,
  buyer: p.buyer,
  token: p.token,
  amount: p.amount.toString(),
  order_ref_hash: p.orderRef,
  status: p.status,
  amount_capturable: p.capturable.toString(),
  amount_held: p.held.toString(),
  amount_released: p.released.toString(),
  amount_refunded_after_release: p.refundedAfterRelease.toString(),
  amount_refunded: p.refunded.toString(),
  authorized_block: p.authorizedBlock,
  authorized_at: iso(p.authorizedAt)!,
});

const eventJson = (log: ChainLogRow) => ({
  object: "audit.chain_event" as const,
  event: log.event,
  block_number: log.blockNumber,
  block_time: iso(log.blockTime),
  transaction_hash: log.txHash,
  log_index: log.logIndex,
  args: log.args,
});

const largeJson = (log: ChainLogRow) => ({
  id: `ltr_${log.blockNumber}_${log.logIndex}`,
  object: "audit.large_transaction" as const,
  payment_id: log.paymentId ?? "",
  merchant: log.args.merchant ?? "",
  buyer: log.args.buyer ?? "",
  token: log.args.token ?? "",
  amount: log.args.amount ?? "",
  block_number: log.blockNumber,
  block_time: iso(log.blockTime),
  transaction_hash: log.txHash,
});

const receivableJson = (r: Receivable) => ({
  id: r.id,
  object: "audit.receivable" as const,
  token_id: r.tokenId,
  root_id: r.rootId,
  parent_id: r.parentId,
  issuer: r.issuer,
  debtor: r.debtor,
  token: r.token,
  holder: r.holder,
  face_value: r.faceValue.toString(),
  state: RECEIVABLE_STATES[r.chainState] as ReceivableStateName,
  financed: r.financed,
  principal_paid: r.principalPaid.toString(),
  late_fee_due: r.lateFeeDue.toString(),
  issued_at: r.issuedAt,
  due_at: r.dueAt,
  accept_by: r.acceptBy,
  invoice_ref: r.invoiceRef,
  document_hash: r.documentHash,
  created_at: new Date(r.createdAt).toISOString(),
  updated_at: new Date(r.updatedAt).toISOString(),
});

/** The invoice's receivables as a tree from its root: each node with its holders and its parts. */
function lineageTree(all: Receivable[], holders: HolderRecord[]): ReceivableNodeJson {
  const node = (r: Receivable): ReceivableNodeJson => ({
    ...receivableJson(r),
    holders: holders
      .filter((h) => h.receivableId === r.id)
      .map((h) => ({ address: h.address, since: new Date(h.since).toISOString(), transaction_hash: h.transactionHash })),
    children: all.filter((c) => c.parentId === r.id).map(node),
  });
  const root = all.find((r) => r.parentId === null);
  if (!root) throw new Error(`invoice ${all[0]?.rootId}: no root in the mirror`);
  return node(root);
}

// ---- CSV columns (docs/auditor-console.md lists them)
export const CSV_COLUMNS = {
  payments: ["payment_id", "intent_id", "merchant", "buyer", "token", "order_ref", "amount", "status", "chain_status", "amount_capturable", "amount_held", "amount_released", "amount_refunded", "created_at"],
  ledger_entries: ["id", "block_number", "log_index", "leg", "block_time", "transaction_hash", "kind", "payment_id", "token", "merchant", "buyer", "account", "amount", "capturable_delta", "held_delta", "balance_delta"],
  balances: ["token", "account", "balance"],
  large_transactions: ["id", "payment_id", "merchant", "buyer", "token", "amount", "block_number", "block_time", "transaction_hash"],
  receivables: ["id", "token_id", "root_id", "parent_id", "issuer", "debtor", "token", "holder", "face_value", "state", "financed", "principal_paid", "late_fee_due", "issued_at", "due_at", "accept_by", "invoice_ref", "document_hash", "created_at", "updated_at"],
  kyc_changes: ["id", "address", "action", "tier", "country", "expires_at", "dossier_hash", "reason", "status", "transaction_hash", "created", "updated"],
} as const;

const pick = (row: Record<string, unknown>, columns: readonly string[]) =>
  columns.map((c) => (typeof row[c] === "boolean" ? String(row[c]) : (row[c] as string | number | null)));

/**
 * A list endpoint answered as JSON (one page) or CSV (every page from the cursor on). `fetch` reads one page;
 * `nextOf` turns a page's last row into the cursor of the next.
 */
async function answerList<T, C>(
  req: Request,
  res: Response,
  options: {
    format: "json" | "csv" | undefined;
    limit: number;
    first: C | undefined;
    fetch: (limit: number, after: C | undefined) => Promise<{ data: T[]; hasMore: boolean }>;
    nextOf: (row: T) => C;
    json: (row: T) => Record<string, unknown>;
    csv: { filename: string; columns: readonly string[] };
  },
): Promise<void> {
  if (wantsCsv(req, options.format)) {
    await streamCsv(res, {
      filename: options.csv.filename,
      columns: options.csv.columns,
      first: options.first,
      page: async (after): Promise<CsvPage<T, C>> => {
        const page = await options.fetch(CSV_PAGE, after);
        const last = page.data.at(-1);
        return { rows: page.data, next: page.hasMore && last !== undefined ? options.nextOf(last) : undefined };
      },
      row: (item) => pick(options.json(item), options.csv.columns),
    });
    return;
  }
  const page = await options.fetch(options.limit, options.first);
  res.json({ object: "list", data: page.data.map(options.json), has_more: page.hasMore });
}

/** An address filter on the merchant becomes the merchant's id; an unknown merchant matches nothing. */
const merchantIdOf = async (sql: Sql, merchant: string | undefined): Promise<string | null | undefined> =>
  merchant === undefined ? undefined : (await merchants.getByAddress(sql, merchant))?.id ?? null;

export function auditRoutes(router: Router, registry: RouteRegistry, deps: AuditRouteDeps): void {
  const { db } = deps;
  const auditors = requireScope("auditor");
  const tags = ["Audit"];

  // ---- payments (the contract the audit CLI reconciles against)
  registry.add({
    method: "get", path: "/v1/audit/payments", operationId: "listAuditPayments", tags, scope: ["auditor"],
    summary: "Every payment the relayer knows, by payment id", query: paymentsQuery, response: listOf(auditPayment),
    description: "Ordered by payment_id ascending; filters by merchant, buyer, token (addresses) and status. CSV with format=csv.",
  });
  router.get("/v1/audit/payments", auditors, async (req, res) => {
    const q = parseQuery(req, paymentsQuery);
    await answerList<AuditPayment, string>(req, res, {
      format: q.format,
      limit: q.limit,
      first: q.starting_after,
      fetch: (limit, after) =>
        db.read(async (sql) => {
          const merchantId = await merchantIdOf(sql, q.merchant);
          if (merchantId === null) return { data: [], hasMore: false };
          const page = await intents.listByPaymentId(sql, {
            limit,
            ...(after ? { startingAfter: after } : {}),
            ...(merchantId ? { merchantId } : {}),
            ...(q.buyer ? { buyer: q.buyer } : {}),
            ...(q.token ? { token: q.token } : {}),
            ...(q.status ? { status: q.status } : {}),
          });
          return { data: page.data.map(toAuditPayment), hasMore: page.hasMore };
        }),
      nextOf: (p) => p.payment_id,
      json: (p) => ({ ...p }),
      csv: { filename: "payments.csv", columns: CSV_COLUMNS.payments },
    });
  });

  registry.add({
    method: "get", path: "/v1/audit/payments/:payment_id", operationId: "getAuditPayment", tags, scope: ["auditor"],
    summary: "One payment: the relayer's record, the chain's view and every on-chain event of it",
    params: paymentParams, response: paymentDetail,
  });
  router.get("/v1/audit/payments/:payment_id", auditors, async (req, res) => {
    const { payment_id: paymentId } = parseParams(req, paymentParams);
    const detail = await db.read(async (sql) => {
      const intent = await intents.getByPaymentId(sql, paymentId);
      const chain = await ledger.payment(sql, paymentId);
      const timeline = await ledger.timeline(sql, paymentId);
      return { intent, chain, timeline };
    });
    if (!detail.intent && !detail.chain && detail.timeline.length === 0) throw notFound("payment", paymentId, "payment_id");
    res.json({
      object: "audit.payment_detail",
      payment_id: paymentId,
      payment: detail.intent ? toAuditPayment(detail.intent) : null,
      chain: detail.chain ? chainPaymentJson(detail.chain) : null,
      timeline: detail.timeline.map(eventJson),
    });
  });

  registry.add({
    method: "get", path: "/v1/audit/search", operationId: "searchAuditPayments", tags, scope: ["auditor"],
    summary: "Find payments by payment id, intent id, order reference, address (buyer or merchant) or transaction hash",
    query: searchQuery, response: listOf(auditPayment),
  });
  router.get("/v1/audit/search", auditors, async (req, res) => {
    const { q, limit: max } = parseQuery(req, searchQuery);
    const found = await db.read(async (sql) => {
      if (/^pi_[0-9a-f]{24}$/.test(q)) return await intents.search(sql, { id: q }, max + 1);
      if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
        // a payment id, or the hash of a transaction (its logs name the payments; the relayer's operations too)
        const hash = q.toLowerCase();
        const viaLogs = await ledger.paymentsOfTransaction(sql, hash, max + 1);
        const viaOperations = (await mapInOrder(await intents.idsOfTransaction(sql, hash, max + 1), (id) => intents.search(sql, { id }, 1)))
          .flat()
          .map((i) => i.paymentId);
        return await intents.search(sql, { paymentIds: [hash, ...viaLogs, ...viaOperations] }, max + 1);
      }
      if (/^0x[0-9a-fA-F]{40}$/.test(q)) {
        const parsed = address.safeParse(q);
        if (!parsed.success) throw invalid("parameter_invalid", "Invalid q: not a valid address (EIP-55 checksum)", "q");
        const merchant = await merchants.getByAddress(sql, parsed.data);
        return await intents.search(sql, { buyer: parsed.data, ...(merchant ? { merchantId: merchant.id } : {}) }, max + 1);
      }
      return await intents.search(sql, { orderRef: q }, max + 1);
    });
    res.json({ object: "list", data: found.slice(0, max).map(toAuditPayment), has_more: found.length > max });
  });

  // ---- the ledger
  registry.add({
    method: "get", path: "/v1/audit/ledger_entries", operationId: "listLedgerEntries", tags, scope: ["auditor"],
    summary: "Ledger entries projected from the escrow's logs, in chain order",
    description: "One entry per movement of money (authorize, capture, void, reclaim, release, fee, partner_fee, refund, payout, collection). A time range is turned into a block range.",
    query: entriesQuery, response: listOf(ledgerEntry),
  });
  router.get("/v1/audit/ledger_entries", auditors, async (req, res) => {
    const q = parseQuery(req, entriesQuery);
    const match = q.starting_after ? ENTRY_ID.exec(q.starting_after) : null;
    const first = match ? { block: Number(match[1]), log: Number(match[2]), leg: Number(match[3]) } : undefined;
    const range = await db.read(async (sql) => {
      let from = q.from_block;
      let to = q.to_block;
      if (q.from_time !== undefined) from = Math.max(from ?? 0, await ledger.firstBlockAtOrAfter(sql, q.from_time) ?? Number.MAX_SAFE_INTEGER);
      if (q.to_time !== undefined) to = Math.min(to ?? Number.MAX_SAFE_INTEGER, await ledger.lastBlockAtOrBefore(sql, q.to_time) ?? -1);
      return { from, to };
    });
    await answerList(req, res, {
      format: q.format,
      limit: q.limit,
      first,
      fetch: (limit, after) =>
        db.read((sql) =>
          ledger.entries(sql, {
            limit,
            ...(after ? { after } : {}),
            ...(q.merchant ? { merchant: q.merchant } : {}),
            ...(q.buyer ? { buyer: q.buyer } : {}),
            ...(q.token ? { token: q.token } : {}),
            ...(q.kind ? { kind: q.kind } : {}),
            ...(range.from !== undefined ? { fromBlock: range.from } : {}),
            ...(range.to !== undefined ? { toBlock: range.to } : {}),
          }),
        ),
      nextOf: (e) => ({ block: e.blockNumber, log: e.logIndex, leg: e.leg }),
      json: entryJson,
      csv: { filename: "ledger-entries.csv", columns: CSV_COLUMNS.ledger_entries },
    });
  });

  registry.add({
    method: "get", path: "/v1/audit/balances", operationId: "listAuditBalances", tags, scope: ["auditor"],
    summary: "Every account's balance in the escrow per token (merchants, treasury, partners), from the ledger",
    query: balancesQuery, response: listOf(balanceSchema),
  });
  router.get("/v1/audit/balances", auditors, async (req, res) => {
    const q = parseQuery(req, balancesQuery);
    const match = q.starting_after ? BALANCE_ID.exec(q.starting_after) : null;
    const first = match ? { token: address.parse(match[1]), account: address.parse(match[2]) } : undefined;
    await answerList(req, res, {
      format: q.format,
      limit: q.limit,
      first,
      fetch: (limit, after) =>
        db.read((sql) => ledger.balances(sql, { limit, ...(after ? { after } : {}), ...(q.token ? { token: q.token } : {}), ...(q.account ? { account: q.account } : {}) })),
      nextOf: (b) => ({ token: b.token, account: b.account }),
      json: (b) => ({ id: `bal_${b.token}_${b.account}`, object: "audit.balance", token: b.token, account: b.account, balance: b.balance.toString() }),
      csv: { filename: "balances.csv", columns: CSV_COLUMNS.balances },
    });
  });

  registry.add({
    method: "get", path: "/v1/audit/large_transactions", operationId: "listLargeTransactions", tags, scope: ["auditor"],
    summary: "Large-transaction reports (AML) the escrow emitted, in chain order", query: largeQuery, response: listOf(largeTransaction),
  });
  router.get("/v1/audit/large_transactions", auditors, async (req, res) => {
    const q = parseQuery(req, largeQuery);
    const match = q.starting_after ? LARGE_ID.exec(q.starting_after) : null;
    await answerList(req, res, {
      format: q.format,
      limit: q.limit,
      first: match ? { block: Number(match[1]), log: Number(match[2]) } : undefined,
      fetch: (limit, after) =>
        db.read((sql) =>
          ledger.largeTransactions(sql, {
            limit,
            ...(after ? { after } : {}),
            ...(q.from_block !== undefined ? { fromBlock: q.from_block } : {}),
            ...(q.to_block !== undefined ? { toBlock: q.to_block } : {}),
          }),
        ),
      nextOf: (log) => ({ block: log.blockNumber, log: log.logIndex }),
      json: largeJson,
      csv: { filename: "large-transactions.csv", columns: CSV_COLUMNS.large_transactions },
    });
  });

  registry.add({
    method: "get", path: "/v1/audit/kyc_changes", operationId: "listAuditKycChanges", tags, scope: ["auditor"],
    summary: "The KYC change log (for AML filings), newest first", query: kycQuery, response: listOf(changeSchema),
  });
  router.get("/v1/audit/kyc_changes", auditors, async (req, res) => {
    const q = parseQuery(req, kycQuery);
    await answerList<KycChange, string>(req, res, {
      format: q.format,
      limit: q.limit,
      first: q.starting_after,
      fetch: (limit, after) =>
        db.read((sql) => kycChanges.list(sql, { limit, ...(after ? { startingAfter: after } : {}), ...(q.address ? { address: q.address } : {}) })),
      nextOf: (c) => c.id,
      json: changeJson,
      csv: { filename: "kyc-changes.csv", columns: CSV_COLUMNS.kyc_changes },
    });
  });

  // ---- reconciliation (the audit library's rebuild and reconcile(), run by the relayer)
  const reconciliationJson = (run: ReconciliationRun) => ({
    id: run.id,
    object: "audit.reconciliation" as const,
    status: run.status,
    head_block: run.headBlock,
    chain_payments: run.chainPayments,
    relayer_records: run.relayerRecords,
    compared: run.compared,
    differences_total: run.differencesTotal,
    differences: run.differences,
    violations: run.violations,
    error: run.error,
    started_at: new Date(run.startedAt).toISOString(),
    finished_at: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
  });
  const service = () => {
    if (!deps.reconciliation) {
      throw new ApiError("api_error", "reconciliation_not_configured", "This relayer runs without reconciliation", undefined, 503);
    }
    return deps.reconciliation;
  };
  registry.add({
    method: "post", path: "/v1/audit/reconciliations", operationId: "startReconciliation", tags, scope: ["auditor"],
    summary: "Rebuild the ledger from the chain alone and compare it with the relayer's records, in the background",
    description: "Answers 202 with the run in status running; 409 reconciliation_in_progress while another runs. Changes no records.",
    body: z.strictObject({}), response: reconciliationSchema, status: 202,
  });
  router.post("/v1/audit/reconciliations", auditors, async (req, res) => {
    parseBody(req, z.strictObject({}));
    const runner = service();
    const json = await db.transaction(async (sql) => {
      const run = reconciliationJson(await runner.begin(sql, principalOf(res).keyId));
      await completeIdempotency(sql, res.locals.idempotency, 202, run);
      return run;
    });
    runner.run(json.id);
    res.status(202).json(json);
  });

  registry.add({
    method: "get", path: "/v1/audit/reconciliations/latest", operationId: "getLatestReconciliation", tags, scope: ["auditor"],
    summary: "The latest reconciliation run and the differences it found", response: reconciliationSchema,
  });
  router.get("/v1/audit/reconciliations/latest", auditors, async (_req, res) => {
    const run = await db.read((sql) => reconciliations.latest(sql));
    if (!run) throw new ApiError("not_found_error", "resource_missing", "No reconciliation has run yet: POST /v1/audit/reconciliations starts one.");
    res.json(reconciliationJson(run));
  });

  // ---- the receivables register (the relayer's mirror of the ReceivableRegistry)
  /** Overdue means due at or before this time: the chain's time less the registry's grace period. */
  const overdueCutoff = async () => {
    const reader = serviceOf(deps).reader;
    const [now, terms] = await Promise.all([reader.chainTime(), reader.terms()]);
    return { now, gracePeriod: terms.gracePeriod, dueBy: now - terms.gracePeriod };
  };
  registry.add({
    method: "get", path: "/v1/audit/receivables", operationId: "listAuditReceivables", tags, scope: ["auditor"],
    summary: "The receivables register: every invoice and part, newest first (overdue=true: the overdue ones, oldest due first)",
    description: "Filters by issuer, debtor, current holder, state and root invoice. CSV with format=csv. overdue=true needs the receivable registry (503 otherwise).",
    query: receivablesQuery, response: listOf(auditReceivable),
  });
  router.get("/v1/audit/receivables", auditors, async (req, res) => {
    const q = parseQuery(req, receivablesQuery);
    if (q.overdue && q.state) throw invalid("parameter_invalid", "Invalid state: overdue=true already selects the accepted and overdue states", "state");
    const filter = {
      ...(q.issuer ? { issuer: q.issuer } : {}),
      ...(q.debtor ? { debtor: q.debtor } : {}),
      ...(q.holder ? { holder: q.holder } : {}),
      ...(q.root ? { rootId: q.root } : {}),
    };
    const dueBy = q.overdue ? (await overdueCutoff()).dueBy : undefined;
    await answerList<Receivable, string>(req, res, {
      format: q.format,
      limit: q.limit,
      first: q.starting_after,
      fetch: (limit, after) =>
        db.read(async (sql) => {
          const options = { limit, ...(after ? { after } : {}) };
          if (dueBy !== undefined) return await receivableRegister.overdue(sql, dueBy, filter, options);
          const state = q.state === undefined ? undefined : (RECEIVABLE_STATES.indexOf(q.state) as ReceivableState);
          return await receivableRegister.list(sql, { ...filter, ...(state !== undefined ? { state } : {}) }, options);
        }),
      nextOf: (r) => r.id,
      json: receivableJson,
      csv: { filename: "receivables.csv", columns: CSV_COLUMNS.receivables },
    });
  });

  registry.add({
    method: "get", path: "/v1/audit/receivables/:id", operationId: "getAuditReceivable", tags, scope: ["auditor"],
    summary: "One receivable and its invoice's lineage as a tree (root, parts, sub-parts), each with its holders",
    params: receivableParams, response: receivableDetail,
  });
  router.get("/v1/audit/receivables/:id", auditors, async (req, res) => {
    const { id } = parseParams(req, receivableParams);
    const detail = await db.read(async (sql) => {
      const receivable = await receivableRegister.find(sql, id);
      if (!receivable) return undefined;
      return { receivable, lineage: await receivableRegister.lineage(sql, receivable.rootId), holders: await receivableRegister.holdersOfLineage(sql, receivable.rootId) };
    });
    if (!detail) throw notFound("receivable", id, "id");
    res.json({ object: "audit.receivable_detail", receivable: receivableJson(detail.receivable), tree: lineageTree(detail.lineage, detail.holders) });
  });

  // ---- the overview page
  registry.add({
    method: "get", path: "/v1/audit/overview", operationId: "getAuditOverview", tags, scope: ["auditor"],
    summary: "Escrow solvency per token, daily volume and fees, open disputes",
    description: "Solvency compares the escrow's token balance on chain with what the ledger says it owes. Daily buckets are kept as entries are written; nothing here scans a table.",
    query: overviewQuery, response: overview,
  });
  router.get("/v1/audit/overview", auditors, async (req, res) => {
    const { days } = parseQuery(req, overviewQuery);
    const fromDay = dayOf(Math.floor(Date.now() / 1000) - (days - 1) * 86_400);
    const data = await db.read(async (sql) => ({
      totals: await ledger.totals(sql),
      daily: await ledger.daily(sql, fromDay),
      disputes: await ledger.paymentsInStatus(sql, "disputed", { limit: 10 }),
      disputeCount: await ledger.countInStatus(sql, "disputed", 1001),
      cursor: await ledger.cursor(sql),
    }));
    // overdue receivables: only where the relayer has a receivable registry to read the grace period and time from
    const cutoff = deps.receivables ? await overdueCutoff().catch(() => undefined) : undefined;
    const overdueCount = cutoff === undefined ? null : await db.read((sql) => receivableRegister.countOverdue(sql, cutoff.dueBy, 1001));
    const tokens = [...new Set([...(deps.audit?.tokens ?? []), ...data.totals.map((t) => t.token)])];
    const rows = await Promise.all(
      tokens.map(async (token) => {
        const t = data.totals.find((x) => x.token.toLowerCase() === token.toLowerCase()) ?? { token, capturable: 0n, held: 0n, balances: 0n };
        const owed = t.capturable + t.held + t.balances;
        const onChain = deps.audit ? await deps.audit.escrowTokenBalance(token).catch(() => null) : null;
        return {
          token,
          escrow_balance: onChain === null ? null : onChain.toString(),
          owed: owed.toString(),
          capturable: t.capturable.toString(),
          held: t.held.toString(),
          balances: t.balances.toString(),
          difference: onChain === null ? null : (onChain - owed).toString(),
          solvent: onChain === null ? null : onChain >= owed,
        };
      }),
    );
    res.json({
      object: "audit.overview",
      solvency: rows,
      daily: data.daily.map((d) => ({
        token: d.token,
        day: d.day,
        authorized: d.authorized.toString(),
        captured: d.captured.toString(),
        released: d.released.toString(),
        refunded: d.refunded.toString(),
        fees: d.fees.toString(),
        payments: d.payments,
      })),
      open_disputes: { count: Math.min(data.disputeCount, 1000), more_than: data.disputeCount > 1000, data: data.disputes.data.map(chainPaymentJson) },
      ledger_block: data.cursor.block,
      overdue_receivables: {
        count: overdueCount === null ? null : Math.min(overdueCount, 1000),
        more_than: overdueCount !== null && overdueCount > 1000,
        grace_period: cutoff?.gracePeriod ?? null,
        as_of: cutoff?.now ?? null,
      },
    });
  });
}

// Payment intents and their events. Amounts are decimal strings in the database, bigints in the domain.
import { termsFromJson } from "../chain/operation-codec.js";
import type { PaymentStatus } from "../chain/typed-data.js";
import type { CaptureMethod, IntentStatus, OperationKind, PaymentIntent } from "../domain/payment-intent.js";
import type { Sql } from "./database.js";

interface IntentRecord {
  id: string;
  merchant_id: string;
  status: string;
  payment_id: string;
  terms: string;
  order_ref: string;
  capture_method: CaptureMethod;
  metadata: string;
  amount_capturable: string;
  amount_held: string;
  amount_released: string;
  amount_refunded: string;
  amount_refunded_after_release: string;
  failure_code: string | null;
  failure_message: string | null;
  held_since: number;
  created_at: number;
  updated_at: number;
  pending: string | null;
}

/** The chain status is stored as its number in `status`. */
function toIntent(r: IntentRecord): PaymentIntent {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    paymentId: r.payment_id,
    orderRef: r.order_ref,
    terms: termsFromJson(JSON.parse(r.terms) as Record<string, unknown>),
    captureMethod: r.capture_method,
    metadata: JSON.parse(r.metadata) as Record<string, string>,
    chainStatus: Number(r.status) as PaymentStatus,
    amounts: {
      capturable: BigInt(r.amount_capturable),
      held: BigInt(r.amount_held),
      released: BigInt(r.amount_released),
      refunded: BigInt(r.amount_refunded),
      refundedAfterRelease: BigInt(r.amount_refunded_after_release),
    },
    heldSince: r.held_since,
    pendingOperations: r.pending ? (r.pending.split(",") as OperationKind[]) : [],
    ...(r.failure_code ? { failure: { code: r.failure_code, message: r.failure_message ?? "" } } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const SELECT = `SELECT i.*, (SELECT GROUP_CONCAT(kind) FROM operations o WHERE o.intent_id = i.id AND o.status IN ('pending', 'assigned')) AS pending
  FROM payment_intents i`;

export interface IntentFilter {
  merchantId: string;
  limit: number;
  startingAfter?: string;
  /** Chain status numbers to keep. */
  chainStatuses?: number[];
  buyer?: string;
  orderRef?: string;
}

/** The filter of the auditor's payment list: every intent, ordered by the escrow's payment id. */
export interface PaymentIdFilter {
  limit: number;
  /** The last payment id of the previous page. */
  startingAfter?: string;
  merchantId?: string;
  buyer?: string;
  token?: string;
  /** An API status (domain/payment-intent.ts intentStatus), translated to the stored columns. */
  status?: IntentStatus;
}

const IN_FLIGHT = "EXISTS (SELECT 1 FROM operations o WHERE o.intent_id = i.id AND o.status IN ('pending', 'assigned'))";

/**
 * intentStatus() as SQL over the stored columns (the status column holds the chain status number). A status that
 * spans two chain statuses is two conditions, each read in payment id order through (status, payment_id) and
 * merged, so no query sorts every matching row. `processing` is the set of intents with operations in flight
 * (bounded by the outbox), found through the operations index and sorted.
 */
interface StatusCondition {
  where: string;
  /** A partial index for a rare slice of a chain status (the planner would walk the whole status otherwise). */
  index?: string;
}

const STATUS_SQL: Record<IntentStatus, StatusCondition[]> = {
  processing: [{ where: `i.id IN (SELECT intent_id FROM operations WHERE status IN ('pending', 'assigned'))` }],
  requires_authorization: [{ where: `i.status = '0' AND i.failure_code IS NULL AND NOT ${IN_FLIGHT}` }],
  failed: [{ where: `i.status = '0' AND i.failure_code IS NOT NULL AND NOT ${IN_FLIGHT}`, index: "payment_intents_failed" }],
  requires_capture: [
    { where: `i.status = '1' AND NOT ${IN_FLIGHT}` },
    { where: `i.status = '2' AND i.amount_held = '0' AND NOT ${IN_FLIGHT}`, index: "payment_intents_captured_unheld" },
  ],
  captured: [{ where: `i.status = '2' AND i.amount_held != '0' AND NOT ${IN_FLIGHT}` }],
  disputed: [{ where: `i.status = '3' AND NOT ${IN_FLIGHT}` }],
  released: [{ where: `i.status = '4' AND NOT ${IN_FLIGHT}` }],
  canceled: [{ where: `i.status = '5' AND NOT ${IN_FLIGHT}` }],
  refunded: [{ where: `i.status = '6' AND NOT ${IN_FLIGHT}` }],
};

export const intents = {
  async insert(sql: Sql, intent: PaymentIntent): Promise<void> {
    await sql.run(
      `INSERT INTO payment_intents (id, merchant_id, status, payment_id, terms, amount, token, buyer, order_ref, capture_method,
         metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      intent.id,
      intent.merchantId,
      String(intent.chainStatus),
      intent.paymentId,
      JSON.stringify(intent.terms, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
      intent.terms.amount.toString(),
      intent.terms.token,
      intent.terms.buyer,
      intent.orderRef,
      intent.captureMethod,
      JSON.stringify(intent.metadata),
      intent.createdAt,
      intent.updatedAt,
    );
  },

  async get(sql: Sql, id: string): Promise<PaymentIntent | undefined> {
    const r = await sql.get<IntentRecord>(`${SELECT} WHERE i.id = ?`, id);
    return r && toIntent(r);
  },

  /** A merchant's intent; another merchant's id is simply not found. */
  async getForMerchant(sql: Sql, merchantId: string, id: string): Promise<PaymentIntent | undefined> {
    const r = await sql.get<IntentRecord>(`${SELECT} WHERE i.id = ? AND i.merchant_id = ?`, id, merchantId);
    return r && toIntent(r);
  },

  /** Captured intents whose confirmation window has passed and that have nothing in flight: ready to release. */
  async releasable(sql: Sql, nowSeconds: number, limit: number): Promise<PaymentIntent[]> {
    return (await sql.all<IntentRecord>(
      `${SELECT} WHERE i.status = '2' AND i.amount_held != '0' AND i.held_since > 0
         AND i.held_since + CAST(json_extract(i.terms, '$.confirmationWindow') AS INTEGER) <= ?
         AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.intent_id = i.id AND o.status IN ('pending', 'assigned'))
       ORDER BY i.held_since LIMIT ?`,
      nowSeconds,
      limit,
    ))
      .map(toIntent);
  },

  async getByPaymentId(sql: Sql, paymentId: string): Promise<PaymentIntent | undefined> {
    const r = await sql.get<IntentRecord>(`${SELECT} WHERE i.payment_id = ?`, paymentId.toLowerCase());
    return r && toIntent(r);
  },

  async getByOrderRef(sql: Sql, merchantId: string, orderRef: string): Promise<PaymentIntent | undefined> {
    const r = await sql.get<IntentRecord>(`${SELECT} WHERE i.merchant_id = ? AND i.order_ref = ?`, merchantId, orderRef);
    return r && toIntent(r);
  },

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(sql: Sql, filter: IntentFilter): Promise<{ data: PaymentIntent[]; hasMore: boolean }> {
    const where = ["i.merchant_id = ?"];
    const params: (string | number)[] = [filter.merchantId];
    if (filter.startingAfter) {
      const cursor = await sql.get<{ created_at: number }>(
        "SELECT created_at FROM payment_intents WHERE id = ? AND merchant_id = ?",
        filter.startingAfter,
        filter.merchantId,
      );
      if (!cursor) return { data: [], hasMore: false };
      where.push("(i.created_at < ? OR (i.created_at = ? AND i.id < ?))");
      params.push(cursor.created_at, cursor.created_at, filter.startingAfter);
    }
    if (filter.chainStatuses?.length) {
      where.push(`i.status IN (${filter.chainStatuses.map(() => "?").join(", ")})`);
      params.push(...filter.chainStatuses.map(String));
    }
    if (filter.buyer) {
      where.push("i.buyer = ?");
      params.push(filter.buyer);
    }
    if (filter.orderRef) {
      where.push("i.order_ref = ?");
      params.push(filter.orderRef);
    }
    const rows = await sql.all<IntentRecord>(
      `${SELECT} WHERE ${where.join(" AND ")} ORDER BY i.created_at DESC, i.id DESC LIMIT ?`,
      ...params,
      filter.limit + 1,
    );
    return { data: rows.slice(0, filter.limit).map(toIntent), hasMore: rows.length > filter.limit };
  },

  /** Every merchant's intents ordered by payment id, keyset-paginated (the auditor's list). */
  async listByPaymentId(sql: Sql, filter: PaymentIdFilter): Promise<{ data: PaymentIntent[]; hasMore: boolean }> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.startingAfter) {
      where.push("i.payment_id > ?");
      params.push(filter.startingAfter);
    }
    for (const [column, value] of [["i.merchant_id", filter.merchantId], ["i.buyer", filter.buyer], ["i.token", filter.token]] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    const alternatives: (StatusCondition | undefined)[] = filter.status ? STATUS_SQL[filter.status] : [undefined];
    const candidates: IntentRecord[] = [];
    for (const condition of alternatives) {
      const all = condition === undefined ? where : [...where, condition.where];
      // a partial index is only a good path when no other filter narrows the rows first
      const from = condition?.index && where.length === (filter.startingAfter ? 1 : 0) ? `${SELECT} INDEXED BY ${condition.index}` : SELECT;
      candidates.push(...await sql.all<IntentRecord>(
        `${from} ${all.length ? `WHERE ${all.join(" AND ")}` : ""} ORDER BY i.payment_id LIMIT ?`,
        ...params,
        filter.limit + 1,
      ));
    }
    const rows = candidates
      .sort((a, b) => (a.payment_id < b.payment_id ? -1 : a.payment_id > b.payment_id ? 1 : 0))
      .slice(0, filter.limit + 1);
    return { data: rows.slice(0, filter.limit).map(toIntent), hasMore: rows.length > filter.limit };
  },

  /** Intents matching one search term, each through its own index: id, payment id, order reference, buyer, merchant. */
  async search(sql: Sql, term: { id?: string; paymentIds?: string[]; orderRef?: string; buyer?: string; merchantId?: string }, limit: number): Promise<PaymentIntent[]> {
    const clauses: string[] = [];
    const params: string[] = [];
    if (term.id) {
      clauses.push(`${SELECT} WHERE i.id = ?`);
      params.push(term.id);
    }
    for (const paymentId of term.paymentIds ?? []) {
      clauses.push(`${SELECT} WHERE i.payment_id = ?`);
      params.push(paymentId.toLowerCase());
    }
    if (term.orderRef) {
      clauses.push(`${SELECT} WHERE i.order_ref = ?`);
      params.push(term.orderRef);
    }
    if (term.buyer) {
      clauses.push(`${SELECT} WHERE i.buyer = ?`);
      params.push(term.buyer);
    }
    if (term.merchantId) {
      clauses.push(`${SELECT} WHERE i.merchant_id = ?`);
      params.push(term.merchantId);
    }
    const found = new Map<string, PaymentIntent>();
    // Each clause separately, LIMIT each: every one is an index lookup, none scans the table.
    for (const [n, clause] of clauses.entries()) {
      for (const r of await sql.all<IntentRecord>(`${clause} ORDER BY i.payment_id LIMIT ?`, params[n]!, limit)) {
        if (found.size < limit) found.set(r.id, toIntent(r));
      }
    }
    return [...found.values()].sort((a, b) => (a.paymentId < b.paymentId ? -1 : 1));
  },

  /** Intents whose operations rode in a transaction with this hash (any of its hashes). */
  async idsOfTransaction(sql: Sql, hash: string, limit: number): Promise<string[]> {
    // one transaction carries at most a batch of operations: read them in index order, deduplicate here
    const rows = await sql.all<{ intent_id: string }>(
      `SELECT o.intent_id FROM chain_transaction_hashes h JOIN operations o ON o.tx_id = h.tx_id
        WHERE h.hash = ? AND o.intent_id IS NOT NULL LIMIT ?`,
      hash.toLowerCase(),
      limit * 4,
    );
    return [...new Set(rows.map((r) => r.intent_id))].slice(0, limit);
  },

  /** Records what the chain says about the payment after an operation settled. */
  async updateFromChain(
    sql: Sql,
    id: string,
    state: { chainStatus: PaymentStatus; capturable: bigint; held: bigint; released: bigint; refunded: bigint; refundedAfterRelease: bigint; heldSince: number },
    failure: { code: string; message: string } | null,
    now: number,
  ): Promise<void> {
    await sql.run(
      `UPDATE payment_intents SET status = ?, amount_capturable = ?, amount_held = ?, amount_released = ?,
         amount_refunded = ?, amount_refunded_after_release = ?, held_since = ?, failure_code = ?, failure_message = ?,
         updated_at = ? WHERE id = ?`,
      String(state.chainStatus),
      state.capturable.toString(),
      state.held.toString(),
      state.released.toString(),
      state.refunded.toString(),
      state.refundedAfterRelease.toString(),
      state.heldSince,
      failure?.code ?? null,
      failure?.message ?? null,
      now,
      id,
    );
  },
};

export interface EventRecord {
  id: string;
  type: string;
  objectId: string;
  merchantId: string | null;
  data: unknown;
  createdAt: number;
}

export const events = {
  async insert(sql: Sql, event: EventRecord): Promise<void> {
    await sql.run(
      "INSERT INTO events (id, merchant_id, type, object_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      event.id,
      event.merchantId,
      event.type,
      event.objectId,
      JSON.stringify(event.data),
      event.createdAt,
    );
  },

  /** A merchant's events, newest first, keyset-paginated on seq. */
  async list(sql: Sql, merchantId: string, page: { limit: number; startingAfter?: string; objectId?: string }) {
    const where = ["merchant_id = ?"];
    const params: (string | number)[] = [merchantId];
    if (page.startingAfter) {
      const cursor = await sql.get<{ seq: number }>("SELECT seq FROM events WHERE id = ? AND merchant_id = ?", page.startingAfter, merchantId);
      if (!cursor) return { data: [], hasMore: false };
      where.push("seq < ?");
      params.push(cursor.seq);
    }
    if (page.objectId) {
      where.push("object_id = ?");
      params.push(page.objectId);
    }
    const rows = await sql.all<{ id: string; type: string; object_id: string; data: string; created_at: number }>(
      `SELECT id, type, object_id, data, created_at FROM events WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`,
      ...params,
      page.limit + 1,
    );
    return {
      data: rows.slice(0, page.limit).map((r) => ({ id: r.id, type: r.type, objectId: r.object_id, data: JSON.parse(r.data) as unknown, createdAt: r.created_at })),
      hasMore: rows.length > page.limit,
    };
  },
};

// Receivables, their holders, financing offers and requested actions. Amounts are decimal strings in the
// database, bigints in the domain; addresses are stored checksummed.
import type { ReceivableState } from "../chain/receivable-typed-data.js";
import type { ChainReceivable, Receivable, ReceivableAction } from "../domain/receivable.js";
import { mapInOrder, type Sql } from "./database.js";

export interface ReceivableRecord {
  id: string;
  token_id: string;
  parent_id: string | null;
  root_id: string;
  issuer: string;
  debtor: string;
  token: string;
  holder: string;
  face_value: string;
  issued_at: number;
  due_at: number;
  accept_by: number;
  document_hash: string;
  invoice_ref: string | null;
  chain_state: number;
  financed: number;
  principal_paid: string;
  late_fee_due: string;
  failure_code: string | null;
  failure_message: string | null;
  created_at: number;
  updated_at: number;
}

export const toReceivables = (sql: Sql, rows: readonly ReceivableRecord[]): Promise<Receivable[]> =>
  mapInOrder(rows, (row) => toReceivable(sql, row));

export async function toReceivable(sql: Sql, r: ReceivableRecord): Promise<Receivable> {
  const pending = await sql.all<{ action: ReceivableAction }>(
    "SELECT action FROM receivable_actions WHERE receivable_id = ? AND status = 'pending' ORDER BY created_at, id",
    r.id,
  );
  return {
    id: r.id,
    tokenId: r.token_id,
    parentId: r.parent_id,
    rootId: r.root_id,
    issuer: r.issuer,
    debtor: r.debtor,
    token: r.token,
    holder: r.holder,
    faceValue: BigInt(r.face_value),
    issuedAt: r.issued_at,
    dueAt: r.due_at,
    acceptBy: r.accept_by,
    documentHash: r.document_hash,
    invoiceRef: r.invoice_ref,
    chainState: r.chain_state as ReceivableState,
    financed: r.financed === 1,
    principalPaid: BigInt(r.principal_paid),
    lateFeeDue: BigInt(r.late_fee_due),
    pendingActions: pending.map((p) => p.action),
    ...(r.failure_code ? { failure: { code: r.failure_code, message: r.failure_message ?? "" } } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Who may see a receivable: its invoice's issuer and debtor, and everyone who ever held it. */
const VISIBLE = `(r.issuer = ? OR r.debtor = ? OR EXISTS (SELECT 1 FROM receivable_holders h WHERE h.receivable_id = r.id AND h.address = ?))`;

export interface ReceivableFilter {
  status?: { states: number[] };
  role?: "holder" | "issuer" | "debtor";
  rootId?: string;
}

export const receivables = {
  async insert(sql: Sql, r: Receivable): Promise<void> {
    await sql.run(
      `INSERT INTO receivables (id, token_id, parent_id, root_id, issuer, debtor, token, holder, face_value, issued_at, due_at,
         accept_by, document_hash, invoice_ref, chain_state, financed, principal_paid, late_fee_due, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id, r.tokenId, r.parentId, r.rootId, r.issuer, r.debtor, r.token, r.holder, r.faceValue.toString(), r.issuedAt, r.dueAt,
      r.acceptBy, r.documentHash, r.invoiceRef, r.chainState, r.financed ? 1 : 0, r.principalPaid.toString(), r.lateFeeDue.toString(),
      r.createdAt, r.updatedAt,
    );
  },

  async get(sql: Sql, id: string): Promise<Receivable | undefined> {
    const row = await sql.get<ReceivableRecord>("SELECT * FROM receivables WHERE id = ?", id);
    return row && await toReceivable(sql, row);
  },

  async getByTokenId(sql: Sql, tokenId: bigint | string): Promise<Receivable | undefined> {
    const row = await sql.get<ReceivableRecord>("SELECT * FROM receivables WHERE token_id = ?", tokenId.toString());
    return row && await toReceivable(sql, row);
  },

  /** The receivable if `address` may see it. */
  async getVisible(sql: Sql, id: string, address: string): Promise<Receivable | undefined> {
    const row = await sql.get<ReceivableRecord>(`SELECT r.* FROM receivables r WHERE r.id = ? AND ${VISIBLE}`, id, address, address, address);
    return row && await toReceivable(sql, row);
  },

  /** Every receivable of an invoice, in creation order (root first). */
  async ofRoot(sql: Sql, rootId: string): Promise<Receivable[]> {
    return toReceivables(sql, await sql.all<ReceivableRecord>("SELECT * FROM receivables WHERE root_id = ? ORDER BY created_at, rowid", rootId));
  },

  async children(sql: Sql, parentId: string): Promise<Receivable[]> {
    return toReceivables(sql, await sql.all<ReceivableRecord>("SELECT * FROM receivables WHERE parent_id = ? ORDER BY rowid", parentId));
  },

  /** Newest first, what `address` may see; `startingAfter` is the last id of the previous page. */
  async list(sql: Sql, address: string, filter: ReceivableFilter, page: { limit: number; startingAfter?: string }) {
    const where = [VISIBLE];
    const params: (string | number)[] = [address, address, address];
    if (page.startingAfter) {
      const cursor = await sql.get<{ created_at: number; rowid: number }>("SELECT created_at, rowid FROM receivables WHERE id = ?", page.startingAfter);
      if (!cursor) return { data: [], hasMore: false };
      where.push("(r.created_at, r.rowid) < (?, ?)");
      params.push(cursor.created_at, cursor.rowid);
    }
    if (filter.status) {
      where.push(`r.chain_state IN (${filter.status.states.map(() => "?").join(", ")})`);
      params.push(...filter.status.states);
    }
    if (filter.role) {
      where.push(`r.${filter.role} = ?`);
      params.push(address);
    }
    if (filter.rootId) {
      where.push("r.root_id = ?");
      params.push(filter.rootId);
    }
    const rows = await sql.all<ReceivableRecord>(
      `SELECT r.* FROM receivables r WHERE ${where.join(" AND ")} ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?`,
      ...params,
      page.limit + 1,
    );
    return { data: await toReceivables(sql, rows.slice(0, page.limit)), hasMore: rows.length > page.limit };
  },

  /** Open receivables `address` holds (what it will be paid), soonest due first. */
  async heldOpen(sql: Sql, address: string, openStates: number[]): Promise<Receivable[]> {
    const rows = await sql.all<ReceivableRecord>(
      `SELECT * FROM receivables WHERE holder = ? AND chain_state IN (${openStates.map(() => "?").join(", ")}) ORDER BY due_at, rowid`,
      address,
      ...openStates,
    );
    return toReceivables(sql, rows);
  },

  /** Takes the chain's view; returns the previous holder when it changed. */
  async applyChain(sql: Sql, id: string, c: ChainReceivable, now: number): Promise<void> {
    await sql.run(
      `UPDATE receivables SET holder = ?, issued_at = ?, chain_state = ?, financed = ?, principal_paid = ?, late_fee_due = ?,
         failure_code = NULL, failure_message = NULL, updated_at = ? WHERE id = ?`,
      c.holder, c.issuedAt, c.state, c.financed ? 1 : 0, c.principalPaid.toString(), c.lateFeeDue.toString(), now, id,
    );
  },

  async fail(sql: Sql, id: string, failure: { code: string; message: string }, now: number): Promise<void> {
    await sql.run("UPDATE receivables SET failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?", failure.code, failure.message, now, id);
  },

  async addHolder(sql: Sql, id: string, address: string, since: number, transactionHash: string | null): Promise<void> {
    await sql.run(
      "INSERT INTO receivable_holders (receivable_id, address, since, transaction_hash) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      id, address, since, transactionHash,
    );
  },

  /** Forgets that `address` held `id` through `transactionHash` (a reorg dropped that transaction). */
  async removeHolder(sql: Sql, id: string, address: string, transactionHash: string): Promise<void> {
    await sql.run("DELETE FROM receivable_holders WHERE receivable_id = ? AND address = ? AND transaction_hash = ?", id, address, transactionHash);
  },

  async holders(sql: Sql, id: string): Promise<{ address: string; since: number; transactionHash: string | null }[]> {
    return (await sql.all<{ address: string; since: number; transaction_hash: string | null }>(
      "SELECT address, since, transaction_hash FROM receivable_holders WHERE receivable_id = ? ORDER BY since, rowid",
      id,
    ))
      .map((h) => ({ address: h.address, since: h.since, transactionHash: h.transaction_hash }));
  },
};

export type OfferStatus = "open" | "processing" | "accepted" | "failed";

export interface FinancingOffer {
  id: string;
  receivableId: string;
  financier: string;
  accountId: string;
  annualRateBps: number;
  maxPrice: bigint;
  expiry: number;
  nonce: string;
  signature: string;
  status: OfferStatus;
  price: bigint | null;
  fee: bigint | null;
  daysToMaturity: number | null;
  transactionHash: string | null;
  failure: { code: string; message: string } | null;
  createdAt: number;
  updatedAt: number;
}

interface OfferRecord {
  id: string;
  receivable_id: string;
  financier: string;
  account_id: string;
  annual_rate_bps: number;
  max_price: string;
  expiry: number;
  nonce: string;
  signature: string;
  status: OfferStatus;
  price: string | null;
  fee: string | null;
  days_to_maturity: number | null;
  transaction_hash: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: number;
  updated_at: number;
}

const toOffer = (r: OfferRecord): FinancingOffer => ({
  id: r.id,
  receivableId: r.receivable_id,
  financier: r.financier,
  accountId: r.account_id,
  annualRateBps: r.annual_rate_bps,
  maxPrice: BigInt(r.max_price),
  expiry: r.expiry,
  nonce: r.nonce,
  signature: r.signature,
  status: r.status,
  price: r.price === null ? null : BigInt(r.price),
  fee: r.fee === null ? null : BigInt(r.fee),
  daysToMaturity: r.days_to_maturity,
  transactionHash: r.transaction_hash,
  failure: r.failure_code ? { code: r.failure_code, message: r.failure_message ?? "" } : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const financingOffers = {
  async insert(sql: Sql, o: FinancingOffer): Promise<void> {
    await sql.run(
      `INSERT INTO financing_offers (id, receivable_id, financier, account_id, annual_rate_bps, max_price, expiry, nonce, signature, status,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      o.id, o.receivableId, o.financier, o.accountId, o.annualRateBps, o.maxPrice.toString(), o.expiry, o.nonce, o.signature, o.status,
      o.createdAt, o.updatedAt,
    );
  },

  async get(sql: Sql, id: string): Promise<FinancingOffer | undefined> {
    const row = await sql.get<OfferRecord>("SELECT * FROM financing_offers WHERE id = ?", id);
    return row && toOffer(row);
  },

  async byNonce(sql: Sql, financier: string, nonce: string): Promise<FinancingOffer | undefined> {
    const row = await sql.get<OfferRecord>("SELECT * FROM financing_offers WHERE financier = ? AND nonce = ?", financier, nonce);
    return row && toOffer(row);
  },

  /**
   * Offers `address` may see, newest first: the ones it made, and those on receivables it holds. `receivableId`
   * narrows to one receivable.
   */
  async list(sql: Sql, accountId: string, address: string, filter: { receivableId?: string; status?: OfferStatus }, page: { limit: number; startingAfter?: string }) {
    const where = ["(o.account_id = ? OR r.holder = ?)"];
    const params: (string | number)[] = [accountId, address];
    if (page.startingAfter) {
      const cursor = await sql.get<{ created_at: number; rowid: number }>("SELECT created_at, rowid FROM financing_offers WHERE id = ?", page.startingAfter);
      if (!cursor) return { data: [], hasMore: false };
      where.push("(o.created_at, o.rowid) < (?, ?)");
      params.push(cursor.created_at, cursor.rowid);
    }
    if (filter.receivableId) {
      where.push("o.receivable_id = ?");
      params.push(filter.receivableId);
    }
    if (filter.status) {
      where.push("o.status = ?");
      params.push(filter.status);
    }
    const rows = await sql.all<OfferRecord>(
      `SELECT o.* FROM financing_offers o JOIN receivables r ON r.id = o.receivable_id WHERE ${where.join(" AND ")}
       ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?`,
      ...params,
      page.limit + 1,
    );
    return { data: rows.slice(0, page.limit).map(toOffer), hasMore: rows.length > page.limit };
  },

  async setStatus(sql: Sql, id: string, status: OfferStatus, now: number): Promise<void> {
    await sql.run("UPDATE financing_offers SET status = ?, updated_at = ? WHERE id = ?", status, now, id);
  },

  async settle(
    sql: Sql,
    id: string,
    result: { ok: true; price: bigint; fee: bigint; daysToMaturity: number; transactionHash: string } | { ok: false; failure: { code: string; message: string }; transactionHash: string },
    now: number,
  ): Promise<void> {
    if (result.ok) {
      await sql.run(
        `UPDATE financing_offers SET status = 'accepted', price = ?, fee = ?, days_to_maturity = ?, transaction_hash = ?, updated_at = ? WHERE id = ?`,
        result.price.toString(), result.fee.toString(), result.daysToMaturity, result.transactionHash, now, id,
      );
    } else {
      await sql.run(
        `UPDATE financing_offers SET status = 'failed', failure_code = ?, failure_message = ?, transaction_hash = ?, updated_at = ? WHERE id = ?`,
        result.failure.code, result.failure.message, result.transactionHash, now, id,
      );
    }
  },
};

export interface ReceivableActionRow {
  id: string;
  receivableId: string;
  offerId: string | null;
  action: ReceivableAction;
  operationId: number;
  requestedBy: string;
  status: "pending" | "succeeded" | "failed";
  details: Record<string, unknown>;
  transactionHash: string | null;
  failure: { code: string; message: string } | null;
  createdAt: number;
}

interface ActionRecord {
  id: string;
  receivable_id: string;
  offer_id: string | null;
  action: ReceivableAction;
  operation_id: number;
  requested_by: string;
  status: "pending" | "succeeded" | "failed";
  details: string;
  transaction_hash: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: number;
}

const toAction = (r: ActionRecord): ReceivableActionRow => ({
  id: r.id,
  receivableId: r.receivable_id,
  offerId: r.offer_id,
  action: r.action,
  operationId: r.operation_id,
  requestedBy: r.requested_by,
  status: r.status,
  details: JSON.parse(r.details) as Record<string, unknown>,
  transactionHash: r.transaction_hash,
  failure: r.failure_code ? { code: r.failure_code, message: r.failure_message ?? "" } : null,
  createdAt: r.created_at,
});

export const receivableActions = {
  async insert(sql: Sql, a: Omit<ReceivableActionRow, "status" | "transactionHash" | "failure">): Promise<void> {
    await sql.run(
      `INSERT INTO receivable_actions (id, receivable_id, offer_id, action, operation_id, requested_by, status, details, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      a.id, a.receivableId, a.offerId, a.action, a.operationId, a.requestedBy, JSON.stringify(a.details), a.createdAt, a.createdAt,
    );
  },

  async byOperation(sql: Sql, operationId: number): Promise<ReceivableActionRow | undefined> {
    const row = await sql.get<ActionRecord>("SELECT * FROM receivable_actions WHERE operation_id = ?", operationId);
    return row && toAction(row);
  },

  async ofReceivable(sql: Sql, receivableId: string): Promise<ReceivableActionRow[]> {
    return (await sql.all<ActionRecord>("SELECT * FROM receivable_actions WHERE receivable_id = ? ORDER BY created_at, rowid", receivableId)).map(toAction);
  },

  async settle(sql: Sql, id: string, outcome: { ok: boolean; transactionHash: string; failure: { code: string; message: string } | null }, now: number): Promise<void> {
    await sql.run(
      "UPDATE receivable_actions SET status = ?, transaction_hash = ?, failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?",
      outcome.ok ? "succeeded" : "failed", outcome.transactionHash, outcome.failure?.code ?? null, outcome.failure?.message ?? null, now, id,
    );
  },
};

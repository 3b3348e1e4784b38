// The auditor's receivables register over the relayer's mirror of the ReceivableRegistry: every receivable (any
// party's), a whole invoice's lineage with its holders, and the overdue ones. Every query runs on an index
// (test/relayer/persistence/audit-queries.test.ts explains each one).
import { ReceivableState } from "../chain/receivable-typed-data.js";
import type { Receivable } from "../domain/receivable.js";
import type { Sql } from "./database.js";
import { toReceivable, toReceivables, type ReceivableRecord } from "./receivables.js";

export interface RegisterFilter {
  issuer?: string;
  debtor?: string;
  /** The current holder (a split receivable's is the zero address). */
  holder?: string;
  state?: ReceivableState;
  rootId?: string;
}

export interface HolderRecord {
  receivableId: string;
  address: string;
  since: number;
  transactionHash: string | null;
}

// The states an overdue receivable is in; receivables_open_by_due (migration 9) is partial on exactly this term,
// so it is written out as constants for the planner to match it.
const OPEN_STATES = `chain_state IN (${ReceivableState.Accepted}, ${ReceivableState.Overdue})`;

type Page = { data: Receivable[]; hasMore: boolean };

async function page(sql: Sql, rows: ReceivableRecord[], limit: number): Promise<Page> {
  return { data: await toReceivables(sql, rows.slice(0, limit)), hasMore: rows.length > limit };
}

export const receivableRegister = {
  /** Newest first (created_at, id); `after` is the last id of the previous page. */
  async list(sql: Sql, filter: RegisterFilter, options: { limit: number; after?: string }): Promise<Page> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.after !== undefined) {
      const cursor = await sql.get<{ created_at: number; id: string }>("SELECT created_at, id FROM receivables WHERE id = ?", options.after);
      if (!cursor) return { data: [], hasMore: false };
      where.push("(created_at, id) < (?, ?)");
      params.push(cursor.created_at, cursor.id);
    }
    for (const [column, value] of [["issuer", filter.issuer], ["debtor", filter.debtor], ["holder", filter.holder], ["root_id", filter.rootId], ["chain_state", filter.state]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = await sql.all<ReceivableRecord>(
      `SELECT * FROM receivables ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
      ...params,
      options.limit + 1,
    );
    return await page(sql, rows, options.limit);
  },

  /**
   * Accepted or Overdue receivables due at or before `dueBy` (the caller passes now - grace period), oldest due
   * first (due_at, id); the other filters narrow them.
   */
  async overdue(sql: Sql, dueBy: number, filter: Omit<RegisterFilter, "state">, options: { limit: number; after?: string }): Promise<Page> {
    const where = [OPEN_STATES, "due_at <= ?"];
    const params: (string | number)[] = [dueBy];
    if (options.after !== undefined) {
      const cursor = await sql.get<{ due_at: number; id: string }>("SELECT due_at, id FROM receivables WHERE id = ?", options.after);
      if (!cursor) return { data: [], hasMore: false };
      where.push("(due_at, id) > (?, ?)");
      params.push(cursor.due_at, cursor.id);
    }
    for (const [column, value] of [["issuer", filter.issuer], ["debtor", filter.debtor], ["holder", filter.holder], ["root_id", filter.rootId]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = await sql.all<ReceivableRecord>(
      `SELECT * FROM receivables INDEXED BY receivables_open_by_due WHERE ${where.join(" AND ")} ORDER BY due_at, id LIMIT ?`,
      ...params,
      options.limit + 1,
    );
    return await page(sql, rows, options.limit);
  },

  /** How many receivables are overdue (see `overdue`), counted up to `max`. */
  async countOverdue(sql: Sql, dueBy: number, max: number): Promise<number> {
    return (await sql.get<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM receivables INDEXED BY receivables_open_by_due WHERE ${OPEN_STATES} AND due_at <= ? LIMIT ?) AS capped`,
      dueBy,
      max,
    ))!.n;
  },

  /** One receivable by its id (rcv_…) or its ERC-721 token id (decimal). */
  async find(sql: Sql, idOrTokenId: string): Promise<Receivable | undefined> {
    const column = /^\d+$/.test(idOrTokenId) ? "token_id" : "id";
    const row = await sql.get<ReceivableRecord>(`SELECT * FROM receivables WHERE ${column} = ?`, idOrTokenId);
    return row && await toReceivable(sql, row);
  },

  /**
   * Every receivable of an invoice (the root and all its parts), in the order they were written: a split's parts
   * in the split's order. At most MAX_PARTS_PER_INVOICE + 1 rows, sorted here by rowid.
   */
  async lineage(sql: Sql, rootId: string): Promise<Receivable[]> {
    const rows = await sql.all<ReceivableRecord & { seq: number }>("SELECT rowid AS seq, * FROM receivables WHERE root_id = ?", rootId);
    return toReceivables(sql, rows.sort((a, b) => a.seq - b.seq));
  },

  /** Everyone who held a receivable of the invoice, each receivable's holders in the order they came. */
  async holdersOfLineage(sql: Sql, rootId: string): Promise<HolderRecord[]> {
    return (await sql.all<{ receivable_id: string; address: string; since: number; transaction_hash: string | null }>(
      `SELECT h.receivable_id, h.address, h.since, h.transaction_hash
         FROM receivables r JOIN receivable_holders h ON h.receivable_id = r.id WHERE r.root_id = ?`,
      rootId,
    ))
      .map((h) => ({ receivableId: h.receivable_id, address: h.address, since: h.since, transactionHash: h.transaction_hash }))
      .sort((a, b) => a.since - b.since);
  },
};

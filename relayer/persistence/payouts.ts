// Payouts: a merchant's available escrow balance paid to its settlement address.
import type { Sql } from "./database.js";

export type PayoutStatus = "pending" | "paid" | "failed";

export interface Payout {
  id: string;
  merchantId: string;
  token: string;
  status: PayoutStatus;
  amount: string | null;
  destination: string | null;
  operationId: number;
  scheduled: boolean;
  transactionHash: string | null;
  failure: { code: string; message: string } | null;
  createdAt: number;
  updatedAt: number;
}

interface PayoutRecord {
  id: string;
  merchant_id: string;
  token: string;
  status: PayoutStatus;
  amount: string | null;
  destination: string | null;
  operation_id: number;
  scheduled: number;
  transaction_hash: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: number;
  updated_at: number;
}

const toPayout = (r: PayoutRecord): Payout => ({
  id: r.id,
  merchantId: r.merchant_id,
  token: r.token,
  status: r.status,
  amount: r.amount,
  destination: r.destination,
  operationId: r.operation_id,
  scheduled: r.scheduled === 1,
  transactionHash: r.transaction_hash,
  failure: r.failure_code ? { code: r.failure_code, message: r.failure_message ?? "" } : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const payouts = {
  async insert(sql: Sql, p: { id: string; merchantId: string; token: string; operationId: number; scheduled: boolean }, now: number): Promise<void> {
    await sql.run(
      `INSERT INTO payouts (id, merchant_id, token, status, operation_id, scheduled, created_at, updated_at)
       VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`,
      p.id, p.merchantId, p.token, p.operationId, p.scheduled ? 1 : 0, now, now,
    );
  },

  async pendingFor(sql: Sql, merchantId: string, token: string): Promise<Payout | undefined> {
    const r = await sql.get<PayoutRecord>("SELECT * FROM payouts WHERE merchant_id = ? AND token = ? AND status = 'pending'", merchantId, token);
    return r && toPayout(r);
  },

  async byOperation(sql: Sql, operationId: number): Promise<Payout | undefined> {
    const r = await sql.get<PayoutRecord>("SELECT * FROM payouts WHERE operation_id = ?", operationId);
    return r && toPayout(r);
  },

  async getForMerchant(sql: Sql, merchantId: string, id: string): Promise<Payout | undefined> {
    const r = await sql.get<PayoutRecord>("SELECT * FROM payouts WHERE id = ? AND merchant_id = ?", id, merchantId);
    return r && toPayout(r);
  },

  async list(sql: Sql, merchantId: string, page: { limit: number; startingAfter?: string }): Promise<{ data: Payout[]; hasMore: boolean }> {
    const params: (string | number)[] = [merchantId];
    let where = "merchant_id = ?";
    if (page.startingAfter) {
      const cursor = await sql.get<{ created_at: number }>("SELECT created_at FROM payouts WHERE id = ? AND merchant_id = ?", page.startingAfter, merchantId);
      if (!cursor) return { data: [], hasMore: false };
      where += " AND (created_at < ? OR (created_at = ? AND id < ?))";
      params.push(cursor.created_at, cursor.created_at, page.startingAfter);
    }
    const rows = await sql.all<PayoutRecord>(`SELECT * FROM payouts WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ?`, ...params, page.limit + 1);
    return { data: rows.slice(0, page.limit).map(toPayout), hasMore: rows.length > page.limit };
  },

  async settle(
    sql: Sql,
    id: string,
    result: { status: "paid" | "failed"; amount: string | null; destination: string | null; transactionHash: string; failure: { code: string; message: string } | null },
    now: number,
  ): Promise<void> {
    await sql.run(
      `UPDATE payouts SET status = ?, amount = ?, destination = ?, transaction_hash = ?, failure_code = ?, failure_message = ?,
         updated_at = ? WHERE id = ?`,
      result.status, result.amount, result.destination, result.transactionHash, result.failure?.code ?? null,
      result.failure?.message ?? null, now, id,
    );
  },
};

// KYC changes requested by compliance officers, and where each stands on chain.
import type { Sql } from "./database.js";

export type KycAction = "set" | "freeze" | "unfreeze";

export interface KycChange {
  id: string;
  address: string;
  action: KycAction;
  tier: number | null;
  country: string | null;
  expiresAt: number | null;
  dossierHash: string | null;
  reason: string;
  status: "pending" | "confirmed" | "failed";
  operationId: number;
  requestedBy: string;
  transactionHash: string | null;
  failure: { code: string; message: string } | null;
  createdAt: number;
  updatedAt: number;
}

interface Record_ {
  id: string;
  address: string;
  action: KycAction;
  tier: number | null;
  country: string | null;
  expires_at: number | null;
  dossier_hash: string | null;
  reason: string;
  status: KycChange["status"];
  operation_id: number;
  requested_by: string;
  transaction_hash: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: number;
  updated_at: number;
}

const toChange = (r: Record_): KycChange => ({
  id: r.id,
  address: r.address,
  action: r.action,
  tier: r.tier,
  country: r.country,
  expiresAt: r.expires_at,
  dossierHash: r.dossier_hash,
  reason: r.reason,
  status: r.status,
  operationId: r.operation_id,
  requestedBy: r.requested_by,
  transactionHash: r.transaction_hash,
  failure: r.failure_code ? { code: r.failure_code, message: r.failure_message ?? "" } : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const kycChanges = {
  async insert(sql: Sql, c: Omit<KycChange, "status" | "transactionHash" | "failure" | "updatedAt">): Promise<void> {
    await sql.run(
      `INSERT INTO kyc_changes (id, address, action, tier, country, expires_at, dossier_hash, reason, status, operation_id,
         requested_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
      c.id, c.address, c.action, c.tier, c.country, c.expiresAt, c.dossierHash, c.reason, c.operationId, c.requestedBy,
      c.createdAt, c.createdAt,
    );
  },

  async get(sql: Sql, id: string): Promise<KycChange | undefined> {
    const r = await sql.get<Record_>("SELECT * FROM kyc_changes WHERE id = ?", id);
    return r && toChange(r);
  },

  async byOperation(sql: Sql, operationId: number): Promise<KycChange | undefined> {
    const r = await sql.get<Record_>("SELECT * FROM kyc_changes WHERE operation_id = ?", operationId);
    return r && toChange(r);
  },

  async pendingFor(sql: Sql, address: string): Promise<KycChange | undefined> {
    const r = await sql.get<Record_>("SELECT * FROM kyc_changes WHERE address = ? AND status = 'pending' ORDER BY created_at DESC LIMIT 1", address);
    return r && toChange(r);
  },

  async list(sql: Sql, page: { limit: number; startingAfter?: string; address?: string }): Promise<{ data: KycChange[]; hasMore: boolean }> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (page.address) {
      where.push("address = ?");
      params.push(page.address);
    }
    if (page.startingAfter) {
      const cursor = await sql.get<{ created_at: number }>("SELECT created_at FROM kyc_changes WHERE id = ?", page.startingAfter);
      if (!cursor) return { data: [], hasMore: false };
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      params.push(cursor.created_at, cursor.created_at, page.startingAfter);
    }
    const rows = await sql.all<Record_>(
      `SELECT * FROM kyc_changes ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
      ...params,
      page.limit + 1,
    );
    return { data: rows.slice(0, page.limit).map(toChange), hasMore: rows.length > page.limit };
  },

  async settle(sql: Sql, id: string, result: { ok: boolean; transactionHash: string; failure: { code: string; message: string } | null }, now: number): Promise<void> {
    await sql.run(
      "UPDATE kyc_changes SET status = ?, transaction_hash = ?, failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?",
      result.ok ? "confirmed" : "failed", result.transactionHash, result.failure?.code ?? null, result.failure?.message ?? null, now, id,
    );
  },
};

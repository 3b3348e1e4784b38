// API keys: the secret is shown once at creation and stored only as its SHA-256 hash.
// A key is found by the hash of the presented secret (an indexed lookup on a value the caller cannot
// steer byte by byte), then the hashes are compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

import { newId } from "../domain/ids.js";
import type { Principal, Scope } from "../domain/principal.js";
import type { Database, Sql } from "./database.js";

export const SCOPE_PREFIX: Record<Scope, string> = {
  merchant: "mer",
  compliance: "cmp",
  auditor: "aud",
  admin: "adm",
};

export interface ApiKey {
  id: string;
  scope: Scope;
  merchantId: string | null;
  label: string;
  createdAt: number;
  revokedAt: number | null;
}

export type NewApiKey = { label: string } & ({ scope: "merchant"; merchantId: string } | { scope: Exclude<Scope, "merchant"> });

export const hashSecret = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex");

export const generateSecret = (scope: Scope): string => `sk_${SCOPE_PREFIX[scope]}_${randomBytes(32).toString("base64url")}`;

const COLUMNS = "id, scope, merchant_id AS merchantId, label, created_at AS createdAt, revoked_at AS revokedAt";

export const apiKeys = {
  /** Creates a key; `secret` is returned only here and never stored. */
  async create(sql: Sql, input: NewApiKey, now: number): Promise<{ key: ApiKey; secret: string }> {
    const secret = generateSecret(input.scope);
    const key: ApiKey = {
      id: newId("key"),
      scope: input.scope,
      merchantId: input.scope === "merchant" ? input.merchantId : null,
      label: input.label,
      createdAt: now,
      revokedAt: null,
    };
    await sql.run(
      "INSERT INTO api_keys (id, secret_hash, scope, merchant_id, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      key.id, hashSecret(secret), key.scope, key.merchantId, key.label, key.createdAt,
    );
    return { key, secret };
  },

  /** Revokes a key; false if it does not exist or was already revoked. */
  async revoke(sql: Sql, id: string, now: number): Promise<boolean> {
    return (await sql.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id)).changes === 1;
  },

  async get(sql: Sql, id: string): Promise<ApiKey | undefined> {
    const row = await sql.get<ApiKey>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`, id);
    return row === undefined ? undefined : { ...row };
  },

  async list(sql: Sql, filter: { merchantId?: string } = {}): Promise<ApiKey[]> {
    const rows = filter.merchantId === undefined
      ? await sql.all<ApiKey>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`)
      : await sql.all<ApiKey>(`SELECT ${COLUMNS} FROM api_keys WHERE merchant_id = ? ORDER BY created_at, id`, filter.merchantId);
    return rows.map((row) => ({ ...row }));
  },

  /** The principal of an active key with this secret, or undefined. */
  async verify(sql: Sql, secret: string): Promise<Principal | undefined> {
    const presented = hashSecret(secret);
    const row = await sql.get<{ id: string; secretHash: string; scope: Scope; merchantId: string | null }>(
      "SELECT id, secret_hash AS secretHash, scope, merchant_id AS merchantId FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL",
      presented,
    );
    if (row === undefined) return undefined;
    if (!timingSafeEqual(Buffer.from(row.secretHash, "hex"), Buffer.from(presented, "hex"))) return undefined;
    return row.merchantId === null ? { keyId: row.id, scope: row.scope } : { keyId: row.id, scope: row.scope, merchantId: row.merchantId };
  },
};

/** The ApiKeyVerifier (http/auth.ts) backed by the database. */
export const databaseKeyVerifier = (db: Database) => ({
  verify: (secret: string): Promise<Principal | undefined> => db.read((sql) => apiKeys.verify(sql, secret)),
});

// Administration shared by the admin CLI and the demo start: merchants mirrored from the escrow, API keys.
import type { ApiKey, NewApiKey } from "../persistence/api-keys.js";
import { apiKeys } from "../persistence/api-keys.js";
import type { Database, Sql } from "../persistence/database.js";
import { merchants, type Merchant } from "../persistence/merchants.js";

export interface OnChainMerchant {
  settlementAddress: string;
  feeBps: number;
  partner: string;
  partnerShareBps: number;
  active: boolean;
}

export type AdminErrorCode =
  | "merchant_not_active"
  | "merchant_exists"
  | "merchant_not_found"
  | "api_key_not_found"
  | "api_key_already_revoked"
  | "receivables_already_enabled";

/** A refusal an operator can act on (the CLI prints the message and exits non-zero); not a programming error. */
export class AdminError extends Error {
  constructor(readonly code: AdminErrorCode, message: string) {
    super(message);
    this.name = "AdminError";
  }
}

/**
 * Registers a merchant in the relayer. Its fee terms must be what the escrow has for its address (the escrow
 * refuses payments with other terms), so they are taken from the chain, not typed in twice.
 */
export async function registerMerchant(
  db: Database,
  input: { name: string; address: string },
  onChain: OnChainMerchant,
  now: number,
): Promise<Merchant> {
  if (!onChain.active) {
    throw new AdminError(
      "merchant_not_active",
      `${input.address} is not an active merchant on the escrow: an admin must call setMerchant first`,
    );
  }
  return db.transaction(async (sql) => {
    const existing = await merchants.getByAddress(sql, input.address);
    if (existing) {
      throw new AdminError("merchant_exists", `a merchant with address ${input.address} already exists (${existing.id})`);
    }
    return await merchants.create(
      sql,
      {
        name: input.name,
        address: input.address,
        settlementAddress: onChain.settlementAddress,
        feeBps: onChain.feeBps,
        partner: onChain.partner,
        partnerShareBps: onChain.partnerShareBps,
      },
      now,
    );
  });
}

/**
 * Enables an account for receivables (supply-chain finance): a supplier, debtor or financier acts through the
 * same kind of account and API key as a merchant. An existing merchant (a core enterprise that also takes
 * payments) gains the capability; a new address gets a receivables-only account, whose fee terms are unused
 * (payment intents are refused for it) and are filled with neutral values. Enabling it again changes nothing
 * (the demo start runs it on every start).
 */
export async function enableReceivables(db: Database, input: { name: string; address: string }, now: number): Promise<Merchant> {
  return db.transaction((sql) => enableByAddress(sql, input, now));
}

/**
 * The admin CLI's: enables receivables for the account `merchantId`, or (with an address) for the account of that
 * address, created receivables-only if there is none. Refuses an unknown id and an account already enabled.
 */
export async function grantReceivables(
  db: Database,
  target: { merchantId: string } | { name: string; address: string },
  now: number,
): Promise<{ merchant: Merchant; created: boolean }> {
  return db.transaction(async (sql) => {
    const existing = "merchantId" in target ? await merchants.get(sql, target.merchantId) : await merchants.getByAddress(sql, target.address);
    if ("merchantId" in target && !existing) throw new AdminError("merchant_not_found", `no merchant ${target.merchantId} in this database`);
    if (existing?.capabilities.includes("receivables")) {
      throw new AdminError("receivables_already_enabled", `${existing.id} (${existing.address}) is already enabled for receivables`);
    }
    const merchant = existing ? await enableByAddress(sql, existing, now) : await enableByAddress(sql, target as { name: string; address: string }, now);
    return { merchant, created: !existing };
  });
}

async function enableByAddress(sql: Sql, input: { name: string; address: string }, now: number): Promise<Merchant> {
  const existing = await merchants.getByAddress(sql, input.address);
  if (existing) {
    await merchants.grant(sql, existing.id, "receivables");
    return (await merchants.get(sql, existing.id))!;
  }
  return await merchants.create(
    sql,
    {
      name: input.name,
      address: input.address,
      settlementAddress: input.address,
      feeBps: 0,
      partner: input.address,
      partnerShareBps: 0,
      capabilities: ["receivables"],
    },
    now,
  );
}

/** Every merchant, newest first. */
export function listMerchants(db: Database): Promise<Merchant[]> {
  return db.read(async (sql) => {
    const all: Merchant[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const page = await merchants.list(sql, startingAfter === undefined ? { limit: 100 } : { limit: 100, startingAfter });
      all.push(...page.data);
      if (!page.hasMore) return all;
      startingAfter = page.data.at(-1)?.id;
    }
  });
}

/** Issues an API key; the secret is returned once and stored only as a hash. A merchant key needs its merchant. */
export function issueApiKey(db: Database, input: NewApiKey, now: number): Promise<{ key: ApiKey; secret: string }> {
  return db.transaction(async (sql) => {
    if (input.scope === "merchant" && await merchants.get(sql, input.merchantId) === undefined) {
      throw new AdminError("merchant_not_found", `no merchant ${input.merchantId} in this database`);
    }
    return await apiKeys.create(sql, input, now);
  });
}

/** Revokes a key at once: the next request presenting it is refused. */
export function revokeApiKey(db: Database, id: string, now: number): Promise<ApiKey> {
  return db.transaction(async (sql) => {
    const key = await apiKeys.get(sql, id);
    if (key === undefined) throw new AdminError("api_key_not_found", `no API key ${id} in this database`);
    if (key.revokedAt !== null) {
      throw new AdminError("api_key_already_revoked", `the API key ${id} was already revoked at ${new Date(key.revokedAt).toISOString()}`);
    }
    await apiKeys.revoke(sql, id, now);
    return { ...key, revokedAt: now };
  });
}

/** Keys (never their secrets or hashes), optionally of one merchant, which must exist. */
export function listApiKeys(db: Database, filter: { merchantId?: string } = {}): Promise<ApiKey[]> {
  return db.read(async (sql) => {
    if (filter.merchantId !== undefined && await merchants.get(sql, filter.merchantId) === undefined) {
      throw new AdminError("merchant_not_found", `no merchant ${filter.merchantId} in this database`);
    }
    return await apiKeys.list(sql, filter);
  });
}

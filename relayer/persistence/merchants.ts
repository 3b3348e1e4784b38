// Merchants: the businesses the relayer settles for, mirrored from the escrow's merchant registry.
import { getAddress } from "ethers";

import { newId } from "../domain/ids.js";
import type { Sql } from "./database.js";

export interface Merchant {
  id: string;
  name: string;
  /** The merchant's on-chain address (EIP-55). */
  address: string;
  settlementAddress: string;
  feeBps: number;
  partner: string;
  partnerShareBps: number;
  /** What the account may use: escrow payments, receivables (supply-chain finance), or both. */
  capabilities: Capability[];
  createdAt: number;
}

export const CAPABILITIES = ["payments", "receivables"] as const;
export type Capability = (typeof CAPABILITIES)[number];

export type NewMerchant = Omit<Merchant, "id" | "createdAt" | "capabilities"> & { capabilities?: Capability[] };

// node:sqlite rows have a null prototype; callers get plain objects.
type MerchantRow = Omit<Merchant, "capabilities"> & { capabilities: string };
const plain = (row: MerchantRow | undefined): Merchant | undefined =>
  row === undefined ? undefined : { ...row, capabilities: JSON.parse(row.capabilities) as Capability[] };

const COLUMNS = `id, name, address, settlement_address AS settlementAddress, fee_bps AS feeBps, partner,
  partner_share_bps AS partnerShareBps, capabilities, created_at AS createdAt`;

export const merchants = {
  /** Inserts a merchant; addresses are stored checksummed, so lookups by address ignore case. */
  async create(sql: Sql, input: NewMerchant, now: number): Promise<Merchant> {
    const merchant: Merchant = {
      id: newId("mer"),
      name: input.name,
      address: getAddress(input.address.toLowerCase()),
      settlementAddress: getAddress(input.settlementAddress.toLowerCase()),
      feeBps: input.feeBps,
      partner: getAddress(input.partner.toLowerCase()),
      partnerShareBps: input.partnerShareBps,
      capabilities: [...new Set<Capability>(input.capabilities ?? ["payments"])],
      createdAt: now,
    };
    await sql.run(
      `INSERT INTO merchants (id, name, address, settlement_address, fee_bps, partner, partner_share_bps, capabilities, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      merchant.id, merchant.name, merchant.address, merchant.settlementAddress, merchant.feeBps, merchant.partner,
      merchant.partnerShareBps, JSON.stringify(merchant.capabilities), merchant.createdAt,
    );
    return merchant;
  },

  async get(sql: Sql, id: string): Promise<Merchant | undefined> {
    return plain(await sql.get<MerchantRow>(`SELECT ${COLUMNS} FROM merchants WHERE id = ?`, id));
  },

  async getByAddress(sql: Sql, address: string): Promise<Merchant | undefined> {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return undefined;
    return plain(await sql.get<MerchantRow>(`SELECT ${COLUMNS} FROM merchants WHERE address = ?`, getAddress(address.toLowerCase())));
  },

  /** Newest first; `startingAfter` is the last id of the previous page. Fetches one extra row for has_more. */
  /** Grants `capability` to the account (idempotent). */
  async grant(sql: Sql, id: string, capability: Capability): Promise<void> {
    const merchant = await merchants.get(sql, id);
    if (!merchant || merchant.capabilities.includes(capability)) return;
    await sql.run("UPDATE merchants SET capabilities = ? WHERE id = ?", JSON.stringify([...merchant.capabilities, capability]), id);
  },

  async list(sql: Sql, page: { limit: number; startingAfter?: string }): Promise<{ data: Merchant[]; hasMore: boolean }> {
    const cursor = page.startingAfter === undefined ? undefined : await sql.get<{ createdAt: number }>(
      "SELECT created_at AS createdAt FROM merchants WHERE id = ?", page.startingAfter,
    );
    const rows = cursor === undefined
      ? await sql.all<MerchantRow>(`SELECT ${COLUMNS} FROM merchants ORDER BY created_at DESC, id DESC LIMIT ?`, page.limit + 1)
      : await sql.all<MerchantRow>(
          `SELECT ${COLUMNS} FROM merchants WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`,
          cursor.createdAt, page.startingAfter ?? "", page.limit + 1,
        );
    return { data: rows.slice(0, page.limit).map((row) => plain(row)!), hasMore: rows.length > page.limit };
  },
};

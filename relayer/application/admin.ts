// Administration shared by the admin CLI and the demo start: merchants mirrored from the escrow, API keys.
import type { ApiKey, NewApiKey } from "../persistence/api-keys.js";
import { apiKeys } from "../persistence/api-keys.js";
import type { Database } from "../persistence/database.js";
import { merchants, type Merchant } from "../persistence/merchants.js";

export interface OnChainMerchant {
  settlementAddress: string;
  feeBps: number;
  partner: string;
  partnerShareBps: number;
  active: boolean;
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
    throw new Error(`${input.address} is not an active merchant on the escrow: an admin must call setMerchant first`);
  }
  return db.transaction((sql) => {
    if (merchants.getByAddress(sql, input.address)) throw new Error(`a merchant with address ${input.address} already exists`);
    return merchants.create(
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

/** Issues an API key; the secret is returned once and stored only as a hash. */
export function issueApiKey(db: Database, input: NewApiKey, now: number): Promise<{ key: ApiKey; secret: string }> {
  return db.transaction((sql) => apiKeys.create(sql, input, now));
}

// The chain the database belongs to. A relayer never mixes two chains in one database.
import type { Database } from "./database.js";

export interface ChainIdentity {
  chainId: number;
  genesisHash: string;
  escrow: string;
  token: string;
  kycRegistry: string;
}

/** Records the identity on first start; refuses to start against anything else afterwards. */
export async function ensureChainIdentity(db: Database, identity: ChainIdentity): Promise<void> {
  await db.transaction(async (sql) => {
    const stored = Object.fromEntries((await sql.all<{ key: string; value: string }>("SELECT key, value FROM meta")).map((r) => [r.key, r.value]));
    const wanted: Record<string, string> = {
      chain_id: String(identity.chainId),
      genesis_hash: identity.genesisHash.toLowerCase(),
      escrow: identity.escrow.toLowerCase(),
      token: identity.token.toLowerCase(),
      kyc_registry: identity.kycRegistry.toLowerCase(),
    };
    if (stored.chain_id === undefined) {
      for (const [key, value] of Object.entries(wanted)) await sql.run("INSERT INTO meta (key, value) VALUES (?, ?)", key, value);
      return;
    }
    const differences = Object.entries(wanted).filter(([key, value]) => stored[key] !== value);
    if (differences.length > 0) {
      throw new Error(
        `The database ${db.location} belongs to another chain or deployment (${differences
          .map(([key, value]) => `${key}: stored ${stored[key]}, now ${value}`)
          .join("; ")}). A local development chain is ephemeral: ${db.dialect === "postgres" ? "drop and create the database" : "delete the database file"} to start fresh against a new chain.`,
      );
    }
  });
}

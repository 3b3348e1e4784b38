// Leases: which relayer instance drives a signer key (or follows the chain) at a time, when several share one
// database. A lease has a holder, an expiry and a fencing token that grows every time the lease changes hands.
// Times are the database's clock, so instances on machines with skewed clocks still agree on expiry.
// A holder checks its token in the same transaction as every write it makes for the lease (`fence`): a holder that
// was paused past its expiry and wakes up finds a newer token and writes nothing (PostgreSQL runs transactions
// SERIALIZABLE, so the check and the write cannot be split by a takeover).
import type { Dialect, Sql } from "./database.js";

export interface Lease {
  name: string;
  holder: string;
  token: number;
  expiresAt: number;
}

/** The holder's lease was taken over (or expired): the write that checked it is rolled back. */
export class LeaseLostError extends Error {
  constructor(readonly lease: string, readonly token: number) {
    super(`lease ${lease} (token ${token}) is no longer held: another instance took it over`);
  }
}

/** The database's clock, in Unix milliseconds. */
export function databaseNow(dialect: Dialect): string {
  return dialect === "postgres" ? "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)" : "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
}

interface LeaseRecord {
  name: string;
  holder: string;
  token: number;
  expires_at: number;
}

const toLease = (r: LeaseRecord): Lease => ({ name: r.name, holder: r.holder, token: r.token, expiresAt: r.expires_at });

export const leases = {
  /**
   * Takes `name` for `holder` for `ttlMs` if it is free, expired or already `holder`'s (then it is renewed, same
   * token). A lease that changes hands (or that its holder lets expire) gets the next token. Undefined when
   * another holder has it. `fromDeadHolder`: also take it from that holder, known to be dead, before it expires.
   */
  async acquire(sql: Sql, name: string, holder: string, ttlMs: number, options: { fromDeadHolder?: string } = {}): Promise<Lease | undefined> {
    const now = databaseNow(sql.dialect);
    const row = await sql.get<LeaseRecord>(
      `INSERT INTO leases (name, holder, token, expires_at) VALUES (?, ?, 1, ${now} + ?)
       ON CONFLICT (name) DO UPDATE SET
         token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ${now} THEN leases.token ELSE leases.token + 1 END,
         holder = excluded.holder,
         expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= ${now} OR leases.holder = ?
       RETURNING name, holder, token, expires_at`,
      name,
      holder,
      ttlMs,
      options.fromDeadHolder ?? null,
    );
    return row && toLease(row);
  },

  /** Throws LeaseLostError unless `holder` still holds `name` with `token`, unexpired. */
  async fence(sql: Sql, name: string, holder: string, token: number): Promise<void> {
    const held = await sql.get(
      `SELECT 1 AS held FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires_at > ${databaseNow(sql.dialect)}`,
      name,
      holder,
      token,
    );
    if (!held) throw new LeaseLostError(name, token);
  },

  /** Gives the lease up at once (a clean shutdown), so another instance need not wait for it to expire. */
  async release(sql: Sql, name: string, holder: string, token: number): Promise<void> {
    await sql.run("UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ? AND token = ?", name, holder, token);
  },

  async get(sql: Sql, name: string): Promise<Lease | undefined> {
    const row = await sql.get<LeaseRecord>("SELECT name, holder, token, expires_at FROM leases WHERE name = ?", name);
    return row && toLease(row);
  },

  async all(sql: Sql): Promise<Lease[]> {
    return (await sql.all<LeaseRecord>("SELECT name, holder, token, expires_at FROM leases ORDER BY name")).map(toLease);
  },
};

// Keeps this instance's leases: every `renewMs` it tries to take or renew each lease it wants (a signer key per
// lane, and the chain follower: indexer, projections and scheduled work), on a timer of its own so a long worker
// round cannot let a lease lapse. The worker asks `token(name)` before driving a lease's work, and passes
// `fence(name)` into the transactions that write for it. A lease whose renewal has not succeeded for its TTL is
// treated as lost here too, whatever the database says, so an instance cut off from the database stops at once.
import type { Database, Sql } from "../persistence/database.js";
import { LeaseLostError, leases } from "../persistence/leases.js";

export interface LeaseKeeperOptions {
  /** How long a lease lasts without renewal: the bound on a takeover is about ttl + renew interval. */
  ttlMs: number;
  renewMs: number;
}

/**
 * A holder that is certainly dead: a process of this machine (same host name, by the holder's
 * `host:pid:suffix` form) that no longer exists. Its leases are taken at once instead of after their TTL, so a
 * relayer restarted after a crash does not wait for its own old leases. If the guess is ever wrong (a reused pid
 * looks alive: no harm, the TTL applies; two machines with one host name), fencing still stops the old holder.
 */
export function deadLocalHolder(holder: string, host: string, isAlive: (pid: number) => boolean): boolean {
  const [holderHost, pidText] = holder.split(":");
  const pid = Number(pidText);
  return holderHost === host && Number.isInteger(pid) && pid > 0 && !isAlive(pid);
}

export interface LeaseEvents {
  acquired(name: string, token: number): void;
  lost(name: string, token: number): void;
}

export class LeaseKeeper {
  readonly #held = new Map<string, { token: number; validUntil: number }>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    /** This instance, unique across instances and restarts. */
    readonly holder: string,
    private readonly names: readonly string[],
    private readonly options: LeaseKeeperOptions,
    private readonly events: LeaseEvents,
    private readonly now: () => number = Date.now,
    /** Whether the current holder of a lease is known to be dead (default: never). */
    private readonly isDead: (holder: string) => boolean = () => false,
  ) {}

  /** Takes what it can at once, then keeps renewing in the background (one round at a time, however slow). */
  async start(): Promise<void> {
    await this.renew();
    let busy = false;
    this.#timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.#renewing = this.renew()
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, this.options.renewMs);
  }

  /** One round of taking and renewing. */
  async renew(): Promise<void> {
    for (const name of this.names) {
      const started = this.now();
      try {
        const lease = await this.db.transaction(async (sql) => {
          const current = await leases.get(sql, name);
          const fromDeadHolder = current && current.holder !== this.holder && this.isDead(current.holder) ? current.holder : undefined;
          return leases.acquire(sql, name, this.holder, this.options.ttlMs, fromDeadHolder ? { fromDeadHolder } : {});
        });
        // token() may have dropped an expired lease (and reported it lost) while this request was out.
        const held = this.#held.get(name);
        if (lease) {
          if (held && held.token !== lease.token) this.events.lost(name, held.token);
          if (!held || held.token !== lease.token) this.events.acquired(name, lease.token);
          // Counted from before the request: the database's expiry is no earlier than this.
          this.#held.set(name, { token: lease.token, validUntil: started + this.options.ttlMs });
        } else if (held) {
          this.#held.delete(name);
          this.events.lost(name, held.token);
        }
      } catch {
        // The database is unreachable: the lease stays ours only until its TTL runs out (see token()).
      }
    }
  }

  /** The fencing token if this instance holds `name` now, else undefined. */
  token(name: string): number | undefined {
    const held = this.#held.get(name);
    if (!held) return undefined;
    if (this.now() >= held.validUntil) {
      this.#held.delete(name);
      this.events.lost(name, held.token);
      return undefined;
    }
    return held.token;
  }

  /** For the transactions that write for `name`: throws LeaseLostError unless the lease is still ours. */
  fence(name: string): (sql: Sql) => Promise<void> {
    return async (sql) => {
      const last = this.#held.get(name)?.token ?? 0; // before token() drops an expired lease
      const token = this.token(name);
      if (token === undefined) throw new LeaseLostError(name, last);
      await leases.fence(sql, name, this.holder, token);
    };
  }

  /** Stops renewing and gives every lease up, so other instances take over without waiting for the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    for (const [name, { token }] of this.#held) {
      await this.db.transaction((sql) => leases.release(sql, name, this.holder, token)).catch(() => undefined);
    }
    this.#held.clear();
  }
}

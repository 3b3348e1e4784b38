// Several relayer processes on one PostgreSQL database, for the multi-instance tests: each instance is a
// ChildRelayer kept running (a killed one comes back as a new process, hence a new lease holder). The test finds
// which process holds a lease from the `leases` table (holder ids are hostname:pid:random), routes merchants'
// requests to a random instance that is up, and can take an instance out of the rotation while it is paused.
import { setTimeout as sleep } from "node:timers/promises";

import type { Database } from "../../../relayer/persistence/database.js";
import { leases, type Lease } from "../../../relayer/persistence/leases.js";
import { ChildRelayer } from "../support/child-relayer.js";
import type { RelayerTarget } from "../crash/merchant-client.js";

/** The lease an instance takes to drive a signer key (as relayer/main.ts names it). */
export const signerLease = (address: string) => `signer:${address.toLowerCase()}`;

/** The process id inside a default instance id (`host:pid:random`). */
export function holderPid(holder: string): number | undefined {
  const match = /:(\d+):[0-9a-f]+$/.exec(holder);
  return match ? Number(match[1]) : undefined;
}

export class Cluster {
  readonly instances: ChildRelayer[];
  /** Instances that get no new requests (paused ones: a request to them would hang). */
  readonly #outOfRotation = new Set<ChildRelayer>();

  constructor(
    private readonly db: Database,
    count: number,
    env: (index: number) => Record<string, string>,
    logFile: (index: number) => string,
  ) {
    this.instances = Array.from({ length: count }, (_, index) => new ChildRelayer(env(index), { logFile: logFile(index) }));
  }

  /** Starts every instance, restarted after each death, and waits until all listen. */
  async start(): Promise<void> {
    for (const instance of this.instances) instance.keepRunning(true);
    await Promise.all(this.instances.map((instance) => instance.ready()));
  }

  async stop(): Promise<void> {
    for (const instance of this.instances) instance.signal("SIGCONT"); // a paused process would not see SIGTERM
    await Promise.all(this.instances.map((instance) => instance.stop()));
  }

  async lease(name: string): Promise<Lease | undefined> {
    return (await this.db.read((sql) => leases.all(sql))).find((lease) => lease.name === name);
  }

  /** The running instance that holds `name` now, with the lease; waits for one (a dead holder's lease may not have expired yet). */
  async holderOf(name: string, timeoutMs = 30_000): Promise<{ instance: ChildRelayer; lease: Lease }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lease = await this.lease(name);
      const pid = lease && holderPid(lease.holder);
      const instance = this.instances.find((candidate) => candidate.pid !== undefined && candidate.pid === pid);
      if (lease && instance) return { instance, lease };
      if (Date.now() > deadline) throw new Error(`no running instance held ${name} within ${timeoutMs} ms (lease: ${JSON.stringify(lease)})`);
      await sleep(100);
    }
  }

  /** Waits until another holder has `name` with a higher token than `previous`; resolves with the new lease. */
  async takeover(name: string, previous: Lease, timeoutMs = 60_000): Promise<Lease> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lease = await this.lease(name);
      if (lease && lease.holder !== previous.holder && lease.token > previous.token) return lease;
      if (Date.now() > deadline) throw new Error(`nobody took ${name} over from ${previous.holder} within ${timeoutMs} ms (lease: ${JSON.stringify(lease)})`);
      await sleep(100);
    }
  }

  outOfRotation(instance: ChildRelayer, out: boolean): void {
    if (out) this.#outOfRotation.add(instance);
    else this.#outOfRotation.delete(instance);
  }

  /**
   * Where one merchant sends its requests: a random instance that is up and in the rotation, picked afresh for
   * every attempt. Its generation never changes, so the merchant client retries with the same Idempotency-Key
   * even after a death; a claim a killed instance left in progress is taken over by the server once abandoned.
   */
  target(): RelayerTarget {
    return {
      generation: 0,
      ready: async () => {
        for (;;) {
          const up = this.instances.filter((instance) => instance.url !== undefined && !this.#outOfRotation.has(instance));
          const picked = up[Math.floor(Math.random() * up.length)];
          if (picked?.url) return picked.url;
          // None up: wait for the next start (rejects if the instances cannot start at all).
          await Promise.any(this.instances.filter((instance) => !this.#outOfRotation.has(instance)).map((instance) => instance.ready()));
        }
      },
    };
  }
}

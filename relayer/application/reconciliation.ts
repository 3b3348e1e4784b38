// Reconciliation from the console: the audit library rebuilds the ledger from the chain alone (over the relayer's
// RPC), and its one comparison function, reconcile(), checks it against the relayer's own records read through the
// same AuditPayment mapping as GET /v1/audit/payments. Runs in the background, one at a time; the result is stored.
import { chainViewOf, reconcile, type Rebuild } from "../../audit/index.js";
import { conflict } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import type { Database, Sql } from "../persistence/database.js";
import { reconciliations, type ReconciliationRun } from "../persistence/reconciliations.js";
import { allAuditPayments } from "./audit.js";

/** Differences kept with a run (the total is always kept); the CLI lists every one. */
export const MAX_STORED_DIFFERENCES = 10_000;

/** A run still running after this long is abandoned, whoever ran it (a rebuild of 1,000,000 events takes ~35 s). */
export const ABANDONED_AFTER_MS = 60 * 60_000;

/** The chain side: the audit library's rebuild (audit/chain/rebuild.ts) against this relayer's deployment. */
export type ChainRebuild = () => Promise<Pick<Rebuild, "head" | "ledger" | "violations">>;

export class ReconciliationService {
  #current: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly rebuild: ChainRebuild,
    private readonly now: () => number,
    /** This instance, recorded with the runs it starts. */
    private readonly instance: string = "local",
    /** Whether an instance is certainly gone (a dead process of this machine). */
    private readonly isDead: (instance: string) => boolean = () => false,
  ) {}

  /**
   * A run left running by a stopped process can never finish: mark it failed, at start. A run is abandoned when
   * its instance is certainly gone (or has this instance's name: a previous life of it), when it predates
   * instances being recorded, or when it has run for an hour; a run of another live instance is left alone.
   */
  async recover(): Promise<void> {
    await this.db.transaction((sql) =>
      reconciliations.failAbandoned(sql, this.now(), (instance, startedAt) => instance === this.instance || this.#abandoned(instance, startedAt)),
    );
  }

  #abandoned(instance: string | null, startedAt: number): boolean {
    return instance === null || this.isDead(instance) || this.now() - startedAt >= ABANDONED_AFTER_MS;
  }

  /** Records a new run in the caller's transaction; 409 reconciliation_in_progress while another runs. */
  async begin(sql: Sql, requestedBy: string): Promise<ReconciliationRun> {
    await reconciliations.failAbandoned(sql, this.now(), (instance, startedAt) => this.#abandoned(instance, startedAt));
    const running = await reconciliations.running(sql);
    if (running) throw conflict("reconciliation_in_progress", `Reconciliation ${running.id} is still running; wait for it to finish.`);
    return await reconciliations.start(sql, newId("rec"), requestedBy, this.now(), this.instance);
  }

  /** Runs a begun run in the background (call after its transaction committed). */
  run(id: string): void {
    this.#current = this.#current.then(() => this.#execute(id));
  }

  /** Resolves when the background run (if any) has finished. */
  idle(): Promise<void> {
    return this.#current;
  }

  async #execute(id: string): Promise<void> {
    try {
      const rebuilt = await this.rebuild();
      const chain = [...rebuilt.ledger.payments.values()].map(chainViewOf);
      const relayer = await allAuditPayments(this.db);
      const result = reconcile(chain, relayer);
      await this.db.transaction((sql) =>
        reconciliations.complete(
          sql,
          id,
          {
            headBlock: rebuilt.head.number,
            chainPayments: result.chain_payments,
            relayerRecords: result.relayer_records,
            compared: result.compared,
            differencesTotal: result.differences.length,
            differences: result.differences.slice(0, MAX_STORED_DIFFERENCES),
            violations: rebuilt.violations,
          },
          this.now(),
        ),
      );
    } catch (error) {
      await this.db.transaction((sql) => reconciliations.fail(sql, id, (error as Error).message, this.now())).catch(() => undefined);
    }
  }
}

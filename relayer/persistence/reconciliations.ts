// Reconciliation runs: one row per run, at most one running (a partial unique index), differences stored capped.
import type { Sql } from "./database.js";

export interface ReconciliationRun {
  id: string;
  status: "running" | "completed" | "failed";
  requestedBy: string;
  headBlock: number | null;
  chainPayments: number | null;
  relayerRecords: number | null;
  compared: number | null;
  differencesTotal: number | null;
  differences: unknown[];
  violations: unknown[];
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

interface Record_ {
  id: string;
  status: ReconciliationRun["status"];
  requested_by: string;
  head_block: number | null;
  chain_payments: number | null;
  relayer_records: number | null;
  compared: number | null;
  differences_total: number | null;
  differences: string | null;
  violations: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

const toRun = (r: Record_): ReconciliationRun => ({
  id: r.id,
  status: r.status,
  requestedBy: r.requested_by,
  headBlock: r.head_block,
  chainPayments: r.chain_payments,
  relayerRecords: r.relayer_records,
  compared: r.compared,
  differencesTotal: r.differences_total,
  differences: r.differences ? (JSON.parse(r.differences) as unknown[]) : [],
  violations: r.violations ? (JSON.parse(r.violations) as unknown[]) : [],
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export const reconciliations = {
  async running(sql: Sql): Promise<ReconciliationRun | undefined> {
    const r = await sql.get<Record_>("SELECT * FROM reconciliations WHERE status = 'running'");
    return r && toRun(r);
  },

  async start(sql: Sql, id: string, requestedBy: string, now: number, instance: string): Promise<ReconciliationRun> {
    await sql.run("INSERT INTO reconciliations (id, status, requested_by, started_at, instance) VALUES (?, 'running', ?, ?, ?)", id, requestedBy, now, instance);
    return (await this.get(sql, id))!;
  },

  async get(sql: Sql, id: string): Promise<ReconciliationRun | undefined> {
    const r = await sql.get<Record_>("SELECT * FROM reconciliations WHERE id = ?", id);
    return r && toRun(r);
  },

  async latest(sql: Sql): Promise<ReconciliationRun | undefined> {
    const r = await sql.get<Record_>("SELECT * FROM reconciliations ORDER BY started_at DESC, id DESC LIMIT 1");
    return r && toRun(r);
  },

  async complete(
    sql: Sql,
    id: string,
    result: { headBlock: number; chainPayments: number; relayerRecords: number; compared: number; differencesTotal: number; differences: unknown[]; violations: unknown[] },
    now: number,
  ): Promise<void> {
    await sql.run(
      `UPDATE reconciliations SET status = 'completed', head_block = ?, chain_payments = ?, relayer_records = ?, compared = ?,
         differences_total = ?, differences = ?, violations = ?, finished_at = ? WHERE id = ?`,
      result.headBlock, result.chainPayments, result.relayerRecords, result.compared, result.differencesTotal,
      JSON.stringify(result.differences), JSON.stringify(result.violations), now, id,
    );
  },

  async fail(sql: Sql, id: string, error: string, now: number): Promise<void> {
    await sql.run("UPDATE reconciliations SET status = 'failed', error = ?, finished_at = ? WHERE id = ?", error, now, id);
  },

  /** A run left 'running' by a process that stopped is failed at start, so a new one can begin. */
  /** Fails the running run if `abandoned(instance, startedAt)` says the instance running it is gone. */
  async failAbandoned(sql: Sql, now: number, abandoned: (instance: string | null, startedAt: number) => boolean): Promise<void> {
    const running = await sql.get<{ id: string; instance: string | null; started_at: number }>(
      "SELECT id, instance, started_at FROM reconciliations WHERE status = 'running'",
    );
    if (!running || !abandoned(running.instance, running.started_at)) return;
    await sql.run("UPDATE reconciliations SET status = 'failed', error = 'the relayer stopped during the run', finished_at = ? WHERE id = ?", now, running.id);
  },
};

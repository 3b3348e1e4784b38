// Keeps the auditor's ledger up to date: each round it projects the chain logs the indexer stored since the last
// round (in chain order, with their blocks' times) in one transaction. It only reads chain_logs, so the ledger
// comes from the chain alone, and a database indexed before the ledger existed catches up the same way.
import type { Database } from "../persistence/database.js";
import { ledger } from "../persistence/ledger.js";

/** Unix seconds of each block asked for. */
export type BlockTimes = (blockNumbers: number[]) => Promise<Map<number, number>>;

export class LedgerProjector {
  constructor(
    private readonly db: Database,
    private readonly blockTimes: BlockTimes,
    private readonly batchSize = 2_000,
  ) {}

  /** Projects the next batch of logs; returns how many it projected (0 when caught up). */
  async tick(): Promise<number> {
    const { cursor, logs } = await this.db.read(async (sql) => ({ cursor: await ledger.cursor(sql), logs: await ledger.unprojected(sql, this.batchSize) }));
    if (logs.length === 0) return 0;
    const missing = [...new Set(logs.filter((l) => l.blockTime === null).map((l) => l.blockNumber))];
    const times = missing.length > 0 ? await this.blockTimes(missing) : new Map<number, number>();
    const timed = logs.map((log) => {
      const blockTime = log.blockTime ?? times.get(log.blockNumber);
      if (blockTime === undefined) throw new Error(`no time for block ${log.blockNumber}`);
      return { ...log, blockTime };
    });
    await this.db.transaction(async (sql) => {
      // Fetching block times let others write: project only if nothing moved the cursor (a reorg rewind) meanwhile.
      const now = await ledger.cursor(sql);
      if (now.block === cursor.block && now.log === cursor.log) await ledger.project(sql, timed);
    });
    return logs.length;
  }

  /** Projects until caught up. */
  async catchUp(): Promise<void> {
    while ((await this.tick()) > 0);
  }
}

// Follows the escrow's logs from the deployment block, once they have CONFIRMATIONS blocks, idempotently, and
// detects reorgs by block hash. Logs of transactions the relayer did not send (a buyer's reclaim, a release or a
// refund by another tool) are handed to the domain, so they show up in intents, events and webhooks.
import type { JsonRpcProvider, Log } from "ethers";

import type { Database, Sql } from "../persistence/database.js";
import { ledger } from "../persistence/ledger.js";
import { escrowInterface } from "./escrow-calls.js";

export interface IndexedLog {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  event: string;
  paymentId: string | null;
  /** Named arguments, bigints as decimal strings. */
  args: Record<string, string>;
}

/** Given new logs (and which of them came from others), returns what to apply in the indexer's transaction. */
export type LogHandler = (foreign: IndexedLog[]) => Promise<(sql: Sql) => void>;

export interface IndexerOptions {
  /** Most blocks asked for in one eth_getLogs. */
  maxRange: number;
  /** How many recent range ends keep their hash for reorg detection. */
  keepBlocks: number;
}

export class Indexer {
  readonly #options: IndexerOptions;

  constructor(
    private readonly db: Database,
    private readonly provider: JsonRpcProvider,
    private readonly escrow: string,
    private readonly deploymentBlock: number,
    private readonly confirmations: number,
    private readonly onLogs: LogHandler,
    options: Partial<IndexerOptions> = {},
  ) {
    this.#options = { maxRange: 2_000, keepBlocks: 256, ...options };
  }

  /** Indexes the next range of confirmed blocks. Returns how many logs it stored. */
  async tick(): Promise<number> {
    const safe = (await this.provider.getBlockNumber()) - (this.confirmations - 1);
    const cursor = await this.db.read((sql) => sql.get<{ number: number; hash: string }>("SELECT number, hash FROM indexed_blocks ORDER BY number DESC LIMIT 1"));
    if (cursor) {
      const block = await this.provider.getBlock(cursor.number);
      if (block?.hash !== cursor.hash) {
        await this.#rewind();
        return 0;
      }
    }
    const from = cursor ? cursor.number + 1 : this.deploymentBlock;
    if (from > safe) return 0;
    const to = Math.min(safe, from + this.#options.maxRange - 1);
    const [rawLogs, toBlock] = await Promise.all([
      this.provider.getLogs({ address: this.escrow, fromBlock: from, toBlock: to }),
      this.provider.getBlock(to),
    ]);
    if (!toBlock?.hash) return 0;
    const logs = rawLogs.map(parse).filter((l): l is IndexedLog => l !== null);
    const ours = await this.db.read((sql) => {
      const known = new Set<string>();
      for (const log of logs) {
        if (sql.get("SELECT 1 FROM chain_transaction_hashes WHERE hash = ?", log.txHash)) known.add(log.txHash);
      }
      return known;
    });
    const apply = await this.onLogs(logs.filter((l) => !ours.has(l.txHash)));
    await this.db.transaction((sql) => {
      for (const log of logs) {
        sql.run(
          `INSERT OR IGNORE INTO chain_logs (block_number, block_hash, log_index, tx_hash, event, payment_id, data)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          log.blockNumber, log.blockHash, log.logIndex, log.txHash, log.event, log.paymentId, JSON.stringify(log.args),
        );
      }
      sql.run("INSERT OR REPLACE INTO indexed_blocks (number, hash) VALUES (?, ?)", to, toBlock.hash);
      sql.run(
        "DELETE FROM indexed_blocks WHERE number NOT IN (SELECT number FROM indexed_blocks ORDER BY number DESC LIMIT ?)",
        this.#options.keepBlocks,
      );
      apply(sql);
    });
    return logs.length;
  }

  /** A reorg: go back to the highest indexed block still on the chain and forget everything above it. */
  async #rewind(): Promise<void> {
    const stored = await this.db.read((sql) => sql.all<{ number: number; hash: string }>("SELECT number, hash FROM indexed_blocks ORDER BY number DESC"));
    let keep = this.deploymentBlock - 1;
    for (const block of stored) {
      if ((await this.provider.getBlock(block.number))?.hash === block.hash) {
        keep = block.number;
        break;
      }
    }
    await this.db.transaction((sql) => {
      ledger.rewind(sql, keep); // the auditor's ledger forgets what it projected from the dropped logs
      sql.run("DELETE FROM chain_logs WHERE block_number > ?", keep);
      sql.run("DELETE FROM indexed_blocks WHERE number > ?", keep);
    });
  }
}

function parse(log: Log): IndexedLog | null {
  let parsed;
  try {
    parsed = escrowInterface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
  if (!parsed) return null;
  const args: Record<string, string> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name] = String(parsed.args[i]);
  });
  return {
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    logIndex: log.index,
    txHash: log.transactionHash,
    event: parsed.name,
    paymentId: args.paymentId ?? null,
    args,
  };
}

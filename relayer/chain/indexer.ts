// Follows the logs of the relayer's contracts (the escrow, and the receivable registry when deployed) from the
// deployment block, once they have CONFIRMATIONS blocks, idempotently, and detects reorgs by block hash: one
// cursor, one eth_getLogs over every address per range. Logs of transactions the relayer did not send (a buyer's
// reclaim, a holder's own ERC-721 transfer, anyone's markOverdue) are handed to the domain, so they show up in
// intents, receivables, events and webhooks; the relayer's own are settled by the confirmer, never twice.
//
// A reorg shallower than CONFIRMATIONS never reaches indexed blocks. A deeper one (the stored hash of an indexed
// block changed) rewinds to the highest indexed block still on the chain; the logs above it are handed to the
// domain as dropped (the intents go back to the chain's state, with an event saying so) and forgotten. Whatever
// the new chain holds is then indexed as new. Our own confirmed transactions in orphaned blocks are sent again
// (the same signed bytes) and settled again by the confirmer.
import type { JsonRpcProvider, Log } from "ethers";

import type { Database, Sql } from "../persistence/database.js";
import { chainTransactions } from "../persistence/chain-store.js";
import { ledger } from "../persistence/ledger.js";
import type { LogParser } from "./log-parser.js";

/** A contract the indexer follows: its logs are stored under `name` (chain_logs.contract) and decoded by `parse`. */
export interface FollowedContract {
  name: "escrow" | "receivables";
  address: string;
  parse: LogParser;
}

export interface IndexedLog {
  /** Which followed contract emitted it. */
  contract: FollowedContract["name"];
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
export type LogHandler = (foreign: IndexedLog[]) => Promise<(sql: Sql) => Promise<void>>;

/** Given the logs a deep reorg removed (ours and others'), returns what to apply in the rewind's transaction. */
export type ReorgHandler = (dropped: IndexedLog[]) => Promise<(sql: Sql) => Promise<void>>;

export interface IndexerOptions {
  /** Most blocks asked for in one eth_getLogs. */
  maxRange: number;
  /** How many recent range ends keep their hash for reorg detection. */
  keepBlocks: number;
  /** Runs first in every transaction it writes: throws if this instance no longer holds the chain follower's lease. */
  fence: (sql: Sql) => Promise<void>;
}

export class Indexer {
  readonly #options: IndexerOptions;
  readonly #byAddress: Map<string, FollowedContract>;

  #write<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (sql) => {
      await this.#options.fence(sql);
      return work(sql);
    });
  }

  constructor(
    private readonly db: Database,
    private readonly provider: JsonRpcProvider,
    contracts: readonly FollowedContract[],
    private readonly deploymentBlock: number,
    private readonly confirmations: number,
    private readonly onLogs: LogHandler,
    options: Partial<IndexerOptions> = {},
    private readonly onReorg: ReorgHandler = async () => async () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.#options = { maxRange: 2_000, keepBlocks: 256, fence: async () => {}, ...options };
    this.#byAddress = new Map(contracts.map((c) => [c.address.toLowerCase(), c]));
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
      this.provider.getLogs({ address: [...this.#byAddress.values()].map((c) => c.address), fromBlock: from, toBlock: to }),
      this.provider.getBlock(to),
    ]);
    if (!toBlock?.hash) return 0;
    const logs = rawLogs.map((log) => this.#parse(log)).filter((l): l is IndexedLog => l !== null);
    // Which logs were indexed before (a rewind that found their block still on the chain), and which transactions
    // are ours: one query over the range, one per transaction (a batch's logs share it).
    const [ours, indexed] = await this.db.read(async (sql) => {
      const rows = await sql.all<{ block_number: number; log_index: number; block_hash: string }>(
        "SELECT block_number, log_index, block_hash FROM chain_logs WHERE block_number >= ? AND block_number <= ?",
        from,
        to,
      );
      const storedKeys = new Set(rows.map((r) => `${Number(r.block_number)}:${Number(r.log_index)}:${r.block_hash}`));
      const stored = new Set(logs.filter((log) => storedKeys.has(`${log.blockNumber}:${log.logIndex}:${log.blockHash}`)));
      const known = new Set<string>();
      for (const txHash of new Set(logs.map((log) => log.txHash))) {
        if (await sql.get("SELECT 1 FROM chain_transaction_hashes WHERE hash = ?", txHash)) known.add(txHash);
      }
      return [known, stored] as const;
    });
    const apply = await this.onLogs(logs.filter((l) => !ours.has(l.txHash) && !indexed.has(l)));
    await this.#write(async (sql) => {
      for (const log of logs) {
        await sql.run(
          `INSERT INTO chain_logs (block_number, block_hash, log_index, tx_hash, event, payment_id, data, contract)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          log.blockNumber, log.blockHash, log.logIndex, log.txHash, log.event, log.paymentId, JSON.stringify(log.args), log.contract,
        );
      }
      await sql.run("INSERT INTO indexed_blocks (number, hash) VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET hash = excluded.hash", to, toBlock.hash);
      await sql.run(
        "DELETE FROM indexed_blocks WHERE number NOT IN (SELECT number FROM indexed_blocks ORDER BY number DESC LIMIT ?)",
        this.#options.keepBlocks,
      );
      await apply(sql);
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
    const above = await this.db.read(async (sql) =>
      (await sql.all<{ block_number: number; block_hash: string; log_index: number; tx_hash: string; event: string; payment_id: string | null; data: string; contract: FollowedContract["name"] }>(
        "SELECT * FROM chain_logs WHERE block_number > ? ORDER BY block_number, log_index",
        keep,
      ))
        .map((r): IndexedLog => ({
          contract: r.contract,
          blockNumber: r.block_number,
          blockHash: r.block_hash,
          logIndex: r.log_index,
          txHash: r.tx_hash,
          event: r.event,
          paymentId: r.payment_id,
          args: JSON.parse(r.data) as Record<string, string>,
        })),
    );
    // Only range ends keep their hash: a log above `keep` may still be on the chain, and then it stays indexed.
    const canonical = new Map<number, string | undefined>();
    for (const n of new Set(above.map((log) => log.blockNumber))) canonical.set(n, (await this.provider.getBlock(n))?.hash ?? undefined);
    const dropped = above.filter((log) => canonical.get(log.blockNumber) !== log.blockHash);
    // Our own transactions confirmed above `keep` whose block is gone go back to `signed`: the submitter
    // broadcasts the same bytes again, in nonce order, and the confirmer settles them again once they are mined.
    const confirmed = await this.db.read((sql) =>
      sql.all<{ id: number; mined_hash: string; block_hash: string }>(
        "SELECT id, mined_hash, block_hash FROM chain_transactions WHERE status = 'confirmed' AND block_number > ?",
        keep,
      ),
    );
    const orphaned: number[] = [];
    for (const tx of confirmed) {
      if ((await this.provider.getTransactionReceipt(tx.mined_hash))?.blockHash !== tx.block_hash) orphaned.push(tx.id);
    }
    const apply = await this.onReorg(dropped);
    await this.#write(async (sql) => {
      for (const id of orphaned) await chainTransactions.markUnmined(sql, id, this.now());
      // The auditor's ledger forgets what it projected above `keep`; the logs still on the chain are projected again.
      await ledger.rewind(sql, keep);
      for (const log of dropped) await sql.run("DELETE FROM chain_logs WHERE block_number = ? AND log_index = ?", log.blockNumber, log.logIndex);
      await sql.run("DELETE FROM indexed_blocks WHERE number > ?", keep);
      await apply(sql);
    });
  }

  /** Decodes a log with its contract's events; null for anything else (e.g. role changes). */
  #parse(log: Log): IndexedLog | null {
    const contract = this.#byAddress.get(log.address.toLowerCase());
    const parsed = contract?.parse(log.topics, log.data);
    if (!contract || !parsed) return null;
    const { args } = parsed;
    return {
      contract: contract.name,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      logIndex: log.index,
      txHash: log.transactionHash,
      event: parsed.name,
      paymentId: contract.name === "escrow" ? (args.paymentId ?? null) : null,
      args,
    };
  }
}

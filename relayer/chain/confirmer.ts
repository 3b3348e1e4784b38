// Follows submitted transactions to CONFIRMATIONS blocks, checking the receipts of every hash a transaction
// was ever signed with (replacements included), detecting reorgs by block hash, and settling the operations it
// carried: per item for batches (BatchItemFailed), as a whole otherwise, with reverts classified by their error.
import type { Interface, JsonRpcProvider, TransactionReceipt } from "ethers";

import type { Database, Sql } from "../persistence/database.js";
import { chainTransactions, operations, type ChainTxRow, type OperationRow } from "../persistence/chain-store.js";
import { classifyRevert, type Outcome } from "./revert-reasons.js";
import { escrowInterface } from "./escrow-calls.js";
import { logParser, type LogParser, type ParsedLog } from "./log-parser.js";

const BATCH_ITEM_FAILED = escrowInterface.getEvent("BatchItemFailed")!.topicHash;

export interface SettledOperation {
  operation: OperationRow;
  outcome: Outcome;
  txHash: string;
  blockNumber: number;
  /** The transaction's events (all items of a batch) that the escrow's or the error interfaces' ABIs know, arguments by name as strings. */
  events: ParsedLog[];
}

/**
 * Applies settled operations to the domain (intent state, events). It may read the chain first; what it returns
 * runs inside the confirmer's database transaction, with the operations' own settlement.
 */
export type SettlementHandler = (settled: SettledOperation[]) => Promise<(sql: Sql) => Promise<void>>;

/** What a confirmed transaction carried and spent. */
export interface ConfirmedBatch {
  kind: string;
  items: number;
  failedItems: number;
  gasUsed: bigint;
  succeeded: boolean;
}

export class Confirmer {
  /** The latest block number seen, set before anything it confirms is committed. */
  head = 0;

  constructor(
    private readonly db: Database,
    private readonly provider: JsonRpcProvider,
    private readonly signer: string,
    private readonly confirmations: number,
    private readonly onSettled: SettlementHandler,
    private readonly errorInterfaces: Interface[] = [],
    private readonly now: () => number = Date.now,
    /** Told of each transaction it confirms (metrics, and the submitter's gas per batch item). */
    private readonly onConfirmed: (tx: ChainTxRow, confirmedAt: number, batch: ConfirmedBatch) => void = () => {},
    /** Runs first in every transaction it writes: throws if this instance no longer holds the signer's lease. */
    private readonly fence: (sql: Sql) => Promise<void> = async () => {},
  ) {
    this.#parseLog = logParser([escrowInterface, ...errorInterfaces]);
  }

  /** Decodes the events of the escrow and of the other contracts the lanes call (e.g. the receivable registry). */
  readonly #parseLog: LogParser;

  #write<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (sql) => {
      await this.fence(sql);
      return work(sql);
    });
  }

  /** One round over every transaction in flight. Returns how many changed state. */
  async tick(): Promise<number> {
    const inFlight = await this.db.read((sql) => chainTransactions.inStatus(sql, this.signer, ["submitted", "mined"]));
    if (inFlight.length === 0) return 0;
    const head = await this.provider.getBlockNumber();
    this.head = Math.max(this.head, head);
    let changed = 0;
    for (const tx of inFlight) changed += await this.#follow(tx, head);
    return changed;
  }

  async #follow(tx: ChainTxRow, head: number): Promise<number> {
    const receipt = await this.#receipt(tx);
    if (!receipt) {
      if (tx.status === "mined") {
        // Its block was reorged away and the node has no receipt: the submitter broadcasts the same bytes again.
        await this.#write((sql) => chainTransactions.markUnmined(sql, tx.id, this.now()));
        return 1;
      }
      return 0;
    }
    const mined = { hash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, status: receipt.status ?? 0 };
    const newlyMined = tx.status === "submitted" || tx.blockHash !== receipt.blockHash;
    if (head - receipt.blockNumber + 1 < this.confirmations) {
      if (newlyMined) await this.#write((sql) => chainTransactions.markMined(sql, tx.id, mined, this.now()));
      return tx.status === "submitted" ? 1 : 0;
    }
    const canonical = await this.provider.getBlock(receipt.blockNumber);
    if (canonical?.hash !== receipt.blockHash) return 0; // a reorg in progress: look again next round
    const settled = await this.#outcomes(tx, receipt);
    const apply = await this.onSettled(settled);
    // Mined and confirmed in one transaction when the receipt already has its confirmations (one block, here).
    await this.#write(async (sql) => {
      if (newlyMined) await chainTransactions.markMined(sql, tx.id, mined, this.now());
      await chainTransactions.markConfirmed(sql, tx.id, this.now());
      for (const s of settled) await operations.settle(sql, s.operation.id, s.outcome, this.now());
      await apply(sql);
    });
    this.onConfirmed(tx, this.now(), {
      kind: settled[0]?.operation.kind ?? "",
      items: settled.length,
      failedItems: settled.filter((s) => !s.outcome.ok).length,
      gasUsed: receipt.gasUsed,
      succeeded: receipt.status === 1,
    });
    return 1;
  }

  /** The receipt of whichever signed version of `tx` was mined, if any. */
  async #receipt(tx: ChainTxRow): Promise<TransactionReceipt | null> {
    for (const hash of [...tx.hashes].reverse()) {
      const receipt = await this.provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
    }
    return null;
  }

  async #outcomes(tx: ChainTxRow, receipt: TransactionReceipt): Promise<SettledOperation[]> {
    const ops = await this.db.read((sql) => operations.ofTransaction(sql, tx.id));
    const parsed = receipt.logs.map((log) => this.#parseLog(log.topics, log.data));
    const events = parsed.filter((event): event is ParsedLog => event !== null);
    const settle = (operation: OperationRow, outcome: Outcome): SettledOperation => ({
      operation,
      outcome,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      events,
    });
    if (receipt.status !== 1) {
      const outcome = classifyRevert(await this.#revertData(tx, receipt), this.errorInterfaces);
      return ops.map((op) => settle(op, outcome));
    }
    // Batches report failed items as BatchItemFailed(index, paymentId, reason); every other item succeeded. The
    // escrow's events come first in #parseLog, so a log with this topic was decoded as the escrow's.
    const failedItems = new Map<number, Outcome>();
    receipt.logs.forEach((log, i) => {
      const event = parsed[i];
      if (event && log.topics[0] === BATCH_ITEM_FAILED) {
        failedItems.set(Number(event.args.index), classifyRevert(event.args.reason, this.errorInterfaces));
      }
    });
    return ops.map((op, index) => settle(op, failedItems.get(index) ?? { ok: true }));
  }

  /** Replays the reverted call at its block to read the revert data (receipts do not carry it). */
  async #revertData(tx: ChainTxRow, receipt: TransactionReceipt): Promise<string | undefined> {
    try {
      await this.provider.call({ from: this.signer, to: tx.to, data: tx.data, blockTag: receipt.blockNumber - 1 });
      return undefined;
    } catch (error) {
      const data = (error as { data?: string }).data;
      return typeof data === "string" ? data : undefined;
    }
  }
}

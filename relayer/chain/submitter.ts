// The one writer per signer key. Exactly once, whatever crashes:
//   1. the nonce is allocated and stored (with the operations it carries) before anything is signed;
//   2. the signed raw transaction is stored before it is broadcast;
//   3. on restart, stored raw bytes are broadcast again, never a new transaction for the same operations;
//   4. a transaction stuck in the mempool is replaced at the same nonce with fees raised by >= 10%, every hash kept.
import { isError, type JsonRpcProvider, type Wallet } from "ethers";

import type { Database, Sql } from "../persistence/database.js";
import { chainTransactions, operations, type ChainTxRow, type Shard } from "../persistence/chain-store.js";
import type { Lane } from "./lanes.js";
import { signEip1559 } from "./transaction-signing.js";

/** Osaka (EIP-7825) caps one transaction at 2^24 gas. */
const TRANSACTION_GAS_CAP = 16_777_216n;

export interface SubmitterOptions {
  /** Most operations one batch transaction carries (Osaka caps a transaction at 2^24 gas). */
  batchSize: number;
  /** Most transactions one round sends (consecutive nonces), so a backlog drains without waiting a round each. */
  batchesPerRound: number;
  /** A submitted transaction not mined after this long is re-priced. */
  repriceAfterMs: number;
  /** Fee increase of a replacement, in percent (nodes require at least 10). */
  feeBumpPercent: number;
  /** Gas used when an estimate is impossible (the transaction will revert; the confirmer classifies it). */
  fallbackGasLimit: bigint;
  /** Which of the lane's pending operations this key submits, when the lane has several keys. */
  shard: Shard;
  /**
   * Runs first in every transaction that writes for this key, and throws if this instance no longer holds the
   * key's lease: a holder paused past its lease cannot allocate, sign or record anything once another took over.
   */
  fence: (sql: Sql) => Promise<void>;
}

export const DEFAULT_SUBMITTER_OPTIONS: SubmitterOptions = {
  batchSize: 100,
  batchesPerRound: 4,
  repriceAfterMs: 30_000,
  feeBumpPercent: 20,
  fallbackGasLimit: 2_000_000n,
  shard: { index: 0, count: 1 },
  fence: async () => {},
};

/** Called at named points so crash tests can kill the process exactly there. */
export type Failpoint = (name: "after_nonce_allocation" | "after_raw_persisted" | "after_broadcast") => void;

export class Submitter {
  readonly #options: SubmitterOptions;
  /**
   * Per operation kind, the most gas one item used in a confirmed batch where every item succeeded (the batch's
   * gas used divided by its items, so its own overhead is included). Later batches of that kind get items x this
   * x 1.5 (or the transaction cap, while that leaves 1.25x) instead of an eth_estimateGas, which executes the whole
   * batch on the node (~170 ms for 100 authorizations) while the node is the scarce resource. Gas not used is not paid for. Estimates are not learnt
   * from: items that would fail in the batch cost less, and a limit learnt from them could run a batch of good
   * items out of gas.
   */
  readonly #gasPerItem = new Map<string, bigint>();

  constructor(
    private readonly db: Database,
    private readonly provider: JsonRpcProvider,
    private readonly wallet: Wallet,
    private readonly lane: Lane,
    options: Partial<SubmitterOptions> = {},
    private readonly failpoint: Failpoint = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.#options = { ...DEFAULT_SUBMITTER_OPTIONS, ...options };
  }

  /** A transaction that writes for this key: fenced by the key's lease. */
  #write<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (sql) => {
      await this.#options.fence(sql);
      return work(sql);
    });
  }

  get signer(): string {
    return this.wallet.address;
  }

  /** One round: finish what a crash interrupted, re-price what is stuck, then send new work. Returns work done. */
  async tick(): Promise<number> {
    let done = await this.#resumeUnsent();
    done += await this.#repriceStuck();
    for (let batch = 0; batch < this.#options.batchesPerRound; batch++) {
      const sent = await this.#sendPending();
      if (sent === 0) break;
      done += sent;
    }
    return done;
  }

  /** Allocated-but-unsigned rows are signed now; signed-but-unsent rows are broadcast as stored. */
  async #resumeUnsent(): Promise<number> {
    const rows = await this.db.read((sql) => chainTransactions.inStatus(sql, this.signer, ["allocated", "signed"]));
    for (const row of rows) {
      if (row.status === "allocated") await this.#signAndStore(row, null);
      await this.#broadcast((await this.db.read((sql) => chainTransactions.get(sql, row.id)))!);
    }
    return rows.length;
  }

  async #repriceStuck(): Promise<number> {
    const cutoff = this.now() - this.#options.repriceAfterMs;
    const stuck = await this.db.read(async (sql) =>
      (await chainTransactions.inStatus(sql, this.signer, ["submitted"])).filter((tx) => (tx.submittedAt ?? 0) < cutoff),
    );
    for (const tx of stuck) {
      const bump = (v: bigint) => v + (v * BigInt(this.#options.feeBumpPercent) + 99n) / 100n;
      const fees = await this.provider.getFeeData();
      const maxPriorityFeePerGas = max(bump(tx.maxPriorityFeePerGas ?? 0n), fees.maxPriorityFeePerGas ?? 0n);
      const maxFeePerGas = max(bump(tx.maxFeePerGas ?? 0n), (fees.maxFeePerGas ?? 0n) + maxPriorityFeePerGas);
      await this.#signAndStore(tx, { maxFeePerGas, maxPriorityFeePerGas });
      await this.#write((sql) => chainTransactions.touchSubmitted(sql, tx.id, this.now()));
      await this.#broadcast((await this.db.read((sql) => chainTransactions.get(sql, tx.id)))!);
    }
    return stuck.length;
  }

  async #sendPending(): Promise<number> {
    const ops = await this.db.read(async (sql) => {
      const kind = await operations.oldestPendingKind(sql, this.lane.kinds, this.#options.shard);
      if (!kind) return [];
      return await operations.pending(sql, [kind], this.lane.batchable(kind) ? this.#options.batchSize : 1, this.#options.shard);
    });
    if (ops.length === 0) return 0;
    const data = this.lane.encode(ops);
    const [chainNonce, fees] = await Promise.all([this.provider.getTransactionCount(this.signer, "latest"), this.#currentFees()]);
    // 1. nonce and operations recorded together, before signing
    const tx = await this.#write(async (sql) => {
      const allocated = await chainTransactions.allocate(sql, { signer: this.signer, to: this.lane.to, data, chainNonce }, this.now());
      await operations.assign(
        sql,
        ops.map((op) => op.id),
        allocated.id,
        this.now(),
      );
      return allocated;
    });
    this.failpoint("after_nonce_allocation");
    await this.#signAndStore(tx, fees, { kind: ops[0]!.kind, items: ops.length });
    await this.#broadcast((await this.db.read((sql) => chainTransactions.get(sql, tx.id)))!);
    return ops.length;
  }

  /** The node's fees now, for a transaction signed for the first time. */
  async #currentFees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const data = await this.provider.getFeeData();
    const maxPriorityFeePerGas = data.maxPriorityFeePerGas ?? 1_000_000_000n;
    return { maxPriorityFeePerGas, maxFeePerGas: (data.maxFeePerGas ?? 0n) + maxPriorityFeePerGas };
  }

  /** Signs `tx` with `fees` (the node's current ones when null) and stores the raw bytes and hash. */
  async #signAndStore(
    tx: ChainTxRow,
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | null,
    batch?: { kind: string; items: number },
  ): Promise<void> {
    const gasLimit = tx.gasLimit ?? (await this.#gasLimit(tx, batch));
    const feeFields = fees ?? (await this.#currentFees());
    const { chainId } = await this.provider.getNetwork();
    const { raw, hash } = signEip1559(this.wallet.signingKey, { chainId, nonce: tx.nonce, to: tx.to, data: tx.data, value: 0n, gasLimit, ...feeFields });
    await this.#write((sql) =>
      chainTransactions.recordSigned(sql, tx.id, { raw, hash, gasLimit, ...feeFields }, this.now()),
    );
    this.failpoint("after_raw_persisted");
  }

  /** Told by the confirmer of each confirmed batch: learns the kind's gas per item from batches without failures. */
  learnGas(batch: { kind: string; items: number; failedItems: number; gasUsed: bigint; succeeded: boolean }): void {
    if (!batch.succeeded || batch.failedItems > 0 || batch.items < 2 || !this.lane.batchable(batch.kind)) return;
    const perItem = (batch.gasUsed + BigInt(batch.items) - 1n) / BigInt(batch.items);
    this.#gasPerItem.set(batch.kind, max(perItem, this.#gasPerItem.get(batch.kind) ?? 0n));
  }

  /** From the per-item figure of the kind when a batch's items are known, else from an estimate. */
  async #gasLimit(tx: ChainTxRow, batch: { kind: string; items: number } | undefined): Promise<bigint> {
    const perItem = batch && batch.items > 1 ? this.#gasPerItem.get(batch.kind) : undefined;
    if (batch && perItem !== undefined) {
      // 1.5x what the batch should use, or the transaction cap when that still leaves 1.25x (the estimate's
      // margin): 100 authorizations at ~117k each fit under the cap, not under 1.5x.
      const expected = perItem * BigInt(batch.items);
      if ((expected * 5n) / 4n <= TRANSACTION_GAS_CAP) return min((expected * 3n) / 2n, TRANSACTION_GAS_CAP);
    }
    const estimate = await this.#estimateGas(tx);
    return estimate === undefined ? this.#options.fallbackGasLimit : (estimate * 125n) / 100n + 10_000n;
  }

  /** The node's estimate; undefined when the node says the call reverts. */
  async #estimateGas(tx: ChainTxRow): Promise<bigint | undefined> {
    try {
      return await this.provider.estimateGas({ from: this.signer, to: tx.to, data: tx.data });
    } catch (error) {
      // The node says it would revert: send it anyway so the nonce is used and the confirmer records why it
      // failed. Any other failure (the RPC unreachable, a 5xx, a timeout) says nothing about the call: signing
      // with the fallback limit could run a large batch out of gas and fail every payment it carries, so the
      // round fails instead and the estimate is tried again.
      if (!isError(error, "CALL_EXCEPTION")) throw error;
      return undefined;
    }
  }

  /** Broadcasts the stored raw bytes. "Already known" and "nonce too low" mean it (or a twin) is out there. */
  async #broadcast(tx: ChainTxRow): Promise<void> {
    if (!tx.raw) throw new Error(`chain transaction ${tx.id} has no signed bytes to broadcast`);
    try {
      await this.provider.send("eth_sendRawTransaction", [tx.raw]);
    } catch (error) {
      const message = String((error as Error).message ?? error).toLowerCase();
      const benign = ["already known", "known transaction", "nonce too low", "already imported", "replacement transaction underpriced"];
      if (!benign.some((text) => message.includes(text))) throw error;
    }
    this.failpoint("after_broadcast");
    await this.#write((sql) => chainTransactions.markSubmitted(sql, tx.id, this.now()));
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

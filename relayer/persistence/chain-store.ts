// Operations (the outbox) and chain transactions: the rows the submitter and confirmer drive.
import type { Sql } from "./database.js";

export type OperationStatus = "pending" | "assigned" | "succeeded" | "failed";
export type ChainTxStatus = "allocated" | "signed" | "submitted" | "mined" | "confirmed" | "failed";

export interface OperationRow {
  id: number;
  kind: string;
  intentId: string | null;
  payload: string;
  status: OperationStatus;
  txId: number | null;
}

export interface ChainTxRow {
  id: number;
  signer: string;
  nonce: number;
  status: ChainTxStatus;
  to: string;
  data: string;
  gasLimit: bigint | null;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  raw: string | null;
  hashes: string[];
  minedHash: string | null;
  blockNumber: number | null;
  blockHash: string | null;
  receiptStatus: number | null;
  submittedAt: number | null;
  createdAt: number;
}

interface ChainTxRecord {
  id: number;
  signer: string;
  nonce: number;
  status: ChainTxStatus;
  to_address: string;
  data: string;
  gas_limit: string | null;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  raw: string | null;
  hashes: string;
  mined_hash: string | null;
  block_number: number | null;
  block_hash: string | null;
  receipt_status: number | null;
  submitted_at: number | null;
  created_at: number;
}

const big = (v: string | null) => (v === null ? null : BigInt(v));

function toChainTx(r: ChainTxRecord): ChainTxRow {
  return {
    id: r.id,
    signer: r.signer,
    nonce: r.nonce,
    status: r.status,
    to: r.to_address,
    data: r.data,
    gasLimit: big(r.gas_limit),
    maxFeePerGas: big(r.max_fee_per_gas),
    maxPriorityFeePerGas: big(r.max_priority_fee_per_gas),
    raw: r.raw,
    hashes: JSON.parse(r.hashes) as string[],
    minedHash: r.mined_hash,
    blockNumber: r.block_number,
    blockHash: r.block_hash,
    receiptStatus: r.receipt_status,
    submittedAt: r.submitted_at,
    createdAt: r.created_at,
  };
}

const OPERATION_COLUMNS = "id, kind, intent_id AS intentId, payload, status, tx_id AS txId";

/** Key `index` of a lane's `count` keys submits the pending operations whose shard % count = index. */
export interface Shard {
  index: number;
  count: number;
}

const WHOLE: Shard = { index: 0, count: 1 };

/** An operation's shard: from its intent, so all operations of one intent go to one key (FNV-1a, 16 bits). */
export function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) & 0xffff;
}

export const operations = {
  async insert(sql: Sql, op: { kind: string; intentId: string | null; payload: unknown }, now: number): Promise<number> {
    const payload = JSON.stringify(op.payload, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    const row = await sql.get<{ id: number }>(
      "INSERT INTO operations (kind, intent_id, payload, status, shard, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
      op.kind,
      op.intentId,
      payload,
      shardOf(op.intentId ?? payload),
      now,
      now,
    );
    return Number(row!.id);
  },

  /** The oldest pending operations of `kinds` (in `shard`, when a lane has several keys), in order. */
  async pending(sql: Sql, kinds: readonly string[], limit: number, shard: Shard = WHOLE): Promise<OperationRow[]> {
    const marks = kinds.map(() => "?").join(", ");
    return await sql.all<OperationRow>(
      `SELECT ${OPERATION_COLUMNS} FROM operations WHERE status = 'pending' AND kind IN (${marks}) AND shard % ? = ? ORDER BY id LIMIT ?`,
      ...kinds,
      shard.count,
      shard.index,
      limit,
    );
  },

  /** The kind of the oldest pending operation among `kinds` (one lane's, in `shard`). */
  async oldestPendingKind(sql: Sql, kinds: readonly string[], shard: Shard = WHOLE): Promise<string | undefined> {
    const marks = kinds.map(() => "?").join(", ");
    const row = await sql.get<{ kind: string }>(
      `SELECT kind FROM operations WHERE status = 'pending' AND kind IN (${marks}) AND shard % ? = ? ORDER BY id LIMIT 1`,
      ...kinds,
      shard.count,
      shard.index,
    );
    return row?.kind;
  },

  async ofTransaction(sql: Sql, txId: number): Promise<OperationRow[]> {
    return await sql.all<OperationRow>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE tx_id = ? ORDER BY id`, txId);
  },

  async assign(sql: Sql, ids: number[], txId: number, now: number): Promise<void> {
    for (const id of ids) {
      const { changes } = await sql.run(
        "UPDATE operations SET status = 'assigned', tx_id = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
        txId,
        now,
        id,
      );
      if (changes !== 1) throw new Error(`operation ${id} was not pending`);
    }
  },

  async settle(sql: Sql, id: number, outcome: { ok: true } | { ok: false; code: string; message: string }, now: number): Promise<void> {
    if (outcome.ok) {
      await sql.run("UPDATE operations SET status = 'succeeded', updated_at = ? WHERE id = ?", now, id);
    } else {
      await sql.run(
        "UPDATE operations SET status = 'failed', failure_code = ?, failure_message = ?, updated_at = ? WHERE id = ?",
        outcome.code,
        outcome.message,
        now,
        id,
      );
    }
  },

  async countByStatus(sql: Sql): Promise<Record<OperationStatus, number>> {
    const counts = { pending: 0, assigned: 0, succeeded: 0, failed: 0 };
    for (const row of await sql.all<{ status: OperationStatus; n: number }>("SELECT status, COUNT(*) AS n FROM operations GROUP BY status")) {
      counts[row.status] = row.n;
    }
    return counts;
  },
};

export const chainTransactions = {
  /**
   * Allocates the signer's next nonce and records the transaction that will carry it, before anything is signed.
   * `chainNonce` is the account's nonce on chain: the first allocation starts there.
   */
  async allocate(sql: Sql, tx: { signer: string; to: string; data: string; chainNonce: number }, now: number): Promise<ChainTxRow> {
    const stored = await sql.get<{ next_nonce: number }>("SELECT next_nonce FROM signer_nonces WHERE signer = ?", tx.signer);
    const nonce = Math.max(stored?.next_nonce ?? 0, tx.chainNonce);
    await sql.run(
      "INSERT INTO signer_nonces (signer, next_nonce) VALUES (?, ?) ON CONFLICT (signer) DO UPDATE SET next_nonce = excluded.next_nonce",
      tx.signer,
      nonce + 1,
    );
    const row = await sql.get<{ id: number }>(
      `INSERT INTO chain_transactions (signer, nonce, status, to_address, data, created_at, updated_at)
       VALUES (?, ?, 'allocated', ?, ?, ?, ?) RETURNING id`,
      tx.signer,
      nonce,
      tx.to,
      tx.data,
      now,
      now,
    );
    return (await this.get(sql, Number(row!.id)))!;
  },

  async get(sql: Sql, id: number): Promise<ChainTxRow | undefined> {
    const r = await sql.get<ChainTxRecord>("SELECT * FROM chain_transactions WHERE id = ?", id);
    return r && toChainTx(r);
  },

  /** Transactions of `signer` in `statuses`, lowest nonce first. */
  async inStatus(sql: Sql, signer: string, statuses: readonly ChainTxStatus[]): Promise<ChainTxRow[]> {
    const marks = statuses.map(() => "?").join(", ");
    return (await sql.all<ChainTxRecord>(
      `SELECT * FROM chain_transactions WHERE signer = ? AND status IN (${marks}) ORDER BY nonce`,
      signer,
      ...statuses,
    ))
      .map(toChainTx);
  },

  /** Stores a signed version (first or replacement): the raw bytes before they are broadcast, every hash kept. */
  async recordSigned(
    sql: Sql,
    id: number,
    signed: { raw: string; hash: string; gasLimit: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
    now: number,
  ): Promise<void> {
    const tx = await this.get(sql, id);
    if (!tx) throw new Error(`no chain transaction ${id}`);
    const hashes = tx.hashes.includes(signed.hash) ? tx.hashes : [...tx.hashes, signed.hash];
    await sql.run("INSERT INTO chain_transaction_hashes (hash, tx_id) VALUES (?, ?) ON CONFLICT DO NOTHING", signed.hash, id);
    await sql.run(
      `UPDATE chain_transactions SET status = CASE WHEN status = 'allocated' THEN 'signed' ELSE status END, raw = ?,
         hashes = ?, gas_limit = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?, updated_at = ? WHERE id = ?`,
      signed.raw,
      JSON.stringify(hashes),
      signed.gasLimit.toString(),
      signed.maxFeePerGas.toString(),
      signed.maxPriorityFeePerGas.toString(),
      now,
      id,
    );
  },

  async markSubmitted(sql: Sql, id: number, now: number): Promise<void> {
    await sql.run(
      "UPDATE chain_transactions SET status = 'submitted', submitted_at = ?, updated_at = ? WHERE id = ? AND status = 'signed'",
      now,
      now,
      id,
    );
  },

  /** A replacement went out: the stuck clock restarts. */
  async touchSubmitted(sql: Sql, id: number, now: number): Promise<void> {
    await sql.run("UPDATE chain_transactions SET submitted_at = ?, updated_at = ? WHERE id = ?", now, now, id);
  },

  async markMined(sql: Sql, id: number, mined: { hash: string; blockNumber: number; blockHash: string; status: number }, now: number): Promise<void> {
    await sql.run(
      `UPDATE chain_transactions SET status = 'mined', mined_hash = ?, block_number = ?, block_hash = ?, receipt_status = ?,
         updated_at = ? WHERE id = ?`,
      mined.hash,
      mined.blockNumber,
      mined.blockHash,
      mined.status,
      now,
      id,
    );
  },

  /**
   * A reorg dropped the block that held it, and the node no longer knows it: back to `signed`, so the submitter
   * broadcasts the stored raw bytes again (same nonce, same hash) at once, rather than waiting to re-price.
   */
  async markUnmined(sql: Sql, id: number, now: number): Promise<void> {
    await sql.run(
      `UPDATE chain_transactions SET status = 'signed', mined_hash = NULL, block_number = NULL, block_hash = NULL,
         receipt_status = NULL, updated_at = ? WHERE id = ?`,
      now,
      id,
    );
  },

  async markConfirmed(sql: Sql, id: number, now: number): Promise<void> {
    await sql.run("UPDATE chain_transactions SET status = 'confirmed', updated_at = ? WHERE id = ?", now, id);
  },
};

export interface OperationTransaction {
  kind: string;
  payload: string;
  createdAt: number;
  status: OperationStatus;
  failureCode: string | null;
  failureMessage: string | null;
  txStatus: ChainTxStatus | null;
  hashes: string[];
  blockNumber: number | null;
}

/** Every operation of an intent with the transaction that carried it (all its hashes). */
export async function operationsOfIntent(sql: Sql, intentId: string): Promise<OperationTransaction[]> {
  return (await sql.all<{ kind: string; payload: string; created_at: number; status: OperationStatus; failure_code: string | null; failure_message: string | null; tx_status: ChainTxStatus | null; hashes: string | null; block_number: number | null }>(
    `SELECT o.kind, o.payload, o.created_at, o.status, o.failure_code, o.failure_message, t.status AS tx_status, t.hashes, t.block_number
       FROM operations o LEFT JOIN chain_transactions t ON t.id = o.tx_id WHERE o.intent_id = ? ORDER BY o.id`,
    intentId,
  ))
    .map((r) => ({
      kind: r.kind,
      payload: r.payload,
      createdAt: r.created_at,
      status: r.status,
      failureCode: r.failure_code,
      failureMessage: r.failure_message,
      txStatus: r.tx_status,
      hashes: r.hashes ? (JSON.parse(r.hashes) as string[]) : [],
      blockNumber: r.block_number,
    }));
}

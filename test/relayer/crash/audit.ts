// What the crash tests check after a run: the relayer's database (beside a running relayer or after it stopped)
// against the chain, which is the truth. The database is read through the relayer's own persistence layer, so the
// same checks run on the SQLite file and, in the suite's PostgreSQL pass, on the PostgreSQL database.
import { setTimeout as sleep } from "node:timers/promises";

import type { JsonRpcProvider } from "ethers";

import { openDatabase, type Database } from "../../../relayer/persistence/database.js";
import { PaymentEscrow__factory } from "../../../typechain-types/index.js";
import type { TestSystem } from "../support/system.js";

export interface DbSnapshot {
  operations: { id: number; kind: string; intent_id: string | null; status: string; tx_id: number | null; failure_code: string | null }[];
  chainTransactions: { id: number; signer: string; nonce: number; status: string; hashes: string; mined_hash: string | null; receipt_status: number | null }[];
  intents: { id: string; payment_id: string; status: string; amount: string; amount_capturable: string; amount_held: string }[];
  /** Every hash any of the relayer's transactions was signed with (chain_transaction_hashes), lower case. */
  knownHashes: Set<string>;
  idempotencyInProgress: number;
}

/** A connection of the test's own to the database `system`'s relayers use (close it when done). */
export function openSystemDatabase(system: TestSystem): Promise<Database> {
  return openDatabase(system.config.DATABASE_URL ?? system.config.DATABASE_PATH);
}

export async function readDatabase(db: Database): Promise<DbSnapshot> {
  return db.read(async (sql) => ({
    operations: await sql.all<DbSnapshot["operations"][number]>("SELECT id, kind, intent_id, status, tx_id, failure_code FROM operations ORDER BY id"),
    chainTransactions: await sql.all<DbSnapshot["chainTransactions"][number]>(
      "SELECT id, signer, nonce, status, hashes, mined_hash, receipt_status FROM chain_transactions ORDER BY nonce, signer",
    ),
    intents: await sql.all<DbSnapshot["intents"][number]>("SELECT id, payment_id, status, amount, amount_capturable, amount_held FROM payment_intents ORDER BY id"),
    knownHashes: new Set((await sql.all<{ hash: string }>("SELECT hash FROM chain_transaction_hashes")).map((row) => row.hash.toLowerCase())),
    idempotencyInProgress: Number((await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM idempotency_keys WHERE state = 'in_progress'"))!.n),
  }));
}

/** Nothing left to do: no operation waits or rides an unconfirmed transaction, no transaction is in flight. */
export function drained(snapshot: DbSnapshot): boolean {
  return (
    snapshot.operations.every((op) => op.status === "succeeded" || op.status === "failed") &&
    snapshot.chainTransactions.every((tx) => tx.status === "confirmed" || tx.status === "failed")
  );
}

export async function waitForDrain(db: Database, timeoutMs: number): Promise<DbSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await readDatabase(db);
    if (drained(snapshot)) return snapshot;
    if (Date.now() > deadline) {
      const busy = snapshot.chainTransactions.filter((tx) => tx.status !== "confirmed").map((tx) => `${tx.signer.slice(0, 8)}/${tx.nonce}:${tx.status}`);
      const ops = snapshot.operations.filter((op) => op.status === "pending" || op.status === "assigned").length;
      throw new Error(`the relayer did not drain within ${timeoutMs} ms: ${ops} operations open, transactions ${busy.join(", ")}`);
    }
    await sleep(200);
  }
}

export interface ChainView {
  /** PaymentAuthorized events per payment id (lower case), from the chain's logs. */
  authorizedEvents: Map<string, number>;
  /** escrow.paymentState of each payment asked for. */
  states: Map<string, { status: number; capturable: bigint; held: bigint }>;
}

export async function readChain(provider: JsonRpcProvider, escrowAddress: string, paymentIds: string[]): Promise<ChainView> {
  const escrow = PaymentEscrow__factory.connect(escrowAddress, provider);
  const authorizedEvents = new Map<string, number>();
  for (const event of await escrow.queryFilter(escrow.filters.PaymentAuthorized(), 0, "latest")) {
    const id = String(event.args.paymentId).toLowerCase();
    authorizedEvents.set(id, (authorizedEvents.get(id) ?? 0) + 1);
  }
  const states = new Map<string, { status: number; capturable: bigint; held: bigint }>();
  for (const id of paymentIds) {
    const state = await escrow.paymentState(id);
    states.set(id.toLowerCase(), { status: Number(state.status), capturable: state.capturable, held: state.held });
  }
  return { authorizedEvents, states };
}

/** (signer, nonce) pairs that more than one chain transaction row claims. */
export function reusedNonces(snapshot: DbSnapshot): string[] {
  const seen = new Map<string, number>();
  for (const tx of snapshot.chainTransactions) {
    const key = `${tx.signer.toLowerCase()}:${tx.nonce}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key);
}

/** Every transaction `signers` sent in the blocks after `afterBlock`, read from the chain's blocks. */
export async function transactionsSentBy(
  provider: JsonRpcProvider,
  signers: string[],
  afterBlock: number,
): Promise<{ hash: string; from: string; nonce: number; block: number }[]> {
  const senders = new Set(signers.map((s) => s.toLowerCase()));
  const latest = await provider.getBlockNumber();
  const sent: { hash: string; from: string; nonce: number; block: number }[] = [];
  for (let start = afterBlock + 1; start <= latest; start += 50) {
    const numbers = Array.from({ length: Math.min(50, latest - start + 1) }, (_, k) => start + k);
    // Concurrent requests go out as one JSON-RPC batch.
    const blocks = await Promise.all(numbers.map((n) => provider.getBlock(n, true)));
    for (const block of blocks) {
      for (const tx of block!.prefetchedTransactions) {
        if (senders.has(tx.from.toLowerCase())) sent.push({ hash: tx.hash.toLowerCase(), from: tx.from.toLowerCase(), nonce: tx.nonce, block: block!.number });
      }
    }
  }
  return sent;
}

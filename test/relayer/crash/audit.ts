// What the crash tests check after a run: the relayer's database (read-only, beside a running relayer or after
// it stopped) against the chain, which is the truth.
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";

import type { JsonRpcProvider } from "ethers";

import { PaymentEscrow__factory } from "../../../typechain-types/index.js";

export interface DbSnapshot {
  operations: { id: number; kind: string; intent_id: string | null; status: string; tx_id: number | null; failure_code: string | null }[];
  chainTransactions: { id: number; signer: string; nonce: number; status: string; hashes: string; mined_hash: string | null; receipt_status: number | null }[];
  intents: { id: string; payment_id: string; status: string; amount: string; amount_capturable: string; amount_held: string }[];
  idempotencyInProgress: number;
}

export function readDatabase(path: string): DbSnapshot {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return {
      operations: db.prepare("SELECT id, kind, intent_id, status, tx_id, failure_code FROM operations ORDER BY id").all() as DbSnapshot["operations"],
      chainTransactions: db
        .prepare("SELECT id, signer, nonce, status, hashes, mined_hash, receipt_status FROM chain_transactions ORDER BY nonce")
        .all() as DbSnapshot["chainTransactions"],
      intents: db.prepare("SELECT id, payment_id, status, amount, amount_capturable, amount_held FROM payment_intents ORDER BY id").all() as DbSnapshot["intents"],
      idempotencyInProgress: Number((db.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE state = 'in_progress'").get() as { n: number }).n),
    };
  } finally {
    db.close();
  }
}

/** Nothing left to do: no operation waits or rides an unconfirmed transaction, no transaction is in flight. */
export function drained(snapshot: DbSnapshot): boolean {
  return (
    snapshot.operations.every((op) => op.status === "succeeded" || op.status === "failed") &&
    snapshot.chainTransactions.every((tx) => tx.status === "confirmed" || tx.status === "failed")
  );
}

export async function waitForDrain(path: string, timeoutMs: number): Promise<DbSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = readDatabase(path);
    if (drained(snapshot)) return snapshot;
    if (Date.now() > deadline) {
      const busy = snapshot.chainTransactions.filter((tx) => tx.status !== "confirmed").map((tx) => `${tx.nonce}:${tx.status}`);
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

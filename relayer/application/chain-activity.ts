// What others did on chain to our merchants' payments (a buyer's reclaim, a release or refund by another tool,
// a dispute): the intent takes the payment's on-chain state and an event records what happened, as for our own
// operations, so merchants see it in the API and in their webhooks. The registry's logs are handled the same way
// in receivable-activity.ts; `allOf` gives the indexer both.
import type { IndexedLog, LogHandler, ReorgHandler } from "../chain/indexer.js";
import type { PaymentIntent } from "../domain/payment-intent.js";
import type { Database, Sql } from "../persistence/database.js";
import { intents } from "../persistence/intents.js";
import type { PaymentsService } from "./payments.js";
import type { ChainReader, OnChainPayment } from "./ports.js";

const EVENT_TYPES: Record<string, string> = {
  PaymentAuthorized: "payment_intent.authorized",
  PaymentCaptured: "payment_intent.captured",
  PaymentVoided: "payment_intent.canceled",
  PaymentReclaimed: "payment_intent.reclaimed",
  PaymentReleased: "payment_intent.released",
  PaymentRefunded: "payment_intent.refunded",
  ReceiptConfirmed: "payment_intent.receipt_confirmed",
  DisputeOpened: "payment_intent.disputed",
  DisputeResolved: "payment_intent.dispute_resolved",
};

/** The known intents of the logs' payments, each once. */
async function intentsOfPayments(sql: Sql, logs: readonly IndexedLog[]): Promise<PaymentIntent[]> {
  const found: PaymentIntent[] = [];
  for (const paymentId of new Set(logs.map((log) => log.paymentId!))) {
    const intent = await intents.getByPaymentId(sql, paymentId);
    if (intent !== undefined) found.push(intent);
  }
  return found;
}

export function chainActivityHandler(db: Database, reader: ChainReader, payments: PaymentsService, now: () => number): LogHandler {
  return async (foreign: IndexedLog[]) => {
    const relevant = foreign.filter((log) => log.paymentId !== null && EVENT_TYPES[log.event]);
    const touched = await db.read((sql) => intentsOfPayments(sql, relevant));
    const read = await reader.paymentStates(touched.map((intent) => intent.paymentId));
    const states = new Map<string, OnChainPayment>(touched.map((intent, i) => [intent.paymentId, read[i]!]));

    return async (sql) => {
      for (const log of relevant) {
        const intent = await intents.getByPaymentId(sql, log.paymentId!);
        const state = intent && states.get(intent.paymentId);
        if (!intent || !state) continue;
        const refunded = intent.amounts.refunded + (log.event === "PaymentRefunded" ? BigInt(log.args.amount ?? "0") : 0n);
        await intents.updateFromChain(sql, intent.id, { chainStatus: state.status, ...state, refunded }, intent.failure ?? null, now());
        await payments.recordEvent(sql, intent, EVENT_TYPES[log.event]!, now(), {
          source: "chain",
          chain_event: log.event,
          args: log.args,
          transaction_hash: log.txHash,
          block_number: log.blockNumber,
        });
      }
    };
  };
}

/**
 * A reorg deeper than CONFIRMATIONS removed logs the indexer had applied (ours or others'): each intent they touched
 * takes the payment's on-chain state again, and one `payment_intent.reorganized` event lists what was dropped. If
 * the dropped transactions come back in the new chain, they are applied again as new (ours by the confirmer).
 */
export function chainReorgHandler(db: Database, reader: ChainReader, payments: PaymentsService, now: () => number): ReorgHandler {
  return async (dropped: IndexedLog[]) => {
    const relevant = dropped.filter((log) => log.paymentId !== null && EVENT_TYPES[log.event]);
    const touched = await db.read((sql) => intentsOfPayments(sql, relevant));
    const read = await reader.paymentStates(touched.map((intent) => intent.paymentId));
    return async (sql) => {
      for (const [i, stale] of touched.entries()) {
        const intent = (await intents.getByPaymentId(sql, stale.paymentId))!;
        const gone = relevant.filter((log) => log.paymentId === intent.paymentId);
        const refundedDropped = gone.reduce((sum, log) => sum + (log.event === "PaymentRefunded" ? BigInt(log.args.amount ?? "0") : 0n), 0n);
        const state = read[i]!;
        await intents.updateFromChain(sql, intent.id, { chainStatus: state.status, ...state, refunded: intent.amounts.refunded - refundedDropped }, intent.failure ?? null, now());
        await payments.recordEvent(sql, intent, "payment_intent.reorganized", now(), {
          source: "chain",
          dropped: gone.map((log) => ({ chain_event: log.event, transaction_hash: log.txHash, block_number: log.blockNumber })),
        });
      }
    };
  };
}

/** One handler for the indexer from several (the escrow's, the registry's): each reads first, then all apply in one transaction. */
export function allOf<H extends LogHandler | ReorgHandler>(...handlers: H[]): H {
  return (async (logs: IndexedLog[]) => {
    const applies = await Promise.all(handlers.map((handler) => handler(logs)));
    return async (sql: Sql) => {
      for (const apply of applies) await apply(sql);
    };
  }) as H;
}

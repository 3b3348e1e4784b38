// What happens when operations settle on chain: the intent takes the payment's on-chain state (the chain is the
// source of truth), a failure is recorded with its business code, and an event is written for each operation.
import type { SettledOperation, SettlementHandler } from "../chain/confirmer.js";
import { deserializeCall } from "../chain/operation-codec.js";
import type { PaymentIntent } from "../domain/payment-intent.js";
import type { Database } from "../persistence/database.js";
import { intents } from "../persistence/intents.js";
import type { PaymentsService } from "./payments.js";
import type { KycService } from "./kyc.js";
import type { PayoutsService } from "./payouts.js";
import type { ChainReader, OnChainPayment } from "./ports.js";

const SUCCEEDED_EVENT: Record<string, string> = {
  authorize: "payment_intent.authorized",
  charge: "payment_intent.captured",
  capture: "payment_intent.captured",
  void: "payment_intent.canceled",
  refund: "payment_intent.refunded",
  release: "payment_intent.released",
  confirm_receipt: "payment_intent.released",
  open_dispute: "payment_intent.disputed",
  resolve_dispute: "payment_intent.dispute_resolved",
};

/**
 * The confirmer's handler: reads the on-chain state of every payment the settled operations touched (outside
 * any database transaction), then returns what the confirmer applies inside its transaction.
 */
export function settlementHandler(
  db: Database,
  reader: ChainReader,
  payments: PaymentsService,
  payoutsService: PayoutsService,
  now: () => number,
  kycService?: KycService,
): SettlementHandler {
  return async (settled: SettledOperation[]) => {
    const intentIds = [...new Set(settled.map((s) => s.operation.intentId).filter((id): id is string => id !== null))];
    const touched = await db.read(async (sql) => {
      const found: PaymentIntent[] = [];
      for (const id of intentIds) {
        const intent = await intents.get(sql, id);
        if (intent) found.push(intent);
      }
      return found;
    });
    // One read for the whole batch (PaymentStatesLens: one eth_call per 100 payments).
    const read = await reader.paymentStates(touched.map((intent) => intent.paymentId));
    const states = new Map<string, OnChainPayment>(touched.map((intent, i) => [intent.id, read[i]!]));

    return async (sql) => {
      for (const s of settled) {
        if (s.operation.kind === "payout") {
          await payoutsService.settle(sql, s, now());
          continue;
        }
        if (s.operation.kind.startsWith("kyc_")) {
          await kycService?.settle(sql, s, now());
          continue;
        }
        const intent = s.operation.intentId ? await intents.get(sql, s.operation.intentId) : undefined;
        const state = intent && states.get(intent.id);
        if (!intent || !state) continue;
        const call = deserializeCall(s.operation.kind, s.operation.payload);
        const toBuyer = call.kind === "refund" ? call.amount : call.kind === "resolve_dispute" ? call.buyerAmount : 0n;
        const refunded = intent.amounts.refunded + (s.outcome.ok ? toBuyer : 0n);
        const failure = s.outcome.ok ? null : { code: s.outcome.code, message: s.outcome.message };
        await intents.updateFromChain(sql, intent.id, { chainStatus: state.status, ...state, refunded }, failure, now());
        const type = s.outcome.ok ? SUCCEEDED_EVENT[call.kind] ?? `payment_intent.${call.kind}_succeeded` : `payment_intent.${call.kind}_failed`;
        await payments.recordEvent(sql, intent, type, now(), {
          operation: call.kind,
          ...("amount" in call ? { amount: call.amount.toString() } : {}),
          transaction_hash: s.txHash,
          block_number: s.blockNumber,
          ...(failure ? { failure } : {}),
        });
      }
    };
  };
}

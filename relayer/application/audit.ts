// What the auditor sees of the relayer's own records: each payment intent as an AuditPayment (the contract of
// GET /v1/audit/payments that the audit CLI reconciles against the chain). One mapping, used by the API and by the
// console's reconciliation, so both compare the same thing.
import type { AuditPayment } from "../../audit/index.js";
import { CHAIN_STATUSES } from "../domain/ledger.js";
import { intentStatus, type PaymentIntent } from "../domain/payment-intent.js";
import type { Database } from "../persistence/database.js";
import { intents } from "../persistence/intents.js";

export type { AuditPayment };

/** The relayer's record of a payment, as it last confirmed it from the chain. */
export function toAuditPayment(intent: PaymentIntent): AuditPayment {
  const chainStatus = CHAIN_STATUSES[intent.chainStatus];
  if (chainStatus === undefined) throw new Error(`intent ${intent.id}: unknown chain status ${intent.chainStatus}`);
  return {
    object: "audit.payment",
    payment_id: intent.paymentId.toLowerCase(),
    intent_id: intent.id,
    merchant: intent.terms.merchant,
    buyer: intent.terms.buyer,
    token: intent.terms.token,
    order_ref: intent.orderRef,
    amount: intent.terms.amount.toString(),
    status: intentStatus(intent),
    chain_status: chainStatus,
    amount_capturable: intent.amounts.capturable.toString(),
    amount_held: intent.amounts.held.toString(),
    // the gross ever released, as the escrow's PaymentState.released (the relayer keeps it net of later refunds)
    amount_released: (intent.amounts.released + intent.amounts.refundedAfterRelease).toString(),
    amount_refunded: intent.amounts.refunded.toString(),
    created_at: new Date(intent.createdAt).toISOString(),
  };
}

/** Every record of the relayer as AuditPayment, read page by page (other requests run between the pages). */
export async function allAuditPayments(db: Database, pageSize = 1_000): Promise<AuditPayment[]> {
  const all: AuditPayment[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await db.read((sql) => intents.listByPaymentId(sql, { limit: pageSize, ...(after ? { startingAfter: after } : {}) }));
    all.push(...page.data.map(toAuditPayment));
    if (!page.hasMore) return all;
    after = page.data.at(-1)!.paymentId;
  }
}

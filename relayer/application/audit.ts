// What the auditor sees of the relayer's own records: each payment intent as an AuditPayment (the contract of
// GET /v1/audit/payments that the audit CLI reconciles against the chain). One mapping, used by the API and by the
// console's reconciliation, so both compare the same thing.
import { CHAIN_STATUSES, type ChainStatusName } from "../domain/ledger.js";
import { intentStatus, type IntentStatus, type PaymentIntent } from "../domain/payment-intent.js";

export interface AuditPayment {
  object: "audit.payment";
  payment_id: string;
  intent_id: string;
  merchant: string;
  buyer: string;
  token: string;
  order_ref: string;
  amount: string;
  status: IntentStatus;
  chain_status: ChainStatusName;
  amount_capturable: string;
  amount_held: string;
  amount_released: string;
  amount_refunded: string;
  created_at: string;
}

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

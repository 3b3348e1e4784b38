// Operation payloads as stored in the outbox (JSON, amounts as strings) and back. Pure: no I/O.
import type { EscrowCall } from "./escrow-calls.js";
import type { PaymentTerms } from "./typed-data.js";

export function serializeCall(call: EscrowCall): string {
  return JSON.stringify(call, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
}

export function deserializeCall(kind: string, payload: string): EscrowCall {
  const raw = JSON.parse(payload) as Record<string, unknown> & { terms: Record<string, unknown> };
  if (raw.kind !== kind) throw new Error(`operation payload of kind ${String(raw.kind)} stored as ${kind}`);
  if (kind === "payout") return { kind, token: String(raw.token), account: String(raw.account) };
  const terms = termsFromJson(raw.terms);
  switch (kind) {
    case "authorize":
    case "charge":
      return { kind, terms, method: Number(raw.method) as 0 | 1 | 2, funding: String(raw.funding) };
    case "capture":
    case "refund":
      return { kind, terms, amount: BigInt(String(raw.amount)) };
    case "void":
    case "release":
      return { kind, terms };
    case "confirm_receipt":
      return { kind, terms, deadline: BigInt(String(raw.deadline)), signature: String(raw.signature) };
    case "open_dispute":
      return { kind, terms, reason: String(raw.reason), signature: String(raw.signature) };
    case "resolve_dispute":
      return { kind, terms, buyerAmount: BigInt(String(raw.buyerAmount)) };
    default:
      throw new Error(`unknown operation kind ${kind}`);
  }
}

export function termsFromJson(t: Record<string, unknown>): PaymentTerms {
  return {
    merchant: String(t.merchant),
    buyer: String(t.buyer),
    token: String(t.token),
    amount: BigInt(String(t.amount)),
    preApprovalExpiry: BigInt(String(t.preApprovalExpiry)),
    authorizationExpiry: BigInt(String(t.authorizationExpiry)),
    refundExpiry: BigInt(String(t.refundExpiry)),
    confirmationWindow: BigInt(String(t.confirmationWindow)),
    kycTier: Number(t.kycTier),
    feeBps: Number(t.feeBps),
    partner: String(t.partner),
    partnerShareBps: Number(t.partnerShareBps),
    orderRef: String(t.orderRef),
  };
}

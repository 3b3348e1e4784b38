// Request and response schemas of the payment intent endpoints.
import { z } from "zod";

import { address, amountString, bytes32, metadata, objectId, signature } from "./common.js";

const STATUSES = [
  "requires_authorization", "processing", "requires_capture", "captured", "disputed", "released", "canceled",
  "refunded", "failed",
] as const;

export const createIntentBody = z
  .strictObject({
    amount: amountString,
    token: address,
    buyer: address.meta({ description: "The buyer's wallet: it signs the authorization, it needs no gas" }),
    order_ref: z.string().min(1).max(64).meta({ description: "The merchant's order reference, unique per merchant" }),
    capture_method: z.enum(["automatic", "manual"]).default("automatic"),
    confirmation_window: z
      .number()
      .int()
      .min(0)
      .max(90 * 86_400)
      .optional()
      .meta({ description: "Seconds after capture during which the buyer may dispute before funds are released" }),
    kyc_tier: z.enum(["basic", "enhanced", "institutional"]).default("basic"),
    metadata: metadata.default({}),
  })
  .meta({ id: "CreatePaymentIntent" });

export const confirmIntentBody = z.strictObject({
  signature: signature.meta({ description: "The buyer's EIP-712 signature of authorization.typed_data" }),
});

export const captureIntentBody = z.strictObject({
  amount: amountString.optional().meta({ description: "Defaults to everything still capturable" }),
});

export const refundIntentBody = z.strictObject({
  amount: amountString.optional().meta({ description: "Defaults to everything refundable" }),
});

export const emptyBody = z.strictObject({});

export const resolveDisputeBody = z.strictObject({
  buyer_amount: z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, "must be an integer in minor units, digits only (0 allowed)")
    .transform((value) => BigInt(value))
    .meta({ description: "The buyer's part of the held funds; the rest is released to the merchant" }),
});

export const confirmReceiptBody = z.strictObject({
  deadline: z.number().int().positive().meta({ description: "Unix seconds: the deadline the buyer signed" }),
  signature: signature.meta({ description: "The buyer's EIP-712 ReceiptConfirmation signature" }),
});

export const openDisputeBody = z.strictObject({
  reason: z
    .string()
    .regex(/^[a-z0-9_]{1,31}$/, "must be a short code: 1 to 31 of a-z, 0-9 and _")
    .meta({ description: "Why the buyer disputes, e.g. not_received; signed as a bytes32 string" }),
  signature: signature.meta({ description: "The buyer's EIP-712 DisputeRequest signature" }),
});

export const intentParams = z.strictObject({ id: objectId("pi") });

export const listIntentsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: objectId("pi").optional(),
  status: z.enum(STATUSES).optional(),
  buyer: address.optional(),
  order_ref: z.string().min(1).max(64).optional(),
});

export const refundSchema = z
  .object({
    id: z.string().nullable(),
    object: z.literal("refund"),
    payment_intent: z.string(),
    amount: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    transaction_hashes: z.array(z.string()),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
    created: z.number(),
  })
  .meta({ id: "Refund" });

const transaction = z.object({
  operation: z.string(),
  status: z.string(),
  hashes: z.array(z.string()),
  block_number: z.number().nullable(),
  confirmations: z.number(),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
});

export const paymentIntent = z
  .object({
    id: z.string(),
    object: z.literal("payment_intent"),
    status: z.enum(STATUSES),
    amount: z.string(),
    amount_capturable: z.string(),
    amount_held: z.string(),
    amount_released: z.string(),
    amount_refunded: z.string(),
    token: z.string(),
    buyer: z.string(),
    merchant: z.string(),
    order_ref: z.string(),
    capture_method: z.enum(["automatic", "manual"]),
    confirmation_window: z.number(),
    payment_id: bytes32,
    expires_at: z.number().meta({ description: "Unix seconds: the buyer's authorization must be on chain before" }),
    capture_before: z.number(),
    refund_before: z.number(),
    metadata: z.record(z.string(), z.string()),
    authorization: z
      .object({ typed_data: z.unknown() })
      .nullable()
      .meta({ description: "What the buyer signs (EIP-712), while the intent requires authorization" }),
    buyer_actions: z
      .object({
        confirm_receipt: z.object({ deadline: z.number(), typed_data: z.unknown() }),
        open_dispute: z.object({ dispute_before: z.number(), typed_data: z.unknown() }),
      })
      .nullable()
      .meta({ description: "While funds are held: what the buyer signs to confirm receipt or to dispute (reason not_received shown; sign your own reason code)" }),
    last_error: z.object({ code: z.string(), message: z.string() }).nullable(),
    transactions: z.array(transaction),
    created: z.number(),
    updated: z.number(),
  })
  .meta({ id: "PaymentIntent" });

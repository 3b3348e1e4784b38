// Request and response schemas of the receivable and financing offer endpoints.
import { z } from "zod";

import { MAX_PARTS_PER_SPLIT } from "../../domain/receivable.js";
import { address, amountString, bytes32, objectId, signature } from "./common.js";

const STATUSES = ["processing", "failed", "pending_acceptance", "accepted", "rejected", "split", "repaid", "overdue", "defaulted"] as const;
const OFFER_STATUSES = ["open", "processing", "accepted", "failed", "expired"] as const;

const unixSeconds = (description: string) => z.number().int().positive().max(2 ** 48 - 1).meta({ description });

/** A party's authorization of one action: the nonce and deadline it signed (from the typed data), and its signature. */
const authorization = {
  nonce: bytes32.meta({ description: "The one-time nonce in the signed typed data" }),
  deadline: unixSeconds("Unix seconds (chain time): the deadline in the signed typed data"),
  signature: signature.meta({ description: "The party's EIP-712 signature of the typed data (POST /v1/receivables/typed_data)" }),
};

const reasonCode = z
  .string()
  .regex(/^[a-z0-9_]{1,31}$/, "must be a short code: 1 to 31 of a-z, 0-9 and _")
  .meta({ description: "A short reason code, signed as a bytes32 string" });

const invoiceRef = z
  .string()
  .regex(/^[\x20-\x7e]{1,31}$/, "must be 1 to 31 printable ASCII characters")
  .meta({ description: "The supplier's invoice number (unique per invoice), signed as a bytes32 string" });

const part = z.strictObject({
  face_value: amountString,
  recipient: address.meta({ description: "Who receives the part (the holder itself, or its own supplier)" }),
});

const parts = z
  .array(part)
  .max(100)
  .meta({ description: `2 to ${MAX_PARTS_PER_SPLIT} parts whose face values sum exactly to the receivable's` });

const rateBps = z.number().int().min(1).max(10_000).meta({ description: "Annual discount rate in basis points (600 = 6% a year)" });

const minProceeds = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,37})$/, "must be an integer in minor units, digits only (0 allowed)")
  .transform((value) => BigInt(value))
  .meta({ description: "The least the holder accepts to receive (price less the platform fee)" });

const issueTerms = {
  debtor: address.meta({ description: "The core enterprise that owes the face value: it must accept" }),
  face_value: amountString,
  due_at: unixSeconds("Maturity, Unix seconds: the debtor repays by then"),
  accept_by: unixSeconds("The debtor must accept by then (Unix seconds, at most due_at)"),
  document_hash: bytes32.meta({ description: "Hash of the invoice documents (they stay off chain)" }),
  invoice_ref: invoiceRef,
};

export const issueBody = z
  .strictObject({
    ...issueTerms,
    signature: signature.meta({ description: "The supplier's EIP-712 signature of the InvoiceTerms (typed data action issue)" }),
  })
  .meta({ id: "IssueReceivable" });

export const acceptBody = z.strictObject(authorization);
export const rejectBody = z.strictObject({ reason: reasonCode, ...authorization });
export const splitBody = z.strictObject({ parts, ...authorization });
export const transferBody = z.strictObject({ to: address, ...authorization });
export const repayBody = z.strictObject({
  amount: amountString.meta({ description: "Up to what is due; only what is due is taken" }),
  source: z.enum(["wallet", "escrow_balance"]).default("wallet").meta({
    description: "wallet: the debtor's tokens by allowance to the registry; escrow_balance: its merchant balance in the payment escrow",
  }),
  ...authorization,
});

export const createOfferBody = z
  .strictObject({
    receivable: objectId("rcv"),
    annual_rate_bps: rateBps,
    max_price: amountString.meta({ description: "The most the financier pays (the price rises as maturity nears)" }),
    expiry: unixSeconds("The offer is valid until then (Unix seconds, chain time)"),
    nonce: bytes32.meta({ description: "The financier's one-time nonce in the signed offer" }),
    signature: signature.meta({ description: "The financier's EIP-712 FinanceOffer signature" }),
  })
  .meta({ id: "CreateFinancingOffer" });

export const acceptOfferBody = z.strictObject({ min_proceeds: minProceeds, ...authorization });

export const typedDataBody = z
  .discriminatedUnion("action", [
    z.strictObject({ action: z.literal("issue"), ...issueTerms }),
    z.strictObject({ action: z.literal("accept"), receivable: objectId("rcv") }),
    z.strictObject({ action: z.literal("reject"), receivable: objectId("rcv"), reason: reasonCode }),
    z.strictObject({ action: z.literal("split"), receivable: objectId("rcv"), parts }),
    z.strictObject({ action: z.literal("transfer"), receivable: objectId("rcv"), to: address }),
    z.strictObject({ action: z.literal("repay"), receivable: objectId("rcv"), amount: amountString, source: z.enum(["wallet", "escrow_balance"]).default("wallet") }),
    z.strictObject({ action: z.literal("offer"), receivable: objectId("rcv"), annual_rate_bps: rateBps, max_price: amountString, expiry: unixSeconds("Offer expiry") }),
    z.strictObject({ action: z.literal("accept_offer"), offer: objectId("ofr"), min_proceeds: minProceeds }),
  ])
  .meta({ id: "ReceivableTypedDataRequest" });

export const typedDataResponse = z
  .object({
    object: z.literal("typed_data"),
    action: z.string(),
    signer: z.string().meta({ description: "Whose signature the action needs: the calling account's address" }),
    nonce: z.string().nullable().meta({ description: "Send it back with the signature (null for issue: the invoice id is the nonce)" }),
    deadline: z.number().meta({ description: "Send it back with the signature (Unix seconds, chain time)" }),
    token_id: z.string().nullable().meta({ description: "For issue: the receivable's token id, known before it is mined" }),
    typed_data: z.unknown(),
  })
  .meta({ id: "ReceivableTypedData" });

export const receivableParams = z.strictObject({ id: objectId("rcv") });
export const offerParams = z.strictObject({ id: objectId("ofr") });

export const listReceivablesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: objectId("rcv").optional(),
  status: z.enum(STATUSES).optional(),
  role: z.enum(["holder", "issuer", "debtor"]).optional().meta({ description: "Only those the caller holds, issued, or owes" }),
  root: objectId("rcv").optional().meta({ description: "Only the receivables of this invoice (its root)" }),
});

export const listOffersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: objectId("ofr").optional(),
  receivable: objectId("rcv").optional(),
  status: z.enum(OFFER_STATUSES).optional(),
});

const failure = z.object({ code: z.string(), message: z.string() });

const summary = z.object({ id: z.string(), token_id: z.string(), face_value: z.string(), holder: z.string(), status: z.enum(STATUSES) });

export const receivableSchema = z
  .object({
    id: z.string(),
    object: z.literal("receivable"),
    token_id: z.string().meta({ description: "The ERC-721 token id in the registry (decimal)" }),
    status: z.enum(STATUSES),
    issuer: z.string(),
    debtor: z.string(),
    holder: z.string().meta({ description: "The current holder (the zero address once split)" }),
    token: z.string(),
    face_value: z.string(),
    principal_paid: z.string(),
    late_fee_due: z.string(),
    financed: z.boolean(),
    issued_at: z.number(),
    due_at: z.number(),
    accept_by: z.number(),
    document_hash: z.string(),
    invoice_ref: z.string().nullable(),
    lineage: z.object({
      root: z.string(),
      parent: z.string().nullable(),
      children: z.array(summary),
      holders: z.array(z.object({ address: z.string(), since: z.number(), transaction_hash: z.string().nullable() })),
    }),
    actions: z.array(
      z.object({
        id: z.string(),
        action: z.string(),
        status: z.enum(["pending", "succeeded", "failed"]),
        transaction_hash: z.string().nullable(),
        failure: failure.nullable(),
        created: z.number(),
      }),
    ),
    last_error: failure.nullable(),
    created: z.number(),
    updated: z.number(),
  })
  .meta({ id: "Receivable" });

export const offerSchema = z
  .object({
    id: z.string(),
    object: z.literal("financing_offer"),
    receivable: z.string(),
    financier: z.string(),
    status: z.enum(OFFER_STATUSES),
    annual_rate_bps: z.number(),
    max_price: z.string(),
    expiry: z.number(),
    nonce: z.string(),
    quote: z
      .object({ days_to_maturity: z.number(), price: z.string(), fee: z.string(), proceeds: z.string() })
      .nullable()
      .meta({ description: "What the holder would get if it accepted now (null once no longer open)" }),
    price: z.string().nullable(),
    fee: z.string().nullable(),
    days_to_maturity: z.number().nullable(),
    transaction_hash: z.string().nullable(),
    failure: failure.nullable(),
    created: z.number(),
    updated: z.number(),
  })
  .meta({ id: "FinancingOffer" });

export const expectedPaymentsSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        receivable: z.string(),
        token_id: z.string(),
        debtor: z.string(),
        token: z.string(),
        principal: z.string(),
        late_fee: z.string(),
        total: z.string(),
        due_at: z.number(),
        overdue: z.boolean(),
      }),
    ),
    total: z.string().meta({ description: "Everything the caller will receive, in minor units" }),
    has_more: z.boolean(),
  })
  .meta({ id: "ExpectedPayments" });

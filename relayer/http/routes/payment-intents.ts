// /v1/payment_intents: create, read, list, confirm (the buyer's signature), capture, cancel, refund.
// Mutations that need the chain answer 202 with the intent in `processing`; the outbox carries the work.
import { encodeBytes32String } from "ethers";
import type { Router } from "express";
import type { z } from "zod";

import type { PaymentsService } from "../../application/payments.js";
import type { EscrowCall } from "../../chain/escrow-calls.js";
import { KycTier, PaymentStatus } from "../../chain/typed-data.js";
import { ApiError, invalid, notFound } from "../../domain/errors.js";
import { intentStatus, type PaymentIntent } from "../../domain/payment-intent.js";
import { operationsOfIntent } from "../../persistence/chain-store.js";
import { mapInOrder, type Database, type Sql } from "../../persistence/database.js";
import { intents } from "../../persistence/intents.js";
import { merchants } from "../../persistence/merchants.js";
import { principalOf, requireScope } from "../auth.js";
import { completeIdempotency } from "../idempotency.js";
import type { RouteRegistry } from "../openapi.js";
import { listOf } from "../schemas/common.js";
import {
  captureIntentBody,
  confirmIntentBody,
  confirmReceiptBody,
  openDisputeBody,
  createIntentBody,
  emptyBody,
  intentParams,
  listIntentsQuery,
  paymentIntent,
  refundIntentBody,
  refundSchema,
  resolveDisputeBody,
} from "../schemas/payment-intents.js";
import { parseBody, parseParams, parseQuery } from "../validate.js";

export interface PaymentIntentRouteDeps {
  db: Database;
  payments: PaymentsService;
  /** Whether the relayer holds the arbiter's key (dispute resolution). */
  arbiterEnabled?: boolean;
  /** The latest block number the relayer has seen, for confirmations. */
  head: () => number;
  now: () => number;
}

type IntentJson = z.input<typeof paymentIntent>;

const TIERS = { basic: KycTier.Basic, enhanced: KycTier.Enhanced, institutional: KycTier.Institutional } as const;

/** Chain statuses behind each API status, for the list filter. */
const STATUS_FILTER: Record<string, number[]> = {
  requires_authorization: [PaymentStatus.None],
  failed: [PaymentStatus.None],
  requires_capture: [PaymentStatus.Authorized, PaymentStatus.Captured],
  processing: [],
  captured: [PaymentStatus.Captured],
  disputed: [PaymentStatus.Disputed],
  released: [PaymentStatus.Released],
  canceled: [PaymentStatus.Voided],
  refunded: [PaymentStatus.Refunded],
};

export function paymentIntentRoutes(router: Router, registry: RouteRegistry, deps: PaymentIntentRouteDeps): void {
  const { db, payments, now } = deps;
  const merchantOnly = requireScope("merchant");

  const toJson = async (sql: Sql, intent: PaymentIntent): Promise<IntentJson> => {
    const status = intentStatus(intent);
    const head = deps.head();
    return {
      id: intent.id,
      object: "payment_intent",
      status,
      amount: intent.terms.amount.toString(),
      amount_capturable: intent.amounts.capturable.toString(),
      amount_held: intent.amounts.held.toString(),
      amount_released: intent.amounts.released.toString(),
      amount_refunded: intent.amounts.refunded.toString(),
      token: intent.terms.token,
      buyer: intent.terms.buyer,
      merchant: intent.terms.merchant,
      order_ref: intent.orderRef,
      capture_method: intent.captureMethod,
      confirmation_window: Number(intent.terms.confirmationWindow),
      payment_id: intent.paymentId,
      expires_at: Number(intent.terms.preApprovalExpiry),
      capture_before: Number(intent.terms.authorizationExpiry),
      refund_before: Number(intent.terms.refundExpiry),
      metadata: intent.metadata,
      authorization: status === "requires_authorization" ? { typed_data: jsonSafe(payments.fundingTypedData(intent)) } : null,
      buyer_actions:
        status === "captured"
          ? {
              confirm_receipt: {
                deadline: Math.floor(now() / 1000) + 3_600,
                typed_data: jsonSafe(payments.buyerActionTypedData(intent, "confirm_receipt", BigInt(Math.floor(now() / 1000) + 3_600))),
              },
              open_dispute: {
                dispute_before: intent.heldSince + Number(intent.terms.confirmationWindow),
                typed_data: jsonSafe(payments.buyerActionTypedData(intent, "open_dispute", encodeBytes32String("not_received"))),
              },
            }
          : null,
      last_error: intent.failure ?? null,
      transactions: (await operationsOfIntent(sql, intent.id)).map((op) => ({
        operation: op.kind,
        status: op.status,
        hashes: op.hashes,
        block_number: op.blockNumber,
        confirmations: op.blockNumber === null ? 0 : Math.max(0, head - op.blockNumber + 1),
        failure: op.failureCode ? { code: op.failureCode, message: op.failureMessage ?? "" } : null,
      })),
      created: Math.floor(intent.createdAt / 1000),
      updated: Math.floor(intent.updatedAt / 1000),
    };
  };

  // ---- create
  registry.add({
    method: "post", path: "/v1/payment_intents", operationId: "createPaymentIntent", tags: ["Payment intents"],
    summary: "Create a payment intent", scope: ["merchant"], body: createIntentBody, response: paymentIntent, status: 201,
    description: "Returns the intent with the EIP-712 typed data the buyer signs (authorization.typed_data).",
  });
  router.post("/v1/payment_intents", merchantOnly, async (req, res) => {
    const principal = principalOf(res);
    const body = parseBody(req, createIntentBody);
    const result = await db.transaction(async (sql) => {
      const merchant = await merchants.get(sql, principal.merchantId!);
      if (!merchant) throw invalid("merchant_missing", "The key's merchant no longer exists");
      if (!merchant.capabilities.includes("payments")) {
        throw new ApiError("permission_error", "capability_missing", "This account is not enabled for payments (it is a receivables-only account)");
      }
      const intent = payments.newIntent(
        merchant,
        {
          amount: body.amount,
          token: body.token,
          buyer: body.buyer,
          orderRef: body.order_ref,
          captureMethod: body.capture_method,
          ...(body.confirmation_window === undefined ? {} : { confirmationWindowSeconds: body.confirmation_window }),
          kycTier: TIERS[body.kyc_tier],
          metadata: body.metadata,
        },
        now(),
      );
      await payments.insertIntent(sql, intent);
      const json = await toJson(sql, intent);
      await completeIdempotency(sql, res.locals.idempotency, 201, json);
      return json;
    });
    res.status(201).json(result);
  });

  // ---- read and list
  registry.add({
    method: "get", path: "/v1/payment_intents/:id", operationId: "getPaymentIntent", tags: ["Payment intents"],
    summary: "Retrieve a payment intent", scope: ["merchant"], params: intentParams, response: paymentIntent,
  });
  router.get("/v1/payment_intents/:id", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, intentParams);
    const merchantId = principalOf(res).merchantId!;
    res.json(await db.read(async (sql) => toJson(sql, await payments.getIntent(sql, merchantId, id))));
  });

  registry.add({
    method: "get", path: "/v1/payment_intents", operationId: "listPaymentIntents", tags: ["Payment intents"],
    summary: "List payment intents, newest first", scope: ["merchant"], query: listIntentsQuery, response: listOf(paymentIntent),
  });
  router.get("/v1/payment_intents", merchantOnly, async (req, res) => {
    const query = parseQuery(req, listIntentsQuery);
    const merchantId = principalOf(res).merchantId!;
    const page = await db.read(async (sql) => {
      const { data, hasMore } = await intents.list(sql, {
        merchantId,
        limit: query.limit,
        ...(query.starting_after ? { startingAfter: query.starting_after } : {}),
        ...(query.status ? { chainStatuses: STATUS_FILTER[query.status] } : {}),
        ...(query.buyer ? { buyer: query.buyer } : {}),
        ...(query.order_ref ? { orderRef: query.order_ref } : {}),
      });
      const items = (await mapInOrder(data, (intent) => toJson(sql, intent))).filter((i) => !query.status || i.status === query.status);
      return { object: "list" as const, data: items, has_more: hasMore };
    });
    res.json(page);
  });

  registry.add({
    method: "get", path: "/v1/payment_intents/:id/refunds", operationId: "listRefunds", tags: ["Payment intents"],
    summary: "List an intent's refunds, oldest first", scope: ["merchant"], params: intentParams, response: listOf(refundSchema),
  });
  router.get("/v1/payment_intents/:id/refunds", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, intentParams);
    const merchantId = principalOf(res).merchantId!;
    const refunds = await db.read(async (sql) => {
      await payments.getIntent(sql, merchantId, id); // 404 for another merchant's intent
      return (await operationsOfIntent(sql, id))
        .filter((op) => op.kind === "refund")
        .map((op) => {
          const payload = JSON.parse(op.payload) as { refundId?: string; amount: string };
          return {
            id: payload.refundId ?? null,
            object: "refund" as const,
            payment_intent: id,
            amount: payload.amount,
            status: op.status === "succeeded" ? ("succeeded" as const) : op.status === "failed" ? ("failed" as const) : ("pending" as const),
            transaction_hashes: op.hashes,
            failure: op.failureCode ? { code: op.failureCode, message: op.failureMessage ?? "" } : null,
            created: Math.floor(op.createdAt / 1000),
          };
        });
    });
    res.json({ object: "list", data: refunds, has_more: false });
  });

  // ---- the arbiter (admin scope): resolve a dispute with a split
  registry.add({
    method: "post", path: "/v1/admin/payment_intents/:id/resolve_dispute", operationId: "resolveDispute", tags: ["Administration"],
    summary: "Resolve a dispute: buyer_amount of the held funds to the buyer, the rest released to the merchant",
    scope: ["admin"], params: intentParams, body: resolveDisputeBody, response: paymentIntent, status: 202,
  });
  router.post("/v1/admin/payment_intents/:id/resolve_dispute", requireScope("admin"), async (req, res) => {
    if (!deps.arbiterEnabled) {
      throw new ApiError("api_error", "arbiter_signer_not_configured", "This relayer has no arbiter key: disputes cannot be resolved", undefined, 503);
    }
    const { id } = parseParams(req, intentParams);
    const body = parseBody(req, resolveDisputeBody);
    const json = await db.transaction(async (sql) => {
      const intent = await intents.get(sql, id);
      if (!intent) throw notFound("payment_intent", id, "id");
      await payments.enqueue(sql, intent, { kind: "resolve_dispute", terms: intent.terms, buyerAmount: body.buyer_amount }, now());
      await payments.recordEvent(sql, intent, "payment_intent.dispute_resolution_requested", now(), { buyer_amount: body.buyer_amount.toString() });
      const fresh = await toJson(sql, (await intents.get(sql, id))!);
      await completeIdempotency(sql, res.locals.idempotency, 202, fresh);
      return fresh;
    });
    res.status(202).json(json);
  });

  // ---- mutations that go to the chain
  const mutation = (
    name: string,
    operationId: string,
    summary: string,
    schema: z.ZodType,
    decide: (intent: PaymentIntent, body: never) => Promise<EscrowCall> | EscrowCall,
  ) => {
    const path = `/v1/payment_intents/:id/${name}`;
    registry.add({
      method: "post", path, operationId, tags: ["Payment intents"], summary, scope: ["merchant"], params: intentParams,
      body: schema, response: paymentIntent, status: 202,
      description: "Answers 202 with the intent in status processing; the outcome arrives as an event and a webhook.",
    });
    router.post(path, merchantOnly, async (req, res) => {
      const { id } = parseParams(req, intentParams);
      const body = parseBody(req, schema) as never;
      const merchantId = principalOf(res).merchantId!;
      const before = await db.read((sql) => payments.getIntent(sql, merchantId, id));
      const call = await decide(before, body); // may read the chain: outside the transaction
      const json = await db.transaction(async (sql) => {
        const intent = await payments.getIntent(sql, merchantId, id); // re-read: state may have moved meanwhile
        await payments.enqueue(sql, intent, call, now());
        await payments.recordEvent(sql, intent, `payment_intent.${name}_requested`, now());
        const fresh = await toJson(sql, await payments.getIntent(sql, merchantId, id));
        await completeIdempotency(sql, res.locals.idempotency, 202, fresh);
        return fresh;
      });
      res.status(202).json(json);
    });
  };

  mutation("confirm", "confirmPaymentIntent", "Submit the buyer's signature: the authorization goes on chain", confirmIntentBody,
    async (intent, body: z.output<typeof confirmIntentBody>) => {
      await payments.checkConfirmation(intent, body.signature, now());
      return payments.confirmCall(intent, body.signature);
    });
  mutation("confirm_receipt", "confirmReceipt", "Relay the buyer's confirmation of receipt: held funds are released at once", confirmReceiptBody,
    async (intent, body: z.output<typeof confirmReceiptBody>) => {
      if (body.deadline <= Math.floor(now() / 1000)) throw invalid("signature_expired", "The deadline the buyer signed has passed", "deadline");
      const deadline = BigInt(body.deadline);
      await payments.checkBuyerSignature(intent, payments.buyerActionTypedData(intent, "confirm_receipt", deadline), body.signature);
      return { kind: "confirm_receipt", terms: intent.terms, deadline, signature: body.signature };
    });
  mutation("disputes", "openDispute", "Relay the buyer's dispute: held funds freeze until the arbiter resolves", openDisputeBody,
    async (intent, body: z.output<typeof openDisputeBody>) => {
      if (Math.floor(now() / 1000) >= intent.heldSince + Number(intent.terms.confirmationWindow)) {
        throw invalid("dispute_window_closed", "The confirmation window in which the buyer may dispute has closed");
      }
      const reason = encodeBytes32String(body.reason);
      await payments.checkBuyerSignature(intent, payments.buyerActionTypedData(intent, "open_dispute", reason), body.signature);
      return { kind: "open_dispute", terms: intent.terms, reason, signature: body.signature };
    });
  mutation("capture", "capturePaymentIntent", "Capture all or part of an authorized amount", captureIntentBody,
    (intent, body: z.output<typeof captureIntentBody>) => ({ kind: "capture", terms: intent.terms, amount: body.amount ?? intent.amounts.capturable }));
  mutation("cancel", "cancelPaymentIntent", "Void what is left uncaptured (returned to the buyer)", emptyBody,
    (intent) => ({ kind: "void", terms: intent.terms }));
  mutation("refund", "refundPaymentIntent", "Refund all or part of what was captured", refundIntentBody,
    (intent, body: z.output<typeof refundIntentBody>) => ({
      kind: "refund",
      terms: intent.terms,
      amount: body.amount ?? intent.amounts.held + intent.amounts.released,
    }));
}

/** Typed data for JSON: bigints as decimal strings. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

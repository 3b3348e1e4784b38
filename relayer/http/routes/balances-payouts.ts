// /v1/balances (what the merchant has in the escrow) and /v1/payouts (paying it to the settlement address).
import type { Router } from "express";
import { z } from "zod";

import type { PayoutsService } from "../../application/payouts.js";
import type { ChainContext, ChainReader } from "../../application/ports.js";
import { invalid, notFound } from "../../domain/errors.js";
import type { Database } from "../../persistence/database.js";
import { merchants } from "../../persistence/merchants.js";
import { payouts, type Payout } from "../../persistence/payouts.js";
import { principalOf, requireScope } from "../auth.js";
import { completeIdempotency } from "../idempotency.js";
import type { RouteRegistry } from "../openapi.js";
import { address, listOf, objectId } from "../schemas/common.js";
import { parseBody, parseParams, parseQuery } from "../validate.js";

export interface BalancePayoutDeps {
  db: Database;
  chain: ChainContext;
  reader: ChainReader;
  payoutsService: PayoutsService;
  now: () => number;
}

const balanceSchema = z
  .object({
    object: z.literal("balance"),
    token: z.string(),
    available: z.string().meta({ description: "Released to the merchant in the escrow, ready to be paid out" }),
    held: z.string().meta({ description: "Captured and held in escrow until the buyer confirms or the window passes" }),
    capturable: z.string().meta({ description: "Authorized by buyers and not yet captured" }),
  })
  .meta({ id: "Balance" });

const payoutSchema = z
  .object({
    id: z.string(),
    object: z.literal("payout"),
    status: z.enum(["pending", "paid", "failed"]),
    token: z.string(),
    amount: z.string().nullable(),
    destination: z.string().nullable(),
    scheduled: z.boolean(),
    transaction_hash: z.string().nullable(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
    created: z.number(),
    updated: z.number(),
  })
  .meta({ id: "Payout" });

const createPayoutBody = z.strictObject({ token: address.optional().meta({ description: "Defaults to the settlement token" }) });
const payoutParams = z.strictObject({ id: objectId("po") });
const listPayoutsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: objectId("po").optional(),
});

const toJson = (p: Payout) => ({
  id: p.id,
  object: "payout" as const,
  status: p.status,
  token: p.token,
  amount: p.amount,
  destination: p.destination,
  scheduled: p.scheduled,
  transaction_hash: p.transactionHash,
  failure: p.failure,
  created: Math.floor(p.createdAt / 1000),
  updated: Math.floor(p.updatedAt / 1000),
});

export function balancePayoutRoutes(router: Router, registry: RouteRegistry, deps: BalancePayoutDeps): void {
  const { db, chain, reader, payoutsService, now } = deps;
  const merchantOnly = requireScope("merchant");

  registry.add({
    method: "get", path: "/v1/balances", operationId: "listBalances", tags: ["Balances and payouts"], scope: ["merchant"],
    summary: "The merchant's balances per token", response: listOf(balanceSchema),
  });
  router.get("/v1/balances", merchantOnly, async (_req, res) => {
    const merchantId = principalOf(res).merchantId!;
    const merchant = await db.read((sql) => merchants.get(sql, merchantId));
    if (!merchant) throw invalid("merchant_missing", "The key's merchant no longer exists");
    const available = await reader.escrowBalance(chain.token.address, merchant.address);
    const sums = await db.read((sql) =>
      sql.all<{ amount_held: string; amount_capturable: string }>(
        "SELECT amount_held, amount_capturable FROM payment_intents WHERE merchant_id = ? AND (amount_held != '0' OR amount_capturable != '0')",
        merchantId,
      ),
    );
    const held = sums.reduce((t, r) => t + BigInt(r.amount_held), 0n);
    const capturable = sums.reduce((t, r) => t + BigInt(r.amount_capturable), 0n);
    res.json({
      object: "list",
      data: [{ object: "balance", token: chain.token.address, available: available.toString(), held: held.toString(), capturable: capturable.toString() }],
      has_more: false,
    });
  });

  registry.add({
    method: "post", path: "/v1/payouts", operationId: "createPayout", tags: ["Balances and payouts"], scope: ["merchant"],
    summary: "Pay the available balance to the settlement address", body: createPayoutBody, response: payoutSchema, status: 202,
    description: "Answers 202 with the payout pending; payout.paid or payout.failed follows as an event and a webhook.",
  });
  router.post("/v1/payouts", merchantOnly, async (req, res) => {
    const body = parseBody(req, createPayoutBody);
    const merchantId = principalOf(res).merchantId!;
    const json = await db.transaction(async (sql) => {
      const merchant = await merchants.get(sql, merchantId);
      if (!merchant) throw invalid("merchant_missing", "The key's merchant no longer exists");
      const payout = toJson(await payoutsService.request(sql, merchant, body.token ?? chain.token.address, false, now()));
      await completeIdempotency(sql, res.locals.idempotency, 202, payout);
      return payout;
    });
    res.status(202).json(json);
  });

  registry.add({
    method: "get", path: "/v1/payouts", operationId: "listPayouts", tags: ["Balances and payouts"], scope: ["merchant"],
    summary: "List payouts, newest first", query: listPayoutsQuery, response: listOf(payoutSchema),
  });
  router.get("/v1/payouts", merchantOnly, async (req, res) => {
    const query = parseQuery(req, listPayoutsQuery);
    const merchantId = principalOf(res).merchantId!;
    const page = await db.read((sql) =>
      payouts.list(sql, merchantId, { limit: query.limit, ...(query.starting_after ? { startingAfter: query.starting_after } : {}) }),
    );
    res.json({ object: "list", data: page.data.map(toJson), has_more: page.hasMore });
  });

  registry.add({
    method: "get", path: "/v1/payouts/:id", operationId: "getPayout", tags: ["Balances and payouts"], scope: ["merchant"],
    summary: "Retrieve a payout", params: payoutParams, response: payoutSchema,
  });
  router.get("/v1/payouts/:id", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, payoutParams);
    const merchantId = principalOf(res).merchantId!;
    const payout = await db.read((sql) => payouts.getForMerchant(sql, merchantId, id));
    if (!payout) throw notFound("payout", id, "id");
    res.json(toJson(payout));
  });
}

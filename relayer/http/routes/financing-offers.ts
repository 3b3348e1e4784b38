// /v1/financing_offers: a financier (KYC Institutional) signs an offer to buy a receivable at a discount; the
// holder accepts it with its own signature, and the registry pays the holder at once (price less the platform
// fee) and moves the receivable to the financier. Offers are visible to their financier and the holder.
import type { Router } from "express";
import type { z } from "zod";

import type { ReceivablesService } from "../../application/receivables.js";
import { conflict, notFound } from "../../domain/errors.js";
import { financeQuote } from "../../domain/receivable.js";
import { mapInOrder, type Database, type Sql } from "../../persistence/database.js";
import type { Merchant } from "../../persistence/merchants.js";
import { financingOffers, receivables, type FinancingOffer } from "../../persistence/receivables.js";
import { requireScope } from "../auth.js";
import { completeIdempotency } from "../idempotency.js";
import type { RouteRegistry } from "../openapi.js";
import { listOf } from "../schemas/common.js";
import { acceptOfferBody, createOfferBody, listOffersQuery, offerParams, offerSchema, receivableSchema } from "../schemas/receivables.js";
import { parseBody, parseParams, parseQuery } from "../validate.js";
import { accountOf, receivableJson, serviceOf, type ReceivableRouteDeps } from "./receivables.js";

const TAGS = ["Financing offers"];

type OfferJson = z.input<typeof offerSchema>;

/** The offer's JSON at chain time `nowSeconds`; `quote` only while it is open and the receivable financeable. */
async function offerJson(sql: Sql, o: FinancingOffer, nowSeconds: number, platformFeeBps: number): Promise<OfferJson> {
  const expired = o.status === "open" && o.expiry < nowSeconds;
  const r = (await receivables.get(sql, o.receivableId))!;
  let quote: OfferJson["quote"] = null;
  if (o.status === "open" && !expired) {
    try {
      const q = financeQuote(r.faceValue, r.dueAt, nowSeconds, o.annualRateBps, platformFeeBps);
      quote = { days_to_maturity: Number(q.daysToMaturity), price: q.price.toString(), fee: q.fee.toString(), proceeds: q.proceeds.toString() };
    } catch {
      quote = null; // matured: nothing to quote
    }
  }
  return {
    id: o.id,
    object: "financing_offer",
    receivable: o.receivableId,
    financier: o.financier,
    status: expired ? "expired" : o.status,
    annual_rate_bps: o.annualRateBps,
    max_price: o.maxPrice.toString(),
    expiry: o.expiry,
    nonce: o.nonce,
    quote,
    price: o.price?.toString() ?? null,
    fee: o.fee?.toString() ?? null,
    days_to_maturity: o.daysToMaturity,
    transaction_hash: o.transactionHash,
    failure: o.failure,
    created: Math.floor(o.createdAt / 1000),
    updated: Math.floor(o.updatedAt / 1000),
  };
}

/** The offer if the account made it or holds its receivable; 404 otherwise. */
async function visibleOffer(sql: Sql, account: Merchant, id: string): Promise<FinancingOffer> {
  const o = await financingOffers.get(sql, id);
  const r = o && await receivables.get(sql, o.receivableId);
  if (!o || !r || (o.accountId !== account.id && r.holder !== account.address)) throw notFound("financing_offer", id, "id");
  return o;
}

export function financingOfferRoutes(router: Router, registry: RouteRegistry, deps: ReceivableRouteDeps & { db: Database }): void {
  const { db, now } = deps;
  const merchantOnly = requireScope("merchant");
  const clock = async (service: ReceivablesService) => {
    const [nowSeconds, terms] = await Promise.all([service.reader.chainTime(), service.reader.terms()]);
    return { nowSeconds, feeBps: terms.platformFeeBps };
  };

  registry.add({
    method: "post", path: "/v1/financing_offers", operationId: "createFinancingOffer", tags: TAGS,
    summary: "A financier's signed offer to buy a receivable at a discount", scope: ["merchant"], body: createOfferBody, response: offerSchema,
    status: 201,
    description: "The calling account is the financier (KYC Institutional); it signs the FinanceOffer typed data (action offer). Nothing goes to the chain until the holder accepts.",
  });
  router.post("/v1/financing_offers", merchantOnly, async (req, res) => {
    const service = serviceOf(deps);
    const body = parseBody(req, createOfferBody);
    // The financier names the receivable (the holder told it the id); another account's receivable is a 404
    // only if it does not exist: a financier sees no more of it than its offer.
    const { account, r } = await db.read(async (sql) => {
      const account = await accountOf(sql, res);
      const r = await receivables.get(sql, body.receivable);
      if (!r) throw notFound("receivable", body.receivable, "receivable");
      return { account, r };
    });
    const { offer } = await service.decideOffer(
      account,
      r,
      { annualRateBps: body.annual_rate_bps, maxPrice: body.max_price, expiry: body.expiry, nonce: body.nonce, signature: body.signature },
      now(),
    );
    const { nowSeconds, feeBps } = await clock(service);
    const json = await db.transaction(async (sql) => {
      if (await financingOffers.byNonce(sql, offer.financier, offer.nonce)) throw conflict("offer_nonce_used", "An offer with this nonce already exists");
      await financingOffers.insert(sql, offer);
      await service.notifyOffer(sql, offer, (await receivables.get(sql, r.id))!, "financing_offer.created", now(), { annual_rate_bps: offer.annualRateBps, max_price: offer.maxPrice.toString(), expiry: offer.expiry });
      const fresh = await offerJson(sql, offer, nowSeconds, feeBps);
      await completeIdempotency(sql, res.locals.idempotency, 201, fresh);
      return fresh;
    });
    res.status(201).json(json);
  });

  registry.add({
    method: "get", path: "/v1/financing_offers", operationId: "listFinancingOffers", tags: TAGS,
    summary: "Offers the caller made, and offers on receivables it holds, newest first", scope: ["merchant"], query: listOffersQuery,
    response: listOf(offerSchema),
  });
  router.get("/v1/financing_offers", merchantOnly, async (req, res) => {
    const service = serviceOf(deps);
    const query = parseQuery(req, listOffersQuery);
    const { nowSeconds, feeBps } = await clock(service);
    const page = await db.read(async (sql) => {
      const account = await accountOf(sql, res);
      const storedStatus = query.status === "expired" ? "open" : query.status;
      const { data, hasMore } = await financingOffers.list(
        sql,
        account.id,
        account.address,
        { ...(query.receivable ? { receivableId: query.receivable } : {}), ...(storedStatus ? { status: storedStatus } : {}) },
        { limit: query.limit, ...(query.starting_after ? { startingAfter: query.starting_after } : {}) },
      );
      const items = (await mapInOrder(data, (o) => offerJson(sql, o, nowSeconds, feeBps))).filter((o) => !query.status || o.status === query.status);
      return { object: "list" as const, data: items, has_more: hasMore };
    });
    res.json(page);
  });

  registry.add({
    method: "get", path: "/v1/financing_offers/:id", operationId: "getFinancingOffer", tags: TAGS,
    summary: "Retrieve a financing offer, with what it would pay now", scope: ["merchant"], params: offerParams, response: offerSchema,
  });
  router.get("/v1/financing_offers/:id", merchantOnly, async (req, res) => {
    const service = serviceOf(deps);
    const { id } = parseParams(req, offerParams);
    const { nowSeconds, feeBps } = await clock(service);
    res.json(await db.read(async (sql) => offerJson(sql, await visibleOffer(sql, await accountOf(sql, res), id), nowSeconds, feeBps)));
  });

  registry.add({
    method: "post", path: "/v1/financing_offers/:id/accept", operationId: "acceptFinancingOffer", tags: TAGS,
    summary: "The holder accepts an offer with its signature: it is paid at once and the financier becomes the holder", scope: ["merchant"],
    params: offerParams, body: acceptOfferBody, response: receivableSchema, status: 202,
    description: "Answers 202 with the receivable in processing; receivable.financed and financing_offer.accepted follow.",
  });
  router.post("/v1/financing_offers/:id/accept", merchantOnly, async (req, res) => {
    const service = serviceOf(deps);
    const { id } = parseParams(req, offerParams);
    const body = parseBody(req, acceptOfferBody);
    const { account, offer, r } = await db.read(async (sql) => {
      const account = await accountOf(sql, res);
      const offer = await visibleOffer(sql, account, id);
      return { account, offer, r: (await receivables.get(sql, offer.receivableId))! };
    });
    const decision = await service.decideAcceptOffer(account, r, offer, body.min_proceeds, { nonce: body.nonce, deadline: body.deadline, signature: body.signature });
    const json = await db.transaction(async (sql) => {
      const current = (await financingOffers.get(sql, id))!;
      if (current.status !== "open") throw conflict("offer_not_open", `Offer ${id} is ${current.status}`);
      await service.enqueue(sql, account, { ...decision, offerId: id }, now());
      const fresh = await receivableJson(sql, (await receivables.get(sql, r.id))!);
      await completeIdempotency(sql, res.locals.idempotency, 202, fresh);
      return fresh;
    });
    res.status(202).json(json);
  });
}

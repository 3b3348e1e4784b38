// /v1/webhook_endpoints and /v1/webhook_deliveries: where a merchant's events are sent, and the delivery log.
//
// The signing secret is shown once, in the create response. It is stored encrypted; the idempotent replay of a
// create answers the endpoint WITHOUT its secret (the stored response would otherwise keep it in plaintext).
import type { Router } from "express";
import { z } from "zod";

import { notFound } from "../../domain/errors.js";
import type { Database, Sql } from "../../persistence/database.js";
import { ALL_EVENTS, webhooks, type WebhookAttempt, type WebhookDelivery, type WebhookEndpoint } from "../../persistence/webhooks.js";
import { principalOf, requireScope } from "../auth.js";
import { completeIdempotency } from "../idempotency.js";
import type { RouteRegistry } from "../openapi.js";
import { listOf, objectId, paginationQuery } from "../schemas/common.js";
import { parseBody, parseParams, parseQuery } from "../validate.js";

export interface WebhookRouteDeps {
  db: Database;
  /** The key endpoint secrets are encrypted under (WEBHOOK_MASTER_KEY). */
  webhookMasterKey: Uint8Array;
  now: () => number;
}

// ---- schemas

const seconds = (ms: number) => Math.floor(ms / 1000);
const secondsOrNull = (ms: number | null) => (ms === null ? null : seconds(ms));

export const createEndpointBody = z
  .strictObject({
    url: z.string().min(1).max(2_048).meta({ description: "Absolute http(s) URL events are POSTed to", examples: ["https://shop.example/webhooks"] }),
    enabled_events: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(100)
      .default([ALL_EVENTS])
      .meta({ description: "Event types to send, e.g. payment_intent.captured; '*' (the default) for all" }),
    description: z.string().max(500).optional(),
  })
  .meta({ id: "CreateWebhookEndpoint" });

const endpointParams = z.strictObject({ id: objectId("we") });
const deliveryParams = z.strictObject({ id: objectId("msg") });
const emptyBody = z.strictObject({});

export const webhookEndpoint = z
  .object({
    id: z.string(),
    object: z.literal("webhook_endpoint"),
    url: z.string(),
    description: z.string(),
    enabled_events: z.array(z.string()),
    status: z.enum(["enabled", "disabled"]),
    created: z.number(),
    updated: z.number(),
  })
  .meta({ id: "WebhookEndpoint" });

const createdWebhookEndpoint = webhookEndpoint
  .extend({
    secret: z.string().meta({
      description: "The signing secret (whsec_...), for Standard Webhooks verification. Shown only in this response: store it now.",
    }),
  })
  .meta({ id: "CreatedWebhookEndpoint" });

const deletedWebhookEndpoint = z.object({ id: z.string(), object: z.literal("webhook_endpoint"), deleted: z.literal(true) });

export const webhookDelivery = z
  .object({
    id: z.string().meta({ description: "Also the webhook-id header, the same on every attempt" }),
    object: z.literal("webhook_delivery"),
    endpoint_id: z.string(),
    event_id: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.number(),
    next_attempt_at: z.number().nullable(),
    last_attempt_at: z.number().nullable(),
    last_status_code: z.number().nullable(),
    last_error: z.string().nullable(),
    created: z.number(),
  })
  .meta({ id: "WebhookDelivery" });

export const webhookAttempt = z
  .object({
    object: z.literal("webhook_attempt"),
    delivery_id: z.string(),
    attempted_at: z.number(),
    status_code: z.number().nullable().meta({ description: "null when no HTTP answer came (timeout, connection refused)" }),
    error: z.string().nullable(),
    duration_ms: z.number(),
  })
  .meta({ id: "WebhookAttempt" });

type EndpointJson = z.input<typeof webhookEndpoint>;
type DeliveryJson = z.input<typeof webhookDelivery>;

const endpointJson = (e: WebhookEndpoint): EndpointJson => ({
  id: e.id,
  object: "webhook_endpoint",
  url: e.url,
  description: e.description,
  enabled_events: e.enabledEvents,
  status: e.status === "active" ? "enabled" : "disabled",
  created: seconds(e.createdAt),
  updated: seconds(e.updatedAt),
});

const deliveryJson = (d: WebhookDelivery): DeliveryJson => ({
  id: d.id,
  object: "webhook_delivery",
  endpoint_id: d.endpointId,
  event_id: d.eventId,
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: secondsOrNull(d.nextAttemptAt),
  last_attempt_at: secondsOrNull(d.lastAttemptAt),
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  created: seconds(d.createdAt),
});

const attemptJson = (a: WebhookAttempt): z.input<typeof webhookAttempt> => ({
  object: "webhook_attempt",
  delivery_id: a.deliveryId,
  attempted_at: seconds(a.attemptedAt),
  status_code: a.statusCode,
  error: a.error,
  duration_ms: a.durationMs,
});

// ---- routes

export function webhookRoutes(router: Router, registry: RouteRegistry, deps: WebhookRouteDeps): void {
  const { db, now } = deps;
  const merchantOnly = requireScope("merchant");
  const tags = ["Webhooks"];

  /** The merchant's endpoint, or 404 (another merchant's endpoint is as missing as an unknown one). */
  const endpointOf = async (sql: Sql, merchantId: string, id: string): Promise<WebhookEndpoint> => {
    const endpoint = await webhooks.getEndpoint(sql, id, merchantId);
    if (!endpoint) throw notFound("webhook endpoint", id, "id");
    return endpoint;
  };
  const deliveryOf = async (sql: Sql, merchantId: string, id: string): Promise<WebhookDelivery> => {
    const delivery = await webhooks.getDelivery(sql, id);
    if (!delivery || !await webhooks.getEndpoint(sql, delivery.endpointId, merchantId)) throw notFound("webhook delivery", id, "id");
    return delivery;
  };

  // ---- create
  registry.add({
    method: "post", path: "/v1/webhook_endpoints", operationId: "createWebhookEndpoint", tags, scope: ["merchant"],
    summary: "Create a webhook endpoint", body: createEndpointBody, response: createdWebhookEndpoint, status: 201,
    description:
      "Events of the enabled types are POSTed to the URL, signed per Standard Webhooks (webhook-id, webhook-timestamp, " +
      "webhook-signature headers) and retried for about a day. The signing secret is returned only here; a replay of " +
      "this request with the same Idempotency-Key answers the endpoint without it.",
  });
  router.post("/v1/webhook_endpoints", merchantOnly, async (req, res) => {
    const body = parseBody(req, createEndpointBody);
    const merchantId = principalOf(res).merchantId!;
    const json = await db.transaction(async (sql) => {
      const { endpoint, secret } = await webhooks.createEndpoint(
        sql,
        { merchantId, url: body.url, enabledEvents: body.enabled_events, ...(body.description === undefined ? {} : { description: body.description }) },
        deps.webhookMasterKey,
        now(),
      );
      const shown = endpointJson(endpoint);
      // Stored for replays without the secret: it must exist in plaintext nowhere but this one response.
      await completeIdempotency(sql, res.locals.idempotency, 201, shown);
      return { ...shown, secret };
    });
    res.status(201).json(json);
  });

  // ---- read and list
  registry.add({
    method: "get", path: "/v1/webhook_endpoints", operationId: "listWebhookEndpoints", tags, scope: ["merchant"],
    summary: "List the merchant's webhook endpoints, newest first", response: listOf(webhookEndpoint),
  });
  router.get("/v1/webhook_endpoints", merchantOnly, async (_req, res) => {
    const merchantId = principalOf(res).merchantId!;
    const data = await db.read(async (sql) => (await webhooks.listEndpoints(sql, merchantId)).map(endpointJson));
    res.json({ object: "list", data, has_more: false });
  });

  registry.add({
    method: "get", path: "/v1/webhook_endpoints/:id", operationId: "getWebhookEndpoint", tags, scope: ["merchant"],
    summary: "Retrieve a webhook endpoint (without its secret)", params: endpointParams, response: webhookEndpoint,
  });
  router.get("/v1/webhook_endpoints/:id", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, endpointParams);
    const merchantId = principalOf(res).merchantId!;
    res.json(await db.read(async (sql) => endpointJson(await endpointOf(sql, merchantId, id))));
  });

  // ---- enable, disable, delete
  const toggle = (action: "enable" | "disable", operationId: string, summary: string) => {
    const path = `/v1/webhook_endpoints/:id/${action}`;
    registry.add({ method: "post", path, operationId, tags, scope: ["merchant"], summary, params: endpointParams, body: emptyBody, response: webhookEndpoint });
    router.post(path, merchantOnly, async (req, res) => {
      const { id } = parseParams(req, endpointParams);
      parseBody(req, emptyBody);
      const merchantId = principalOf(res).merchantId!;
      const json = await db.transaction(async (sql) => {
        await endpointOf(sql, merchantId, id);
        if (action === "enable") await webhooks.enableEndpoint(sql, id, now());
        else await webhooks.disableEndpoint(sql, id, now());
        const fresh = endpointJson(await endpointOf(sql, merchantId, id));
        await completeIdempotency(sql, res.locals.idempotency, 200, fresh);
        return fresh;
      });
      res.json(json);
    });
  };
  toggle("disable", "disableWebhookEndpoint", "Stop sending events to the endpoint; pending deliveries wait until it is enabled");
  toggle("enable", "enableWebhookEndpoint", "Resume sending events to the endpoint");

  registry.add({
    method: "delete", path: "/v1/webhook_endpoints/:id", operationId: "deleteWebhookEndpoint", tags, scope: ["merchant"],
    summary: "Delete a webhook endpoint with its deliveries and their log", params: endpointParams, response: deletedWebhookEndpoint,
  });
  router.delete("/v1/webhook_endpoints/:id", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, endpointParams);
    const merchantId = principalOf(res).merchantId!;
    await db.transaction(async (sql) => {
      await endpointOf(sql, merchantId, id);
      await webhooks.deleteEndpoint(sql, id);
    });
    res.json({ id, object: "webhook_endpoint", deleted: true });
  });

  // ---- deliveries and their log
  const listDeliveriesQuery = paginationQuery("msg");
  registry.add({
    method: "get", path: "/v1/webhook_endpoints/:id/deliveries", operationId: "listWebhookDeliveries", tags, scope: ["merchant"],
    summary: "List the endpoint's deliveries, newest first", params: endpointParams, query: listDeliveriesQuery, response: listOf(webhookDelivery),
  });
  router.get("/v1/webhook_endpoints/:id/deliveries", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, endpointParams);
    const query = parseQuery(req, listDeliveriesQuery);
    const merchantId = principalOf(res).merchantId!;
    const page = await db.read(async (sql) => {
      await endpointOf(sql, merchantId, id);
      return await webhooks.listDeliveries(sql, id, { limit: query.limit, ...(query.starting_after ? { startingAfter: query.starting_after } : {}) });
    });
    res.json({ object: "list", data: page.data.map(deliveryJson), has_more: page.hasMore });
  });

  registry.add({
    method: "get", path: "/v1/webhook_deliveries/:id/attempts", operationId: "listWebhookAttempts", tags, scope: ["merchant"],
    summary: "The delivery log: every HTTP attempt of a delivery, oldest first", params: deliveryParams, response: listOf(webhookAttempt),
  });
  router.get("/v1/webhook_deliveries/:id/attempts", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, deliveryParams);
    const merchantId = principalOf(res).merchantId!;
    const data = await db.read(async (sql) => {
      await deliveryOf(sql, merchantId, id);
      return (await webhooks.listAttempts(sql, id)).map(attemptJson);
    });
    res.json({ object: "list", data, has_more: false });
  });

  registry.add({
    method: "post", path: "/v1/webhook_deliveries/:id/redeliver", operationId: "redeliverWebhook", tags, scope: ["merchant"],
    summary: "Send a delivery again now", params: deliveryParams, body: emptyBody, response: webhookDelivery, status: 202,
    description:
      "The message goes out again on the next dispatcher tick with the same webhook-id, whatever its status; a failure " +
      "starts a fresh retry schedule. A disabled endpoint's delivery waits until the endpoint is enabled.",
  });
  router.post("/v1/webhook_deliveries/:id/redeliver", merchantOnly, async (req, res) => {
    const { id } = parseParams(req, deliveryParams);
    parseBody(req, emptyBody);
    const merchantId = principalOf(res).merchantId!;
    const json = await db.transaction(async (sql) => {
      await deliveryOf(sql, merchantId, id);
      const fresh = deliveryJson((await webhooks.redeliver(sql, id, now()))!);
      await completeIdempotency(sql, res.locals.idempotency, 202, fresh);
      return fresh;
    });
    res.status(202).json(json);
  });
}

// /v1/events: everything that happened to the merchant's objects, newest first.
import type { Router } from "express";
import { z } from "zod";

import type { Database } from "../../persistence/database.js";
import { events } from "../../persistence/intents.js";
import { principalOf, requireScope } from "../auth.js";
import type { RouteRegistry } from "../openapi.js";
import { listOf, objectId } from "../schemas/common.js";
import { parseQuery } from "../validate.js";

const listEventsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: objectId("evt").optional(),
  /** A payment intent's, a receivable's or a financing offer's events. */
  object_id: z
    .string()
    .regex(/^(pi|rcv|ofr)_[0-9a-f]{24}$/, "must be the id of a payment intent (pi_), a receivable (rcv_) or a financing offer (ofr_)")
    .optional(),
});

export const eventSchema = z
  .object({ id: z.string(), object: z.literal("event"), type: z.string(), object_id: z.string(), data: z.unknown(), created: z.number() })
  .meta({ id: "Event" });

export function eventRoutes(router: Router, registry: RouteRegistry, deps: { db: Database }): void {
  registry.add({
    method: "get", path: "/v1/events", operationId: "listEvents", tags: ["Events"], scope: ["merchant"],
    summary: "List the merchant's events, newest first", query: listEventsQuery, response: listOf(eventSchema),
  });
  router.get("/v1/events", requireScope("merchant"), async (req, res) => {
    const query = parseQuery(req, listEventsQuery);
    const merchantId = principalOf(res).merchantId!;
    const page = await deps.db.read((sql) =>
      events.list(sql, merchantId, {
        limit: query.limit,
        ...(query.starting_after ? { startingAfter: query.starting_after } : {}),
        ...(query.object_id ? { objectId: query.object_id } : {}),
      }),
    );
    res.json({
      object: "list",
      data: page.data.map((e) => ({ id: e.id, object: "event", type: e.type, object_id: e.objectId, data: e.data, created: Math.floor(e.createdAt / 1000) })),
      has_more: page.hasMore,
    });
  });
}

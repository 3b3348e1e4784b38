import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import express from "express";
import { z } from "zod";

import { buildOpenApi, docsHandler, openApiHandler, RouteRegistry } from "../../../relayer/http/openapi.js";
import { address, amountString, metadata, paginationQuery } from "../../../relayer/http/schemas/common.js";
import { serve, type Served } from "./helpers.js";

const Thing = z
  .object({ id: z.string(), object: z.literal("thing"), amount: z.string(), buyer: z.string() })
  .meta({ id: "Thing", description: "A thing" });
const createThing = z.strictObject({ amount: amountString, buyer: address, metadata: metadata.optional() });

function registry() {
  const routes = new RouteRegistry();
  routes.add({
    method: "post", path: "/v1/things", operationId: "createThing", summary: "Create a thing", tags: ["Things"],
    scope: ["merchant"], body: createThing, response: Thing, status: 201,
  });
  routes.add({
    method: "get", path: "/v1/things/:id", operationId: "getThing", summary: "Retrieve a thing",
    scope: ["merchant", "auditor"], params: z.strictObject({ id: z.string().regex(/^thing_/) }), response: Thing,
  });
  routes.add({
    method: "get", path: "/v1/things", operationId: "listThings", summary: "List <things>",
    scope: ["merchant"], query: paginationQuery("thing"), response: z.object({ data: z.array(Thing) }),
  });
  routes.add({ method: "get", path: "/health", operationId: "health", summary: "Liveness", scope: "public", response: z.object({ ok: z.boolean() }) });
  return routes;
}

const doc = buildOpenApi(registry(), { title: "Settlement relayer", version: "1.0.0" });
type Operation = {
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: { "application/json": { schema: Record<string, unknown> } } };
  responses: Record<string, { content?: { "application/json": { schema: unknown } }; $ref?: string }>;
  security: unknown[];
};
const op = (path: string, method: string) => doc.paths[path]?.[method] as unknown as Operation;

describe("buildOpenApi", () => {
  it("produces an OpenAPI 3.1 document with paths, components and a bearer security scheme", () => {
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(doc.info, { title: "Settlement relayer", version: "1.0.0" });
    assert.deepEqual(Object.keys(doc.paths).sort(), ["/health", "/v1/things", "/v1/things/{id}"]);
    assert.equal(doc.components.securitySchemes.bearerAuth?.type, "http");
    assert.equal(doc.components.securitySchemes.bearerAuth?.scheme, "bearer");
    assert.ok(doc.components.responses.Error);
    assert.ok(doc.components.schemas.Error);
  });

  it("puts a named schema in components.schemas exactly as zod's toJSONSchema emits it", () => {
    const expected = z.toJSONSchema(Thing, { io: "output" }) as { $defs: Record<string, unknown> };
    assert.deepEqual(doc.components.schemas.Thing, expected.$defs.Thing);
    assert.deepEqual(op("/v1/things/{id}", "get").responses["200"]?.content?.["application/json"].schema, { $ref: "#/components/schemas/Thing" });
  });

  it("documents the request body as its input schema: amounts are digit strings, unknown fields refused", () => {
    const schema = op("/v1/things", "post").requestBody?.content["application/json"].schema as {
      properties: Record<string, Record<string, unknown>>; required: string[]; additionalProperties: boolean;
    };
    assert.equal(schema.properties.amount?.type, "string");
    assert.equal(schema.properties.amount?.pattern, "^[1-9][0-9]*$");
    assert.deepEqual(schema.required.sort(), ["amount", "buyer"]);
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(op("/v1/things", "post").responses), ["201", "default"]);
  });

  it("lists path, query and Idempotency-Key header parameters", () => {
    const byName = (path: string, method: string) => new Map(op(path, method).parameters.map((p) => [p.name, p]));
    assert.deepEqual(byName("/v1/things/{id}", "get").get("id"), { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^thing_" } });
    const list = byName("/v1/things", "get");
    assert.equal(list.get("limit")?.required, false);
    assert.equal(list.get("limit")?.schema.default, 20);
    assert.equal(list.get("starting_after")?.in, "query");
    assert.equal(byName("/v1/things", "post").get("Idempotency-Key")?.in, "header");
  });

  it("requires the bearer key except on public routes", () => {
    assert.deepEqual(op("/v1/things", "post").security, [{ bearerAuth: [] }]);
    assert.deepEqual(op("/health", "get").security, []);
  });

  it("refuses to declare the same route twice", () => {
    const routes = registry();
    assert.throws(() => routes.add({ method: "get", path: "/health", operationId: "again", summary: "", scope: "public", response: z.object({}) }), /declared twice/);
  });
});

describe("/openapi.json and /docs", () => {
  let server: Served;
  before(async () => {
    const app = express();
    app.get("/openapi.json", openApiHandler(doc));
    app.get("/docs", docsHandler(doc));
    server = await serve(app);
  });
  after(() => server.close());

  it("serves the document as JSON", async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    assert.match(response.headers.get("content-type") ?? "", /application\/json/);
    assert.deepEqual(await response.json(), JSON.parse(JSON.stringify(doc)));
  });

  it("serves a self-contained HTML page listing every operation, escaped, without scripts", async () => {
    const response = await fetch(`${server.url}/docs`);
    const html = await response.text();
    assert.match(response.headers.get("content-type") ?? "", /text\/html/);
    for (const text of ["/v1/things/{id}", "Create a thing", "Retrieve a thing", "List &lt;things&gt;", "Liveness"]) assert.ok(html.includes(text), text);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!127)/i);
  });
});

// The API's routes, declared once with their zod schemas, and the OpenAPI 3.1 document generated from them
// (zod 4's z.toJSONSchema emits JSON Schema 2020-12, which is OpenAPI 3.1's schema dialect).
import type { Request, Response } from "express";
import { z } from "zod";

import type { Scope } from "../domain/principal.js";
import { errorResponse } from "./schemas/common.js";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface RouteSpec {
  method: HttpMethod;
  /** Express-style path, e.g. /v1/payment_intents/:id. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Scopes allowed to call the route, or "public" for no authentication. */
  scope: readonly Scope[] | "public";
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  response: z.ZodType;
  /** Status of a successful answer (default 200). */
  status?: number;
}

export class RouteRegistry {
  readonly #routes: RouteSpec[] = [];

  /** Declares a route; a second route with the same method and path, or operationId, is a programming error. */
  add<R extends RouteSpec>(route: R): R {
    const clash = this.#routes.find(
      (r) => (r.method === route.method && r.path === route.path) || r.operationId === route.operationId,
    );
    if (clash) throw new Error(`route ${route.method.toUpperCase()} ${route.path} (${route.operationId}) is declared twice`);
    this.#routes.push(route);
    return route;
  }

  get routes(): readonly RouteSpec[] {
    return this.#routes;
  }
}

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string; description?: string }[];
}

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

const SCHEMA_REF = "#/components/schemas/";

/** Converts a zod schema; named sub-schemas (`.meta({ id })`) move to components.schemas. */
function convert(schema: z.ZodType, io: "input" | "output", components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  const rewritten = JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', `"${SCHEMA_REF}`)) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = rewritten;
  for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    components[name] ??= def;
  }
  return rest;
}

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
const pathParamNames = (path: string) => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? "");

function parametersOf(route: RouteSpec, components: Record<string, JsonSchema>): JsonSchema[] {
  const parameters: JsonSchema[] = [];
  const fromObject = (schema: z.ZodType | undefined, location: "query" | "path") => {
    if (schema === undefined) return new Map<string, { schema: JsonSchema; required: boolean }>();
    const json = convert(schema, "input", components);
    const required = new Set((json.required ?? []) as string[]);
    const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
    return new Map(Object.entries(properties).map(([name, s]) => [name, { schema: s, required: location === "path" || required.has(name) }]));
  };
  const params = fromObject(route.params, "path");
  for (const name of pathParamNames(route.path)) {
    parameters.push({ name, in: "path", required: true, schema: params.get(name)?.schema ?? { type: "string" } });
  }
  for (const [name, p] of fromObject(route.query, "query")) {
    const { description, ...schema } = p.schema;
    parameters.push({ name, in: "query", required: p.required, ...(description ? { description } : {}), schema });
  }
  if (route.method === "post") {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description: "Makes the request safe to retry: the same key and body within 24 hours replay the first answer.",
      schema: { type: "string", minLength: 1, maxLength: 255 },
    });
  }
  return parameters;
}

function operationOf(route: RouteSpec, components: Record<string, JsonSchema>): JsonSchema {
  const isPublic = route.scope === "public";
  const scopeNote = isPublic ? "" : `Requires an API key with scope: ${(route.scope as readonly Scope[]).join(", ")}.`;
  const description = [route.description, scopeNote].filter(Boolean).join("\n\n");
  const operation: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    ...(description ? { description } : {}),
    ...(route.tags ? { tags: route.tags } : {}),
    ...(isPublic ? { security: [] } : { security: [{ bearerAuth: [] }], "x-scopes": route.scope }),
    parameters: parametersOf(route, components),
    responses: {
      [String(route.status ?? 200)]: {
        description: "Success",
        content: { "application/json": { schema: convert(route.response, "output", components) } },
      },
      default: { $ref: "#/components/responses/Error" },
    },
  };
  if (route.body !== undefined) {
    operation.requestBody = {
      required: true,
      content: { "application/json": { schema: convert(route.body, "input", components) } },
    };
  }
  return operation;
}

export function buildOpenApi(registry: RouteRegistry, info: ApiInfo): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  const paths: OpenApiDocument["paths"] = {};
  for (const route of registry.routes) {
    const item = (paths[openApiPath(route.path)] ??= {});
    item[route.method] = operationOf(route, schemas);
  }
  const error = convert(errorResponse, "output", schemas);
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    ...(info.servers ? { servers: info.servers } : {}),
    paths,
    components: {
      schemas,
      responses: {
        Error: { description: "Error", content: { "application/json": { schema: error } } },
      },
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An API key: Authorization: Bearer sk_..." },
      },
    },
  };
}

/** GET /openapi.json */
export function openApiHandler(document: OpenApiDocument) {
  const body = JSON.stringify(document);
  return (_req: Request, res: Response): void => {
    res.type("application/json").send(body);
  };
}

export { docsHandler } from "./docs-page.js";

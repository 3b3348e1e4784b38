import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";

import express from "express";
import { pino } from "pino";

import { ApiError, invalid } from "../../../relayer/domain/errors.js";
import { jsonBody } from "../../../relayer/http/body.js";
import { errorHandler, notFoundHandler } from "../../../relayer/http/errors.js";
import { requestContext, requestIdOf } from "../../../relayer/http/request-context.js";
import { type ErrorShape, postJson, serve, type Served } from "./helpers.js";

const logged: string[] = [];
const logger = pino(
  new Writable({
    write(chunk, _enc, done) {
      logged.push(String(chunk));
      done();
    },
  }),
);

function toyApp() {
  const app = express();
  app.use(requestContext());
  app.use(jsonBody({ limit: 1024 }));
  app.get("/id", (_req, res) => {
    res.json({ id: requestIdOf(res) });
  });
  app.post("/echo", (req, res) => {
    res.json({ body: req.body as unknown });
  });
  app.get("/api-error", () => {
    throw invalid("amount_invalid", "amount must be digits", "amount");
  });
  app.get("/async-api-error", async () => {
    await new Promise((resolve) => setImmediate(resolve));
    throw new ApiError("conflict_error", "intent_state_invalid", "cannot capture a voided intent");
  });
  app.get("/boom", async () => {
    throw new Error("db password is hunter2");
  });
  app.use(notFoundHandler());
  app.use(errorHandler(logger));
  return app;
}

let server: Served;
before(async () => (server = await serve(toyApp())));
after(() => server.close());

const errorOf = async (response: Response) => ((await response.json()) as ErrorShape).error;

describe("request context", () => {
  it("gives each request its own req_ id in the Request-Id header, readable by handlers", async () => {
    const [a, b] = await Promise.all([fetch(`${server.url}/id`), fetch(`${server.url}/id`)]);
    const idA = a.headers.get("request-id");
    assert.match(idA ?? "", /^req_[0-9a-f]{24}$/);
    assert.notEqual(idA, b.headers.get("request-id"));
    assert.deepEqual(await a.json(), { id: idA });
  });
});

describe("error handler", () => {
  it("answers an ApiError with its status and the error body carrying the request id", async () => {
    const response = await fetch(`${server.url}/api-error`);
    assert.equal(response.status, 400);
    assert.deepEqual(await errorOf(response), {
      type: "invalid_request_error",
      code: "amount_invalid",
      message: "amount must be digits",
      param: "amount",
      request_id: response.headers.get("request-id"),
    });
  });

  it("catches a rejected async handler and answers with its ApiError status", async () => {
    const response = await fetch(`${server.url}/async-api-error`);
    assert.equal(response.status, 409);
    const error = await errorOf(response);
    assert.equal(error.code, "intent_state_invalid");
    assert.equal(error.param, null);
  });

  it("answers an unexpected error with a generic 500 and logs the real error with the request id", async () => {
    const response = await fetch(`${server.url}/boom`);
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.doesNotMatch(text, /hunter2/);
    const error = (JSON.parse(text) as ErrorShape).error;
    assert.equal(error.type, "api_error");
    assert.equal(error.code, "internal_error");
    const line = logged.find((l) => l.includes(error.request_id ?? "none"));
    assert.ok(line, "the failure is logged under its request id");
    assert.match(line, /hunter2/);
  });

  it("answers malformed JSON with 400 invalid_json", async () => {
    const response = await postJson(`${server.url}/echo`, '{"amount": ');
    assert.equal(response.status, 400);
    assert.equal((await errorOf(response)).code, "invalid_json");
  });

  it("answers a body over the limit with 413 body_too_large", async () => {
    const response = await postJson(`${server.url}/echo`, { pad: "x".repeat(2000) });
    assert.equal(response.status, 413);
    assert.equal((await errorOf(response)).code, "body_too_large");
  });

  it("answers a POST body that is not JSON with 415 unsupported_media_type", async () => {
    const response = await fetch(`${server.url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "amount=100",
    });
    assert.equal(response.status, 415);
    assert.equal((await errorOf(response)).code, "unsupported_media_type");
  });

  it("accepts a POST without a body and without a content type", async () => {
    const response = await fetch(`${server.url}/echo`, { method: "POST" });
    assert.equal(response.status, 200);
  });

  it("answers an unknown route with 404 route_not_found", async () => {
    const response = await fetch(`${server.url}/v1/nothing-here`);
    assert.equal(response.status, 404);
    const error = await errorOf(response);
    assert.equal(error.type, "not_found_error");
    assert.equal(error.code, "route_not_found");
    assert.equal(error.request_id, response.headers.get("request-id"));
  });
});

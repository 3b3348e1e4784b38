import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";

import express from "express";

import { jsonBody } from "../../../relayer/http/body.js";
import { errorHandler } from "../../../relayer/http/errors.js";
import { createLogger, maskSecrets, requestLogger } from "../../../relayer/http/logging.js";
import { requestContext } from "../../../relayer/http/request-context.js";
import { postJson, serve, type Served } from "./helpers.js";

const API_KEY = "sk_mer_Zx9vQ2m4Lr8tY1uB6nC3dF5gH7jK0pW_-aEoIs2";
const SIGNATURE = `0x${"ab12".repeat(32)}1b`;
const PRIVATE_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const TX_HASH = `0x${"5e".repeat(32)}`;

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: "debug" }) };
}

describe("logger", () => {
  it("masks secret-shaped strings anywhere: in fields, nested values and the message", () => {
    const { lines, logger } = capture();
    logger.info({ note: `retrying with ${API_KEY}`, nested: { list: [SIGNATURE] }, raw: PRIVATE_KEY }, `key ${API_KEY} sig ${SIGNATURE}`);
    const output = lines.join("");
    for (const secret of [API_KEY, SIGNATURE, PRIVATE_KEY]) assert.ok(!output.includes(secret), `leaked ${secret.slice(0, 10)}`);
    assert.match(output, /\[Redacted\]/);
  });

  it("drops the values of secret fields whatever they hold", () => {
    const { lines, logger } = capture();
    logger.info({
      headers: { authorization: "Bearer opaque-token" },
      webhookSecret: "whsec_plain",
      merchant: { privateKey: "not-hex-but-secret", password: "hunter2" },
    });
    const output = lines.join("");
    for (const secret of ["opaque-token", "whsec_plain", "not-hex-but-secret", "hunter2"]) assert.ok(!output.includes(secret));
  });

  it("masks secrets in a logged error's message and stack", () => {
    const { lines, logger } = capture();
    logger.error({ err: new Error(`signer rejected ${PRIVATE_KEY}`) }, "boom");
    const output = lines.join("");
    assert.ok(!output.includes(PRIVATE_KEY));
    assert.match(output, /signer rejected/);
  });

  it("keeps 0x-prefixed transaction hashes readable", () => {
    assert.equal(maskSecrets(`mined ${TX_HASH}`), `mined ${TX_HASH}`);
  });

  it("masks secrets in a child logger's bindings", () => {
    const { lines, logger } = capture();
    logger.child({ apiKey: API_KEY, context: `uses ${API_KEY}` }).child({ step: 2 }).info("hello");
    const output = lines.join("");
    assert.ok(!output.includes(API_KEY));
    assert.match(output, /"step":2/);
    assert.match(output, /"context":"uses \[Redacted\]"/);
  });
});

describe("requestLogger", () => {
  const { lines, logger } = capture();
  let server: Served;
  before(async () => {
    const app = express();
    app.use(requestContext());
    app.use(requestLogger(logger));
    app.use(jsonBody());
    app.post("/v1/payment_intents/:id/confirm", (_req, res) => {
      res.status(200).json({ ok: true });
    });
    app.use(errorHandler(logger));
    server = await serve(app);
  });
  after(() => server.close());

  it("logs method, path, status, duration and request id, and never the key or the body", async () => {
    const response = await postJson(
      `${server.url}/v1/payment_intents/pi_1/confirm?expand=x`,
      { signature: SIGNATURE, note: "body-marker" },
      { authorization: `Bearer ${API_KEY}` },
    );
    await response.text();
    await new Promise((resolve) => setImmediate(resolve));
    const output = lines.join("");
    assert.ok(!output.includes(API_KEY));
    assert.ok(!output.includes(SIGNATURE));
    assert.ok(!output.includes("body-marker"));
    const line = JSON.parse(lines.find((l) => l.includes("request completed")) ?? "{}") as Record<string, unknown>;
    assert.equal(line.request_id, response.headers.get("request-id"));
    assert.equal(line.method, "POST");
    assert.equal(line.path, "/v1/payment_intents/pi_1/confirm");
    assert.equal(line.status, 200);
    assert.equal(typeof line.duration_ms, "number");
  });
});

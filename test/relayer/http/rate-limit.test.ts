import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import express from "express";

import { errorHandler } from "../../../relayer/http/errors.js";
import { rateLimit, TokenBuckets } from "../../../relayer/http/rate-limit.js";
import { requestContext } from "../../../relayer/http/request-context.js";
import { type ErrorShape, serve, type Served } from "./helpers.js";

describe("TokenBuckets", () => {
  it("allows a burst, then one request per refill interval", () => {
    let now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3, now: () => now });
    assert.deepEqual([buckets.take("a"), buckets.take("a"), buckets.take("a")], [0, 0, 0]);
    assert.equal(buckets.take("a"), 500);
    now += 500;
    assert.equal(buckets.take("a"), 0);
    assert.equal(buckets.take("a"), 500);
  });

  it("keeps one bucket per client", () => {
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1, now: () => 0 });
    assert.equal(buckets.take("a"), 0);
    assert.equal(buckets.take("b"), 0);
    assert.ok(buckets.take("a") > 0);
  });

  it("never refills beyond the burst size", () => {
    let now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 2, now: () => now });
    now += 60_000;
    assert.deepEqual([buckets.take("a"), buckets.take("a")], [0, 0]);
    assert.ok(buckets.take("a") > 0);
  });
});

describe("rateLimit middleware", () => {
  let server: Served;
  let now = 0;
  before(async () => {
    const app = express();
    app.use(requestContext());
    app.use((req, res, next) => {
      res.locals.principal = { keyId: req.get("x-key") ?? "key_a", scope: "merchant", merchantId: "mer_a" };
      next();
    });
    app.use(rateLimit({ ratePerSecond: 0.25, burst: 2, now: () => now }));
    app.get("/ping", (_req, res) => {
      res.json({ ok: true });
    });
    app.use(errorHandler());
    server = await serve(app);
  });
  after(() => server.close());

  const ping = (key: string) => fetch(`${server.url}/ping`, { headers: { "x-key": key } });

  it("answers the request past the burst with 429 rate_limit_exceeded and Retry-After in seconds", async () => {
    assert.equal((await ping("key_burst")).status, 200);
    assert.equal((await ping("key_burst")).status, 200);
    const limited = await ping("key_burst");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "4");
    const error = ((await limited.json()) as ErrorShape).error;
    assert.equal(error.type, "rate_limit_error");
    assert.equal(error.code, "rate_limit_exceeded");
  });

  it("serves the client again once the bucket has refilled", async () => {
    await ping("key_refill");
    await ping("key_refill");
    assert.equal((await ping("key_refill")).status, 429);
    now += 4_000;
    assert.equal((await ping("key_refill")).status, 200);
  });

  it("does not let one principal exhaust another's bucket", async () => {
    await ping("key_noisy");
    await ping("key_noisy");
    assert.equal((await ping("key_noisy")).status, 429);
    assert.equal((await ping("key_quiet")).status, 200);
  });
});

// Bad inputs at the HTTP layer, through real HTTP against the real system: authentication, other merchants'
// objects, bodies that are not JSON or too large, unknown routes, the rate limit. Every refusal has the one
// error body and changes nothing: no row in the tables a request can write, no transaction from the operator.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet } from "ethers";

import { issueApiKey } from "../../../relayer/application/admin.js";
import { apiKeys } from "../../../relayer/persistence/api-keys.js";
import { merchants } from "../../../relayer/persistence/merchants.js";
import { devWallet, signAuthorization, startSystem, type TestSystem } from "../support/system.js";
import { assertRefused, createBody, raw } from "./bad-inputs-support.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
});
after(async () => {
  await system?.stop();
});

const json = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
const post = (path: string, body: unknown, key = system.merchantKey) => () => raw(system, "POST", path, { headers: json(key), body: JSON.stringify(body) });

describe("authentication", () => {
  const malformed: [string, Record<string, string>][] = [
    ["no Authorization header", {}],
    ["a Basic scheme", { authorization: "Basic c2tfbWVyX3Rlc3Q6" }],
    ["Bearer with nothing after it", { authorization: "Bearer " }],
    ["the key without the Bearer scheme", { authorization: "KEY" }],
    ["a key with a space inside", { authorization: "Bearer sk_mer_abc def" }],
    ["a key longer than 512 characters", { authorization: `Bearer sk_mer_${"a".repeat(600)}` }],
  ];
  for (const [name, headers] of malformed) {
    it(`refuses ${name} with 401 api_key_missing`, async () => {
      const resolved = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace("KEY", system.merchantKey)]));
      await assertRefused(system, () => raw(system, "POST", "/v1/payment_intents", {
        headers: { ...resolved, "content-type": "application/json" },
        body: JSON.stringify(createBody(system)),
      }), { status: 401, code: "api_key_missing", param: null, type: "authentication_error" });
    });
  }

  it("refuses a well-formed key the relayer never issued with 401 api_key_invalid", async () => {
    await assertRefused(system, post("/v1/payment_intents", createBody(system), `sk_mer_${"x".repeat(43)}`),
      { status: 401, code: "api_key_invalid", param: null, type: "authentication_error" });
  });

  it("refuses a revoked key with 401 api_key_invalid, though it worked before revocation", async () => {
    const { key, secret } = await issueApiKey(system.relayer.db, { scope: "merchant", merchantId: system.merchantId, label: "to revoke" }, Date.now());
    assert.equal((await raw(system, "GET", "/v1/payment_intents?limit=1", { headers: { authorization: `Bearer ${secret}` } })).status, 200);
    assert.equal(await system.relayer.db.transaction((sql) => apiKeys.revoke(sql, key.id, Date.now())), true);
    await assertRefused(system, post("/v1/payment_intents", createBody(system), secret),
      { status: 401, code: "api_key_invalid", param: null, type: "authentication_error" });
  });
});

describe("another merchant's payment intent", () => {
  let otherKey: string;
  let intent: any;
  before(async () => {
    const other = HDNodeWallet.createRandom();
    const otherMerchant = await system.relayer.db.transaction((sql) =>
      merchants.create(sql, { name: "Other merchant", address: other.address, settlementAddress: other.address, feeBps: 100, partner: devWallet(9).address, partnerShareBps: 0 }, Date.now()),
    );
    otherKey = (await issueApiKey(system.relayer.db, { scope: "merchant", merchantId: otherMerchant.id, label: "other" }, Date.now())).secret;
    const created = await system.api("POST", "/v1/payment_intents", createBody(system, { capture_method: "manual" }));
    assert.equal(created.status, 201);
    intent = created.body;
  });

  it("is 404 resource_missing on GET, exactly like an id that does not exist", async () => {
    const mine = await raw(system, "GET", `/v1/payment_intents/${intent.id}`, { headers: { authorization: `Bearer ${system.merchantKey}` } });
    assert.equal(mine.status, 200);
    await assertRefused(system, () => raw(system, "GET", `/v1/payment_intents/${intent.id}`, { headers: { authorization: `Bearer ${otherKey}` } }),
      { status: 404, code: "resource_missing", param: "id", type: "not_found_error" });
  });

  it("is 404 resource_missing on confirm, even with the buyer's valid signature", async () => {
    const signature = await signAuthorization(system.buyer, intent);
    await assertRefused(system, post(`/v1/payment_intents/${intent.id}/confirm`, { signature }, otherKey),
      { status: 404, code: "resource_missing", param: "id" });
  });

  it("is 404 resource_missing on capture", async () => {
    await assertRefused(system, post(`/v1/payment_intents/${intent.id}/capture`, {}, otherKey),
      { status: 404, code: "resource_missing", param: "id" });
  });

  it("does not appear in the other merchant's list", async () => {
    const list = await raw(system, "GET", "/v1/payment_intents?limit=100", { headers: { authorization: `Bearer ${otherKey}` } });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data, []);
  });
});

describe("request bodies", () => {
  it("refuses malformed JSON with 400 invalid_json", async () => {
    await assertRefused(system, () => raw(system, "POST", "/v1/payment_intents", { headers: json(system.merchantKey), body: '{"amount": "100",' }),
      { status: 400, code: "invalid_json", param: null, type: "invalid_request_error" });
  });

  it("refuses a body over the 100 kb limit with 413 body_too_large", async () => {
    const body = JSON.stringify(createBody(system, { metadata: { note: "x".repeat(101 * 1024) } }));
    await assertRefused(system, () => raw(system, "POST", "/v1/payment_intents", { headers: json(system.merchantKey), body }),
      { status: 413, code: "body_too_large", param: null });
  });

  for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
    it(`refuses a ${contentType} body with 415 unsupported_media_type`, async () => {
      const body = contentType === "text/plain" ? JSON.stringify(createBody(system)) : "amount=100&buyer=0x";
      await assertRefused(system, () => raw(system, "POST", "/v1/payment_intents", {
        headers: { authorization: `Bearer ${system.merchantKey}`, "content-type": contentType },
        body,
      }), { status: 415, code: "unsupported_media_type", param: null });
    });
  }

  it("refuses a JSON array body with 400 parameter_invalid", async () => {
    await assertRefused(system, post("/v1/payment_intents", [createBody(system)]), { status: 400, code: "parameter_invalid" });
  });
});

describe("routes", () => {
  for (const [method, path] of [["GET", "/v1/nope"], ["POST", "/v1/payment_intents/pi_000000000000000000000000/teleport"], ["DELETE", "/v1/payment_intents"]] as const) {
    it(`answers ${method} ${path} with 404 route_not_found`, async () => {
      await assertRefused(system, () => raw(system, method, path, { headers: { authorization: `Bearer ${system.merchantKey}` } }),
        { status: 404, code: "route_not_found", param: null, type: "not_found_error" });
    });
  }

  it("answers a malformed intent id in the path with 400 parameter_invalid on id", async () => {
    await assertRefused(system, () => raw(system, "GET", "/v1/payment_intents/pi_XYZ", { headers: { authorization: `Bearer ${system.merchantKey}` } }),
      { status: 400, code: "parameter_invalid", param: "id" });
  });
});

// Last: it restarts the relayer with a tiny rate limit (same chain, same database, same keys).
describe("rate limit", () => {
  before(async () => {
    await system.restartRelayer({ RATE_LIMIT_PER_SECOND: "1", RATE_LIMIT_BURST: "2" });
  });

  it("answers the request after the burst with 429 rate_limit_exceeded and Retry-After, and creates nothing", async () => {
    const list = () => raw(system, "GET", "/v1/payment_intents?limit=1", { headers: { authorization: `Bearer ${system.merchantKey}` } });
    assert.equal((await list()).status, 200);
    assert.equal((await list()).status, 200);
    const reply = await assertRefused(system, post("/v1/payment_intents", createBody(system)),
      { status: 429, code: "rate_limit_exceeded", param: null, type: "rate_limit_error" });
    const retryAfter = Number(reply.headers.get("retry-after"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2, `Retry-After: ${reply.headers.get("retry-after")}`);
  });

  it("lets the key through again once Retry-After has passed", async () => {
    await new Promise((r) => setTimeout(r, 1_100));
    const created = await system.api("POST", "/v1/payment_intents", createBody(system));
    assert.equal(created.status, 201);
  });
});

// Webhooks end to end: endpoints registered through the API, events from real payment flows delivered to a real
// HTTP receiver that verifies every request with the `standardwebhooks` package, as a merchant would.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";

import { issueApiKey, registerMerchant } from "../../../relayer/application/admin.js";
import { ConfigError, loadConfig } from "../../../relayer/config.js";
import { signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";
import { startWebhookReceiver, type Receiver } from "../support/webhook-receiver.js";

let system: TestSystem;
const receivers: Receiver[] = [];
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", WEBHOOK_MASTER_KEY: randomBytes(32).toString("base64") });
});
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await system?.stop();
});

/** A receiver whose server the suite closes at the end. */
async function startReceiver(status?: (n: number) => number): Promise<Receiver> {
  const receiver = await startWebhookReceiver(status);
  receivers.push(receiver);
  return receiver;
}

/** A receiver and an endpoint registered for it through the API. */
async function endpointFor(options: { enabled_events?: string[]; status?: (n: number) => number } = {}) {
  const receiver = await startReceiver(options.status);
  const created = await system.api("POST", "/v1/webhook_endpoints", {
    url: receiver.url,
    ...(options.enabled_events ? { enabled_events: options.enabled_events } : {}),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  receiver.secret = created.body.secret;
  return { receiver, endpoint: created.body };
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const forIntent = (receiver: Receiver, intentId: string) => receiver.deliveries.filter((d) => d.payload?.data.object.id === intentId);

const received = (receiver: Receiver, intentId: string, type: string) =>
  waitFor(`${type} for ${intentId}`, () => forIntent(receiver, intentId).find((d) => d.payload?.type === type));

const createIntent = async () => {
  const { status, body } = await system.api("POST", "/v1/payment_intents", {
    amount: "1000000",
    token: system.credentials.contracts.SettlementToken,
    buyer: system.credentials.buyer.address,
    order_ref: `order-${randomBytes(8).toString("hex")}`,
  });
  assert.equal(status, 201);
  return body;
};

const confirm = async (intent: any) =>
  assert.equal((await system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, { signature: await signAuthorization(system.buyer, intent) })).status, 202);

describe("webhook deliveries from payment flows", () => {
  it("delivers created, confirm_requested and captured for an intent, each verified, in the order they happened", async () => {
    const { receiver } = await endpointFor();
    const intent = await createIntent();
    await received(receiver, intent.id, "payment_intent.created");
    await confirm(intent);
    await waitForIntent(system, intent.id, (i) => i.status === "captured");
    await received(receiver, intent.id, "payment_intent.captured");

    const deliveries = forIntent(receiver, intent.id);
    assert.deepEqual(
      deliveries.map((d) => d.payload?.type),
      ["payment_intent.created", "payment_intent.confirm_requested", "payment_intent.captured"],
    );
    assert.ok(receiver.deliveries.every((d) => d.verifyError === undefined));
    // The payloads are the events of /v1/events, with the same ids, in the same order.
    const events = (await system.api("GET", `/v1/events?object_id=${intent.id}`)).body.data.reverse();
    assert.deepEqual(deliveries.map((d) => d.payload?.id), events.map((e: { id: string }) => e.id));
    assert.equal(deliveries[2]?.payload?.data.object.id, intent.id);
  });

  it("sends only the event types the endpoint subscribed to", async () => {
    const { receiver, endpoint } = await endpointFor({ enabled_events: ["payment_intent.captured"] });
    const intent = await createIntent();
    await confirm(intent);
    await received(receiver, intent.id, "payment_intent.captured");
    assert.deepEqual(forIntent(receiver, intent.id).map((d) => d.payload?.type), ["payment_intent.captured"]);
    const list = (await system.api("GET", `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body;
    assert.equal(list.data.length, 1);
  });

  it("sends nothing to a disabled endpoint", async () => {
    const { receiver, endpoint } = await endpointFor();
    const disabled = await system.api("POST", `/v1/webhook_endpoints/${endpoint.id}/disable`);
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.status, "disabled");
    const { receiver: witness } = await endpointFor();
    const intent = await createIntent();
    await received(witness, intent.id, "payment_intent.created");
    assert.equal(receiver.deliveries.length, 0);
    assert.equal((await system.api("GET", `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body.data.length, 0);
  });

  it("delivers again to an endpoint enabled after being disabled", async () => {
    const { receiver, endpoint } = await endpointFor();
    await system.api("POST", `/v1/webhook_endpoints/${endpoint.id}/disable`);
    const enabled = await system.api("POST", `/v1/webhook_endpoints/${endpoint.id}/enable`);
    assert.equal(enabled.body.status, "enabled");
    const intent = await createIntent();
    const delivery = await received(receiver, intent.id, "payment_intent.created");
    assert.equal(delivery.verifyError, undefined);
  });

  it("logs a failed attempt (HTTP 500) in the delivery log, and a manual redelivery succeeds with the same webhook-id", async () => {
    const { receiver, endpoint } = await endpointFor({ enabled_events: ["payment_intent.created"], status: (n) => (n === 1 ? 500 : 200) });
    const intent = await createIntent();
    await waitFor("the first attempt", () => receiver.deliveries.length === 1);
    const afterFailure = await waitFor("the failed attempt to be recorded", async () => {
      const page = (await system.api("GET", `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body;
      return page.data[0]?.attempts === 1 ? page.data[0] : undefined;
    });
    assert.equal(afterFailure.status, "pending"); // a retry is scheduled
    assert.equal(afterFailure.last_status_code, 500);
    assert.ok(afterFailure.next_attempt_at >= afterFailure.last_attempt_at + 5);
    const log = (await system.api("GET", `/v1/webhook_deliveries/${afterFailure.id}/attempts`)).body;
    assert.deepEqual(log.data.map((a: { status_code: number }) => a.status_code), [500]);

    const redelivered = await system.api("POST", `/v1/webhook_deliveries/${afterFailure.id}/redeliver`);
    assert.equal(redelivered.status, 202);
    assert.equal(redelivered.body.status, "pending");
    await waitFor("the redelivery", () => receiver.deliveries.length === 2);
    const done = await waitFor("the delivery to succeed", async () => {
      const d = (await system.api("GET", `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body.data[0];
      return d?.status === "succeeded" ? d : undefined;
    });
    assert.equal(done.attempts, 2);
    const finalLog = (await system.api("GET", `/v1/webhook_deliveries/${afterFailure.id}/attempts`)).body;
    assert.deepEqual(finalLog.data.map((a: { status_code: number }) => a.status_code), [500, 200]);
    assert.deepEqual(receiver.deliveries.map((d) => d.webhookId), [afterFailure.id, afterFailure.id]);
    assert.equal(forIntent(receiver, intent.id).length, 2);
    await system.api("DELETE", `/v1/webhook_endpoints/${endpoint.id}`);
  });

  it("counts attempts and failures in the metrics", async () => {
    const count = async (series: string) => {
      const metrics = await (await fetch(`${system.relayer.url}/metrics`)).text();
      return Number(metrics.split("\n").find((line) => line.startsWith(`${series} `))?.split(" ")[1] ?? 0);
    };
    const before = { attempts: await count('relayer_webhook_attempts_total{outcome="pending"}'), failures: await count('relayer_webhook_failures_total{kind="http"}') };
    const { receiver, endpoint } = await endpointFor({ enabled_events: ["payment_intent.created"], status: () => 503 });
    await createIntent();
    await waitFor("the failed attempt", () => receiver.deliveries.length === 1);
    await waitFor("the counters", async () => (await count('relayer_webhook_failures_total{kind="http"}')) === before.failures + 1);
    assert.equal(await count('relayer_webhook_attempts_total{outcome="pending"}'), before.attempts + 1);
    await system.api("DELETE", `/v1/webhook_endpoints/${endpoint.id}`);
  });
});

describe("webhook endpoint API", () => {
  it("shows the signing secret in the create response only", async () => {
    const receiver = await startReceiver();
    const created = await system.api("POST", "/v1/webhook_endpoints", { url: receiver.url, description: "orders" });
    assert.equal(created.status, 201);
    assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(
      { object: created.body.object, url: created.body.url, description: created.body.description, enabled_events: created.body.enabled_events, status: created.body.status },
      { object: "webhook_endpoint", url: receiver.url, description: "orders", enabled_events: ["*"], status: "enabled" },
    );
    const got = await system.api("GET", `/v1/webhook_endpoints/${created.body.id}`);
    assert.equal(got.status, 200);
    assert.equal("secret" in got.body, false);
    const { secret: _secret, ...rest } = created.body;
    assert.deepEqual(got.body, rest);
    const listed = (await system.api("GET", "/v1/webhook_endpoints")).body.data.find((e: { id: string }) => e.id === created.body.id);
    assert.equal("secret" in listed, false);
  });

  it("replays a create with the same Idempotency-Key as the same endpoint, without its secret", async () => {
    const receiver = await startReceiver();
    const key = { "Idempotency-Key": `create-${randomBytes(8).toString("hex")}` };
    const first = await system.api("POST", "/v1/webhook_endpoints", { url: receiver.url }, key);
    const second = await system.api("POST", "/v1/webhook_endpoints", { url: receiver.url }, key);
    assert.equal(second.status, 201);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.equal(second.body.id, first.body.id);
    assert.equal("secret" in second.body, false);
    const all = (await system.api("GET", "/v1/webhook_endpoints")).body.data.filter((e: { url: string }) => e.url === receiver.url);
    assert.equal(all.length, 1);
  });

  it("refuses a URL that is not http(s), naming the parameter", async () => {
    const { status, body } = await system.api("POST", "/v1/webhook_endpoints", { url: "ftp://example.com/hooks" });
    assert.equal(status, 400);
    assert.deepEqual({ code: body.error.code, param: body.error.param }, { code: "url_invalid", param: "url" });
  });

  it("refuses a missing URL, an empty event list and an unknown field with the standard validation errors", async () => {
    const missing = await system.api("POST", "/v1/webhook_endpoints", {});
    assert.deepEqual([missing.status, missing.body.error.code, missing.body.error.param], [400, "parameter_missing", "url"]);
    const empty = await system.api("POST", "/v1/webhook_endpoints", { url: "https://shop.example/h", enabled_events: [] });
    assert.deepEqual([empty.status, empty.body.error.param], [400, "enabled_events"]);
    const unknown = await system.api("POST", "/v1/webhook_endpoints", { url: "https://shop.example/h", secret: "mine" });
    assert.deepEqual([unknown.status, unknown.body.error.code, unknown.body.error.param], [400, "parameter_unknown", "secret"]);
  });

  it("refuses a malformed event type", async () => {
    const { status, body } = await system.api("POST", "/v1/webhook_endpoints", { url: "https://shop.example/h", enabled_events: ["Captured!"] });
    assert.deepEqual([status, body.error.code, body.error.param], [400, "enabled_events_invalid", "enabled_events"]);
  });

  it("deletes an endpoint: it is gone afterwards", async () => {
    const { endpoint } = await endpointFor();
    const deleted = await system.api("DELETE", `/v1/webhook_endpoints/${endpoint.id}`);
    assert.deepEqual([deleted.status, deleted.body], [200, { id: endpoint.id, object: "webhook_endpoint", deleted: true }]);
    assert.equal((await system.api("GET", `/v1/webhook_endpoints/${endpoint.id}`)).status, 404);
  });

  it("pages through an endpoint's deliveries, newest first, with starting_after", async () => {
    const { endpoint } = await endpointFor({ enabled_events: ["payment_intent.created"] });
    const intents = [await createIntent(), await createIntent(), await createIntent()];
    const path = `/v1/webhook_endpoints/${endpoint.id}/deliveries`;
    const first = (await system.api("GET", `${path}?limit=2`)).body;
    assert.equal(first.data.length, 2);
    assert.equal(first.has_more, true);
    const second = (await system.api("GET", `${path}?limit=2&starting_after=${first.data[1].id}`)).body;
    assert.equal(second.data.length, 1);
    assert.equal(second.has_more, false);
    const events = await Promise.all(
      intents.map(async (i) => (await system.api("GET", `/v1/events?object_id=${i.id}`)).body.data[0].id),
    );
    assert.deepEqual([...first.data, ...second.data].map((d: { event_id: string }) => d.event_id), events.reverse());
  });

  it("answers another merchant's endpoint and delivery with 404", async () => {
    const { endpoint } = await endpointFor({ enabled_events: ["payment_intent.created"] });
    await createIntent();
    const delivery = (await system.api("GET", `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body.data[0];
    const other = await otherMerchantKey();
    const as = { authorization: `Bearer ${other}` };
    const calls: [string, string][] = [
      ["GET", `/v1/webhook_endpoints/${endpoint.id}`],
      ["POST", `/v1/webhook_endpoints/${endpoint.id}/disable`],
      ["POST", `/v1/webhook_endpoints/${endpoint.id}/enable`],
      ["DELETE", `/v1/webhook_endpoints/${endpoint.id}`],
      ["GET", `/v1/webhook_endpoints/${endpoint.id}/deliveries`],
      ["GET", `/v1/webhook_deliveries/${delivery.id}/attempts`],
      ["POST", `/v1/webhook_deliveries/${delivery.id}/redeliver`],
    ];
    for (const [method, path] of calls) {
      const { status, body } = await system.api(method, path, undefined, as);
      assert.deepEqual([method, path, status, body.error?.code], [method, path, 404, "resource_missing"]);
    }
    const theirs = (await system.api("GET", "/v1/webhook_endpoints", undefined, as)).body;
    assert.deepEqual(theirs.data, []);
    assert.equal((await system.api("GET", `/v1/webhook_endpoints/${endpoint.id}`)).body.status, "enabled");
  });
});

describe("webhook configuration", () => {
  const env = (overrides: Record<string, string>) => ({ DEPLOYMENT_FILE: "deployment.json", SIGNER_PRIVATE_KEY: `0x${"11".repeat(32)}`, ...overrides });

  it("refuses to start without WEBHOOK_MASTER_KEY, naming the setting", () => {
    assert.throws(() => loadConfig(env({})), (error: Error) => error instanceof ConfigError && /WEBHOOK_MASTER_KEY: required/.test(error.message));
  });

  it("refuses a master key that is not 32 bytes, without echoing it", () => {
    const key = "ab".repeat(31);
    assert.throws(
      () => loadConfig(env({ WEBHOOK_MASTER_KEY: key })),
      (error: Error) => /WEBHOOK_MASTER_KEY: must be 32 bytes/.test(error.message) && !error.message.includes(key),
    );
  });

  it("reads the master key from hex or base64 to the same 32 bytes", () => {
    const key = randomBytes(32);
    assert.deepEqual(loadConfig(env({ WEBHOOK_MASTER_KEY: key.toString("hex") })).WEBHOOK_MASTER_KEY, key);
    assert.deepEqual(loadConfig(env({ WEBHOOK_MASTER_KEY: key.toString("base64") })).WEBHOOK_MASTER_KEY, key);
  });
});

/** A second merchant (relayer-side only) with its own API key. */
async function otherMerchantKey(): Promise<string> {
  const address = `0x${randomBytes(20).toString("hex")}`;
  const merchant = await registerMerchant(
    system.relayer.db,
    { name: "Other shop", address },
    { settlementAddress: address, feeBps: 100, partner: address, partnerShareBps: 0, active: true },
    Date.now(),
  );
  return (await issueApiKey(system.relayer.db, { scope: "merchant", merchantId: merchant.id, label: "other" }, Date.now())).secret;
}

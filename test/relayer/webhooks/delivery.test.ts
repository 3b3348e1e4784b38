import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";

import { webhooks } from "../../../relayer/persistence/webhooks.js";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "../../../relayer/webhooks/delivery.js";
import { cleanUp, emitEvent, MASTER_KEY, setupEndpoint, type EndpointSetup } from "./helpers.js";

after(cleanUp);

const dispatcher = (s: EndpointSetup, options: Partial<WebhookDispatcherOptions> = {}) =>
  new WebhookDispatcher({ db: s.db, masterKey: MASTER_KEY, ...options });

const delivery = (s: EndpointSetup, id: string) => s.db.read((sql) => webhooks.getDelivery(sql, id));

describe("WebhookDispatcher", () => {
  it("POSTs the event as JSON, signed so that the standardwebhooks package verifies it", async () => {
    const s = await setupEndpoint();
    const { event, deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded", 1_700_000_000_123, { amount: "42" });
    const summary = await dispatcher(s).tick();
    assert.deepEqual(summary, { attempted: 1, succeeded: 1, retrying: 0, failed: 0 });
    const [request, ...more] = s.receiver.requests;
    assert.equal(more.length, 0);
    assert.equal(request?.verifyError, undefined);
    assert.deepEqual(request?.verified, { id: event.id, type: "payment_intent.succeeded", created_at: 1_700_000_000, data: { amount: "42" } });
    assert.equal(request?.headers["content-type"], "application/json");
    assert.equal(request?.headers["webhook-id"], deliveryIds[0]);
    await s.close();
  });

  it("marks the delivery succeeded and logs the attempt with its status code and duration", async () => {
    const s = await setupEndpoint();
    const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    await dispatcher(s).tick();
    const id = deliveryIds[0]!;
    const d = await delivery(s, id);
    assert.deepEqual(
      { status: d?.status, attempts: d?.attempts, code: d?.lastStatusCode, next: d?.nextAttemptAt },
      { status: "succeeded", attempts: 1, code: 200, next: null },
    );
    const log = await s.db.read((sql) => webhooks.listAttempts(sql, id));
    assert.equal(log.length, 1);
    assert.equal(log[0]?.statusCode, 200);
    assert.equal(log[0]?.error, null);
    assert.ok(log[0]!.durationMs >= 0);
    await s.close();
  });

  it("counts any 2xx as delivered", async () => {
    const s = await setupEndpoint({ status: () => 204 });
    const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    await dispatcher(s).tick();
    assert.equal((await delivery(s, deliveryIds[0]!))?.status, "succeeded");
    await s.close();
  });

  it("counts a redirect as a failure and does not follow it", async () => {
    const s = await setupEndpoint({ status: () => 302 });
    const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    await dispatcher(s).tick();
    const d = await delivery(s, deliveryIds[0]!);
    assert.deepEqual({ status: d?.status, code: d?.lastStatusCode }, { status: "pending", code: 302 });
    assert.equal(s.receiver.requests.length, 1);
    await s.close();
  });

  it("delivers nothing for an event type the endpoint is not subscribed to", async () => {
    const s = await setupEndpoint({ enabledEvents: ["refund.created"] });
    await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    const summary = await dispatcher(s).tick();
    assert.equal(summary.attempted, 0);
    assert.equal(s.receiver.requests.length, 0);
    await s.close();
  });

  it("delivers nothing to a disabled endpoint, including deliveries queued before it was disabled", async () => {
    const s = await setupEndpoint();
    await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    await s.db.transaction((sql) => webhooks.disableEndpoint(sql, s.endpointId, Date.now()));
    await emitEvent(s.db, s.merchantId, "payment_intent.canceled");
    const summary = await dispatcher(s).tick();
    assert.equal(summary.attempted, 0);
    assert.equal(s.receiver.requests.length, 0);
    await s.close();
  });

  it("sends a delivered message again on manual redelivery, with the same webhook-id", async () => {
    const s = await setupEndpoint();
    const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    const d = dispatcher(s);
    await d.tick();
    await d.tick();
    assert.equal(s.receiver.requests.length, 1, "a succeeded delivery is not sent again by itself");
    await s.db.transaction((sql) => webhooks.redeliver(sql, deliveryIds[0]!, Date.now()));
    await d.tick();
    assert.equal(s.receiver.requests.length, 2);
    assert.equal(s.receiver.requests[1]?.verifyError, undefined);
    assert.equal(s.receiver.requests[1]?.headers["webhook-id"], deliveryIds[0]);
    assert.equal((await delivery(s, deliveryIds[0]!))?.attempts, 2);
    await s.close();
  });

  it("records a timeout as a failed attempt with the error", async () => {
    const s = await setupEndpoint({ delayMs: 500 });
    const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    await dispatcher(s, { timeoutMs: 100 }).tick();
    const log = await s.db.read((sql) => webhooks.listAttempts(sql, deliveryIds[0]!));
    assert.deepEqual(log.map((a) => [a.statusCode, a.error]), [[null, "timed out after 100 ms"]]);
    assert.equal((await delivery(s, deliveryIds[0]!))?.status, "pending");
    await s.close();
  });

  it("records a refused connection as a failed attempt", async () => {
    const s = await setupEndpoint();
    await s.receiver.close();
    const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    await dispatcher(s).tick();
    const log = await s.db.read((sql) => webhooks.listAttempts(sql, deliveryIds[0]!));
    assert.equal(log.length, 1);
    assert.equal(log[0]?.statusCode, null);
    assert.match(log[0]?.error ?? "", /ECONNREFUSED/);
    await s.close();
  });

  it("sends nothing under a wrong master key and records why", async () => {
    const s = await setupEndpoint();
    const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    const errors: string[] = [];
    const logger = { warn: () => undefined, error: (fields: object) => errors.push(JSON.stringify(fields)) };
    await dispatcher(s, { masterKey: randomBytes(32), logger }).tick();
    assert.equal(s.receiver.requests.length, 0);
    const d = await delivery(s, deliveryIds[0]!);
    assert.match(d?.lastError ?? "", /could not be decrypted.*WEBHOOK_MASTER_KEY/);
    assert.equal(d?.status, "pending");
    assert.equal(errors.length, 1);
    await s.close();
  });

  it("never passes the secret or the signature to the logger", async () => {
    const s = await setupEndpoint({ status: () => 500 });
    await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    const logged: string[] = [];
    const logger = {
      warn: (fields: object, message: string) => logged.push(JSON.stringify(fields) + message),
      error: (fields: object, message: string) => logged.push(JSON.stringify(fields) + message),
    };
    await dispatcher(s, { logger }).tick();
    assert.equal(logged.length, 1, "the failure is logged");
    const signature = String(s.receiver.requests[0]?.headers["webhook-signature"]).slice(3);
    for (const line of logged) {
      assert.ok(!line.includes(s.secret.slice(6)), "no secret");
      assert.ok(!line.includes(signature), "no signature");
    }
    await s.close();
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const s = await setupEndpoint({ delayMs: 50 });
    for (let i = 0; i < 6; i++) await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    let inFlight = 0;
    let peak = 0;
    const countingFetch: typeof fetch = async (input, init) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const summary = await dispatcher(s, { fetch: countingFetch, concurrency: 2 }).tick();
    assert.equal(summary.succeeded, 6);
    assert.equal(peak, 2);
    await s.close();
  });

  it("joins a tick already in progress instead of sending twice", async () => {
    const s = await setupEndpoint({ delayMs: 50 });
    await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    const d = dispatcher(s);
    const [a, b] = await Promise.all([d.tick(), d.tick()]);
    assert.equal(a, b);
    assert.equal(s.receiver.requests.length, 1);
    await s.close();
  });

  it("does not claim a delivery another dispatcher is sending", async () => {
    const s = await setupEndpoint({ delayMs: 50 });
    await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    const [a, b] = await Promise.all([dispatcher(s).tick(), dispatcher(s).tick()]);
    assert.equal(a.attempted + b.attempted, 1);
    assert.equal(s.receiver.requests.length, 1);
    await s.close();
  });
  it("keeps ticking once started, until stopped", async () => {
    const s = await setupEndpoint();
    const d = dispatcher(s);
    d.start(10);
    await emitEvent(s.db, s.merchantId, "payment_intent.succeeded");
    for (let i = 0; i < 100 && s.receiver.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(s.receiver.requests.length, 1, "the event that came after start() was delivered");
    await d.stop();
    await emitEvent(s.db, s.merchantId, "payment_intent.canceled");
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(s.receiver.requests.length, 1, "nothing is sent after stop()");
    await s.close();
  });
});

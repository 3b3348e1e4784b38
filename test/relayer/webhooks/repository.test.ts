import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ApiError } from "../../../relayer/domain/errors.js";
import { hasPrefix, newId } from "../../../relayer/domain/ids.js";
import type { Database } from "../../../relayer/persistence/database.js";
import { webhooks } from "../../../relayer/persistence/webhooks.js";
import { emitEvent, insertMerchant, MASTER_KEY } from "./helpers.js";
import { openTestDatabase } from "../support/database.js";


async function endpointFor(db: Database, merchantId: string, enabledEvents: string[] = ["*"]) {
  return db.transaction((sql) =>
    webhooks.createEndpoint(sql, { merchantId, url: "https://shop.example/hooks", enabledEvents }, MASTER_KEY, 1_000),
  );
}

const deliveriesOf = (db: Database, endpointId: string) =>
  db.read(async (sql) => (await webhooks.listDeliveries(sql, endpointId, { limit: 100 })).data);

describe("webhook endpoints", () => {
  it("are created active with a we_ id and a secret returned once", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint, secret } = await endpointFor(db, merchantId, ["payment_intent.succeeded"]);
    assert.ok(hasPrefix(endpoint.id, "we"));
    assert.match(secret, /^whsec_/);
    assert.deepEqual(
      { status: endpoint.status, events: endpoint.enabledEvents, merchant: endpoint.merchantId },
      { status: "active", events: ["payment_intent.succeeded"], merchant: merchantId },
    );
    assert.ok(!JSON.stringify(endpoint).includes(secret), "the endpoint object does not carry the secret");
    await db.close();
  });

  it("are refused for a URL that is not absolute http(s)", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    for (const url of ["/hooks", "ftp://shop.example/hooks", "https://user:pw@shop.example/"]) {
      await assert.rejects(
        db.transaction((sql) => webhooks.createEndpoint(sql, { merchantId, url, enabledEvents: ["*"] }, MASTER_KEY, 1)),
        (e: unknown) => e instanceof ApiError && e.code === "url_invalid" && e.param === "url",
        url,
      );
    }
    await db.close();
  });

  it("are refused with no event types or a malformed one", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    for (const enabledEvents of [[], ["Payment Intent"]]) {
      await assert.rejects(
        db.transaction((sql) => webhooks.createEndpoint(sql, { merchantId, url: "https://a.example", enabledEvents }, MASTER_KEY, 1)),
        (e: unknown) => e instanceof ApiError && e.param === "enabled_events",
      );
    }
    await db.close();
  });

  it("are listed per merchant and fetched only by their own merchant", async () => {
    const db = await openTestDatabase("webhooks");
    const [a, b] = [await insertMerchant(db), await insertMerchant(db)];
    const { endpoint } = await endpointFor(db, a);
    assert.deepEqual((await db.read((sql) => webhooks.listEndpoints(sql, a))).map((e) => e.id), [endpoint.id]);
    assert.deepEqual(await db.read((sql) => webhooks.listEndpoints(sql, b)), []);
    assert.equal((await db.read((sql) => webhooks.getEndpoint(sql, endpoint.id, a)))?.id, endpoint.id);
    assert.equal(await db.read((sql) => webhooks.getEndpoint(sql, endpoint.id, b)), undefined);
    await db.close();
  });

  it("are deleted with their deliveries and attempt log", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint } = await endpointFor(db, merchantId);
    const { deliveryIds } = await emitEvent(db, merchantId, "payment_intent.succeeded", 2_000);
    await db.transaction((sql) =>
      webhooks.recordAttempt(sql, { deliveryId: deliveryIds[0]!, attemptedAt: 2_000, statusCode: 200, error: null, durationMs: 3 }, { status: "succeeded" }),
    );
    assert.equal(await db.transaction((sql) => webhooks.deleteEndpoint(sql, endpoint.id)), true);
    const left = await db.read((sql) =>
      sql.get<{ d: number; a: number }>("SELECT (SELECT COUNT(*) FROM webhook_deliveries) AS d, (SELECT COUNT(*) FROM webhook_attempts) AS a"),
    );
    assert.deepEqual({ ...left }, { d: 0, a: 0 });
    await db.close();
  });
});

describe("enqueueForEvent", () => {
  it("creates one pending msg_ delivery, due at the event's time, per subscribed endpoint", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const all = (await endpointFor(db, merchantId, ["*"])).endpoint;
    const exact = (await endpointFor(db, merchantId, ["payment_intent.succeeded", "refund.created"])).endpoint;
    const { event, deliveryIds } = await emitEvent(db, merchantId, "payment_intent.succeeded", 5_000);
    assert.equal(deliveryIds.length, 2);
    for (const endpoint of [all, exact]) {
      const [delivery, ...rest] = await deliveriesOf(db, endpoint.id);
      assert.equal(rest.length, 0);
      assert.ok(hasPrefix(delivery!.id, "msg"));
      assert.deepEqual(
        { event: delivery!.eventId, status: delivery!.status, due: delivery!.nextAttemptAt, attempts: delivery!.attempts },
        { event: event.id, status: "pending", due: 5_000, attempts: 0 },
      );
    }
    await db.close();
  });

  it("skips endpoints not subscribed to the event's type", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint } = await endpointFor(db, merchantId, ["refund.created"]);
    const { deliveryIds } = await emitEvent(db, merchantId, "payment_intent.succeeded");
    assert.deepEqual(deliveryIds, []);
    assert.deepEqual(await deliveriesOf(db, endpoint.id), []);
    await db.close();
  });

  it("skips disabled endpoints and other merchants' endpoints", async () => {
    const db = await openTestDatabase("webhooks");
    const [merchantId, other] = [await insertMerchant(db), await insertMerchant(db)];
    const { endpoint } = await endpointFor(db, merchantId);
    await endpointFor(db, other);
    await db.transaction((sql) => webhooks.disableEndpoint(sql, endpoint.id, 2));
    assert.deepEqual((await emitEvent(db, merchantId, "payment_intent.succeeded")).deliveryIds, []);
    await db.close();
  });

  it("leaves no delivery behind when the event's transaction rolls back", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint } = await endpointFor(db, merchantId);
    const event = { id: newId("evt"), merchantId, type: "payment_intent.succeeded", createdAt: 1 };
    await assert.rejects(
      db.transaction(async (sql) => {
        await sql.run("INSERT INTO events (id, merchant_id, type, object_id, data, created_at) VALUES (?, ?, ?, 'pi_1', '{}', 1)", event.id, merchantId, event.type);
        assert.equal((await webhooks.enqueueForEvent(sql, event)).length, 1);
        throw new Error("use case failed");
      }),
      /use case failed/,
    );
    assert.deepEqual(await deliveriesOf(db, endpoint.id), []);
    await db.close();
  });

  it("is idempotent per endpoint and event", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint } = await endpointFor(db, merchantId);
    const { event } = await emitEvent(db, merchantId, "payment_intent.succeeded");
    assert.deepEqual(await db.transaction((sql) => webhooks.enqueueForEvent(sql, event)), []);
    assert.equal((await deliveriesOf(db, endpoint.id)).length, 1);
    await db.close();
  });
});

describe("deliveries", () => {
  it("are due only once their time has come, and not while their endpoint is disabled", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint } = await endpointFor(db, merchantId);
    const { deliveryIds } = await emitEvent(db, merchantId, "payment_intent.succeeded", 10_000);
    const due = (now: number) => db.read(async (sql) => (await webhooks.dueDeliveries(sql, now, 10)).map((d) => d.delivery.id));
    assert.deepEqual(await due(9_999), []);
    assert.deepEqual(await due(10_000), deliveryIds);
    await db.transaction((sql) => webhooks.disableEndpoint(sql, endpoint.id, 10_001));
    assert.deepEqual(await due(20_000), []);
    await db.transaction((sql) => webhooks.enableEndpoint(sql, endpoint.id, 10_002));
    assert.deepEqual(await due(20_000), deliveryIds);
    await db.close();
  });

  it("are listed newest first, a page at a time", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint } = await endpointFor(db, merchantId);
    const ids: string[] = [];
    for (let t = 1; t <= 5; t++) ids.push(...(await emitEvent(db, merchantId, "payment_intent.succeeded", t * 1_000)).deliveryIds);
    const page = (startingAfter?: string) => db.read((sql) => webhooks.listDeliveries(sql, endpoint.id, { startingAfter, limit: 2 }));
    const first = await page();
    const second = await page(first.data.at(-1)!.id);
    const third = await page(second.data.at(-1)!.id);
    assert.deepEqual(
      [first, second, third].map((p) => [p.data.map((d) => d.id), p.hasMore]),
      [[[ids[4], ids[3]], true], [[ids[2], ids[1]], true], [[ids[0]], false]],
    );
    await db.close();
  });

  it("are redelivered on request: pending again now, whatever their status, with a fresh schedule", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    await endpointFor(db, merchantId);
    const { deliveryIds } = await emitEvent(db, merchantId, "payment_intent.succeeded", 1_000);
    const id = deliveryIds[0]!;
    await db.transaction((sql) =>
      webhooks.recordAttempt(sql, { deliveryId: id, attemptedAt: 1_000, statusCode: 500, error: null, durationMs: 4 }, { status: "failed" }),
    );
    const again = await db.transaction((sql) => webhooks.redeliver(sql, id, 9_000));
    assert.deepEqual(
      { status: again?.status, due: again?.nextAttemptAt, attempts: again?.attempts, cycle: again?.cycleAttempts },
      { status: "pending", due: 9_000, attempts: 1, cycle: 0 },
    );
    assert.equal(await db.transaction((sql) => webhooks.redeliver(sql, "msg_missing", 9_000)), undefined);
    await db.close();
  });
});

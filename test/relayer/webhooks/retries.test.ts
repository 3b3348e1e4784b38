import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import { webhooks } from "../../../relayer/persistence/webhooks.js";
import {
  MAX_ATTEMPTS,
  nextAttemptAt,
  RETRY_DELAYS_MS,
  WebhookDispatcher,
  type AttemptReport,
} from "../../../relayer/webhooks/delivery.js";
import { cleanUp, emitEvent, MASTER_KEY, setupEndpoint } from "./helpers.js";

after(cleanUp);

const HOUR = 3_600_000;

describe("the retry schedule", () => {
  it("follows Standard Webhooks: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up", () => {
    const minutes = RETRY_DELAYS_MS.map((ms) => ms / 60_000);
    assert.deepEqual(minutes, [5 / 60, 5, 30, 120, 300, 600, 600]);
    assert.equal(MAX_ATTEMPTS, 8);
    assert.equal(nextAttemptAt(0, MAX_ATTEMPTS, () => 0), null);
  });

  it("spans more than 24 hours from the first attempt to the last", () => {
    assert.ok(RETRY_DELAYS_MS.reduce((a, b) => a + b, 0) >= 24 * HOUR);
  });

  it("adds jitter of at most a tenth of the delay, never less than the delay", () => {
    assert.equal(nextAttemptAt(1_000, 2, () => 0), 1_000 + 5 * 60_000);
    const late = nextAttemptAt(1_000, 2, () => 0.999_999)!;
    assert.ok(late > 1_000 + 5 * 60_000 && late <= 1_000 + 5 * 60_000 * 1.1, String(late));
  });
});

/** A receiver whose clock is the test's clock, an endpoint on it, and a dispatcher with that clock and no jitter. */
async function clocked(status: (n: number) => number) {
  let now = Date.UTC(2031, 0, 1);
  const s = await setupEndpoint({ status, now: () => now });
  const reports: Record<"attempt" | "failure" | "exhausted", AttemptReport[]> = { attempt: [], failure: [], exhausted: [] };
  const dispatcher = new WebhookDispatcher({
    db: s.db,
    masterKey: MASTER_KEY,
    clock: () => now,
    random: () => 0,
    metrics: {
      attempt: (r) => reports.attempt.push(r),
      failure: (r) => reports.failure.push(r),
      exhausted: (r) => reports.exhausted.push(r),
    },
  });
  const { deliveryIds } = await emitEvent(s.db, s.merchantId, "payment_intent.succeeded", now);
  const id = deliveryIds[0]!;
  return {
    s,
    id,
    dispatcher,
    reports,
    now: () => now,
    setNow: (t: number) => void (now = t),
    delivery: () => s.db.read((sql) => webhooks.getDelivery(sql, id)),
  };
}

describe("WebhookDispatcher retries", () => {
  it("retries a 500 after 5 seconds, not before, and the second attempt succeeds", async () => {
    const t = await clocked((n) => (n === 1 ? 500 : 200));
    const start = t.now();
    assert.equal((await t.dispatcher.tick()).retrying, 1);
    assert.equal((await t.delivery())?.nextAttemptAt, start + 5_000);
    t.setNow(start + 4_999);
    assert.equal((await t.dispatcher.tick()).attempted, 0, "not due yet");
    t.setNow(start + 5_000);
    assert.equal((await t.dispatcher.tick()).succeeded, 1);
    const d = await t.delivery();
    assert.deepEqual({ status: d?.status, attempts: d?.attempts, code: d?.lastStatusCode }, { status: "succeeded", attempts: 2, code: 200 });
    const [first, second] = t.s.receiver.requests;
    assert.equal(first?.verifyError, undefined);
    assert.equal(second?.verifyError, undefined);
    assert.equal(second?.headers["webhook-id"], first?.headers["webhook-id"], "the same message id on every attempt");
    assert.equal(Number(second?.headers["webhook-timestamp"]) - Number(first?.headers["webhook-timestamp"]), 5, "signed at send time");
    await t.s.close();
  });

  it("gives up after 8 attempts spanning more than 24 hours, marking the delivery failed", async () => {
    const t = await clocked(() => 503);
    const start = t.now();
    for (let guard = 0; guard < 20; guard++) {
      await t.dispatcher.tick();
      const d = await t.delivery();
      if (d?.status !== "pending") break;
      t.setNow(d.nextAttemptAt!);
    }
    const d = await t.delivery();
    assert.deepEqual({ status: d?.status, attempts: d?.attempts, next: d?.nextAttemptAt }, { status: "failed", attempts: 8, next: null });
    assert.ok(d!.lastAttemptAt! - start >= 24 * HOUR, `last attempt ${(d!.lastAttemptAt! - start) / HOUR} h after the first`);
    assert.equal(t.s.receiver.requests.length, 8);
    assert.ok(t.s.receiver.requests.every((r) => r.verifyError === undefined), "every attempt verifies");
    await t.s.close();
  });

  it("logs every attempt, at the scheduled times, with the status code", async () => {
    const t = await clocked(() => 503);
    const start = t.now();
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await t.dispatcher.tick();
      const next = (await t.delivery())?.nextAttemptAt;
      if (next) t.setNow(next);
    }
    const log = await t.s.db.read((sql) => webhooks.listAttempts(sql, t.id));
    const gaps = log.map((a, i) => a.attemptedAt - (log[i - 1]?.attemptedAt ?? start));
    assert.deepEqual(gaps, [0, ...RETRY_DELAYS_MS]);
    assert.ok(log.every((a) => a.statusCode === 503 && a.deliveryId === t.id));
    await t.s.close();
  });

  it("reports every failure to the metrics hook, and the exhaustion once", async () => {
    const t = await clocked(() => 500);
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await t.dispatcher.tick();
      const next = (await t.delivery())?.nextAttemptAt;
      if (next) t.setNow(next);
    }
    assert.equal(t.reports.attempt.length, 8);
    assert.equal(t.reports.failure.length, 8);
    assert.deepEqual(
      t.reports.exhausted.map((r) => [r.deliveryId, r.eventType, r.statusCode, r.outcome]),
      [[t.id, "payment_intent.succeeded", 500, "failed"]],
    );
    await t.s.close();
  });

  it("starts a fresh schedule when a failed delivery is redelivered by hand", async () => {
    const t = await clocked((n) => (n <= MAX_ATTEMPTS + 1 ? 500 : 200));
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await t.dispatcher.tick();
      const next = (await t.delivery())?.nextAttemptAt;
      if (next) t.setNow(next);
    }
    assert.equal((await t.delivery())?.status, "failed");
    await t.s.db.transaction((sql) => webhooks.redeliver(sql, t.id, t.now()));
    await t.dispatcher.tick();
    const d = await t.delivery();
    assert.deepEqual({ status: d?.status, next: d?.nextAttemptAt }, { status: "pending", next: t.now() + 5_000 });
    t.setNow(t.now() + 5_000);
    await t.dispatcher.tick();
    assert.equal((await t.delivery())?.status, "succeeded");
    assert.equal(t.s.receiver.requests.length, MAX_ATTEMPTS + 2);
    await t.s.close();
  });
});

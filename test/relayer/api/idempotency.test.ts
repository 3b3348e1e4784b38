// Idempotency-Key through real HTTP against the real system: concurrent duplicates, replays after
// completion, retried confirms. Exactly one row and one on-chain operation per key, whatever the retries.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet } from "ethers";

import { issueApiKey } from "../../../relayer/application/admin.js";
import { merchants } from "../../../relayer/persistence/merchants.js";
import { devWallet, signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";
import { createBody, snapshot } from "./bad-inputs-support.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
});
after(async () => {
  await system?.stop();
});

const newKey = () => `idem-${Math.random().toString(16).slice(2)}`;
const intentRows = (orderRef: string) =>
  system.relayer.db.read(async (sql) => (await sql.all<{ id: string }>("SELECT id FROM payment_intents WHERE order_ref = ?", orderRef)).map((r) => r.id));
const operationsOf = (intentId: string) =>
  system.relayer.db.read(async (sql) => (await sql.all<{ kind: string }>("SELECT kind FROM operations WHERE intent_id = ?", intentId)).map((r) => r.kind));
const replayed = (reply: { headers: Headers }) => reply.headers.get("idempotent-replayed") === "true";

describe("Idempotency-Key on create", () => {
  let key: string;
  let body: ReturnType<typeof createBody>;
  let replies: Awaited<ReturnType<TestSystem["api"]>>[];
  before(async () => {
    key = newKey();
    body = createBody(system);
    replies = await Promise.all(Array.from({ length: 50 }, () => system.api("POST", "/v1/payment_intents", body, { "idempotency-key": key })));
  });

  it("answers 50 concurrent identical requests all with 201", () => {
    assert.deepEqual(replies.map((r) => r.status), Array(50).fill(201));
  });

  it("creates exactly one intent row for them", async () => {
    assert.equal((await intentRows(body.order_ref)).length, 1);
  });

  it("answers all 50 with the same body: the one intent", async () => {
    const [id] = await intentRows(body.order_ref);
    for (const reply of replies) assert.deepEqual(reply.body, replies[0]!.body);
    assert.equal(replies[0]!.body.id, id);
  });

  it("marks every answer but the first as Idempotent-Replayed: true", () => {
    assert.equal(replies.filter((r) => !replayed(r)).length, 1);
    assert.equal(replies.filter(replayed).length, 49);
  });

  it("replays the stored body for the same key after completion, and creates nothing", async () => {
    const before = await snapshot(system);
    const again = await system.api("POST", "/v1/payment_intents", body, { "idempotency-key": key });
    assert.equal(again.status, 201);
    assert.ok(replayed(again));
    assert.deepEqual(again.body, replies[0]!.body);
    assert.deepEqual(await snapshot(system), before);
  });

  it("replays the body even when its fields are sent in another order", async () => {
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await system.api("POST", "/v1/payment_intents", reordered, { "idempotency-key": key });
    assert.equal(again.status, 201);
    assert.equal(again.body.id, replies[0]!.body.id);
  });

  it("scopes keys to the merchant: another merchant's same key and body make its own intent", async () => {
    const other = HDNodeWallet.createRandom();
    const merchant = await system.relayer.db.transaction((sql) =>
      merchants.create(sql, { name: "Other", address: other.address, settlementAddress: other.address, feeBps: 0, partner: devWallet(9).address, partnerShareBps: 0 }, Date.now()),
    );
    const { secret } = await issueApiKey(system.relayer.db, { scope: "merchant", merchantId: merchant.id, label: "other" }, Date.now());
    const theirs = await system.api("POST", "/v1/payment_intents", body, { "idempotency-key": key, authorization: `Bearer ${secret}` });
    assert.equal(theirs.status, 201);
    assert.ok(!replayed(theirs));
    assert.notEqual(theirs.body.id, replies[0]!.body.id);
    assert.equal(theirs.body.merchant, other.address);
  });
});

describe("Idempotency-Key on confirm", () => {
  it("answers a retry after success with the same 202 body and sends nothing more", async () => {
    const intent = (await system.api("POST", "/v1/payment_intents", createBody(system))).body;
    const key = newKey();
    const payload = { signature: await signAuthorization(system.buyer, intent) };
    const first = await system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, payload, { "idempotency-key": key });
    assert.equal(first.status, 202);
    assert.equal(first.body.status, "processing");
    const done = await waitForIntent(system, intent.id, (i) => i.status !== "processing");
    assert.equal(done.status, "captured");

    const before = await snapshot(system);
    const retry = await system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, payload, { "idempotency-key": key });
    assert.equal(retry.status, 202);
    assert.ok(replayed(retry));
    assert.deepEqual(retry.body, first.body);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await snapshot(system), before);
    assert.deepEqual(await operationsOf(intent.id), ["charge"]);
  });

  it("turns 10 concurrent confirms with one key into one operation and one on-chain charge", async () => {
    const intent = (await system.api("POST", "/v1/payment_intents", createBody(system))).body;
    const key = newKey();
    const payload = { signature: await signAuthorization(system.buyer, intent) };
    const replies = await Promise.all(Array.from({ length: 10 }, () => system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, payload, { "idempotency-key": key })));
    assert.deepEqual(replies.map((r) => r.status), Array(10).fill(202));
    for (const reply of replies) assert.deepEqual(reply.body, replies[0]!.body);
    const done = await waitForIntent(system, intent.id, (i) => i.status !== "processing");
    assert.equal(done.status, "captured");
    assert.deepEqual(await operationsOf(intent.id), ["charge"]);
    assert.equal(done.transactions.length, 1);
  });

  it("refuses the same confirm without a key once the first is accepted (409), sending nothing more", async () => {
    const intent = (await system.api("POST", "/v1/payment_intents", createBody(system))).body;
    const payload = { signature: await signAuthorization(system.buyer, intent) };
    assert.equal((await system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, payload)).status, 202);
    const second = await system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, payload);
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, "intent_unexpected_state");
    await waitForIntent(system, intent.id, (i) => i.status !== "processing");
    assert.deepEqual(await operationsOf(intent.id), ["charge"]);
  });
});

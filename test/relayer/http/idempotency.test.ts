import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { IDEMPOTENCY_TTL_MS, purgeExpired, requestHash } from "../../../relayer/http/idempotency.js";
import type { Database } from "../../../relayer/persistence/database.js";
import { openTestDatabase } from "../support/database.js";
import { type ErrorShape, postJson, serve } from "./helpers.js";
import { idempotentApp } from "./idempotency-app.js";

let clock = 1_700_000_000_000;
async function setup(name: string, waitMs?: number) {
  const opened = await openTestDatabase(name);
  // Counts the transactions the middleware and the handlers ask for.
  const transactions = { count: 0 };
  const db: Database = {
    dialect: opened.dialect,
    location: opened.location,
    transaction: (work) => ((transactions.count += 1), opened.transaction(work)),
    read: (work) => opened.read(work),
    close: () => opened.close(),
  };
  const { app, counters } = idempotentApp(db, { now: () => clock, waitMs, pollMs: 20 });
  const server = await serve(app);
  const post = (route: string, body: unknown, key?: string, merchant?: string) =>
    postJson(`${server.url}${route}`, body, {
      ...(key === undefined ? {} : { "idempotency-key": key }),
      ...(merchant === undefined ? {} : { "x-merchant": merchant }),
    });
  const done = async () => {
    await server.close();
    await db.close();
  };
  return { db, counters, transactions, post, done };
}

const codeOf = async (response: Response) => ((await response.json()) as ErrorShape).error.code;

describe("idempotency", () => {
  it("replays the stored status and body for the same key and request, running the handler once", async () => {
    const t = await setup("replay");
    const first = await t.post("/v1/things", { a: 1 }, "k1");
    const second = await t.post("/v1/things", { a: 1 }, "k1");
    assert.equal(first.status, 201);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    assert.equal(second.status, 201);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await second.json(), await first.json());
    assert.equal(t.counters.runs.things, 1);
    await t.done();
  });

  it("treats the same body with keys in another order as the same request", async () => {
    assert.equal(requestHash("POST", "/p", { a: 1, b: { c: 2, d: 3 } }), requestHash("POST", "/p", { b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(requestHash("POST", "/p", { a: 1 }), requestHash("POST", "/q", { a: 1 }));
  });

  it("runs every request without a key", async () => {
    const t = await setup("no-key");
    await t.post("/v1/things", {});
    await t.post("/v1/things", {});
    assert.equal(t.counters.runs.things, 2);
    await t.done();
  });

  it("answers the same key with another body with 422 idempotency_key_reused", async () => {
    const t = await setup("other-body");
    await t.post("/v1/things", { a: 1 }, "k");
    const response = await t.post("/v1/things", { a: 2 }, "k");
    assert.equal(response.status, 422);
    const error = ((await response.json()) as ErrorShape).error;
    assert.equal(error.type, "idempotency_error");
    assert.equal(error.code, "idempotency_key_reused");
    assert.equal(t.counters.runs.things, 1);
    await t.done();
  });

  it("answers the same key on another path with 422 idempotency_key_reused", async () => {
    const t = await setup("other-path");
    await t.post("/v1/things", {}, "k");
    const response = await t.post("/v1/other", {}, "k");
    assert.equal(response.status, 422);
    assert.equal(await codeOf(response), "idempotency_key_reused");
    assert.equal(t.counters.runs.other, undefined);
    await t.done();
  });

  it("scopes keys to their owner: another merchant's identical key runs anew", async () => {
    const t = await setup("owners");
    await t.post("/v1/things", {}, "shared", "mer_a");
    const other = await t.post("/v1/things", {}, "shared", "mer_b");
    assert.equal(other.headers.get("idempotent-replayed"), null);
    assert.equal(t.counters.runs.things, 2);
    await t.done();
  });

  for (const [label, key] of [["an empty key", ""], ["a key of 256 characters", "k".repeat(256)]] as const) {
    it(`refuses ${label} with 400 idempotency_key_invalid`, async () => {
      const t = await setup(`invalid-${key.length}`);
      const response = await t.post("/v1/things", {}, key);
      assert.equal(response.status, 400);
      assert.equal(await codeOf(response), "idempotency_key_invalid");
      assert.equal(t.counters.runs.things, undefined);
      await t.done();
    });
  }

  it("does not save a 400 (the request did not execute): the retry with the same key runs again", async () => {
    const t = await setup("not-stored-400");
    assert.equal((await t.post("/v1/invalid", {}, "k")).status, 400);
    const retry = await t.post("/v1/invalid", {}, "k");
    assert.equal(retry.status, 400);
    assert.equal(retry.headers.get("idempotent-replayed"), null);
    assert.equal(t.counters.runs.invalid, 2);
    await t.done();
  });

  it("stores and replays a 409 answer without running the handler again", async () => {
    const t = await setup("stored-4xx");
    const first = await t.post("/v1/refused", {}, "k");
    const second = await t.post("/v1/refused", {}, "k");
    assert.equal(second.status, 409);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await second.json(), await first.json());
    assert.equal(t.counters.runs.refused, 1);
    await t.done();
  });

  it("releases the key after a 500 so the retry runs the handler again", async () => {
    const t = await setup("released-5xx");
    assert.equal((await t.post("/v1/crash", {}, "k")).status, 500);
    const retry = await t.post("/v1/crash", {}, "k");
    assert.equal(retry.headers.get("idempotent-replayed"), null);
    assert.equal(t.counters.runs.crash, 2);
    await t.done();
  });

  it("releases the key after a response that is not JSON", async () => {
    const t = await setup("released-text");
    await t.post("/v1/text", {}, "k");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await t.post("/v1/text", {}, "k");
    assert.equal(t.counters.runs.text, 2);
    await t.done();
  });

  it("runs 50 concurrent requests with one key once and answers all of them identically", async () => {
    const t = await setup("concurrent");
    const responses = await Promise.all(Array.from({ length: 50 }, () => t.post("/v1/things", { delay_ms: 150 }, "same")));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    assert.equal(t.counters.runs.things, 1);
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([201]));
    assert.equal(new Set(bodies).size, 1);
    assert.equal(responses.filter((r) => r.headers.get("idempotent-replayed") === "true").length, 49);
    await t.done();
  });

  it("answers a duplicate with 409 idempotency_request_in_progress when the first outlasts the wait", async () => {
    const t = await setup("in-progress", 100);
    const first = t.post("/v1/things", { delay_ms: 600 }, "slow");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const duplicate = await t.post("/v1/things", { delay_ms: 600 }, "slow");
    assert.equal(duplicate.status, 409);
    assert.equal(await codeOf(duplicate), "idempotency_request_in_progress");
    assert.equal((await first).status, 201);
    assert.equal(t.counters.runs.things, 1);
    await t.done();
  });

  it("lets a retry take over a claim abandoned by a request that died (older than 30 s), and runs it once", async () => {
    const t = await setup("abandoned");
    // A claim left in progress by a process killed mid-request: its handler's transaction never committed.
    await t.db.transaction((sql) =>
      sql.run(
        `INSERT INTO idempotency_keys (owner, key, method, path, request_hash, state, created_at)
         VALUES ('anonymous', 'orphan', 'POST', '/v1/things', ?, 'in_progress', ?)`,
        requestHash("POST", "/v1/things", { n: 1 }),
        clock - 31_000,
      ),
    );
    const retry = await t.post("/v1/things", { n: 1 }, "orphan");
    assert.equal(retry.status, 201);
    assert.equal(t.counters.runs.things, 1);
    assert.equal((await t.post("/v1/things", { n: 1 }, "orphan")).headers.get("idempotent-replayed"), "true");
    await t.done();
  });

  it("commits a handler's domain row and its stored response in one transaction", async () => {
    const t = await setup("atomic");
    const first = await t.post("/v1/atomic", {}, "k");
    const row = await t.db.read((sql) => sql.get<{ state: string; response_body: string }>("SELECT state, response_body FROM idempotency_keys"));
    assert.equal(row?.state, "done");
    assert.deepEqual(JSON.parse(row?.response_body ?? "null"), await first.json());
    assert.equal((await t.db.read((sql) => sql.get("SELECT value FROM meta WHERE key = 'atomic_1'")))?.value, "written");
    assert.equal((await t.post("/v1/atomic", {}, "k")).headers.get("idempotent-replayed"), "true");
    assert.equal(t.counters.runs.atomic, 1);
    await t.done();
  });

  it("sends a response the handler stored in its own transaction without another transaction", async () => {
    const t = await setup("atomic-count");
    assert.equal((await t.post("/v1/atomic", {}, "k")).status, 201);
    assert.equal(t.transactions.count, 2); // the claim, then the handler's rows with the response
    assert.equal((await t.post("/v1/things", {}, "k2")).status, 201);
    assert.equal(t.transactions.count, 4); // the claim, then the middleware stores what the handler sent
    await t.done();
  });

  it("stores the error a handler answers after its transaction (holding another response) rolled back", async () => {
    const t = await setup("atomic-refused");
    const first = await t.post("/v1/atomic", { fail: "refused" }, "k");
    assert.equal(first.status, 409);
    const replay = await t.post("/v1/atomic", { fail: "refused" }, "k");
    assert.equal(replay.status, 409);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await replay.json(), await first.json());
    assert.equal(await t.db.read((sql) => sql.get("SELECT * FROM meta WHERE key = 'atomic_1'")), undefined);
    assert.equal(t.counters.runs.atomic, 1);
    await t.done();
  });

  it("rolls the stored response back with a handler's failed transaction, so the retry runs again", async () => {
    const t = await setup("atomic-rollback");
    assert.equal((await t.post("/v1/atomic", { fail: "crash" }, "k")).status, 500);
    assert.equal(await t.db.read((sql) => sql.get("SELECT * FROM meta WHERE key = 'atomic_1'")), undefined);
    assert.equal(await t.db.read((sql) => sql.get("SELECT * FROM idempotency_keys")), undefined);
    assert.equal((await t.post("/v1/atomic", { fail: "crash" }, "k")).status, 500);
    assert.equal(t.counters.runs.atomic, 2);
    await t.done();
  });

  it("treats a key older than 24 hours as new", async () => {
    const t = await setup("expiry");
    await t.post("/v1/things", {}, "k");
    clock += IDEMPOTENCY_TTL_MS;
    const later = await t.post("/v1/things", { other: "body" }, "k");
    assert.equal(later.status, 201);
    assert.equal(later.headers.get("idempotent-replayed"), null);
    assert.equal(t.counters.runs.things, 2);
    await t.done();
  });

  it("purges keys at least 24 hours old and keeps younger ones", async () => {
    const t = await setup("purge");
    await t.post("/v1/things", {}, "old");
    clock += 1000;
    await t.post("/v1/things", {}, "young");
    assert.equal(await purgeExpired(t.db, clock - 1000 + IDEMPOTENCY_TTL_MS), 1);
    const keys = await t.db.read((sql) => sql.all<{ key: string }>("SELECT key FROM idempotency_keys"));
    assert.deepEqual(keys.map((k) => k.key), ["young"]);
    await t.done();
  });
});

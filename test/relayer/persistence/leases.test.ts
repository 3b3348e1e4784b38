import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import { deadLocalHolder, LeaseKeeper } from "../../../relayer/application/lease-keeper.js";
import type { Database } from "../../../relayer/persistence/database.js";
import { LeaseLostError, leases } from "../../../relayer/persistence/leases.js";
import { openTestDatabase } from "../support/database.js";

const opened: Database[] = [];
after(async () => {
  for (const db of opened) await db.close();
});
const open = async (name: string) => {
  const db = await openTestDatabase(name);
  opened.push(db);
  return db;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("leases", () => {
  it("lets one holder at a time take a lease, renews it for its holder with the same token, and bumps the token on takeover", async () => {
    const db = await open("leases-take");
    const a = await db.transaction((sql) => leases.acquire(sql, "signer:0x1", "a", 200));
    assert.equal(a?.token, 1);
    assert.equal(await db.transaction((sql) => leases.acquire(sql, "signer:0x1", "b", 200)), undefined, "b cannot take a live lease");
    const renewed = await db.transaction((sql) => leases.acquire(sql, "signer:0x1", "a", 200));
    assert.equal(renewed?.token, 1, "renewal keeps the token");
    await sleep(250);
    const taken = await db.transaction((sql) => leases.acquire(sql, "signer:0x1", "b", 200));
    assert.deepEqual([taken?.holder, taken?.token], ["b", 2], "an expired lease goes to the next taker with the next token");
  });

  it("fences: a write checked against a stale token is refused and rolled back", async () => {
    const db = await open("leases-fence");
    await db.transaction((sql) => leases.acquire(sql, "chain", "a", 100));
    await sleep(150);
    await db.transaction((sql) => leases.acquire(sql, "chain", "b", 10_000));
    await assert.rejects(
      db.transaction(async (sql) => {
        await sql.run("INSERT INTO meta (key, value) VALUES ('written-by-a', '1')");
        await leases.fence(sql, "chain", "a", 1);
      }),
      LeaseLostError,
    );
    assert.equal(await db.read((sql) => sql.get("SELECT 1 FROM meta WHERE key = 'written-by-a'")), undefined);
    await db.transaction((sql) => leases.fence(sql, "chain", "b", 2)); // the holder passes
  });

  it("a released lease is taken at once by another holder", async () => {
    const db = await open("leases-release");
    const a = (await db.transaction((sql) => leases.acquire(sql, "chain", "a", 60_000)))!;
    await db.transaction((sql) => leases.release(sql, "chain", "a", a.token));
    assert.equal((await db.transaction((sql) => leases.acquire(sql, "chain", "b", 60_000)))?.token, 2);
  });
});

describe("LeaseKeeper", () => {
  it("takes over a lease whose holder stopped renewing, within the TTL plus one renewal, and the old holder stops at its TTL", async () => {
    const db = await open("keeper");
    const events: string[] = [];
    const keeper = (holder: string) =>
      new LeaseKeeper(db, holder, ["signer:0xabc"], { ttlMs: 300, renewMs: 50 }, {
        acquired: (name, token) => events.push(`${holder} acquired ${name} #${token}`),
        lost: (name, token) => events.push(`${holder} lost ${name} #${token}`),
      });
    const a = keeper("a");
    const b = keeper("b");
    await a.renew(); // a takes it, and then (as if paused) never renews again
    await b.start();
    assert.equal(a.token("signer:0xabc"), 1);
    assert.equal(b.token("signer:0xabc"), undefined);
    const started = Date.now();
    while (b.token("signer:0xabc") === undefined) {
      assert.ok(Date.now() - started < 2_000, "b took over in time");
      await sleep(10);
    }
    assert.equal(b.token("signer:0xabc"), 2);
    assert.equal(a.token("signer:0xabc"), undefined, "a's own view expired with its TTL");
    await assert.rejects(db.transaction(a.fence("signer:0xabc")), LeaseLostError);
    await db.transaction(b.fence("signer:0xabc"));
    await b.stop();
    assert.deepEqual(events, ["a acquired signer:0xabc #1", "b acquired signer:0xabc #2", "a lost signer:0xabc #1"]);
  });
});

describe("a dead holder on this machine", () => {
  it("is recognised by host name and a process id that no longer exists, and only then", () => {
    const alive = (pid: number) => pid === 42;
    assert.equal(deadLocalHolder("host-a:7:ab12", "host-a", alive), true);
    assert.equal(deadLocalHolder("host-a:42:ab12", "host-a", alive), false, "a live process");
    assert.equal(deadLocalHolder("host-b:7:ab12", "host-a", alive), false, "another machine's process");
    assert.equal(deadLocalHolder("custom-instance-name", "host-a", alive), false, "an INSTANCE_ID of another form");
  });

  it("loses its leases at once to a restarted instance, which gets the next token", async () => {
    const db = await open("keeper-dead");
    const quiet = { acquired: () => {}, lost: () => {} };
    const crashed = new LeaseKeeper(db, "host-a:7:ab12", ["signer:0xdef"], { ttlMs: 60_000, renewMs: 20_000 }, quiet);
    await crashed.renew();
    const restarted = new LeaseKeeper(db, "host-a:8:cd34", ["signer:0xdef"], { ttlMs: 60_000, renewMs: 20_000 }, quiet, Date.now, (holder) =>
      deadLocalHolder(holder, "host-a", (pid) => pid === 8),
    );
    await restarted.renew();
    assert.equal(restarted.token("signer:0xdef"), 2, "taken without waiting a minute for the TTL");
    const stranger = new LeaseKeeper(db, "host-b:9:ef56", ["signer:0xdef"], { ttlMs: 60_000, renewMs: 20_000 }, quiet, Date.now, (holder) =>
      deadLocalHolder(holder, "host-b", () => false),
    );
    await stranger.renew();
    assert.equal(stranger.token("signer:0xdef"), undefined, "a live holder on another machine keeps it");
  });
});

// Reconciliation runs shared by several instances: a run is failed as abandoned only when the instance running it
// is certainly gone, never while another live instance still runs it.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import { ABANDONED_AFTER_MS, ReconciliationService } from "../../../relayer/application/reconciliation.js";
import type { Database } from "../../../relayer/persistence/database.js";
import { reconciliations } from "../../../relayer/persistence/reconciliations.js";
import { openTestDatabase } from "../support/database.js";

const opened: Database[] = [];
after(async () => {
  for (const db of opened) await db.close();
});

const neverRebuilt = () => Promise.reject(new Error("not in these tests"));
const dead = new Set(["host-a:7:dead"]);

async function setUp(name: string, now: () => number) {
  const db = await openTestDatabase(name);
  opened.push(db);
  const service = (instance: string) => new ReconciliationService(db, neverRebuilt, now, instance, (i) => dead.has(i));
  const started = (instance: string, id: string, at: number) => db.transaction((sql) => reconciliations.start(sql, id, "auditor", at, instance));
  const status = async (id: string) => (await db.read((sql) => reconciliations.get(sql, id)))?.status;
  return { db, service, started, status };
}

describe("abandoned reconciliation runs", () => {
  it("at start, fails a run of a dead instance or of this instance's previous life, and leaves a live instance's run alone", async () => {
    const t = 1_000_000;
    const { service, started, status } = await setUp("recon-recover", () => t);
    await started("host-a:7:dead", "rec_dead", t - 1000);
    await service("host-b:1:live").recover();
    assert.equal(await status("rec_dead"), "failed");

    await started("host-b:1:live", "rec_live", t - 1000);
    await service("host-c:2:new").recover();
    assert.equal(await status("rec_live"), "running", "another live instance's run goes on");
    await service("host-b:1:live").recover();
    assert.equal(await status("rec_live"), "failed", "a run under this instance's own name is from before its restart");
  });

  it("refuses a second run while a live instance's run is recent, and replaces one that has run for an hour", async () => {
    let t = 5_000_000;
    const { db, service, started, status } = await setUp("recon-begin", () => t);
    await started("host-b:1:live", "rec_first", t);
    await assert.rejects(
      db.transaction((sql) => service("host-c:2:other").begin(sql, "auditor")),
      (error: { code?: string }) => error.code === "reconciliation_in_progress",
    );
    t += ABANDONED_AFTER_MS;
    const run = await db.transaction((sql) => service("host-c:2:other").begin(sql, "auditor"));
    assert.equal(await status("rec_first"), "failed");
    assert.equal(run.status, "running");
  });
});

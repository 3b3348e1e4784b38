// The PostgreSQL adapter itself (the suite's PostgreSQL pass only): transactions behave as if run one after
// another, whatever the interleaving, and instances starting together migrate a new database once.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import type { Database } from "../../../relayer/persistence/database.js";
import { MIGRATIONS } from "../../../relayer/persistence/migrations.js";
import { PostgresDatabase } from "../../../relayer/persistence/postgres.js";
import { onPostgres, testDatabaseLocation } from "../support/database.js";

const opened: Database[] = [];
after(async () => {
  for (const db of opened) await db.close();
});

describe("PostgresDatabase", { skip: onPostgres ? false : "runs in the relayer suite's PostgreSQL pass" }, () => {
  it("runs concurrent read-check-write transactions as if one after another (SERIALIZABLE, retried)", async () => {
    const db = await PostgresDatabase.open(await testDatabaseLocation("serial"), { poolSize: 8 });
    opened.push(db);
    await db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('counter', '0')"));
    const increment = () =>
      db.transaction(async (sql) => {
        const row = await sql.get<{ value: string }>("SELECT value FROM meta WHERE key = 'counter'");
        await new Promise((r) => setTimeout(r, 2)); // let the others read the same value
        await sql.run("UPDATE meta SET value = ? WHERE key = 'counter'", String(Number(row!.value) + 1));
      });
    await Promise.all(Array.from({ length: 24 }, increment));
    assert.equal((await db.read((sql) => sql.get<{ value: string }>("SELECT value FROM meta WHERE key = 'counter'")))?.value, "24");
  });

  it("answers a duplicate checked by two concurrent transactions as the later one would have seen it", async () => {
    const db = await PostgresDatabase.open(await testDatabaseLocation("duplicate"), { poolSize: 8 });
    opened.push(db);
    const insertOnce = () =>
      db.transaction(async (sql) => {
        if (await sql.get("SELECT 1 AS present FROM meta WHERE key = 'once'")) return "already there";
        await new Promise((r) => setTimeout(r, 2));
        await sql.run("INSERT INTO meta (key, value) VALUES ('once', 'x')");
        return "inserted";
      });
    const outcomes = await Promise.all(Array.from({ length: 6 }, insertOnce));
    assert.deepEqual(outcomes.filter((o) => o === "inserted").length, 1, JSON.stringify(outcomes));
  });

  it("applies the migrations once when several instances open a new database at the same time", async () => {
    const url = await testDatabaseLocation("migrate");
    const instances = await Promise.all(Array.from({ length: 3 }, () => PostgresDatabase.open(url, { poolSize: 2 })));
    opened.push(...instances);
    const versions = await instances[0]!.read((sql) => sql.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version"));
    assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
  });

  it("keeps the password out of its location", async () => {
    const url = new URL(await testDatabaseLocation("redact"));
    url.password = "s3cret-pw";
    const db = await PostgresDatabase.open(url.toString()).catch(() => undefined); // trust authentication ignores it
    if (db) opened.push(db);
    assert.ok(db, "opened");
    assert.doesNotMatch(db.location, /s3cret-pw/);
  });
});

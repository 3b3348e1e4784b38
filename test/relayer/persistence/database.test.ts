import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { AsyncTransactionBodyError, Database } from "../../../relayer/persistence/database.js";
import { chainTransactions } from "../../../relayer/persistence/chain-store.js";

const dir = mkdtempSync(path.join(tmpdir(), "relayer-db-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("Database", () => {
  it("creates the file in WAL mode with every migration applied, and reopens without reapplying them", async () => {
    const file = path.join(dir, "a", "relayer.db");
    const db = new Database({ path: file });
    const mode = await db.read((sql) => sql.get<{ journal_mode: string }>("PRAGMA journal_mode"));
    assert.equal(mode?.journal_mode, "wal");
    const versions = await db.read((sql) => sql.all<{ version: number }>("SELECT version FROM schema_migrations"));
    assert.ok(versions.length >= 1);
    db.close();
    const again = new Database({ path: file });
    const count = await again.read((sql) => sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM schema_migrations"));
    assert.equal(count?.n, versions.length);
    again.close();
  });

  it("rolls a failed transaction back entirely", async () => {
    const db = new Database({ path: path.join(dir, "rollback.db") });
    await assert.rejects(
      db.transaction((sql) => {
        sql.run("INSERT INTO meta (key, value) VALUES ('a', '1')");
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await db.read((sql) => sql.get("SELECT * FROM meta WHERE key = 'a'")), undefined);
    db.close();
  });

  it("refuses a transaction body that awaits, and rolls its writes back: no read can see uncommitted rows", async () => {
    const db = new Database({ path: path.join(dir, "isolation.db") });
    const writing = db.transaction(async (sql) => {
      sql.run("INSERT INTO meta (key, value) VALUES ('b', '1')");
      await new Promise((r) => setTimeout(r, 10));
    });
    await assert.rejects(writing, AsyncTransactionBodyError);
    assert.equal(await db.read((sql) => sql.get("SELECT * FROM meta WHERE key = 'b'")), undefined);
    db.close();
  });

  it("commits the transactions asked for together, each rolled back alone if it throws", async () => {
    const db = new Database({ path: path.join(dir, "group.db") });
    const results = await Promise.allSettled([
      db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('g1', '1')").changes),
      db.transaction((sql) => {
        sql.run("INSERT INTO meta (key, value) VALUES ('g2', '2')");
        throw new Error("refused");
      }),
      db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('g1', 'duplicate')").changes),
      db.transaction((sql) => sql.get<{ value: string }>("SELECT value FROM meta WHERE key = 'g1'")?.value),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected", "fulfilled"]);
    assert.equal((results[3] as PromiseFulfilledResult<string>).value, "1", "a later body sees the earlier ones of its group");
    db.close();
    const reopened = new Database({ path: path.join(dir, "group.db") });
    const keys = await reopened.read((sql) => sql.all<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'g%' ORDER BY key"));
    assert.deepEqual(keys.map((k) => [k.key, k.value]), [["g1", "1"]]);
    reopened.close();
  });

  it("allocates consecutive nonces per signer, starting from the chain's nonce, never reusing one", async () => {
    const db = new Database({ path: path.join(dir, "nonces.db") });
    const allocate = (chainNonce: number) =>
      db.transaction((sql) => chainTransactions.allocate(sql, { signer: "0xabc", to: "0xdef", data: "0x", chainNonce }, 1).nonce);
    assert.equal(await allocate(5), 5);
    assert.equal(await allocate(0), 6);
    assert.equal(await allocate(3), 7);
    assert.equal(await allocate(10), 10, "a key used elsewhere moves the floor up");
    db.close();
  });
});

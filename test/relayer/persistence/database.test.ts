import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { Database } from "../../../relayer/persistence/database.js";
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

  it("never lets a read see another transaction's uncommitted rows", async () => {
    const db = new Database({ path: path.join(dir, "isolation.db") });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writing = db.transaction(async (sql) => {
      sql.run("INSERT INTO meta (key, value) VALUES ('b', '1')");
      await gate;
      throw new Error("abandoned");
    });
    const reading = db.read((sql) => sql.get("SELECT * FROM meta WHERE key = 'b'"));
    release();
    await assert.rejects(writing, /abandoned/);
    assert.equal(await reading, undefined);
    db.close();
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

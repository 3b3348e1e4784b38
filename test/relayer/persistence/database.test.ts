import assert from "node:assert/strict";
import { fstatSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { SqliteDatabase } from "../../../relayer/persistence/database.js";
import { openTestDatabase } from "../support/database.js";
import { chainTransactions } from "../../../relayer/persistence/chain-store.js";

const dir = mkdtempSync(path.join(tmpdir(), "relayer-db-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const metaValue = (db: SqliteDatabase, key: string) =>
  db.read(async (sql) => (await sql.get<{ value: string }>("SELECT value FROM meta WHERE key = ?", key))?.value);

describe("SqliteDatabase", () => {
  it("creates the file in WAL mode with every migration applied, and reopens without reapplying them", async () => {
    const file = path.join(dir, "a", "relayer.db");
    const db = new SqliteDatabase({ path: file });
    assert.equal(db.dialect, "sqlite");
    assert.equal(db.location, file);
    const mode = await db.read((sql) => sql.get<{ journal_mode: string }>("PRAGMA journal_mode"));
    assert.equal(mode?.journal_mode, "wal");
    const versions = await db.read((sql) => sql.all<{ version: number }>("SELECT version FROM schema_migrations"));
    assert.ok(versions.length >= 1);
    await db.close();
    const again = new SqliteDatabase({ path: file });
    const count = await again.read((sql) => sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM schema_migrations"));
    assert.equal(count?.n, versions.length);
    await again.close();
  });

  it("rolls a failed transaction back entirely", async () => {
    const db = new SqliteDatabase({ path: path.join(dir, "rollback.db") });
    await assert.rejects(
      db.transaction(async (sql) => {
        await sql.run("INSERT INTO meta (key, value) VALUES ('a', '1')");
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await db.read((sql) => sql.get("SELECT * FROM meta WHERE key = 'a'")), undefined);
    await db.close();
  });

  it("lets a body await between its statements, and commits the body whole: nothing of it is visible before the commit", async () => {
    const file = path.join(dir, "await.db");
    const db = new SqliteDatabase({ path: file });
    const observer = new DatabaseSync(file, { readOnly: true }); // another connection, as another process would see it
    const seen = () => observer.prepare("SELECT key FROM meta WHERE key LIKE 'w%' ORDER BY key").all().map((r) => r.key);
    let midway: unknown[] = [];
    const [first, second] = await Promise.all([
      db.transaction(async (sql) => {
        await sql.run("INSERT INTO meta (key, value) VALUES ('w1', '1')");
        await sleep(10);
        midway = seen();
        await sql.run("INSERT INTO meta (key, value) VALUES ('w2', '2')");
        return "first";
      }),
      db.transaction(async (sql) => {
        await sleep(5);
        await sql.run("INSERT INTO meta (key, value) VALUES ('w3', '3')");
        return (await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM meta WHERE key LIKE 'w%'"))?.n;
      }),
    ]);
    assert.deepEqual(midway, [], "the other connection saw a row of an uncommitted body");
    assert.equal(first, "first");
    assert.equal(second, 3, "a later body of the group sees the earlier body's rows, written across its awaits");
    assert.deepEqual(seen(), ["w1", "w2", "w3"]);
    observer.close();
    await db.close();
  });

  it("runs a read during a group at once, on a snapshot without the group's rows; a read after the commit sees them", async () => {
    const db = new SqliteDatabase({ path: path.join(dir, "reads.db") });
    let duringBody: Promise<string | undefined> | undefined;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = db.transaction(async (sql) => {
      await sql.run("INSERT INTO meta (key, value) VALUES ('r', 'written')");
      duringBody = metaValue(db, "r");
      await held; // the body awaits something else: the group stays open
      await sql.run("INSERT INTO meta (key, value) VALUES ('r2', 'written')");
    });
    while (duringBody === undefined) await sleep(1);
    assert.equal(await duringBody, undefined, "a read during the group waits for nothing and sees no uncommitted row");
    // A read that spans several statements sees one snapshot, even while a group commits between them.
    const spanning = db.read(async (sql) => {
      const before = await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM meta WHERE key LIKE 'r%'");
      release();
      await writing;
      const afterCommit = await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM meta WHERE key LIKE 'r%'");
      return [before?.n, afterCommit?.n];
    });
    assert.deepEqual(await spanning, [0, 0]);
    assert.equal(await metaValue(db, "r2"), "written", "a read started after the caller was answered sees its rows");
    await db.close();
  });

  it("refuses a write in a read, and serves more concurrent reads than it has reader connections", async () => {
    const db = new SqliteDatabase({ path: path.join(dir, "readers.db") });
    await db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('k', 'v')"));
    await assert.rejects(db.read((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('x', 'y')")), /readonly/);
    const values = await Promise.all(Array.from({ length: 40 }, async () => db.read(async (sql) => {
      await sleep(2); // each holds its connection across an await
      return (await sql.get<{ value: string }>("SELECT value FROM meta WHERE key = 'k'"))?.value;
    })));
    assert.deepEqual(new Set(values), new Set(["v"]));
    assert.equal(values.length, 40);
    await db.close();
  });

  it("in memory (one connection), runs a read asked for before the group starts at once, and holds one asked for during the group until it commits", async () => {
    const db = new SqliteDatabase({ path: ":memory:" });
    let lateRead: Promise<string | undefined> | undefined;
    let lateReadRan = false;
    let lateReadRanDuringBody = false;
    const writing = db.transaction(async (sql) => {
      await sql.run("INSERT INTO meta (key, value) VALUES ('r', 'written')");
      lateRead = db.read(async (inner) => {
        lateReadRan = true;
        return (await inner.get<{ value: string }>("SELECT value FROM meta WHERE key = 'r'"))?.value;
      });
      for (let i = 0; i < 3; i++) await sql.get("SELECT COUNT(*) FROM meta");
      await sleep(10);
      lateReadRanDuringBody = lateReadRan;
    });
    // Asked for in the same turn as the transaction: the group has not started, so the read runs now.
    const early = await metaValue(db, "r");
    await writing;
    assert.equal(early, undefined, "the read asked for before the group saw its row");
    assert.equal(lateReadRanDuringBody, false, "a read asked for during the group ran inside it");
    assert.equal(await lateRead, "written", "the held read runs after the commit, on the committed row");
    await db.close();
  });

  it("rolls back alone a body that throws after awaiting; the others of its group commit", async () => {
    const db = new SqliteDatabase({ path: path.join(dir, "await-throw.db") });
    const results = await Promise.allSettled([
      db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('t1', '1')")),
      db.transaction(async (sql) => {
        await sql.run("INSERT INTO meta (key, value) VALUES ('t2', '2')");
        await sleep(5);
        await sql.run("INSERT INTO meta (key, value) VALUES ('t3', '3')");
        throw new Error("refused after awaiting");
      }),
      db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('t4', '4')")),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /refused after awaiting/);
    await db.close();
    const reopened = new SqliteDatabase({ path: path.join(dir, "await-throw.db") });
    const keys = await reopened.read((sql) => sql.all<{ key: string }>("SELECT key FROM meta WHERE key LIKE 't%' ORDER BY key"));
    assert.deepEqual(keys.map((k) => k.key), ["t1", "t4"]);
    await reopened.close();
  });

  it("commits the transactions asked for together, each rolled back alone if it throws", async () => {
    const db = new SqliteDatabase({ path: path.join(dir, "group.db") });
    const results = await Promise.allSettled([
      db.transaction(async (sql) => (await sql.run("INSERT INTO meta (key, value) VALUES ('g1', '1')")).changes),
      db.transaction(async (sql) => {
        await sql.run("INSERT INTO meta (key, value) VALUES ('g2', '2')");
        throw new Error("refused");
      }),
      db.transaction(async (sql) => (await sql.run("INSERT INTO meta (key, value) VALUES ('g1', 'duplicate')")).changes),
      db.transaction(async (sql) => (await sql.get<{ value: string }>("SELECT value FROM meta WHERE key = 'g1'"))?.value),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected", "fulfilled"]);
    assert.equal((results[3] as PromiseFulfilledResult<string>).value, "1", "a later body sees the earlier ones of its group");
    await db.close();
    const reopened = new SqliteDatabase({ path: path.join(dir, "group.db") });
    const keys = await reopened.read((sql) => sql.all<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'g%' ORDER BY key"));
    assert.deepEqual(keys.map((k) => [k.key, k.value]), [["g1", "1"]]);
    await reopened.close();
  });

  it("commits what is queued when closed", async () => {
    const file = path.join(dir, "close.db");
    const db = new SqliteDatabase({ path: file });
    const writing = db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('c', 'queued')"));
    await db.close();
    await writing;
    const reopened = new SqliteDatabase({ path: file });
    assert.equal(await metaValue(reopened, "c"), "queued");
    await reopened.close();
  });

  it("answers a group only once its WAL has synced, holding reads meanwhile; a failed sync answers nobody", async () => {
    const file = path.join(dir, "sync.db");
    let pendingSync: ((error?: Error) => void) | undefined;
    const synced: number[] = [];
    const db = new SqliteDatabase({
      path: file,
      syncWal: (fd) => new Promise<void>((resolve, reject) => {
        synced.push(fd);
        pendingSync = (error) => (error ? reject(error) : resolve());
      }),
    });
    /** Ends the WAL sync a group is waiting for (with `error`, as a failing disk would), once it has asked. */
    const endSync = async (error?: Error) => {
      while (pendingSync === undefined) await sleep(1);
      const end = pendingSync;
      pendingSync = undefined;
      end(error);
    };
    // SQLite does not sync inside COMMIT (that would block the event loop): the relayer syncs the WAL itself.
    const pragma = db.transaction((sql) => sql.get<{ synchronous: number }>("PRAGMA synchronous"));
    await endSync();
    assert.equal((await pragma)?.synchronous, 1, "NORMAL");
    let answered = false;
    const writing = db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('s1', 'x')")).then(() => (answered = true));
    while (synced.length === 1) await sleep(1);
    let readDone = false;
    const reading = metaValue(db, "s1").then((value) => ((readDone = true), value));
    await sleep(20);
    assert.equal(answered, false, "answered before the WAL was synced");
    assert.equal(readDone, false, "a read ran before the group was durable");
    assert.equal(fstatSync(synced[0]!).ino, statSync(`${file}-wal`).ino, "the descriptor synced is the WAL file's");
    await endSync();
    const [, value] = await Promise.all([writing, reading]);
    assert.ok(answered && readDone);
    assert.equal(value, "x", "the held read sees the group once it is durable");

    const failing = db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('s2', 'x')"));
    await endSync(new Error("EIO: the disk failed"));
    await assert.rejects(failing, /EIO/, "a caller whose writes are not known to be durable is told so");
    const next = db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES ('s3', 'x')"));
    await endSync();
    await next;
    assert.equal(synced.length, 4);
    await db.close();
    // SQLite's own FULL where nothing is synced by hand: a database in memory.
    const memory = new SqliteDatabase({ path: ":memory:" });
    assert.equal((await memory.read((sql) => sql.get<{ synchronous: number }>("PRAGMA synchronous")))?.synchronous, 2, "FULL");
    await memory.close();
  });

  it("checkpoints in a thread of its own: no COMMIT copies the WAL into the file, yet the file receives the data", async () => {
    const file = path.join(dir, "checkpoints.db");
    const db = new SqliteDatabase({ path: file });
    const autocheckpoint = db.transaction((sql) => sql.get<{ wal_autocheckpoint: number }>("PRAGMA wal_autocheckpoint"));
    assert.equal((await autocheckpoint)?.wal_autocheckpoint, 0, "SQLite's checkpoints inside COMMIT are off");
    const before = statSync(file).size;
    const blob = "x".repeat(4000);
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 50 }, (_, j) =>
        db.transaction((sql) => sql.run("INSERT INTO meta (key, value) VALUES (?, ?)", `ck${i}_${j}`, blob))));
    }
    // ~4 MB went into the WAL; the thread copies it into the database file within a few of its 200 ms rounds.
    const deadline = Date.now() + 5_000;
    while (statSync(file).size < before + 3_000_000 && Date.now() < deadline) await sleep(50);
    assert.ok(statSync(file).size >= before + 3_000_000, `the database file grew from ${before} to ${statSync(file).size} bytes only`);
    assert.equal((await db.read((sql) => sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM meta WHERE key LIKE 'ck%'")))?.n, 1000);
    await db.close();
    // With SQLite's own checkpoints, as before.
    const inline = new SqliteDatabase({ path: path.join(dir, "checkpoints-inline.db"), checkpoints: "inline" });
    assert.equal((await inline.transaction((sql) => sql.get<{ wal_autocheckpoint: number }>("PRAGMA wal_autocheckpoint")))?.wal_autocheckpoint, 1000);
    await inline.close();
  });

  it("allocates consecutive nonces per signer, starting from the chain's nonce, never reusing one", async () => {
    const db = await openTestDatabase("nonces"); // PostgreSQL too, in the suite's PostgreSQL pass
    const allocate = (chainNonce: number) =>
      db.transaction(async (sql) => (await chainTransactions.allocate(sql, { signer: "0xabc", to: "0xdef", data: "0x", chainNonce }, 1)).nonce);
    assert.equal(await allocate(5), 5);
    assert.equal(await allocate(0), 6);
    assert.equal(await allocate(3), 7);
    assert.equal(await allocate(10), 10, "a key used elsewhere moves the floor up");
    await db.close();
  });
});

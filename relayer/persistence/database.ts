// The relayer's database, behind an async interface that SQLite (node:sqlite, here) and PostgreSQL both implement.
//
// SQLite: one file, WAL mode, one writer connection, group commit. Transactions asked for before a group starts are
// queued; the group (started with setImmediate) runs BEGIN IMMEDIATE, then each body in turn inside its own
// SAVEPOINT (a body that throws, even after awaiting, is rolled back alone), then one COMMIT, then one fdatasync of
// the WAL file in libuv's thread pool, and only then answers each caller. So one sync makes a whole group durable,
// no caller is answered before the sync that holds its writes (an acknowledged write is never lost, even to a power
// cut), and the event loop serves other requests while the disk syncs. (SQLite's own synchronous=FULL would sync
// inside COMMIT, on the event loop; the connection runs synchronous=NORMAL and the relayer syncs the WAL itself:
// the same frames reach the disk before anyone is told.) Transactions asked for while a group runs go into the next
// group. A body must never await another `transaction` of the same database (it would wait for its own group: a
// deadlock), nor a `read` (it would not see the body's own writes; in memory, it would deadlock too).
//
// Reads run on reader connections of their own (a small pool, query_only), each in a read transaction whose
// snapshot is taken when it starts: they never wait for a group's bodies, and see every group whose sync has
// finished (so a caller always reads its own acknowledged writes) and nothing else: a read that would start while
// a committed group is still syncing waits for the sync. An in-memory database (tests) has one connection only: its
// reads wait for any pending or running group, and a group waits for running reads to finish.
import { closeSync, fdatasync, mkdirSync, openSync } from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { Worker } from "node:worker_threads";

import { MIGRATIONS } from "./migrations.js";

export type SqlValue = string | number | bigint | null | Uint8Array;
export type Row = Record<string, unknown>;
export type Dialect = "sqlite" | "postgres";

/** What repositories run statements on, inside a transaction or a read. Always await every call. */
export interface Sql {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, ...params: SqlValue[]): Promise<T[]>;
  get<T = Row>(sql: string, ...params: SqlValue[]): Promise<T | undefined>;
  run(sql: string, ...params: SqlValue[]): Promise<{ changes: number }>;
}

export interface Database {
  readonly dialect: Dialect;
  /** Where the data lives, for messages: a file path, or a postgres URL without its password. */
  readonly location: string;
  /** Runs `work` in a transaction (rolled back if it throws); resolves once committed durably. On PostgreSQL a body
   *  may run more than once (serialization retries): bodies do database work only, no other side effects. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Read-only work on committed (and, on SQLite, durable) data: a consistent snapshot, including every write the
   *  caller was told had committed. */
  read<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const MAX_CACHED_STATEMENTS = 500;
/** Most reader connections a file database opens; a read holds one while it runs, further reads wait for one. */
const MAX_READERS = 8;
/** How often the checkpoint thread copies the WAL's committed pages into the database file. */
const CHECKPOINT_INTERVAL_MS = 200;
/**
 * The checkpoint thread: a connection of its own that runs a PASSIVE checkpoint (copies what no reader still needs,
 * waits for nobody) every interval, so the writer's COMMIT never does it on the event loop (SQLite's automatic
 * checkpoint would, every 1,000 WAL pages: 25-29 ms under the bench). Failures are left to the next interval: the
 * WAL only grows meanwhile, and SQLite checkpoints it when the last connection closes.
 */
const CHECKPOINTER = `
const { workerData } = require("node:worker_threads");
const { DatabaseSync } = require("node:sqlite");
const db = new DatabaseSync(workerData.path);
db.exec("PRAGMA busy_timeout = 0");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
setInterval(() => { try { checkpoint.get(); } catch {} }, workerData.intervalMs);
`;
/** Run first in a read transaction: reading the schema table takes the transaction's snapshot there and then. */
const TAKE_SNAPSHOT = "SELECT 1 FROM sqlite_schema LIMIT 1";

interface Connection {
  db: DatabaseSync;
  /** A cached prepared statement. */
  prepare(sql: string): StatementSync;
  sql: Sql;
}

/** `db` with its statements prepared once and cached (lists of `?` vary in length: the cache is bounded). */
function connection(db: DatabaseSync): Connection {
  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    db,
    prepare,
    sql: {
      dialect: "sqlite",
      all: async <T>(sql: string, ...params: SqlValue[]) => prepare(sql).all(...params) as T[],
      get: async <T>(sql: string, ...params: SqlValue[]) => prepare(sql).get(...params) as T | undefined,
      run: async (sql: string, ...params: SqlValue[]) => ({ changes: Number(prepare(sql).run(...params).changes) }),
    },
  };
}

interface Queued {
  work: (sql: Sql) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class SqliteDatabase implements Database {
  readonly dialect = "sqlite" as const;
  readonly location: string;
  readonly #db: DatabaseSync;
  readonly #sql: Sql;
  #queued: Queued[] = [];
  #flushScheduled = false;
  /** The group pending or running; settles (never rejects) once it has committed or rolled back. */
  #group: Promise<void> | undefined;
  /** Set from just before a group's COMMIT until its WAL sync has finished: no read may take a snapshot meanwhile. */
  #syncing: Promise<void> | undefined;
  /** Reader connections (none for an in-memory database, whose reads share the writer connection). */
  readonly #readerPath: string | undefined;
  readonly #idleReaders: Connection[] = [];
  #openReaders = 0;
  readonly #readerWaiters: ((reader: Connection) => void)[] = [];
  #activeReads = 0;
  #readsDrained: (() => void) | undefined;
  /** The WAL file, synced after each group's COMMIT (FULL on a file; opened after the first); undefined when not synced. */
  readonly #walPath: string | undefined;
  #wal: number | undefined;
  readonly #syncWal: (fd: number) => Promise<void>;
  /** The checkpoint thread of a file database (none in memory, or with SQLite's own checkpoints). */
  readonly #checkpointer: Worker | undefined;

  /**
   * `path` is a file (its folder is created), or `:memory:` for tests that need no file. FULL (the default) syncs
   * the WAL after every group's commit, before anyone is answered: nothing acknowledged is lost even on power loss.
   * NORMAL leaves the syncing to SQLite's checkpoints (a power cut may lose the last commits). `syncWal` is how the
   * WAL is synced (fdatasync in the thread pool; tests inject a failing one). `checkpoints`: in a thread of their
   * own (the default for a file), or SQLite's automatic ones inside the COMMIT that crosses 1,000 WAL pages.
   */
  constructor(options: {
    path: string;
    synchronous?: "FULL" | "NORMAL";
    syncWal?: (fd: number) => Promise<void>;
    checkpoints?: "thread" | "inline";
  }) {
    this.location = options.path;
    if (options.path !== ":memory:") mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    this.#db = new DatabaseSync(options.path);
    const syncsItself = options.path !== ":memory:" && (options.synchronous ?? "FULL") === "FULL";
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${syncsItself ? "NORMAL" : (options.synchronous ?? "FULL")};
      PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;`);
    this.#syncWal = options.syncWal ?? promisify(fdatasync);
    this.#walPath = syncsItself ? `${options.path}-wal` : undefined;
    this.#sql = connection(this.#db).sql;
    this.#readerPath = options.path === ":memory:" ? undefined : options.path;
    this.#migrate();
    if (options.path !== ":memory:" && (options.checkpoints ?? "thread") === "thread") {
      this.#db.exec("PRAGMA wal_autocheckpoint = 0");
      this.#checkpointer = new Worker(CHECKPOINTER, {
        eval: true,
        execArgv: [],
        workerData: { path: options.path, intervalMs: CHECKPOINT_INTERVAL_MS },
        resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
      });
      this.#checkpointer.unref();
      // A thread that fails (it could not open the file, say) leaves the checkpoints to SQLite again.
      this.#checkpointer.on("error", () => this.#db.isOpen && this.#db.exec("PRAGMA wal_autocheckpoint = 1000"));
    }
  }

  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // A group already pending or running picks this up itself, or schedules the next group when it ends.
      if (this.#group === undefined) this.#scheduleFlush();
    });
  }

  async read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.#readerPath === undefined) return this.#readOnWriter(work);
    this.#activeReads += 1;
    let reader: Connection | undefined;
    try {
      reader = this.#idleReaders.pop() ?? (await this.#newOrFreedReader());
      while (this.#syncing !== undefined) await this.#syncing;
      // No await from here to the snapshot: no group can commit in between.
      reader.db.exec("BEGIN");
      try {
        reader.prepare(TAKE_SNAPSHOT).get();
        return await work(reader.sql);
      } finally {
        reader.db.exec("COMMIT");
      }
    } finally {
      if (reader !== undefined) {
        const waiter = this.#readerWaiters.shift();
        if (waiter) waiter(reader);
        else this.#idleReaders.push(reader);
      }
      this.#readDone();
    }
  }

  /** A new reader connection while fewer than MAX_READERS are open, else the next one a read gives back. */
  async #newOrFreedReader(): Promise<Connection> {
    if (this.#openReaders >= MAX_READERS) return new Promise<Connection>((resolve) => this.#readerWaiters.push(resolve));
    const db = new DatabaseSync(this.#readerPath!);
    this.#openReaders += 1;
    db.exec("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;");
    return connection(db);
  }

  /** An in-memory database's reads: on the writer connection, between groups. */
  async #readOnWriter<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    while (this.#group !== undefined) await this.#group;
    this.#activeReads += 1;
    try {
      return await work(this.#sql);
    } finally {
      this.#readDone();
    }
  }

  #readDone(): void {
    this.#activeReads -= 1;
    if (this.#activeReads === 0) this.#readsDrained?.();
  }

  /** Commits what is queued, waits for running reads, then closes. */
  async close(): Promise<void> {
    for (;;) {
      if (this.#group !== undefined) await this.#group;
      else if (this.#queued.length > 0) this.#flush();
      else break;
    }
    if (this.#activeReads > 0) await new Promise<void>((resolve) => (this.#readsDrained = resolve));
    for (const reader of this.#idleReaders.splice(0)) reader.db.close();
    await this.#checkpointer?.terminate();
    this.#db.close();
    if (this.#wal !== undefined) closeSync(this.#wal);
    this.#wal = undefined;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#group !== undefined || this.#queued.length === 0) return;
    this.#group = this.#runGroup().finally(() => {
      this.#group = undefined;
      if (this.#queued.length > 0) this.#scheduleFlush();
    });
  }

  async #runGroup(): Promise<void> {
    // On the one connection of an in-memory database, a read running now would see the group's uncommitted rows.
    if (this.#readerPath === undefined && this.#activeReads > 0) {
      await new Promise<void>((resolve) => (this.#readsDrained = resolve));
      this.#readsDrained = undefined;
    }
    const group = this.#queued;
    this.#queued = [];
    const outcomes: Outcome[] = [];
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      for (const item of group) {
        this.#db.exec("SAVEPOINT work");
        try {
          const value = await item.work(this.#sql);
          this.#db.exec("RELEASE work");
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.#db.exec("ROLLBACK TO work");
          this.#db.exec("RELEASE work");
          outcomes.push({ ok: false, error });
        }
      }
      if (this.#walPath === undefined) this.#db.exec("COMMIT");
      else {
        let synced!: () => void;
        this.#syncing = new Promise<void>((resolve) => (synced = resolve));
        try {
          this.#db.exec("COMMIT");
          // After a COMMIT the WAL file exists. SQLite takes no locks on it (they live in the -shm file), so this
          // descriptor of ours cannot release one of SQLite's when it is closed.
          this.#wal ??= openSync(this.#walPath, "r");
          // New reads and the next group wait meanwhile; other work goes on.
          await this.#syncWal(this.#wal);
        } finally {
          this.#syncing = undefined;
          synced();
        }
      }
    } catch (error) {
      // BEGIN, COMMIT or the sync failed: the group is not known to be durable, so nobody may be told it is (a
      // client retrying with its idempotency key then gets the stored answer if the writes did survive).
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec("ROLLBACK");
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  #migrate(): void {
    this.#db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    const applied = new Set(
      (this.#db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
    );
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        this.#db.exec(migration.sql);
        this.#db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(migration.version, Date.now());
        this.#db.exec("COMMIT");
      } catch (error) {
        this.#db.exec("ROLLBACK");
        throw new Error(`database migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`);
      }
    }
  }
}

/** Runs `each` over `items` one at a time, in order (a connection runs one statement at a time), and collects the results. */
export async function mapInOrder<T, U>(items: Iterable<T>, each: (item: T) => Promise<U>): Promise<U[]> {
  const results: U[] = [];
  for (const item of items) results.push(await each(item));
  return results;
}

/** `postgres://…` or `postgresql://…` opens PostgreSQL, anything else is a SQLite file path. */
export async function openDatabase(location: string, options: { synchronous?: "FULL" | "NORMAL"; poolSize?: number } = {}): Promise<Database> {
  if (/^postgres(ql)?:\/\//.test(location)) {
    return (await import("./postgres.js")).PostgresDatabase.open(location, options.poolSize === undefined ? {} : { poolSize: options.poolSize });
  }
  return new SqliteDatabase({ path: location, ...(options.synchronous ? { synchronous: options.synchronous } : {}) });
}

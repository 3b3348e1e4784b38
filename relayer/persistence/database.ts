// The relayer's database: SQLite through Node's built-in node:sqlite, WAL mode, one file.
//
// Group commit: transaction bodies are synchronous, and every transaction asked for in the same turn of the event
// loop runs inside one BEGIN IMMEDIATE ... COMMIT, each in its own SAVEPOINT (a body that throws is rolled back
// alone). So one fsync (synchronous=FULL) makes a whole group durable, and no caller is answered before the
// COMMIT that holds its writes has returned: an acknowledged write is never lost, and HTTP requests and the worker
// no longer queue behind each other's fsyncs one by one. Because no body can await, a read can never run in the
// middle of someone else's transaction: reads run at once, on committed data. The interface stays async for a
// PostgreSQL adapter to implement.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";

import { MIGRATIONS } from "./migrations.js";

export type SqlValue = SQLInputValue;
export type Row = Record<string, SqlValue>;

/** What repositories run statements on: the connection, inside a transaction or a read. */
export interface Sql {
  all<T = Row>(sql: string, ...params: SqlValue[]): T[];
  get<T = Row>(sql: string, ...params: SqlValue[]): T | undefined;
  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number };
}

export interface DatabaseOptions {
  /** `:memory:` for tests that need no file. */
  path: string;
  /** FULL (default) syncs the WAL on every commit: nothing acknowledged is lost even on power loss. */
  synchronous?: "FULL" | "NORMAL";
}

const MAX_CACHED_STATEMENTS = 500;

interface Queued {
  work: (sql: Sql) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A transaction body returned a promise: bodies must be synchronous (see the note at the top of this file). */
export class AsyncTransactionBodyError extends Error {
  constructor() {
    super("a database transaction body must be synchronous: do the awaiting before, and the writes inside");
  }
}

export class Database {
  readonly #db: DatabaseSync;
  readonly #sql: Sql;
  readonly #statements = new Map<string, StatementSync>();
  #queued: Queued[] = [];
  #flushScheduled = false;

  constructor(options: DatabaseOptions) {
    if (options.path !== ":memory:") mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    this.#db = new DatabaseSync(options.path);
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? "FULL"};
      PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;`);
    const prepare = (sql: string) => {
      let statement = this.#statements.get(sql);
      if (!statement) {
        if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear(); // lists of `?` vary in length
        statement = this.#db.prepare(sql);
        this.#statements.set(sql, statement);
      }
      return statement;
    };
    this.#sql = {
      all: <T>(sql: string, ...params: SqlValue[]) => prepare(sql).all(...params) as T[],
      get: <T>(sql: string, ...params: SqlValue[]) => prepare(sql).get(...params) as T | undefined,
      run: (sql: string, ...params: SqlValue[]) => {
        const result = prepare(sql).run(...params);
        return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
      },
    };
    this.#migrate();
  }

  /**
   * Runs `work` in a transaction, rolled back if it throws, committed with the other transactions of the same turn
   * of the event loop; resolves once the commit is durable.
   */
  transaction<T>(work: (sql: Sql) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Runs read-only `work` on committed data (never in the middle of a transaction: bodies cannot await). */
  read<T>(work: (sql: Sql) => T): Promise<T> {
    try {
      return Promise.resolve(work(this.#sql));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(): void {
    this.#flush();
    this.#db.close();
  }

  #flush(): void {
    this.#flushScheduled = false;
    const group = this.#queued;
    this.#queued = [];
    if (group.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      for (const item of group) {
        this.#db.exec("SAVEPOINT work");
        try {
          const value = item.work(this.#sql);
          if (value instanceof Promise) {
            value.catch(() => undefined);
            throw new AsyncTransactionBodyError();
          }
          this.#db.exec("RELEASE work");
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.#db.exec("ROLLBACK TO work");
          this.#db.exec("RELEASE work");
          outcomes.push({ ok: false, error });
        }
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the group is committed, so nobody may be told it was.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
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

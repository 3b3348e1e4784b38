// The relayer's database: SQLite through Node's built-in node:sqlite, WAL mode, one file.
//
// Every access goes through an async mutex, so a transaction is never interleaved with another request's
// statements on the one connection, and the interface stays async for a PostgreSQL adapter to implement.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";

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

export class Database {
  readonly #db: DatabaseSync;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #sql: Sql;

  constructor(options: DatabaseOptions) {
    if (options.path !== ":memory:") mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    this.#db = new DatabaseSync(options.path);
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? "FULL"};
      PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;`);
    const db = this.#db;
    this.#sql = {
      all: <T>(sql: string, ...params: SqlValue[]) => db.prepare(sql).all(...params) as T[],
      get: <T>(sql: string, ...params: SqlValue[]) => db.prepare(sql).get(...params) as T | undefined,
      run: (sql: string, ...params: SqlValue[]) => {
        const result = db.prepare(sql).run(...params);
        return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
      },
    };
    this.#migrate();
  }

  /** Runs `work` in one transaction (BEGIN IMMEDIATE ... COMMIT), rolled back if it throws. */
  transaction<T>(work: (sql: Sql) => T | Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await work(this.#sql);
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  /** Runs read-only `work`, never in the middle of someone else's transaction. */
  read<T>(work: (sql: Sql) => T | Promise<T>): Promise<T> {
    return this.#exclusive(() => work(this.#sql));
  }

  close(): void {
    this.#db.close();
  }

  #exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
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

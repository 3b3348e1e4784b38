// The relayer's database on PostgreSQL (the `pg` driver), chosen by DATABASE_URL=postgres://…; several relayer
// instances can share one.
//
// Transactions run SERIALIZABLE and are retried on serialization failures and deadlocks, so every transaction body
// behaves as if the transactions ran one after another: the same guarantee the SQLite adapter gives by running
// them one after another. That is what keeps the repositories' read-check-write bodies (an intent's state machine,
// a nonce allocation, a fencing check) correct when two instances race, without a lock in each of them. A body may
// therefore run more than once: bodies do database work only. Reads run in a READ ONLY REPEATABLE READ
// transaction: one consistent snapshot of committed data. Statements are written once, in the SQLite dialect
// restricted to what both understand (see dialect.ts), and prepared by name on each connection.
import { createHash } from "node:crypto";

import pg from "pg";

import type { Database, Sql, SqlValue } from "./database.js";
import { migrationToPostgres, toPostgres } from "./dialect.js";
import { MIGRATIONS } from "./migrations.js";

const { Pool } = pg;

/** SQLSTATEs after which a transaction is run again: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(["40001", "40P01"]);
/**
 * unique_violation: two concurrent transactions that both checked a key was free (through another index than the
 * violated one, so PostgreSQL cannot report a serialization failure) and both inserted it. Run again, the loser
 * sees the winner's row and answers as it would have one after the other (e.g. order_ref_duplicate). A real
 * duplicate fails the same way every time, so it is retried only a few times.
 */
const UNIQUE_VIOLATION = "23505";
const MAX_ATTEMPTS = 30;
const MAX_UNIQUE_ATTEMPTS = 3;
/** A constant key for the advisory lock that lets one instance at a time apply migrations. */
const MIGRATION_LOCK = 7_305_112_001;

const INT8 = 20;
const JSON_OIDS = new Set([114, 3802]);

/**
 * BIGINT columns (Unix milliseconds, row ids, counts) come back as numbers, as from SQLite; amounts are TEXT and
 * never pass through here. JSON comes back as its text, as from SQLite.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8) {
      return (value: string) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n)) throw new Error(`BIGINT ${value} is beyond 2^53: store it as TEXT`);
        return n;
      };
    }
    if (JSON_OIDS.has(oid)) return (value: string) => value;
    return pg.types.getTypeParser(oid, format ?? "text");
  },
} as pg.CustomTypesConfig;

export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

type Queryable = Pick<pg.PoolClient, "query">;

export class PostgresDatabase implements Database {
  readonly dialect = "postgres" as const;
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #statements = new Map<string, { name: string; text: string }>();

  private constructor(url: string, options: PostgresOptions) {
    this.#pool = new Pool({ connectionString: url, max: options.poolSize ?? 10, types });
    // An idle connection the server drops (restart, failover) must not crash the process; the next query reconnects.
    this.#pool.on("error", () => undefined);
    this.location = redact(url);
  }

  /** Connects, applies the migrations not yet applied (one instance at a time), and returns the database. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresDatabase> {
    const db = new PostgresDatabase(url, options);
    try {
      await db.#migrate();
    } catch (error) {
      await db.#pool.end();
      throw error;
    }
    return db;
  }

  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#inTransaction("BEGIN ISOLATION LEVEL SERIALIZABLE", work);
      } catch (error) {
        const code = sqlState(error);
        const retry = RETRYABLE.has(code) ? attempt < MAX_ATTEMPTS : code === UNIQUE_VIOLATION && attempt < MAX_UNIQUE_ATTEMPTS;
        if (!retry) throw error;
        // Back off a little, at random, so the transactions that collided do not collide again.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)));
      }
    }
  }

  read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.#inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", work);
  }

  /** Runs `work` between `begin` and COMMIT on a connection of the pool, rolled back if it throws. */
  async #inTransaction<T>(begin: string, work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query(begin);
      try {
        const value = await work(this.#sql(client));
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  #sql(client: Queryable): Sql {
    const query = async <T>(text: string, params: SqlValue[]) => {
      const statement = this.#prepared(text);
      return client.query<T & pg.QueryResultRow>({ name: statement.name, text: statement.text, values: params });
    };
    return {
      dialect: "postgres",
      all: async <T>(text: string, ...params: SqlValue[]) => (await query<T>(text, params)).rows,
      get: async <T>(text: string, ...params: SqlValue[]) => (await query<T>(text, params)).rows[0],
      run: async (text: string, ...params: SqlValue[]) => ({ changes: (await query(text, params)).rowCount ?? 0 }),
    };
  }

  /** The statement's PostgreSQL text, with a name that identifies it on every connection (prepared once each). */
  #prepared(text: string): { name: string; text: string } {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = { name: `q_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`, text: toPostgres(text) };
      this.#statements.set(text, statement);
    }
    return statement;
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)");
      const applied = new Set((await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        try {
          await client.query(migrationToPostgres(migration.sql));
        } catch (error) {
          throw new Error(`database migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`);
        }
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [migration.version, Date.now()]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function sqlState(error: unknown): string {
  return typeof error === "object" && error !== null ? String((error as { code?: unknown }).code ?? "") : "";
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}

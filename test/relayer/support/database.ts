// Fresh, migrated databases for tests. By default a SQLite file of its own in a temporary folder (removed when the
// test process exits). With RELAYER_TEST_DATABASE=postgres (the suite's PostgreSQL pass, run by
// scripts/with-postgres.ts), a fresh database on the PostgreSQL server at TEST_DATABASE_URL instead.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { openDatabase, type Database } from "../../../relayer/persistence/database.js";
import { createDatabase } from "../../../scripts/lib/postgres-server.js";

export const onPostgres = process.env.RELAYER_TEST_DATABASE === "postgres";

let dir: string | undefined;
let opened = 0;

/**
 * Where a fresh database for `name` is: a new file path, or the URL of a new PostgreSQL database.
 * `only: "sqlite"` for a test of SQLite itself (its query planner, its group commit), which runs on SQLite in both passes.
 */
export async function testDatabaseLocation(name: string, options: { only?: "sqlite" } = {}): Promise<string> {
  if (onPostgres && options.only !== "sqlite") {
    const server = process.env.TEST_DATABASE_URL;
    if (!server) throw new Error("RELAYER_TEST_DATABASE=postgres needs TEST_DATABASE_URL (run the tests through scripts/with-postgres.ts)");
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30);
    return createDatabase(server, `t_${slug}_${randomBytes(5).toString("hex")}`);
  }
  if (dir === undefined) {
    const created = mkdtempSync(path.join(tmpdir(), "relayer-test-db-"));
    process.on("exit", () => rmSync(created, { recursive: true, force: true }));
    dir = created;
  }
  return path.join(dir, `${name}-${++opened}.db`);
}

/** `name` says what the database is for (it names the file or database, made unique). */
export async function openTestDatabase(name: string, options: { only?: "sqlite" } = {}): Promise<Database> {
  return openDatabase(await testDatabaseLocation(name, options));
}

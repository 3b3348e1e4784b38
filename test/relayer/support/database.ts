// A fresh, migrated database for a unit test: a SQLite file of its own in a temporary folder, which is removed when
// the test process exits.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { SqliteDatabase, type Database } from "../../../relayer/persistence/database.js";

let dir: string | undefined;
let opened = 0;

/** `name` says what the database is for (it names the file, made unique). */
export async function openTestDatabase(name: string): Promise<Database> {
  if (dir === undefined) {
    const created = mkdtempSync(path.join(tmpdir(), "relayer-test-db-"));
    process.on("exit", () => rmSync(created, { recursive: true, force: true }));
    dir = created;
  }
  return new SqliteDatabase({ path: path.join(dir, `${name}-${++opened}.db`) });
}

// Runs a command with a PostgreSQL server to use: `tsx scripts/with-postgres.ts -- <command> [args…]`.
// With TEST_DATABASE_URL set, that server is used as it is. Otherwise a private, throwaway server is started from
// the installed binaries (see lib/postgres-server.ts) in a temporary directory, its URL handed to the command as
// TEST_DATABASE_URL, and it is stopped and deleted afterwards. The command's exit code is this script's.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { startPostgresServer, type PostgresServer } from "./lib/postgres-server.js";

const separator = process.argv.indexOf("--");
const [command, ...args] = separator === -1 ? [] : process.argv.slice(separator + 1);
if (!command) {
  console.error("usage: tsx scripts/with-postgres.ts -- <command> [args…]");
  process.exit(2);
}

let server: PostgresServer | undefined;
let dir: string | undefined;
if (!process.env.TEST_DATABASE_URL) {
  dir = mkdtempSync(path.join(tmpdir(), "relayer-pg-"));
  chmodSync(dir, 0o711); // the server may run as the postgres user (when this runs as root)
  server = await startPostgresServer({ dataDir: path.join(dir, "data"), durable: false });
  console.log(`PostgreSQL for the tests: a throwaway server on 127.0.0.1:${server.port}`);
}
const env = { ...process.env, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? server!.url };
const child = spawn(command, args, { stdio: "inherit", env });
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
const code = await new Promise<number>((resolve) => child.once("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await server?.stop();
if (dir) rmSync(dir, { recursive: true, force: true });
process.exit(code);

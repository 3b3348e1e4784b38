// Runs the admin CLI the way an operator does (`tsx scripts/admin.ts ...`) as a child process.
import { spawn } from "node:child_process";
import path from "node:path";

import type { TestSystem } from "../support/system.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const BIN = path.resolve("node_modules/.bin");
// Settings the CLI reads from the environment: each test passes its own, never the caller's.
const CLI_ENV = ["DATABASE_PATH", "DATABASE_URL", "RPC_URL", "DEPLOYMENT_FILE", "ADMIN_PRIVATE_KEY", "ADMIN_KEYSTORE", "ADMIN_KEYSTORE_PASSWORD"];

export function runAdmin(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !CLI_ENV.includes(key)));
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(BIN, "tsx"), ["scripts/admin.ts", ...args], {
      // node_modules/.bin first: its node is the Node 24 that has node:sqlite.
      env: { ...base, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}`, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The error a --json run printed on stderr. */
export function jsonError(result: CliResult): { code: string; message: string } {
  return (JSON.parse(result.stderr) as { error: { code: string; message: string } }).error;
}

/** What points the CLI at a running relayer's database: its file, or its PostgreSQL database in the suite's PostgreSQL pass. */
export const databaseEnv = (system: TestSystem): Record<string, string> =>
  system.config.DATABASE_URL ? { DATABASE_URL: system.config.DATABASE_URL } : { DATABASE_PATH: system.config.DATABASE_PATH };

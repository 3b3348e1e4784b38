// A private PostgreSQL server from the machine's installed binaries (Debian's `postgresql` package), for the test
// suite, `npm run start:cluster` and the cluster bench: its own data directory, loopback only, on a port of its own,
// stopped with the process that started it. Nothing is downloaded; without the binaries it says how to get them.
// initdb refuses to run as root, so as root the server's programs run as the `postgres` user the package creates.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

import pg from "pg";

import { freePort } from "./local-chain.js";

export interface PostgresServer {
  /** A URL for the `postgres` database, as the superuser `relayer` (trust authentication on loopback). */
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  dataDir: string;
  port?: number;
  /** false only for throwaway test data: skips the fsyncs that make commits durable. */
  durable?: boolean;
}

export const SUPERUSER = "relayer";

/** The directory holding initdb and postgres: $POSTGRES_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function postgresBinDir(): string {
  if (process.env.POSTGRES_BIN) return process.env.POSTGRES_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "postgres"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error(
      "PostgreSQL's server binaries were not found (looked in /usr/lib/postgresql/*/bin; set POSTGRES_BIN to their directory). " +
        "On Debian or Ubuntu: apt-get install -y postgresql. Or point TEST_DATABASE_URL / DATABASE_URL at a server you run.",
    );
  }
  return path.join(root, newest, "bin");
}

export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const bin = postgresBinDir();
  // As root, run the server's programs as the package's `postgres` user, which must own the data directory.
  const user: { uid?: number; gid?: number } = process.getuid?.() === 0 ? postgresUser() : {};
  const dataDir = path.resolve(options.dataDir);
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    mkdirSync(dataDir, { recursive: true });
    if (user.uid !== undefined) giveTo(dataDir, user.uid, user.gid!);
    chmodSync(dataDir, 0o700);
    const args = ["-D", dataDir, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", ...(options.durable === false ? ["--no-sync"] : [])];
    const init = spawnSync(path.join(bin, "initdb"), args, { encoding: "utf8", ...user });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout || init.error?.message}`);
  }
  const port = options.port ?? (await freePort());
  const args = [
    "-D", dataDir,
    "-p", String(port),
    "-k", dataDir,
    "-c", "listen_addresses=127.0.0.1",
    "-c", "max_connections=300",
    "-c", `fsync=${options.durable === false ? "off" : "on"}`,
    "-c", `synchronous_commit=${options.durable === false ? "off" : "on"}`,
  ];
  const child = spawn(path.join(bin, "postgres"), args, { stdio: ["ignore", "ignore", "pipe"], ...user });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`PostgreSQL did not start (exit ${child.exitCode}): ${log}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`PostgreSQL did not accept connections on port ${port} within 30 s: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGINT"); // fast shutdown: active transactions rolled back, then a clean checkpoint
      }),
  };
}

/** Creates an empty database on the server at `adminUrl` and returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function postgresUser(): { uid: number; gid: number } {
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0) throw new Error("running as root, but there is no `postgres` user to run PostgreSQL as (install the postgresql package)");
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Hands the data directory to the server's user, who must also be able to reach it. */
function giveTo(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(`PostgreSQL runs as the postgres user, who cannot enter ${d}: put its data directory elsewhere, or chmod o+x ${d}`);
    }
  }
}

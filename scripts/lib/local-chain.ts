// A local development chain as a child process, and the deploy + demo seed onto it: what `npm start` runs, and
// what the relayer's integration tests stand on (the same code path, so tests prove the main job works).
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

export const LOCAL_HOST = "127.0.0.1";

export interface LocalChain {
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function portIsFree(port: number, host = LOCAL_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once("error", reject);
    server.listen(0, LOCAL_HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function rpcAnswers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts `hardhat node` on `port` (bound to 127.0.0.1 only) and waits until it answers. */
export async function startLocalChain(port: number, timeoutMs = 60_000): Promise<LocalChain> {
  if (!(await portIsFree(port))) {
    throw new Error(`port ${port} on ${LOCAL_HOST} is in use: stop the other chain (or choose another port) and start again`);
  }
  const rpcUrl = `http://${LOCAL_HOST}:${port}`;
  const child = spawn("hardhat", ["node", "--hostname", LOCAL_HOST, "--port", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PATH: `${path.resolve("node_modules/.bin")}${path.delimiter}${process.env.PATH ?? ""}` },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await rpcAnswers(rpcUrl))) {
    if (child.exitCode !== null) throw new Error(`the local chain exited (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the local chain did not answer on ${rpcUrl} within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { rpcUrl, port, process: child, stop };
}

function runHardhat(args: string[], env: NodeJS.ProcessEnv, quiet: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("hardhat", args, {
      stdio: quiet ? ["ignore", "ignore", "pipe"] : "inherit",
      env: { ...process.env, ...env, PATH: `${path.resolve("node_modules/.bin")}${path.delimiter}${process.env.PATH ?? ""}` },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`hardhat ${args.join(" ")} failed (${signal ?? `exit ${code}`}): ${stderr}`)),
    );
  });
}

export interface DemoCredentials {
  rpcUrl: string;
  chainId: number;
  deploymentFile: string;
  contracts: { SettlementToken: string; KycRegistry: string; PaymentEscrow: string; ReceivableRegistry: string };
  roles: Record<"admin" | "operator" | "compliance" | "arbiter" | "pauser" | "issuer" | "treasury", string>;
  merchant: { address: string; settlementAddress: string; partner: string; feeBps: number; partnerShareBps: number };
  buyer: { address: string; privateKey: string; balance: string };
  /** Supply-chain finance parties (dev keys of the local chain only). */
  receivables: Record<"supplier" | "tier2Supplier" | "coreEnterprise" | "financier", DemoParty>;
}

export interface DemoParty {
  address: string;
  privateKey: string;
  kycTier: "Basic" | "Enhanced" | "Institutional";
  /** Tokens minted to the party (debtor and financier only), which has approved the receivable registry. */
  balance?: string;
  note?: string;
}

export interface DeployAndSeedOptions {
  /** Where deployments/<chainId>.json goes (default: deployments). */
  deploymentsDir?: string;
  /** Where the demo credentials go (default: data/demo-credentials.json). */
  credentialsFile?: string;
  /** Hide the deploy output (tests). */
  quiet?: boolean;
}

/**
 * Deploys the contracts (production profile, through the Ignition module) onto the chain at `rpcUrl` and seeds
 * the demo accounts; returns the demo credentials.
 */
export async function deployAndSeed(rpcUrl: string, options: DeployAndSeedOptions = {}): Promise<DemoCredentials> {
  const { deploymentsDir = "deployments", credentialsFile = "data/demo-credentials.json", quiet = false } = options;
  const env = { RPC_URL: rpcUrl, DEPLOYMENTS_DIR: deploymentsDir, DEMO_CREDENTIALS_FILE: credentialsFile };
  const common = ["run", "--build-profile", "production"];
  await runHardhat([...common, "scripts/deploy.ts", "--network", "localhost"], env, quiet);
  await runHardhat([...common, "scripts/seed-demo.ts", "--network", "localhost"], env, quiet);
  return JSON.parse(await readFile(env.DEMO_CREDENTIALS_FILE, "utf8")) as DemoCredentials;
}

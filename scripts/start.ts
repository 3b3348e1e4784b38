// `npm start`: the main job. Starts the local chain on 127.0.0.1:8545, deploys the contracts (production build
// profile), seeds the demo accounts and prints what to use. Ctrl-C stops everything.
//
// The local chain is ephemeral: every start begins from a fresh genesis and a fresh deployment.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";

const HOST = "127.0.0.1";
const PORT = Number(process.env.CHAIN_PORT ?? 8545);
const RPC_URL = `http://${HOST}:${PORT}`;

const children = new Set<ChildProcess>();
let stopping = false;

function run(command: string, args: string[], options: { quiet?: boolean } = {}): ChildProcess {
  const child = spawn(command, args, { stdio: options.quiet ? ["ignore", "pipe", "pipe"] : "inherit", env: { ...process.env, RPC_URL } });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

function runToEnd(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = run(command, args);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

async function waitForRpc(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(RPC_URL, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the local chain did not answer on ${RPC_URL} within ${timeoutMs / 1000} s`);
}

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500).unref();
}

process.on("SIGINT", () => {
  console.log("\nStopping the local chain.");
  stop(0);
});
process.on("SIGTERM", () => stop(0));

async function main(): Promise<void> {
  if (!(await portIsFree(PORT))) {
    throw new Error(`port ${PORT} on ${HOST} is in use: stop the other chain (or set CHAIN_PORT) and start again`);
  }
  console.log(`Starting the local chain on ${RPC_URL} (ephemeral: a fresh chain every start) ...`);
  const chain = run("hardhat", ["node", "--hostname", HOST, "--port", String(PORT)], { quiet: true });
  chain.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`The local chain stopped unexpectedly (${signal ?? `exit ${code}`}).`);
      stop(1);
    }
  });
  await waitForRpc(60_000);

  await runToEnd("hardhat", ["run", "--build-profile", "production", "scripts/deploy.ts", "--network", "localhost"]);
  await runToEnd("hardhat", ["run", "--build-profile", "production", "scripts/seed-demo.ts", "--network", "localhost"]);

  const credentials = JSON.parse(await readFile("data/demo-credentials.json", "utf8"));
  console.log(`
Settlement network is up.
  RPC URL            ${RPC_URL}   (chain id ${credentials.chainId})
  Deployment record  ${credentials.deploymentFile}
  Contracts          ${Object.entries(credentials.contracts).map(([n, a]) => `${n} ${a}`).join("\n                     ")}
  Roles              ${Object.entries(credentials.roles).map(([n, a]) => `${n} ${a}`).join("\n                     ")}
  Demo merchant      ${credentials.merchant.address} (fee ${credentials.merchant.feeBps} bps, settles to ${credentials.merchant.settlementAddress})
  Demo buyer         ${credentials.buyer.address} (KYC Enhanced, ${Number(credentials.buyer.balance) / 1e6} SUSD)
  Demo buyer key     ${credentials.buyer.privateKey}   (development key: never fund it on a real network)
  Everything above is in data/demo-credentials.json. Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  stop(1);
});

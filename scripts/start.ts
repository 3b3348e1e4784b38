// `npm start`: the main job. Starts the local chain on 127.0.0.1:8545, deploys the contracts (production build
// profile), seeds the demo accounts and prints what to use. Ctrl-C stops everything.
//
// The local chain is ephemeral: every start begins from a fresh genesis and a fresh deployment.
import { deployAndSeed, startLocalChain, type LocalChain } from "./lib/local-chain.js";

const PORT = Number(process.env.CHAIN_PORT ?? 8545);
let chain: LocalChain | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await chain?.stop();
  process.exit(code);
}

process.on("SIGINT", () => {
  console.log("\nStopping the local chain.");
  void stop(0);
});
process.on("SIGTERM", () => void stop(0));

async function main(): Promise<void> {
  console.log(`Starting the local chain on 127.0.0.1:${PORT} (ephemeral: a fresh chain every start) ...`);
  chain = await startLocalChain(PORT);
  chain.process.once("exit", (code, signal) => {
    if (!stopping) {
      console.error(`The local chain stopped unexpectedly (${signal ?? `exit ${code}`}).`);
      void stop(1);
    }
  });
  const credentials = await deployAndSeed(chain.rpcUrl);
  const list = (entries: Record<string, string>) =>
    Object.entries(entries).map(([name, address]) => `${name.padEnd(16)} ${address}`).join("\n                     ");
  console.log(`
Settlement network is up.
  RPC URL            ${credentials.rpcUrl}   (chain id ${credentials.chainId})
  Deployment record  ${credentials.deploymentFile}
  Contracts          ${list(credentials.contracts)}
  Roles              ${list(credentials.roles)}
  Demo merchant      ${credentials.merchant.address} (fee ${credentials.merchant.feeBps} bps, settles to ${credentials.merchant.settlementAddress})
  Demo buyer         ${credentials.buyer.address} (KYC Enhanced, ${Number(credentials.buyer.balance) / 1e6} SUSD)
  Demo buyer key     ${credentials.buyer.privateKey}   (development key: never fund it on a real network)
  Everything above is in data/demo-credentials.json. Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void stop(1);
});

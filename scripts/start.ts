// `npm start`: the main job. Starts the local chain on 127.0.0.1:8545, deploys the contracts (production build
// profile), seeds the demo accounts, starts the relayer on 127.0.0.1:8080 with a demo merchant, a compliance
// officer, an auditor and a demo supply chain (supplier, tier-2 supplier, debtor, financier accounts for
// receivables), and prints everything to use (also written to data/demo-credentials.json).
// Ctrl-C stops the relayer (its current round finishes: nothing half-written) and then the chain.
//
// The local chain is ephemeral: every start is a fresh chain, a fresh deployment and a fresh relayer database.
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";

import { HDNodeWallet, JsonRpcProvider } from "ethers";

import { enableReceivables, issueApiKey, registerMerchant } from "../relayer/application/admin.js";
import { loadConfig } from "../relayer/config.js";
import { startRelayer, type RunningRelayer } from "../relayer/main.js";
import { PaymentEscrow__factory } from "../typechain-types/index.js";
import { deployAndSeed, startLocalChain, type LocalChain } from "./lib/local-chain.js";
import { LOCAL_RECEIVABLES_ACCOUNT } from "./lib/roles.js";

const CHAIN_PORT = Number(process.env.CHAIN_PORT ?? 8545);
const API_PORT = Number(process.env.PORT ?? 8080);
const DATABASE_PATH = "data/relayer.db";
const CREDENTIALS_FILE = "data/demo-credentials.json";
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

let chain: LocalChain | undefined;
let relayer: RunningRelayer | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await relayer?.stop().catch((error: unknown) => console.error(`relayer stop: ${(error as Error).message}`));
  await chain?.stop();
  process.exit(code);
}

process.on("SIGINT", () => {
  console.log("\nStopping: the relayer finishes its current round, then the chain stops.");
  void stop(0);
});
process.on("SIGTERM", () => void stop(0));

async function main(): Promise<void> {
  console.log(`Starting the local chain on 127.0.0.1:${CHAIN_PORT} (ephemeral: a fresh chain every start) ...`);
  chain = await startLocalChain(CHAIN_PORT);
  chain.process.once("exit", (code, signal) => {
    if (!stopping) {
      console.error(`The local chain stopped unexpectedly (${signal ?? `exit ${code}`}).`);
      void stop(1);
    }
  });
  const seeded = await deployAndSeed(chain.rpcUrl, { credentialsFile: CREDENTIALS_FILE });

  // A fresh chain needs a fresh relayer database: the relayer refuses a database of another chain.
  for (const suffix of ["", "-wal", "-shm"]) await rm(DATABASE_PATH + suffix, { force: true });
  const operator = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/1");
  relayer = await startRelayer(
    loadConfig({
      ...process.env,
      RPC_URL: chain.rpcUrl,
      DEPLOYMENT_FILE: seeded.deploymentFile,
      DATABASE_PATH,
      SIGNER_PRIVATE_KEY: operator.privateKey,
      COMPLIANCE_SIGNER_PRIVATE_KEY: HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/2").privateKey,
      ARBITER_SIGNER_PRIVATE_KEY: HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/3").privateKey,
      RECEIVABLES_SIGNER_PRIVATE_KEY: HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${LOCAL_RECEIVABLES_ACCOUNT}`).privateKey,
      PORT: String(API_PORT),
      HOST: "127.0.0.1",
      WEBHOOK_MASTER_KEY: process.env.WEBHOOK_MASTER_KEY ?? randomBytes(32).toString("hex"),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    }),
  );

  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { cacheTimeout: -1 });
  const escrowContract = PaymentEscrow__factory.connect(seeded.contracts.PaymentEscrow, provider);
  const onChain = await escrowContract.merchantConfig(seeded.merchant.address);
  const debtorOnChain = await escrowContract.merchantConfig(seeded.supplyChain.debtor.address);
  provider.destroy();
  const now = Date.now();
  const merchant = await registerMerchant(
    relayer.db,
    { name: "Demo merchant", address: seeded.merchant.address },
    {
      settlementAddress: onChain.settlementAddress,
      feeBps: Number(onChain.feeBps),
      partner: onChain.partner,
      partnerShareBps: Number(onChain.partnerShareBps),
      active: onChain.active,
    },
    now,
  );
  // The debtor is also an escrow merchant (its sales proceeds can repay its debts): registered as one first.
  await registerMerchant(
    relayer.db,
    { name: "Demo core enterprise", address: seeded.supplyChain.debtor.address },
    { settlementAddress: debtorOnChain.settlementAddress, feeBps: Number(debtorOnChain.feeBps), partner: debtorOnChain.partner, partnerShareBps: Number(debtorOnChain.partnerShareBps), active: debtorOnChain.active },
    now,
  );
  const supplyChainNames = { supplier: "Demo supplier", tier2Supplier: "Demo tier-2 supplier", debtor: "Demo core enterprise", financier: "Demo financier" } as const;
  const supplyChain: Record<string, { accountId: string; address: string; privateKey: string; apiKey: string }> = {};
  for (const [role, name] of Object.entries(supplyChainNames) as [keyof typeof supplyChainNames, string][]) {
    const party = seeded.supplyChain[role];
    const account = await enableReceivables(relayer.db, { name, address: party.address }, now);
    const apiKey = (await issueApiKey(relayer.db, { scope: "merchant", merchantId: account.id, label: name.toLowerCase() }, now)).secret;
    supplyChain[role] = { accountId: account.id, address: party.address, privateKey: party.privateKey, apiKey };
  }
  const keys = {
    merchant: (await issueApiKey(relayer.db, { scope: "merchant", merchantId: merchant.id, label: "demo merchant" }, now)).secret,
    compliance: (await issueApiKey(relayer.db, { scope: "compliance", label: "demo compliance officer" }, now)).secret,
    auditor: (await issueApiKey(relayer.db, { scope: "auditor", label: "demo auditor" }, now)).secret,
    admin: (await issueApiKey(relayer.db, { scope: "admin", label: "demo admin" }, now)).secret,
  };
  const credentials = {
    ...JSON.parse(await readFile(CREDENTIALS_FILE, "utf8")),
    apiBaseUrl: relayer.url,
    docsUrl: `${relayer.url}/docs`,
    openApiUrl: `${relayer.url}/openapi.json`,
    auditorConsoleUrl: `${relayer.url}/auditor/`,
    merchantId: merchant.id,
    apiKeys: keys,
    supplyChain,
  };
  await writeFile(CREDENTIALS_FILE, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });

  const list = (entries: Record<string, string>) =>
    Object.entries(entries).map(([name, value]) => `${name.padEnd(16)} ${value}`).join("\n                     ");
  console.log(`
Settlement network is up.
  API base URL       ${relayer.url}   (docs ${relayer.url}/docs, OpenAPI ${relayer.url}/openapi.json)
  Auditor console    ${relayer.url}/auditor/   (sign in with the auditor key below)
  RPC URL            ${seeded.rpcUrl}   (chain id ${seeded.chainId})
  Deployment record  ${seeded.deploymentFile}
  Contracts          ${list(seeded.contracts)}
  Demo merchant      ${merchant.id} ${seeded.merchant.address} (fee ${seeded.merchant.feeBps} bps)
  API keys           ${list(keys)}
  Demo buyer         ${seeded.buyer.address} (KYC Enhanced, ${Number(seeded.buyer.balance) / 1e6} SUSD)
  Demo buyer key     ${seeded.buyer.privateKey}   (development key: never fund it on a real network)
  Supply chain       (receivables: each account signs with its own wallet; keys are development keys)
                     ${Object.entries(supplyChain).map(([role, a]) => `${role.padEnd(14)} ${a.accountId} ${a.address}\n                       API key ${a.apiKey}\n                       wallet key ${a.privateKey}`).join("\n                     ")}
  Everything above is in ${CREDENTIALS_FILE}. Try:
    curl -s ${relayer.url}/v1/payment_intents -H "Authorization: Bearer $(node -p 'require("./${CREDENTIALS_FILE}").apiKeys.merchant')"
  Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void stop(1);
});

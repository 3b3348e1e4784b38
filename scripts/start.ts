// `npm start`: the main job. Starts the local chain on 127.0.0.1:8545, deploys the contracts (production build
// profile), seeds the demo accounts, starts the relayer on 127.0.0.1:8080 with a demo merchant, a compliance
// officer, an auditor and a demo supply chain (supplier, tier-2 supplier, debtor, financier accounts for
// receivables), and prints everything to use (also written to data/demo-credentials.json).
// Ctrl-C stops the relayer (its current round finishes: nothing half-written) and then the chain.
//
// `npm run start:cluster` (`--instances N --signers K`): the same, but N relayer processes on consecutive ports
// from 8080 share one PostgreSQL database (DATABASE_URL, or a private server started from the installed binaries
// with its data in data/postgres) and K operator keys (dev accounts 1 and 16 on): try killing one.
//
// The local chain is ephemeral: every start is a fresh chain, a fresh deployment and a fresh relayer database.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { HDNodeWallet, JsonRpcProvider, Wallet } from "ethers";

import { enableReceivables, issueApiKey, registerMerchant } from "../relayer/application/admin.js";
import { loadConfig } from "../relayer/config.js";
import { startRelayer, type RunningRelayer } from "../relayer/main.js";
import { openDatabase, type Database } from "../relayer/persistence/database.js";
import { PaymentEscrow__factory } from "../typechain-types/index.js";
import { deployAndSeed, startLocalChain, type DemoCredentials, type LocalChain } from "./lib/local-chain.js";
import { startPostgresServer, type PostgresServer } from "./lib/postgres-server.js";
import { LOCAL_RECEIVABLES_ACCOUNT, ROLE_IDS } from "./lib/roles.js";

const CHAIN_PORT = Number(process.env.CHAIN_PORT ?? 8545);
const API_PORT = Number(process.env.PORT ?? 8080);
const DATABASE_PATH = "data/relayer.db";
const POSTGRES_DIR = "data/postgres";
const CREDENTIALS_FILE = "data/demo-credentials.json";
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/** Dev accounts of the extra operator keys in a cluster (0-15 are the deployment's roles and demo accounts). */
const FIRST_EXTRA_OPERATOR = 16;
const devKey = (index: number) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;

const args = (() => {
  try {
    const { values } = parseArgs({ options: { instances: { type: "string", default: "1" }, signers: { type: "string", default: "1" } } });
    const instances = Number(values.instances);
    const signers = Number(values.signers);
    if (!Number.isInteger(instances) || instances < 1 || instances > 8) throw new Error("--instances must be 1 to 8");
    if (!Number.isInteger(signers) || signers < 1 || signers > 4) throw new Error("--signers must be 1 to 4");
    return { instances, signers };
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: tsx scripts/start.ts [--instances N] [--signers K]`);
    process.exit(2);
  }
})();
const cluster = args.instances > 1 || args.signers > 1;

let chain: LocalChain | undefined;
let relayer: RunningRelayer | undefined;
let postgres: PostgresServer | undefined;
const children: ChildProcess[] = [];
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await relayer?.stop().catch((error: unknown) => console.error(`relayer stop: ${(error as Error).message}`));
  await Promise.all(
    children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    })),
  );
  await postgres?.stop();
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

  const relayerEnv = {
    ...process.env,
    RPC_URL: chain.rpcUrl,
    DEPLOYMENT_FILE: seeded.deploymentFile,
    SIGNER_PRIVATE_KEY: [devKey(1), ...Array.from({ length: args.signers - 1 }, (_, i) => devKey(FIRST_EXTRA_OPERATOR + i))].join(","),
    COMPLIANCE_SIGNER_PRIVATE_KEY: devKey(2),
    ARBITER_SIGNER_PRIVATE_KEY: devKey(3),
    RECEIVABLES_SIGNER_PRIVATE_KEY: devKey(LOCAL_RECEIVABLES_ACCOUNT),
    HOST: "127.0.0.1",
    WEBHOOK_MASTER_KEY: process.env.WEBHOOK_MASTER_KEY ?? randomBytes(32).toString("hex"),
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  };
  let urls: string[];
  let db: Database;
  if (!cluster) {
    // A fresh chain needs a fresh relayer database: the relayer refuses a database of another chain.
    for (const suffix of ["", "-wal", "-shm"]) await rm(DATABASE_PATH + suffix, { force: true });
    relayer = await startRelayer(loadConfig({ ...relayerEnv, DATABASE_PATH, PORT: String(API_PORT) }));
    urls = [relayer.url];
    db = relayer.db;
  } else {
    const databaseUrl = process.env.DATABASE_URL ?? (await freshPostgres());
    await grantExtraOperators(seeded, args.signers - 1);
    db = await openDatabase(databaseUrl); // migrated here, before the instances start
    urls = await Promise.all(
      Array.from({ length: args.instances }, (_, i) => startInstance(i + 1, { ...relayerEnv, DATABASE_URL: databaseUrl, PORT: String(API_PORT + i) })),
    );
  }
  const { merchant, keys, supplyChain } = await seedAccounts(db, seeded);
  if (cluster) await db.close();
  const url = urls[0]!;
  const credentials = {
    ...JSON.parse(await readFile(CREDENTIALS_FILE, "utf8")),
    apiBaseUrl: url,
    docsUrl: `${url}/docs`,
    openApiUrl: `${url}/openapi.json`,
    auditorConsoleUrl: `${url}/auditor/`,
    merchantId: merchant.id,
    apiKeys: keys,
    supplyChain,
  };
  await writeFile(CREDENTIALS_FILE, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });

  const list = (entries: Record<string, string>) =>
    Object.entries(entries).map(([name, value]) => `${name.padEnd(16)} ${value}`).join("\n                     ");
  console.log(`
Settlement network is up.
  API base URL       ${url}   (docs ${url}/docs, OpenAPI ${url}/openapi.json)${cluster ? `\n  Cluster            ${urls.length} relayer instances (${urls.join(", ")}) on PostgreSQL, ${args.signers} operator key(s): any instance serves the API` : ""}
  Auditor console    ${url}/auditor/   (sign in with the auditor key below)
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
    curl -s ${url}/v1/payment_intents -H "Authorization: Bearer $(node -p 'require("./${CREDENTIALS_FILE}").apiKeys.merchant')"
  Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void stop(1);
});

/** The demo accounts in the relayer's database: a merchant, the supply chain's parties, and a key for each role. */
async function seedAccounts(db: Database, seeded: DemoCredentials) {
  const provider = new JsonRpcProvider(seeded.rpcUrl, undefined, { cacheTimeout: -1 });
  const escrowContract = PaymentEscrow__factory.connect(seeded.contracts.PaymentEscrow, provider);
  const onChain = await escrowContract.merchantConfig(seeded.merchant.address);
  const debtorOnChain = await escrowContract.merchantConfig(seeded.supplyChain.debtor.address);
  provider.destroy();
  const now = Date.now();
  const merchant = await registerMerchant(
    db,
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
    db,
    { name: "Demo core enterprise", address: seeded.supplyChain.debtor.address },
    { settlementAddress: debtorOnChain.settlementAddress, feeBps: Number(debtorOnChain.feeBps), partner: debtorOnChain.partner, partnerShareBps: Number(debtorOnChain.partnerShareBps), active: debtorOnChain.active },
    now,
  );
  const supplyChainNames = { supplier: "Demo supplier", tier2Supplier: "Demo tier-2 supplier", debtor: "Demo core enterprise", financier: "Demo financier" } as const;
  const supplyChain: Record<string, { accountId: string; address: string; privateKey: string; apiKey: string }> = {};
  for (const [role, name] of Object.entries(supplyChainNames) as [keyof typeof supplyChainNames, string][]) {
    const party = seeded.supplyChain[role];
    const account = await enableReceivables(db, { name, address: party.address }, now);
    const apiKey = (await issueApiKey(db, { scope: "merchant", merchantId: account.id, label: name.toLowerCase() }, now)).secret;
    supplyChain[role] = { accountId: account.id, address: party.address, privateKey: party.privateKey, apiKey };
  }
  const keys = {
    merchant: (await issueApiKey(db, { scope: "merchant", merchantId: merchant.id, label: "demo merchant" }, now)).secret,
    compliance: (await issueApiKey(db, { scope: "compliance", label: "demo compliance officer" }, now)).secret,
    auditor: (await issueApiKey(db, { scope: "auditor", label: "demo auditor" }, now)).secret,
    admin: (await issueApiKey(db, { scope: "admin", label: "demo admin" }, now)).secret,
  };
  return { merchant, keys, supplyChain };
}

/** A private PostgreSQL server with its data in data/postgres, fresh at every start like the chain. */
async function freshPostgres(): Promise<string> {
  await rm(POSTGRES_DIR, { recursive: true, force: true });
  postgres = await startPostgresServer({ dataDir: POSTGRES_DIR, port: Number(process.env.POSTGRES_PORT ?? 5433) });
  console.log(`PostgreSQL on 127.0.0.1:${postgres.port} (data in ${POSTGRES_DIR}, a fresh database every start)`);
  return postgres.url;
}

/** The escrow's admin (dev account 0) grants OPERATOR_ROLE to the extra operator keys (dev accounts 16 on). */
async function grantExtraOperators(seeded: DemoCredentials, count: number): Promise<void> {
  if (count === 0) return;
  const provider = new JsonRpcProvider(seeded.rpcUrl, undefined, { cacheTimeout: -1 });
  try {
    const admin = new Wallet(devKey(0), provider);
    const escrow = PaymentEscrow__factory.connect(seeded.contracts.PaymentEscrow, admin);
    for (let i = 0; i < count; i++) {
      const operator = new Wallet(devKey(FIRST_EXTRA_OPERATOR + i)).address;
      await (await escrow.grantRole(ROLE_IDS.OPERATOR, operator)).wait();
    }
  } finally {
    provider.destroy();
  }
}

/** One relayer process of the cluster; resolves with its URL once it listens. Its output is prefixed with its number. */
function startInstance(n: number, env: Record<string, string | undefined>): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", "relayer/main.ts"], { env: { ...env, RELAYER_ANNOUNCE: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        const announced = /^RELAYER_LISTENING (\S+)/.exec(line);
        if (announced) resolve(announced[1]!);
        else console.log(`[relayer ${n}] ${line}`);
      }
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.once("exit", (code, signal) => {
      reject(new Error(`relayer ${n} exited before it listened (${signal ?? `exit ${code}`})`));
      if (!stopping) console.error(`relayer ${n} stopped (${signal ?? `exit ${code}`}); the others carry on, and take its keys over`);
    });
  });
}

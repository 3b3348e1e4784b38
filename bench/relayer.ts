// `npm run bench:relayer`: the relayer's end-to-end throughput against the raw throughput of the same local
// node, from ONE run on ONE `hardhat node` (automine). Writes reports/relayer.json; with `-- --instances N --signers K --db postgres`, several relayer instances on one PostgreSQL, reports/relayer-cluster.json (with the failover time, takeover_s).
//
//   1. raw_chain_tx_per_s: 2,000 presigned settlement-token transfers (one funded key -> existing holders),
//      sent as one ordered stream of JSON-RPC batches of 100 over HTTP, counted until every receipt exists.
//   2. relayer_payments_per_s: the relayer runs as a child process (as deployed: `npm run relayer`, node on build/relayer/main.js; or
//      BENCH_RELAYER_RUNNER=tsx; env as in relayer/config.ts); 64 concurrent clients (simulated merchants, each with its own API key, and KYC'd
//      funded buyers who sign the typed data the intent returns) create and confirm >= 2,000 intents with
//      capture_method manual; counted from the first create until the last intent is authorized on chain
//      (payment_intent.authorized, status requires_capture). Before it, a warm-up round, not measured: each client
//      creates and confirms BENCH_WARMUP_PER_CLIENT intents (default 2; 0 measures from a cold start), and the
//      bench waits until they are authorized.
//   3. create_latency_ms: p50/p95/p99 of POST /v1/payment_intents at 64 concurrent clients.
//   4. peak_rss_mb: the relayer's peak RSS, sampled from /proc/<pid>/status of the real node process.
//
// Everything the bench starts is stopped on exit, failure or timeout (BENCH_TIMEOUT_S, default 900 s).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

import { encodeBytes32String, HDNodeWallet, id, Interface, JsonRpcProvider, TypedDataEncoder, Wallet } from "ethers";
import { signRecoverable } from "tiny-secp256k1";

import { issueApiKey, registerMerchant } from "../relayer/application/admin.js";
import { countryCode, KycTier } from "../relayer/chain/typed-data.js";
import { openDatabase } from "../relayer/persistence/database.js";
import { deployAndSeed, freePort, startLocalChain, type LocalChain } from "../scripts/lib/local-chain.js";
import { createDatabase, startPostgresServer } from "../scripts/lib/postgres-server.js";
import { ROLE_IDS } from "../scripts/lib/roles.js";
import { KycRegistry__factory, PaymentEscrow__factory, SettlementToken__factory } from "../typechain-types/index.js";
import { MemorySampler, cmdline, cpuSecondsOf, descendants, workerProcess } from "./lib/proc.js";
import { rpc, rpcBatch } from "./lib/rpc.js";
import { startRpcProfiler, type RpcProfiler } from "./lib/rpc-proxy.js";
import { histogramPercentilesMs, latencySummary, round } from "./lib/stats.js";

// ------------------------------------------------------------------ parameters
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const RAW_TXS = num("BENCH_RAW_TXS", 2_000);
const RAW_BATCH = num("BENCH_RAW_BATCH", 100);
const CLIENTS = num("BENCH_CLIENTS", 64);
const MERCHANTS = num("BENCH_MERCHANTS", 4);
const INTENTS_PER_CLIENT = num("BENCH_INTENTS_PER_CLIENT", 32); // 64 x 32 = 2,048 intents
/** Intents each client creates and confirms first, unmeasured: connections opened, code compiled, caches warm. */
const WARMUP_PER_CLIENT = num("BENCH_WARMUP_PER_CLIENT", 2);
const TIMEOUT_S = num("BENCH_TIMEOUT_S", 900);
const PAYMENT_PHASE_TIMEOUT_S = num("BENCH_PAYMENT_TIMEOUT_S", 480);
const WATCH_INTERVAL_MS = 100;
/** BENCH_RPC_PROFILE=1 puts a counting proxy between the relayer and the node (a profiling run, not the figure). */
const RPC_PROFILE = process.env.BENCH_RPC_PROFILE === "1";
/** `--instances N --signers K --db sqlite|postgres`: several relayer processes sharing one PostgreSQL (issue 6). */
const CLUSTER = (() => {
  const { values } = parseArgs({ options: { instances: { type: "string", default: "1" }, signers: { type: "string", default: "1" }, db: { type: "string", default: "sqlite" } } });
  const instances = Number(values.instances);
  const signers = Number(values.signers);
  const db = values.db;
  if (!Number.isInteger(instances) || instances < 1 || instances > 8) throw new Error("--instances must be 1 to 8");
  if (!Number.isInteger(signers) || signers < 1 || signers > 4) throw new Error("--signers must be 1 to 4");
  if (db !== "sqlite" && db !== "postgres") throw new Error("--db must be sqlite or postgres");
  if (instances > 1 && db !== "postgres") throw new Error("several instances share a PostgreSQL database: add --db postgres");
  return { instances, signers, db, clustered: instances > 1 || signers > 1 || db === "postgres" };
})();
/** Dev accounts of the extra operator keys (0-15 are the deployment's roles and demo accounts). */
const FIRST_EXTRA_OPERATOR = 16;
const AMOUNT = "1000000"; // 1.00 token per payment
/** Relayer settings: the defaults of relayer/config.ts unless overridden by BENCH_RELAYER_<NAME>. */
const RELAYER_OVERRIDES = Object.fromEntries(
  Object.entries(process.env)
    .filter(([k]) => k.startsWith("BENCH_RELAYER_"))
    .map(([k, v]) => [k.slice("BENCH_RELAYER_".length), v ?? ""]),
);

const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const devWallet = (index: number) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
/** Bench identities: deterministic keys (no ether needed: merchants and buyers never send transactions). */
const benchWallet = (label: string) => new Wallet(id(`settlement-network-bench:${label}`));

/**
 * A buyer's wallet signing EIP-712 typed data: ethers' digest, then libsecp256k1's signature (WebAssembly, low s),
 * ~0.1 ms where ethers' JavaScript signer takes ~0.4 ms of the host the relayer is measured on. The relayer checks
 * the signer and the chain checks the signature again, so a wrong one would fail the run.
 */
function signTypedData(wallet: Wallet, domain: Parameters<typeof TypedDataEncoder.hash>[0], types: Parameters<typeof TypedDataEncoder.hash>[1], message: Record<string, unknown>): string {
  const digest = Buffer.from(TypedDataEncoder.hash(domain, types, message).slice(2), "hex");
  const { signature, recoveryId } = signRecoverable(digest, Buffer.from(wallet.privateKey.slice(2), "hex"));
  return `0x${Buffer.from(signature).toString("hex")}${(27 + recoveryId).toString(16)}`;
}

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 23)}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ cleanup: everything started is stopped
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`[bench] cleanup step failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}
const abort = (reason: string, code = 1) => {
  console.error(`[bench] ${reason}`);
  void cleanup().finally(() => process.exit(code));
};
process.once("SIGINT", () => abort("interrupted", 130));
process.once("SIGTERM", () => abort("terminated", 143));
const globalTimer = setTimeout(() => abort(`timed out after ${TIMEOUT_S} s`), TIMEOUT_S * 1000);
globalTimer.unref();

// ------------------------------------------------------------------ the relayer as a child process
interface RelayerChild {
  url: string;
  pid: number;
  workerPid: number;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * How the relayer runs: `compiled` (default: `npm run build:relayer`, then `npm run relayer`: node with the
 * package's flags on build/relayer/main.js, as a deployment would) or `tsx` (TypeScript compiled in the process at start, ~130 MB RSS before any work).
 */
const RELAYER_RUNNER = process.env.BENCH_RELAYER_RUNNER ?? "compiled";

async function startRelayerChild(env: Record<string, string>, timeoutMs = 90_000): Promise<RelayerChild> {
  const [command, args] =
    RELAYER_RUNNER === "tsx"
      ? [path.resolve("node_modules/.bin/tsx"), ["relayer/main.ts"]]
      : ["npm", ["run", "--silent", "relayer"]]; // as deployed: package.json's node flags, build/relayer/main.js
  const child = spawn(command, args, {
    env: { ...process.env, ...env, RELAYER_ANNOUNCE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: stop() reaches tsx and the node process it launches
  });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!killed) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the relayer did not announce itself within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      keep(chunk);
      const match = /RELAYER_LISTENING (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the relayer exited (${code}) before listening:\n${output}`));
    });
  });
  return { url, pid: child.pid!, workerPid: workerProcess(child.pid!, "relayer/main"), child, output: () => output, stop };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited ${code}`))));
  });
}

// ------------------------------------------------------------------ HTTP client
interface ApiAnswer {
  status: number;
  body: any;
  ms: number;
}

/**
 * The load generator's HTTP client: node:http over kept-alive connections (one per client at a time), which costs
 * this process about half of what fetch (undici, web streams) does. On a shared host every millisecond the load
 * generator spends is taken from the relayer and the node it measures.
 */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
cleanups.push(() => keepAlive.destroy());

function request(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) }, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), retryAfter: res.headers["retry-after"] }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

let rateLimited = 0;
async function api(base: string, key: string, method: string, apiPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  for (;;) {
    const start = performance.now();
    const response = await request(
      base + apiPath,
      method,
      { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body === undefined ? undefined : JSON.stringify(body),
    );
    const ms = performance.now() - start;
    if (response.status === 429) {
      rateLimited += 1;
      await sleep(1000 * Number(response.retryAfter ?? 1));
      continue;
    }
    let parsed: unknown = response.text;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, ms };
  }
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const startedAt = new Date();
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-relayer-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

  // ---- the node, the contracts, the demo seed
  log("starting hardhat node");
  const chain: LocalChain = await startLocalChain(await freePort());
  cleanups.push(() => chain.stop());
  // scripts/deploy.ts keeps an Ignition journal per local node URL: it describes a chain that is gone after the run.
  cleanups.push(() => rmSync(path.join("ignition", "deployments", `local-${chain.rpcUrl.replace(/[^a-z0-9]+/gi, "-")}`), { recursive: true, force: true }));
  log(`node at ${chain.rpcUrl}; deploying (production profile) and seeding`);
  const credentials = await deployAndSeed(chain.rpcUrl, {
    deploymentsDir: path.join(dir, "deployments"),
    credentialsFile: path.join(dir, "demo-credentials.json"),
    quiet: true,
  });
  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true, polling: false });
  cleanups.push(() => provider.destroy());
  const { SettlementToken: tokenAddress, KycRegistry: kycAddress, PaymentEscrow: escrowAddress } = credentials.contracts;

  // ---- onboarding: merchants (admin), KYC (compliance), balances (issuer)
  log(`onboarding ${MERCHANTS} merchants and ${CLIENTS} buyers`);
  const admin = devWallet(0).connect(provider);
  const compliance = devWallet(2).connect(provider);
  const issuer = devWallet(5).connect(provider);
  const rawSender = devWallet(11).connect(provider); // a dev account: has ether for gas
  const merchants = Array.from({ length: MERCHANTS }, (_, i) => ({ wallet: benchWallet(`merchant-${i}`), settlement: benchWallet(`settlement-${i}`) }));
  const buyers = Array.from({ length: CLIENTS }, (_, i) => benchWallet(`buyer-${i}`));
  const escrow = PaymentEscrow__factory.connect(escrowAddress, admin);
  const kyc = KycRegistry__factory.connect(kycAddress, compliance);
  const token = SettlementToken__factory.connect(tokenAddress, issuer);

  for (const m of merchants) {
    await (await escrow.setMerchant(m.wallet.address, {
      settlementAddress: m.settlement.address,
      feeBps: credentials.merchant.feeBps,
      partner: credentials.merchant.partner,
      partnerShareBps: credentials.merchant.partnerShareBps,
      active: true,
    })).wait();
  }
  const head = await provider.getBlock("latest");
  const expiry = BigInt(head!.timestamp) + 365n * 86_400n;
  const kycAccounts = [...merchants.flatMap((m) => [m.wallet.address, m.settlement.address]), ...buyers.map((b) => b.address)];
  for (let i = 0; i < kycAccounts.length; i += 40) {
    const chunk = kycAccounts.slice(i, i + 40);
    await (await kyc.setRecords(
      chunk,
      chunk.map(() => KycTier.Enhanced),
      chunk.map(() => countryCode("SG")),
      chunk.map(() => expiry),
      chunk.map((a) => id(`dossier:bench:${a}`)),
      encodeBytes32String("bench-onboarding"),
    )).wait();
  }
  const perBuyer = 1_000n * 1_000_000n; // 1,000 tokens: far more than 32 payments of 1.00
  for (const [i, b] of buyers.entries()) {
    await (await token.mint(b.address, perBuyer, encodeBytes32String(`bench-buyer-${i}`))).wait();
  }
  await (await token.mint(rawSender.address, BigInt(RAW_TXS) * 1_000_000n, encodeBytes32String("bench-raw-sender"))).wait();

  // ---- 1. raw chain throughput: presigned transfers, one ordered stream of batches
  log(`raw chain: presigning ${RAW_TXS} token transfers`);
  const erc20 = new Interface(["function transfer(address to, uint256 amount) returns (bool)"]);
  const fees = await provider.getFeeData();
  const maxPriorityFeePerGas = fees.maxPriorityFeePerGas ?? 1_000_000_000n;
  const maxFeePerGas = (fees.maxFeePerGas ?? 0n) * 2n + maxPriorityFeePerGas;
  const firstNonce = await provider.getTransactionCount(rawSender.address, "latest");
  const senderKey = devWallet(11);
  const signStart = performance.now();
  const raws: string[] = [];
  for (let i = 0; i < RAW_TXS; i++) {
    raws.push(
      await senderKey.signTransaction({
        type: 2,
        chainId: credentials.chainId,
        nonce: firstNonce + i,
        to: tokenAddress,
        data: erc20.encodeFunctionData("transfer", [buyers[i % buyers.length]!.address, 1n]),
        value: 0n,
        gasLimit: 60_000n,
        maxFeePerGas,
        maxPriorityFeePerGas,
      }),
    );
  }
  const signMs = performance.now() - signStart;
  log(`raw chain: signed in ${round(signMs)} ms; sending in ordered batches of ${RAW_BATCH}`);
  const rawStart = performance.now();
  const hashes: string[] = [];
  for (let i = 0; i < raws.length; i += RAW_BATCH) {
    const answers = await rpcBatch<string>(chain.rpcUrl, raws.slice(i, i + RAW_BATCH).map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })));
    for (const a of answers) {
      if (a.error) throw new Error(`raw transfer refused: ${a.error.message}`);
      hashes.push(a.result!);
    }
  }
  const rawSentMs = performance.now() - rawStart;
  let missing = [...hashes];
  let gasUsedRaw = 0n;
  const rawBlocks = new Set<string>();
  while (missing.length > 0) {
    const still: string[] = [];
    for (let i = 0; i < missing.length; i += RAW_BATCH) {
      const chunk = missing.slice(i, i + RAW_BATCH);
      const receipts = await rpcBatch<{ status: string; gasUsed: string; blockNumber: string } | null>(
        chain.rpcUrl,
        chunk.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })),
      );
      receipts.forEach((r, j) => {
        if (!r.result) return void still.push(chunk[j]!);
        if (r.result.status !== "0x1") throw new Error(`raw transfer ${chunk[j]} reverted`);
        gasUsedRaw += BigInt(r.result.gasUsed);
        rawBlocks.add(r.result.blockNumber);
      });
    }
    missing = still;
    if (missing.length > 0) await sleep(20);
  }
  const rawMs = performance.now() - rawStart;
  const rawTps = RAW_TXS / (rawMs / 1000);
  log(`raw chain: ${RAW_TXS} transfers mined in ${round(rawMs)} ms = ${round(rawTps)} tx/s (${rawBlocks.size} blocks)`);

  // ---- 2. the relayer: merchants and keys in its database, then the child process
  let location = path.join(dir, "relayer.db");
  if (CLUSTER.db === "postgres") {
    chmodSync(dir, 0o711); // the server may run as the postgres user
    const server = await startPostgresServer({ dataDir: path.join(dir, "postgres") }); // durable: fsync on, as in production
    cleanups.push(() => server.stop());
    location = await createDatabase(server.url, "relayer_bench");
    log(`PostgreSQL on 127.0.0.1:${server.port} (fsync and synchronous_commit on)`);
  }
  const operatorKeys = [devWallet(1), ...Array.from({ length: CLUSTER.signers - 1 }, (_, i) => devWallet(FIRST_EXTRA_OPERATOR + i))];
  for (const operator of operatorKeys.slice(1)) await (await escrow.grantRole(ROLE_IDS.OPERATOR, operator.address)).wait();
  const setupDb = await openDatabase(location);
  const clientKeys: { key: string; merchant: number }[] = [];
  const watcherKeys: string[] = [];
  const merchantIds: string[] = [];
  try {
    for (const [i, m] of merchants.entries()) {
      const onChain = await escrow.merchantConfig(m.wallet.address);
      const registered = await registerMerchant(
        setupDb,
        { name: `Bench merchant ${i}`, address: m.wallet.address },
        { settlementAddress: onChain.settlementAddress, feeBps: Number(onChain.feeBps), partner: onChain.partner, partnerShareBps: Number(onChain.partnerShareBps), active: onChain.active },
        Date.now(),
      );
      merchantIds.push(registered.id);
      watcherKeys.push((await issueApiKey(setupDb, { scope: "merchant", merchantId: registered.id, label: "bench watcher" }, Date.now())).secret);
    }
    for (let c = 0; c < CLIENTS; c++) {
      const merchant = c % MERCHANTS;
      const { secret } = await issueApiKey(setupDb, { scope: "merchant", merchantId: merchantIds[merchant]!, label: `bench client ${c}` }, Date.now());
      clientKeys.push({ key: secret, merchant });
    }
  } finally {
    await setupDb.close();
  }
  let profiler: RpcProfiler | undefined;
  if (RPC_PROFILE) {
    profiler = await startRpcProfiler(chain.rpcUrl);
    const p = profiler;
    cleanups.push(() => p.close());
  }
  const relayerEnv: Record<string, string> = {
    RPC_URL: profiler?.url ?? chain.rpcUrl,
    DEPLOYMENT_FILE: credentials.deploymentFile,
    ...(CLUSTER.db === "postgres" ? { DATABASE_URL: location } : { DATABASE_PATH: location }),
    SIGNER_PRIVATE_KEY: operatorKeys.map((w) => w.privateKey).join(","), // the deployment's operator, and the extra ones
    PORT: "0",
    LOG_LEVEL: "warn",
    WEBHOOK_MASTER_KEY: randomBytes(32).toString("hex"),
    ...RELAYER_OVERRIDES,
  };
  if (RELAYER_RUNNER !== "tsx") {
    log("compiling the relayer (npm run build:relayer)");
    await run("npm", ["run", "--silent", "build:relayer"]);
  }
  log(`starting the relayer (${RELAYER_RUNNER === "tsx" ? "tsx relayer/main.ts" : "npm run relayer"})`);
  const relayers: RelayerChild[] = [];
  for (let i = 0; i < CLUSTER.instances; i++) {
    // Named as instances on separate machines are: a takeover then waits for the lease to expire (LEASE_TTL_MS),
    // where a dead process of the same machine would lose its leases at once.
    const started = await startRelayerChild({ ...relayerEnv, ...(CLUSTER.instances > 1 ? { INSTANCE_HOST: `machine-${i}` } : {}) });
    relayers.push(started);
    cleanups.push(() => started.stop());
  }
  const relayer = relayers[0]!;
  const samplers = relayers.map((r) => new MemorySampler(r.workerPid).start());
  cleanups.push(() => samplers.forEach((s) => s.stop()));
  const sampler = samplers[0]!;
  /** The highest peak RSS of any one instance, in MB. */
  const peakRssMb = () => Math.max(...samplers.map((s) => Math.max(s.maxRssKb, s.maxHwmKb))) / 1024;
  for (const r of relayers) log(`relayer at ${r.url}; wrapper pid ${r.pid}, node pid ${r.workerPid} (${cmdline(r.workerPid).slice(0, 120)})`);
  const rssAtStartKb = sampler.maxRssKb;
  /** Client c (and watcher c) talks to instance c mod N: the load is spread over the instances. */
  const urlFor = (c: number) => relayers[c % relayers.length]!.url;

  // ---- the payment run: a warm-up round, then the measured one
  const total = CLIENTS * INTENTS_PER_CLIENT;
  /** What one round of clients records. */
  interface Round {
    createMs: number[];
    confirmMs: number[];
    createdAt: Map<string, number>;
    authorizedAt: Map<string, number>;
    merchantOf: Map<string, number>;
    confirmedRequests: number;
  }
  const newRound = (): Round => ({ createMs: [], confirmMs: [], createdAt: new Map(), authorizedAt: new Map(), merchantOf: new Map(), confirmedRequests: 0 });
  const warmup = newRound();
  const measured = newRound();
  const { createMs, confirmMs, createdAt, authorizedAt } = measured;
  const failures: { id: string; type: string; failure?: unknown }[] = [];
  const clientsOf = (m: number) => clientKeys.filter((c) => c.merchant === m).length;
  const timeline: { t_s: number; created: number; confirmed_requests: number; authorized: number; rss_mb: number }[] = [];
  const phaseDeadline = Date.now() + PAYMENT_PHASE_TIMEOUT_S * 1000;

  /** Client c creates and confirms `count` intents, one after the other, as fast as it is answered. */
  const client = async (c: number, count: number, round: Round) => {
    const { key } = clientKeys[c]!;
    const buyer = buyers[c]!;
    for (let k = 0; k < count; k++) {
      if (Date.now() > phaseDeadline) throw new Error("payment phase deadline passed while creating");
      const created = await api(urlFor(c), key, "POST", "/v1/payment_intents", {
        amount: AMOUNT,
        token: tokenAddress,
        buyer: buyer.address,
        order_ref: `bench-${c}-${round === warmup ? "w" : ""}${k}-${randomUUID().slice(0, 8)}`,
        capture_method: "manual",
      }, { "Idempotency-Key": randomUUID() });
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      round.createMs.push(created.ms);
      round.createdAt.set(created.body.id, performance.now());
      round.merchantOf.set(created.body.id, clientKeys[c]!.merchant);
      const { domain, types, message } = created.body.authorization.typed_data;
      const signature = signTypedData(buyer, domain, types, message);
      const confirmed = await api(urlFor(c), key, "POST", `/v1/payment_intents/${created.body.id}/confirm`, { signature }, { "Idempotency-Key": randomUUID() });
      if (confirmed.status !== 202) throw new Error(`confirm answered ${confirmed.status}: ${JSON.stringify(confirmed.body)}`);
      round.confirmMs.push(confirmed.ms);
      round.confirmedRequests += 1;
    }
  };

  /**
   * With several instances on PostgreSQL, an event can become visible behind newer ones: its `seq` is taken when it
   * is inserted, and a transaction that inserted earlier may commit later. So the watcher pages back past the events
   * it has already seen by this many (one such transaction holds at most a 100-item batch's events), and keeps each
   * event's id so it counts none twice. One SQLite instance commits in `seq` order: no overlap needed.
   */
  const overlap = CLUSTER.db === "postgres" ? 300 : 0;
  const seenEvents = Array.from({ length: MERCHANTS }, () => new Set<string>());
  /** One watcher per merchant tails its events (newest first, back to the ones already seen) until `expected` of the round's intents are authorized. */
  const watcher = async (m: number, expected: number, round: Round): Promise<void> => {
    const key = watcherKeys[m]!;
    const seen = seenEvents[m]!;
    let authorized = 0;
    while (authorized < expected) {
      if (Date.now() > phaseDeadline) {
        // What the relayer says of the intents whose authorization the watcher has not seen.
        const missing = [...round.merchantOf].filter(([id, of]) => of === m && !round.authorizedAt.has(id)).map(([id]) => id);
        const states = await Promise.all(missing.slice(0, 5).map(async (id) => {
          const intent = (await api(urlFor(m), key, "GET", `/v1/payment_intents/${id}`)).body;
          return { id, status: intent.status, transactions: intent.transactions, last_error: intent.last_error };
        }));
        throw new Error(`payment phase deadline passed with ${authorized}/${expected} authorized for merchant ${m}; not seen authorized: ${JSON.stringify(states)}`);
      }
      const fresh: any[] = [];
      let alreadySeen = 0;
      let page = (await api(urlFor(m), key, "GET", "/v1/events?limit=100")).body;
      outer: for (;;) {
        for (const event of page.data) {
          if (seen.has(event.id)) {
            if (++alreadySeen > overlap) break outer;
          } else fresh.push(event);
        }
        if (!page.has_more || page.data.length === 0) break;
        page = (await api(urlFor(m), key, "GET", `/v1/events?limit=100&starting_after=${page.data.at(-1).id}`)).body;
      }
      for (const event of fresh) seen.add(event.id);
      const seenAt = performance.now();
      for (const event of fresh) {
        if (event.type === "payment_intent.authorized" && round.createdAt.has(event.object_id)) {
          round.authorizedAt.set(event.object_id, seenAt);
          authorized += 1;
        } else if (event.type.endsWith("_failed")) {
          failures.push({ id: event.object_id, type: event.type, failure: event.data?.failure });
          throw new Error(`intent ${event.object_id}: ${event.type} ${JSON.stringify(event.data?.failure)}`);
        }
      }
      if (authorized < expected) await sleep(WATCH_INTERVAL_MS);
    }
  };

  /** Runs `perClient` intents per client and waits until every one is authorized; answers when the clients were done. */
  const runRound = async (perClient: number, round: Round) => {
    const clientsRun = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c, perClient, round))).then(() => performance.now());
    const watchersRun = Promise.all(Array.from({ length: MERCHANTS }, (_, m) => watcher(m, clientsOf(m) * perClient, round)));
    const [clientsEnd] = await Promise.all([clientsRun, watchersRun]);
    return { clientsEnd };
  };

  const warmupStart = performance.now();
  if (WARMUP_PER_CLIENT > 0) {
    log(`warm-up: ${CLIENTS} clients x ${WARMUP_PER_CLIENT} intents, not measured`);
    await runRound(WARMUP_PER_CLIENT, warmup);
  }
  const warmupMs = performance.now() - warmupStart;

  log(`payments: ${CLIENTS} clients x ${INTENTS_PER_CLIENT} intents (capture_method manual) across ${MERCHANTS} merchants`);
  // CPU seconds of each party over the payment phase: the node, the relayer, this load generator.
  const nodePids = [chain.process.pid!, ...descendants(chain.process.pid!)];
  const cpuNow = () => ({
    node: nodePids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? 0), 0),
    relayer: relayers.reduce((sum, r) => sum + (cpuSecondsOf(r.workerPid) ?? 0), 0),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  });
  const cpuBefore = cpuNow();
  // PostgreSQL's own count of committed and rolled-back transactions (a rollback is mostly a serialization retry).
  const pgStats = async () => {
    if (CLUSTER.db !== "postgres") return undefined;
    const statsDb = await openDatabase(location);
    try {
      return await statsDb.read((sql) =>
        sql.get<{ commits: number; rollbacks: number }>(
          "SELECT xact_commit AS commits, xact_rollback AS rollbacks FROM pg_stat_database WHERE datname = current_database()",
        ),
      );
    } finally {
      await statsDb.close();
    }
  };
  const pgBefore = await pgStats();
  const runStart = performance.now();

  const sampleTimeline = setInterval(() => {
    timeline.push({
      t_s: round((performance.now() - runStart) / 1000, 2),
      created: createdAt.size,
      confirmed_requests: measured.confirmedRequests,
      authorized: authorizedAt.size,
      rss_mb: round(peakRssMb(), 1),
    });
  }, 1000);
  cleanups.push(() => clearInterval(sampleTimeline));

  const { clientsEnd } = await runRound(INTENTS_PER_CLIENT, measured);
  clearInterval(sampleTimeline);
  const cpuAfter = cpuNow();
  const pgAfter = await pgStats();
  const wallS = (performance.now() - runStart) / 1000;
  const cpu = Object.fromEntries(
    (["node", "relayer", "bench"] as const).map((k) => [k, { cpu_s: round(cpuAfter[k] - cpuBefore[k], 2), cores_busy: round((cpuAfter[k] - cpuBefore[k]) / wallS, 2) }]),
  );
  const lastAuthorized = Math.max(...authorizedAt.values());
  const paymentsMs = lastAuthorized - runStart;
  const paymentsPerS = total / (paymentsMs / 1000);
  log(`payments: ${total} intents authorized on chain in ${round(paymentsMs)} ms = ${round(paymentsPerS)} payments/s (clients done after ${round(clientsEnd - runStart)} ms)`);

  // ---- checks: every intent requires_capture, through the list API
  let requiresCapture = 0;
  for (const [m, key] of watcherKeys.entries()) {
    let startingAfter: string | undefined;
    for (;;) {
      const page = (await api(relayer.url, key, "GET", `/v1/payment_intents?status=requires_capture&limit=100${startingAfter ? `&starting_after=${startingAfter}` : ""}`)).body;
      requiresCapture += page.data.length;
      if (!page.has_more || page.data.length === 0) break;
      startingAfter = page.data.at(-1).id;
    }
    void m;
  }
  const warmupTotal = warmup.createdAt.size;
  if (requiresCapture !== total + warmupTotal) {
    throw new Error(`${requiresCapture} intents require capture through the list API, not ${total} + ${warmupTotal} (warm-up)`);
  }
  const metrics = await fetch(`${relayer.url}/metrics`).then((r) => (r.ok ? r.text() : "")).catch(() => "");
  samplers.forEach((s) => s.stop());

  // ---- failover (several instances): SIGKILL the instance driving the first operator key; time until another
  // instance holds the key's lease (a higher fencing token).
  const db = await openDatabase(location);
  let takeover: { seconds: number; from: string; to: string } | null = null;
  if (relayers.length > 1) {
    const lease = `signer:${operatorKeys[0]!.address.toLowerCase()}`;
    const holderOf = () => db.read((sql) => sql.get<{ holder: string; token: number }>("SELECT holder, token FROM leases WHERE name = ?", lease));
    const before = (await holderOf())!;
    const victim = relayers.find((r) => before.holder.split(":")[1] === String(r.workerPid));
    if (!victim) throw new Error(`no instance of this run holds ${lease} (holder ${before.holder})`);
    log(`failover: SIGKILL the instance holding ${lease} (${before.holder}, token ${before.token})`);
    process.kill(-victim.pid, "SIGKILL");
    const killedAt = performance.now();
    let after = before;
    while (after.token === before.token) {
      if (performance.now() - killedAt > 60_000) throw new Error(`nobody took ${lease} over within 60 s`);
      await sleep(20);
      after = (await holderOf())!;
    }
    takeover = { seconds: round((performance.now() - killedAt) / 1000, 2), from: before.holder, to: after.holder };
    log(`failover: ${after.holder} took ${lease} over after ${takeover.seconds} s (token ${after.token})`);
  }
  for (const r of relayers) await r.stop();

  // ---- where the time went: the relayer's own records of its batch transactions
  type TxRow = { id: number; nonce: number; status: string; mined_hash: string | null; block_number: number | null; created_at: number; submitted_at: number | null; updated_at: number; ops: number };
  const [txRows, opRows] = await db.read(async (sql) => [
    await sql.all<TxRow>(
      `SELECT t.id, t.nonce, t.status, t.mined_hash, t.block_number, t.created_at, t.submitted_at, t.updated_at,
              (SELECT COUNT(*) FROM operations o WHERE o.tx_id = t.id) AS ops
         FROM chain_transactions t ORDER BY t.id`,
    ),
    await sql.all<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM operations GROUP BY status`),
  ] as const);
  await db.close();
  const batchGas: number[] = [];
  for (const tx of txRows) {
    if (!tx.mined_hash) continue;
    const receipt = await rpc<{ gasUsed: string }>(chain.rpcUrl, "eth_getTransactionReceipt", [tx.mined_hash]);
    batchGas.push(Number(BigInt(receipt.gasUsed)));
  }
  const gaps = txRows.slice(1).map((tx, i) => tx.created_at - txRows[i]!.created_at);
  const submitMs = txRows.filter((t) => t.submitted_at).map((t) => t.submitted_at! - t.created_at);
  const confirmAfterSubmitMs = txRows.filter((t) => t.submitted_at && t.status === "confirmed").map((t) => t.updated_at - t.submitted_at!);
  const queueWaitMs = [...authorizedAt.entries()].map(([intentId, at]) => at - (createdAt.get(intentId) ?? at));

  const report = {
    benchmark: "relayer",
    timestamp: startedAt.toISOString(),
    host: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? "unknown",
      total_mem_mb: Math.round(os.totalmem() / 2 ** 20),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    node: { kind: "hardhat node (EDR), automine", rpc: "HTTP JSON-RPC", chain_id: credentials.chainId },
    raw_chain_tx_per_s: round(rawTps),
    relayer_payments_per_s: round(paymentsPerS),
    ratio: round(paymentsPerS / rawTps, 3),
    create_latency_ms: latencySummary(createMs),
    confirm_latency_ms: latencySummary(confirmMs),
    /** The same requests timed inside the relayer (arrival to answer), without the load generator's own queueing. */
    server_side_latency_ms: {
      note: "relayer_http_request_duration_seconds of the first instance, warm-up included: each figure is the upper bound of the histogram bucket holding that percentile",
      create: histogramPercentilesMs(metrics, "relayer_http_request_duration_seconds", { method: "POST", route: "/v1/payment_intents", status: "201" }),
      confirm: histogramPercentilesMs(metrics, "relayer_http_request_duration_seconds", { method: "POST", route: "/v1/payment_intents/:id/confirm", status: "202" }),
    },
    peak_rss_mb: round(peakRssMb(), 1),
    instances: CLUSTER.instances,
    signers: CLUSTER.signers,
    database: CLUSTER.db,
    takeover_s: takeover?.seconds ?? null,
    takeover,
    peak_rss_mb_per_instance: samplers.map((s) => round(Math.max(s.maxRssKb, s.maxHwmKb) / 1024, 1)),
    /** "lease lost" lines each instance logged (its last 8 kB of output): a lease that lapsed under load stalls its key. */
    lease_losses_logged: relayers.map((r) => (r.output().match(/lease lost/g) ?? []).length),
    postgres_transactions:
      pgBefore && pgAfter
        ? { committed: pgAfter.commits - pgBefore.commits, rolled_back: pgAfter.rollbacks - pgBefore.rollbacks, note: "during the payment phase, all clients (a rollback is mostly a SERIALIZABLE retry)" }
        : null,
    targets: {
      ratio_at_least: 1.0,
      create_p99_ms_at_most: 50,
      peak_rss_mb_at_most: 300,
      met: {
        ratio: paymentsPerS / rawTps >= 1.0,
        create_p99: latencySummary(createMs).p99 <= 50,
        peak_rss: peakRssMb() <= 300,
      },
    },
    raw_chain: {
      transactions: RAW_TXS,
      batch_size: RAW_BATCH,
      kind: "ERC20 transfer of the settlement token to an existing holder, one key, explicit nonces",
      presign_ms: round(signMs),
      send_ms: round(rawSentMs),
      until_all_receipts_ms: round(rawMs),
      blocks: rawBlocks.size,
      gas_per_tx: Math.round(Number(gasUsedRaw) / RAW_TXS),
    },
    relayer_run: {
      intents: total,
      clients: CLIENTS,
      merchants: MERCHANTS,
      buyers: buyers.length,
      intents_per_client: INTENTS_PER_CLIENT,
      warmup: {
        note: "each client's first intents, before the measured run and not in its figures: connections opened, code compiled, caches warm",
        intents_per_client: WARMUP_PER_CLIENT,
        intents: warmupTotal,
        until_all_authorized_ms: round(warmupMs),
        create_latency_ms: latencySummary(warmup.createMs),
        confirm_latency_ms: latencySummary(warmup.confirmMs),
      },
      capture_method: "manual",
      amount: AMOUNT,
      idempotency_keys: true,
      duration_ms: round(paymentsMs),
      clients_done_ms: round(clientsEnd - runStart),
      create_and_confirm_requests_per_s: round((2 * total) / ((clientsEnd - runStart) / 1000)),
      authorized: authorizedAt.size,
      requires_capture_via_list: requiresCapture,
      requires_capture_note: "every intent of the run and of the warm-up, listed by status through the API (checked)",
      failures,
      rate_limited_429: rateLimited,
      intent_create_to_authorized_ms: latencySummary(queueWaitMs),
      cpu_during_payment_phase: { ...cpu, host_cores: os.cpus().length, wall_s: round(wallS, 2) },
      watcher_poll_interval_ms: WATCH_INTERVAL_MS,
      relayer_env: Object.fromEntries(Object.entries(relayerEnv).filter(([k]) => !/KEY|PASSWORD/.test(k) && k !== "DATABASE_PATH" && k !== "DEPLOYMENT_FILE")),
      relayer_defaults: "BATCH_SIZE=100, CONFIRMATIONS=1, POLL_INTERVAL_MS=250, SQLite synchronous=FULL unless relayer_env says otherwise",
      timeline,
    },
    relayer_process: {
      runner: RELAYER_RUNNER === "tsx" ? "tsx relayer/main.ts" : "npm run relayer (build/relayer/main.js from npm run build:relayer)",
      command: cmdline(relayer.workerPid),
      wrapper_pid_is_tsx: relayer.pid !== relayer.workerPid,
      rss_at_start_mb: round(rssAtStartKb / 1024, 1),
      max_vmrss_mb: round(sampler.maxRssKb / 1024, 1),
      vmhwm_mb: round(sampler.maxHwmKb / 1024, 1),
      samples: sampler.samples,
      sample_interval_ms: 100,
    },
    submitter_batches: {
      transactions: txRows.length,
      by_status: Object.fromEntries(txRows.reduce((m, t) => m.set(t.status, (m.get(t.status) ?? 0) + 1), new Map<string, number>())),
      operations_by_status: Object.fromEntries(opRows.map((r) => [r.status, r.n])),
      operations_per_tx: latencySummary(txRows.map((t) => t.ops)),
      gas_per_batch: latencySummary(batchGas),
      gas_per_operation: batchGas.length ? Math.round(batchGas.reduce((a, b) => a + b, 0) / txRows.filter((t) => t.mined_hash).reduce((a, t) => a + t.ops, 0)) : null,
      ms_between_batches: latencySummary(gaps),
      allocate_to_submitted_ms: latencySummary(submitMs),
      submitted_to_confirmed_ms: latencySummary(confirmAfterSubmitMs),
    },
    relayer_rpc_profile: profiler ? { note: "profiling run: a counting proxy sat between relayer and node", by_method: profiler.stats() } : null,
    relayer_metrics_excerpt: metrics
      .split("\n")
      .filter((l) => /^relayer_worker_tick_seconds_(sum|count)|^relayer_outbox_operations|^nodejs_eventloop_lag_(mean|p50|p90|p99|max)_seconds/.test(l)),
  };
  const out = process.env.BENCH_REPORT ?? (CLUSTER.clustered ? "reports/relayer-cluster.json" : "reports/relayer.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
  log(`wrote ${out}: raw ${report.raw_chain_tx_per_s} tx/s, relayer ${report.relayer_payments_per_s} payments/s, ratio ${report.ratio}, create p99 ${report.create_latency_ms.p99} ms, peak RSS ${report.peak_rss_mb} MB`);
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (error) {
  console.error(`[bench] failed: ${(error as Error).stack ?? error}`);
  await cleanup();
  process.exit(1);
}

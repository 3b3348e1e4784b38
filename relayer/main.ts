// Composition root: validated config -> database -> chain identity check -> workers -> HTTP. `startRelayer`
// is what `npm start` and the tests call; run this file directly to start a relayer from the environment.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import type { Server } from "node:http";

import { keccak_256 } from "@noble/hashes/sha3.js";
import { Contract, id, keccak256, Wallet, type Interface } from "ethers";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

import { settlementHandler } from "./application/settlement.js";
import { PaymentsService } from "./application/payments.js";
import { PayoutsService } from "./application/payouts.js";
import { queueDueReleases, runSettlement } from "./application/scheduled.js";
import { allOf, chainActivityHandler, chainReorgHandler } from "./application/chain-activity.js";
import { receivableActivityHandler, receivableReorgHandler } from "./application/receivable-activity.js";
import { receivableSettlementHandler, ReceivablesService } from "./application/receivables.js";
import { Confirmer, type SettlementHandler } from "./chain/confirmer.js";
import { Indexer, type FollowedContract } from "./chain/indexer.js";
import { parseEscrowLog } from "./chain/escrow-calls.js";
import { RpcProvider } from "./chain/rpc-provider.js";
import { defaultSignatureWorkers, inlineSignatureRecovery, SignatureWorkerPool } from "./chain/signatures.js";
import { EscrowReader, readBlockTimes, readTokenInfo, ReceivableReader, RegistryReader } from "./chain/reader.js";
import { LedgerProjector } from "./application/ledger-projector.js";
import { ReconciliationService } from "./application/reconciliation.js";
import { rebuildFromChain } from "../audit/index.js";
import type { DeploymentView } from "../scripts/lib/deployment.js";
import { failpointsFromEnv } from "./chain/failpoints.js";
import { KycService } from "./application/kyc.js";
import { deadLocalHolder, LeaseKeeper } from "./application/lease-keeper.js";
import { WorkerLoop } from "./application/worker-loop.js";
import { arbiterLane, escrowLane, kycLane, receivablesLane } from "./chain/lanes.js";
import { parseRegistryLog, registryInterface } from "./chain/receivable-calls.js";
import { Submitter, type Failpoint } from "./chain/submitter.js";
import { assertKeyAllowed, loadConfig, type RelayerConfig } from "./config.js";
import { createApp } from "./http/app.js";
import { createLogger, type Logger } from "./http/logging.js";
import { operations, type ChainTxRow } from "./persistence/chain-store.js";
import { openDatabase, type Database, type Sql } from "./persistence/database.js";
import { ensureChainIdentity } from "./persistence/meta.js";
import { WebhookDispatcher } from "./webhooks/delivery.js";
import { KycRegistry__factory, PaymentEscrow__factory, SettlementToken__factory } from "../typechain-types/index.js";

/** Whether process `pid` exists on this machine (signal 0 checks without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

// ethers hashes with its bundled @noble/hashes 1.x; 2.x computes the same Keccak-256 (the signing tests compare
// them) about 1.5x faster on short inputs and 2x on a batch transaction's calldata.
keccak256.register(keccak_256);

/** The lease of the one instance that follows the chain: indexer, projections, scheduled work. */
const CHAIN_FOLLOWER = "chain-follower";

export interface RunningRelayer {
  url: string;
  db: Database;
  /** The first operator key's address. */
  signer: string;
  /** Every operator key's address. */
  signers: string[];
  /** This instance's name in the leases. */
  instanceId: string;
  stop(): Promise<void>;
}


/** A key from an encrypted keystore (production) or a raw key (local chain only, checked by assertKeyAllowed). */
async function loadWallet(keystore: string | undefined, password: string | undefined, privateKey: string | undefined): Promise<Wallet | undefined> {
  if (keystore) return Wallet.fromEncryptedJsonSync(await readFile(keystore, "utf8"), password ?? "") as Wallet;
  return privateKey ? new Wallet(privateKey) : undefined;
}

export async function startRelayer(config: RelayerConfig, options: { logger?: Logger; failpoint?: Failpoint | undefined } = {}): Promise<RunningRelayer> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const deployment = JSON.parse(await readFile(config.DEPLOYMENT_FILE, "utf8")) as DeploymentView;
  // ethers caches results for 250 ms by default, which reuses nonces on back-to-back sends: disable it.
  // batchStallTime 0: calls made together (the chunks of a batch's payment states, a balance and an allowance) still
  // go as one JSON-RPC batch, without ethers' default 10 ms wait before each request, which the submitter and the
  // confirmer, whose calls follow one another, paid a dozen times a round.
  const provider = new RpcProvider(config.RPC_URL, undefined, { cacheTimeout: -1, staticNetwork: true, polling: false, batchStallTime: 0 });
  const chainId = Number((await provider.getNetwork()).chainId);
  const genesis = await provider.getBlock(0);
  if (chainId !== deployment.chainId || genesis?.hash !== deployment.genesisHash) {
    throw new Error(
      `The RPC at ${config.RPC_URL} serves chain ${chainId} (genesis ${genesis?.hash}), but ${config.DEPLOYMENT_FILE} was deployed on chain ${deployment.chainId} (genesis ${deployment.genesisHash})`,
    );
  }
  assertKeyAllowed(config, chainId);

  const db = await openDatabase(config.DATABASE_URL ?? config.DATABASE_PATH, { poolSize: config.DATABASE_POOL_SIZE });
  const escrow = deployment.contracts.PaymentEscrow.address;
  await ensureChainIdentity(db, {
    chainId,
    genesisHash: deployment.genesisHash,
    escrow,
    token: deployment.contracts.SettlementToken.address,
    kycRegistry: deployment.contracts.KycRegistry.address,
  });

  // One key per lane, each checked to hold its role before anything starts.
  const registryAddress = deployment.contracts.KycRegistry.address;
  const escrowRoles = PaymentEscrow__factory.connect(escrow, provider);
  const registryRoles = KycRegistry__factory.connect(registryAddress, provider);
  const signerWithRole = async (
    key: { keystore?: string | undefined; password?: string | undefined; privateKey?: string | undefined },
    contract: { hasRole(role: string, account: string): Promise<boolean> },
    role: string,
  ) => {
    const wallet = await loadWallet(key.keystore, key.password, key.privateKey);
    if (!wallet) return undefined;
    if (!(await contract.hasRole(id(role), wallet.address))) throw new Error(`The signer ${wallet.address} does not hold ${role}`);
    return wallet.connect(provider);
  };
  // One or several operator keys: each is a lane of escrow transactions in its own nonce order.
  const operatorKeys = config.SIGNER_KEYSTORE
    ? config.SIGNER_KEYSTORE.split(",").map((keystore) => ({ keystore, password: config.SIGNER_KEYSTORE_PASSWORD }))
    : (config.SIGNER_PRIVATE_KEY ?? "").split(",").map((privateKey) => ({ privateKey }));
  const operators: Wallet[] = [];
  for (const key of operatorKeys) operators.push((await signerWithRole(key, escrowRoles, "OPERATOR_ROLE"))!);
  if (new Set(operators.map((w) => w.address)).size !== operators.length) throw new Error("The same operator key is configured twice");
  const signer = operators[0]!;
  const complianceSigner = await signerWithRole(
    { keystore: config.COMPLIANCE_SIGNER_KEYSTORE, password: config.COMPLIANCE_SIGNER_KEYSTORE_PASSWORD, privateKey: config.COMPLIANCE_SIGNER_PRIVATE_KEY },
    registryRoles,
    "COMPLIANCE_ROLE",
  );
  const arbiterSigner = await signerWithRole(
    { keystore: config.ARBITER_SIGNER_KEYSTORE, password: config.ARBITER_SIGNER_KEYSTORE_PASSWORD, privateKey: config.ARBITER_SIGNER_PRIVATE_KEY },
    escrowRoles,
    "ARBITER_ROLE",
  );
  const receivableRegistry = deployment.contracts.ReceivableRegistry?.address;
  const receivablesKey = {
    keystore: config.RECEIVABLES_SIGNER_KEYSTORE,
    password: config.RECEIVABLES_SIGNER_KEYSTORE_PASSWORD,
    privateKey: config.RECEIVABLES_SIGNER_PRIVATE_KEY,
  };
  if (!receivableRegistry && (receivablesKey.keystore || receivablesKey.privateKey)) {
    throw new Error(`A receivables signer is configured, but ${config.DEPLOYMENT_FILE} has no ReceivableRegistry`);
  }
  const receivablesSigner = receivableRegistry
    ? await signerWithRole(receivablesKey, new Contract(receivableRegistry, ["function hasRole(bytes32, address) view returns (bool)"], provider) as never, "OPERATOR_ROLE")
    : undefined;

  const token = await readTokenInfo(provider, deployment.contracts.SettlementToken.address);
  const reader = new EscrowReader(provider, escrow, deployment.contracts.KycRegistry.address);
  const chainContext = { chainId: BigInt(chainId), escrow, token };
  const signatureWorkers = config.SIGNATURE_WORKERS ?? defaultSignatureWorkers();
  const signatures = signatureWorkers > 0 ? new SignatureWorkerPool(signatureWorkers) : inlineSignatureRecovery;
  const payments = new PaymentsService(chainContext, reader, signatures);
  const payoutsService = new PayoutsService(chainContext);
  const now = () => Date.now();
  const errorInterfaces = [
    registryInterface,
    KycRegistry__factory.createInterface(),
    SettlementToken__factory.createInterface(),
  ] as unknown as Interface[];
  const projector = new LedgerProjector(db, (blocks) => readBlockTimes(provider, blocks));
  // The console's reconciliation: the audit library rebuilds the chain's ledger over this relayer's RPC.
  const host = config.INSTANCE_HOST ?? hostname();
  const instanceId = config.INSTANCE_ID ?? `${host}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const isDeadInstance = (instance: string) => deadLocalHolder(instance, host, processAlive);
  const reconciliation = new ReconciliationService(db, () => rebuildFromChain({ rpcUrl: config.RPC_URL, deployment }), () => Date.now(), instanceId, isDeadInstance);
  await reconciliation.recover();
  // ---- metrics
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const queueDepth = new Gauge({ name: "relayer_outbox_operations", help: "Outbox operations by status", labelNames: ["status"], registers: [registry] });
  const tickDuration = new Histogram({
    name: "relayer_worker_tick_seconds",
    help: "Duration of one round of a background job (a key's submit or confirm, or following the chain)",
    labelNames: ["job"],
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: "relayer_webhook_attempts_total",
    help: "Webhook delivery attempts, by outcome of the delivery after the attempt (succeeded, pending = retry scheduled, failed = gave up)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const webhookFailures = new Counter({
    name: "relayer_webhook_failures_total",
    help: "Webhook attempts that got no 2xx answer, by kind (http = a non-2xx status, network = no answer)",
    labelNames: ["kind"],
    registers: [registry],
  });
  const webhookExhausted = new Counter({
    name: "relayer_webhook_exhausted_total",
    help: "Webhook deliveries that used up their retry schedule and are now failed",
    registers: [registry],
  });

  // ---- webhooks: deliveries are enqueued with their events; the dispatcher sends what is due
  const dispatcher = new WebhookDispatcher({
    db,
    masterKey: config.WEBHOOK_MASTER_KEY,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    logger,
    metrics: {
      attempt: (r) => webhookAttempts.inc({ outcome: r.outcome }),
      failure: (r) => webhookFailures.inc({ kind: r.statusCode === null ? "network" : "http" }),
      exhausted: () => webhookExhausted.inc(),
    },
  });
  dispatcher.start(config.WEBHOOK_POLL_INTERVAL_MS);
  const submissionLatency = new Histogram({
    name: "relayer_submission_latency_seconds",
    help: "From nonce allocation to the first broadcast of a transaction",
    labelNames: ["signer"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const confirmationLatency = new Histogram({
    name: "relayer_confirmation_latency_seconds",
    help: "From broadcast to CONFIRMATIONS blocks",
    labelNames: ["signer"],
    buckets: [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  const observeConfirmed = (tx: ChainTxRow, confirmedAt: number) => {
    if (tx.submittedAt === null) return;
    submissionLatency.observe({ signer: tx.signer }, Math.max(0, tx.submittedAt - tx.createdAt) / 1000);
    confirmationLatency.observe({ signer: tx.signer }, Math.max(0, confirmedAt - tx.submittedAt) / 1000);
  };

  const registryReader = complianceSigner && new RegistryReader(provider, registryAddress);
  const kyc = registryReader && { service: new KycService(registryReader), reader: registryReader };
  const receivableReader = receivableRegistry ? new ReceivableReader(provider, receivableRegistry) : undefined;
  const receivables = receivableReader && new ReceivablesService(
    { chainId: BigInt(chainId), registry: receivableRegistry!, token: token.address },
    receivableReader,
    reader,
    signatures,
  );
  // One indexer follows the escrow and, when deployed, the receivable registry: others' logs reach both handlers.
  const followed: FollowedContract[] = [{ name: "escrow", address: escrow, parse: parseEscrowLog }];
  if (receivableRegistry) followed.push({ name: "receivables", address: receivableRegistry, parse: parseRegistryLog });
  const indexer = new Indexer(
    db,
    provider,
    followed,
    deployment.deploymentBlock,
    config.CONFIRMATIONS,
    allOf(chainActivityHandler(db, reader, payments, now), ...(receivables ? [receivableActivityHandler(db, receivableReader!, receivables, now)] : [])),
    { fence: (sql) => keeper.fence(CHAIN_FOLLOWER)(sql) },
    allOf(chainReorgHandler(db, reader, payments, now), ...(receivables ? [receivableReorgHandler(db, receivableReader!, receivables, now)] : [])),
  );
  const settlePayments = settlementHandler(db, reader, payments, payoutsService, now, kyc?.service);
  const settleReceivables = receivables && receivableSettlementHandler(db, receivableReader!, receivables, now);
  const settle: SettlementHandler = async (settled) => {
    const [applyPayments, applyReceivables] = await Promise.all([settlePayments(settled), settleReceivables?.(settled)]);
    return async (sql) => {
      await applyPayments(sql);
      await applyReceivables?.(sql);
    };
  };
  const confirmerFor = (address: string, laneSubmitter: Submitter, fence: (sql: Sql) => Promise<void>) =>
    new Confirmer(db, provider, address, config.CONFIRMATIONS, settle, errorInterfaces, now, (tx, at, batch) => {
      observeConfirmed(tx, at);
      laneSubmitter.learnGas(batch);
    }, fence);

  // ---- leases: several instances may share the database. Each signer key is driven by one instance at a time,
  // and one instance follows the chain (indexer, projections, scheduled releases and settlement runs).
  const keyed = [
    // The operator keys share the escrow lane: key i submits the pending operations of shard i.
    ...operators.map((wallet, index) => ({
      wallet,
      lane: escrowLane(escrow),
      options: { batchSize: config.BATCH_SIZE, shard: { index, count: operators.length } },
      failpoint: options.failpoint,
    })),
    // Each extra key (compliance: KYC changes; arbiter: dispute resolution; receivables: the parties' signed
    // actions on the registry) has a lane of its own.
    ...(
      [
        [arbiterSigner, arbiterLane(escrow)],
        [complianceSigner, kycLane(registryAddress)],
        [receivablesSigner, receivableRegistry ? receivablesLane(receivableRegistry) : undefined],
      ] as const
    ).flatMap(([wallet, lane]) => (wallet && lane ? [{ wallet, lane, options: {}, failpoint: undefined }] : [])),
  ];
  const signerLease = (address: string) => `signer:${address.toLowerCase()}`;
  const leasesHeld = new Gauge({ name: "relayer_leases_held", help: "Leases this instance holds (1) or not (0)", labelNames: ["lease"], registers: [registry] });
  const keeper = new LeaseKeeper(db, instanceId, [...keyed.map((k) => signerLease(k.wallet.address)), CHAIN_FOLLOWER], {
    ttlMs: config.LEASE_TTL_MS,
    renewMs: config.LEASE_RENEW_MS,
  }, {
    acquired: (lease, token) => {
      leasesHeld.set({ lease }, 1);
      logger.info({ lease, token, instance: instanceId }, "lease acquired");
    },
    lost: (lease, token) => {
      leasesHeld.set({ lease }, 0);
      logger.warn({ lease, token, instance: instanceId }, "lease lost");
    },
  }, Date.now, isDeadInstance);
  const lanes = keyed.map(({ wallet, lane, options: laneOptions, failpoint }) => {
    const lease = signerLease(wallet.address);
    const fence = keeper.fence(lease);
    const submitter = new Submitter(db, provider, wallet, lane, { repriceAfterMs: config.REPRICE_AFTER_MS, ...laneOptions, fence }, failpoint);
    return { name: `${lane.name}:${wallet.address.slice(0, 10)}`, lease, submitter, confirmer: confirmerFor(wallet.address, submitter, fence) };
  });
  await keeper.start();

  // ---- the background jobs: per signer key a submitter and a confirmer, each in one strict order; the chain follower
  // The next block's time, as well as the relayer can tell it: a local chain that mined many blocks quickly runs
  // ahead of the wall clock, and an idle one has an old latest block.
  const nextBlockTime = async () => {
    const latest = await provider.getBlock("latest");
    if (latest) head = Math.max(head, latest.number);
    return Math.max(Math.floor(now() / 1000), latest?.timestamp ?? 0);
  };
  let head = await provider.getBlockNumber();
  let nextSettlementRun = now() + config.SETTLEMENT_RUN_INTERVAL_MS;
  const job = (name: string, round: () => Promise<number>) =>
    new WorkerLoop(round, {
      idleMs: config.POLL_INTERVAL_MS,
      failed: (error) => logger.warn({ job: name, err: (error as Error).message }, "worker round failed; retrying"),
      observe: (seconds) => tickDuration.observe({ job: name }, seconds),
    });
  // Each key: a submitter and a confirmer, each in rounds of its own; the submitter wakes the confirmer when it
  // has broadcast. Either idles while another instance holds the key.
  const laneJobs = lanes.map((lane) => {
    const confirming = job(`${lane.name}:confirm`, async () => (keeper.token(lane.lease) === undefined ? 0 : lane.confirmer.tick()));
    const submitting = job(`${lane.name}:submit`, async () => {
      if (keeper.token(lane.lease) === undefined) return 0;
      const sent = await lane.submitter.tick();
      if (sent > 0) confirming.wake();
      return sent;
    });
    return { submitting, confirming };
  });
  // The chain follower (one instance at a time): scheduled releases and settlement runs, the indexer, projections.
  const following = job("follow", async () => {
    if (keeper.token(CHAIN_FOLLOWER) === undefined) {
      head = await provider.getBlockNumber();
      return 0;
    }
    await queueDueReleases(db, payments, now, await nextBlockTime());
    if (config.SETTLEMENT_RUN_INTERVAL_MS > 0 && now() >= nextSettlementRun) {
      nextSettlementRun = now() + config.SETTLEMENT_RUN_INTERVAL_MS;
      const queued = await runSettlement(db, chainContext, reader, payoutsService, now);
      if (queued > 0) logger.info({ payouts: queued }, "settlement run queued payouts");
    }
    await indexer.tick();
    const worked = await projector.tick();
    head = await provider.getBlockNumber();
    return worked;
  });
  const jobs = [...laneJobs.flatMap((lane) => [lane.submitting, lane.confirming]), following];
  for (const j of jobs) j.start();
  // What the API commits may have queued operations: resting submitters look at once, not at their next poll.
  const apiDb: Database = {
    dialect: db.dialect,
    location: db.location,
    transaction: async <T>(work: (sql: Sql) => Promise<T>): Promise<T> => {
      const result = await db.transaction(work);
      for (const lane of laneJobs) lane.submitting.nudge();
      return result;
    },
    read: (work) => db.read(work),
    close: () => db.close(),
  };

  const requestDuration = new Histogram({
    name: "relayer_http_request_duration_seconds",
    help: "From a request's arrival to its answer, by method, route pattern and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const app = createApp({
    db: apiDb,
    logger,
    observeRequest: ({ method, route, status }, seconds) => requestDuration.observe({ method, route, status }, seconds),
    payments,
    chain: chainContext,
    reader,
    payoutsService,
    ...(kyc ? { kyc } : {}),
    arbiterEnabled: arbiterSigner !== undefined,
    ...(receivables && receivablesSigner ? { receivables } : {}),
    reconciliation,
    audit: {
      escrowTokenBalance: (tokenAddress) => SettlementToken__factory.connect(tokenAddress, provider).balanceOf(escrow),
      tokens: [token.address],
    },
    head: () => Math.max(head, ...lanes.map((lane) => lane.confirmer.head)),
    now,
    webhookMasterKey: config.WEBHOOK_MASTER_KEY,
    rateLimit: { ratePerSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST },
    health: {
      database: async () => ({ ok: (await db.read((sql) => sql.get<{ ok: number }>("SELECT 1 AS ok")))?.ok === 1 }),
      rpc: async () => ({ ok: true, detail: `block ${await provider.getBlockNumber()}` }),
      signerBalance: async () => {
        const balances = await Promise.all(operators.map((wallet) => provider.getBalance(wallet.address)));
        return { ok: balances.every((b) => b > 10n ** 16n), detail: balances.map((b) => `${b} wei`).join(", ") };
      },
      metrics: async () => {
        const counts = await db.read((sql) => operations.countByStatus(sql));
        for (const [status, n] of Object.entries(counts)) queueDepth.set({ status }, n);
        return { contentType: registry.contentType, body: await registry.metrics() };
      },
    },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
  });
  const address = server.address();
  const url = `http://${config.HOST}:${typeof address === "object" && address ? address.port : config.PORT}`;
  logger.info({ url, signers: operators.map((w) => w.address), instance: instanceId, database: db.location, chainId, escrow }, "relayer started");
  // A supervisor (tests, process managers) reads this line to learn the URL when PORT=0.
  if (process.env.RELAYER_ANNOUNCE === "1") console.log(`RELAYER_LISTENING ${url}`);

  return {
    url,
    db,
    signer: signer.address,
    signers: operators.map((wallet) => wallet.address),
    instanceId,
    async stop() {
      // Stop taking requests, let the current worker rounds finish (every step is persisted), then close.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...jobs.map((j) => j.stop()), dispatcher.stop()]);
      await keeper.stop(); // other instances take this one's keys over at once
      provider.destroy();
      if (signatures instanceof SignatureWorkerPool) await signatures.close();
      await db.close();
    },
  };
}

// Run directly: `tsx relayer/main.ts` with the settings in the environment.
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = (() => {
    try {
      return loadConfig(process.env);
    } catch (error) {
      console.error((error as Error).message);
      process.exit(2);
    }
  })();
  const relayer = await startRelayer(config, { failpoint: failpointsFromEnv(process.env.RELAYER_FAILPOINTS) }).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
  const shutdown = () => void relayer.stop().then(() => process.exit(0));
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

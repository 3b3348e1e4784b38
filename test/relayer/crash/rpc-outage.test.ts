// The RPC node goes away while merchants confirm payments: first the port refuses connections, then it accepts
// them and answers nothing, then it comes back. The relayer (its RPC_URL pointing at a proxy in front of the
// node) must say it is not ready meanwhile, and afterwards every payment must be authorized exactly once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { signAuthorization, startSystem, type TestSystem } from "../support/system.js";
import type { Database } from "../../../relayer/persistence/database.js";
import { openSystemDatabase, readChain, readDatabase, reusedNonces, waitForDrain, type ChainView, type DbSnapshot } from "./audit.js";
import { MerchantClient } from "./merchant-client.js";
import { RpcProxy, type ProxyMode } from "./rpc-proxy.js";

const INTENTS = 30;
const REFUSE_MS = 4_000;
const STALL_MS = 4_000;
const READYZ_TIMEOUT_MS = 3_000;

interface Accepted {
  intentId: string;
  paymentId: string;
  amount: bigint;
}

interface ReadyzProbe {
  /** The proxy's mode when the probe was sent, and when its answer (or timeout) came. */
  mode: ProxyMode;
  answeredIn: ProxyMode;
  /** HTTP status, or "timeout" when no answer came within READYZ_TIMEOUT_MS. */
  outcome: number | "timeout" | "error";
  status?: string;
}

let system: TestSystem;
/** The test's own connection to the relayer's database. */
let db: Database;
let proxy: RpcProxy;
let client: MerchantClient;
let operator: string;
let baseNonce: number;

async function pay(tag: string, i: number, accepted: Accepted[], refused: string[]): Promise<void> {
  const amount = BigInt(1 + (i % 7)) * 1_000_000n + BigInt(i);
  const created = await client.post(
    "/v1/payment_intents",
    {
      amount: amount.toString(),
      token: system.credentials.contracts.SettlementToken,
      buyer: system.credentials.buyer.address,
      order_ref: `${tag}-${i}`,
      capture_method: "manual",
    },
    `${tag}-create-${i}`,
  );
  if (created.status !== 201) return void refused.push(`create ${i}: ${created.status} ${JSON.stringify(created.body)}`);
  const signature = await signAuthorization(system.buyer, created.body);
  const confirmed = await client.post(`/v1/payment_intents/${created.body.id}/confirm`, { signature }, `${tag}-confirm-${i}`);
  if (confirmed.status !== 202) return void refused.push(`confirm ${i}: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  accepted.push({ intentId: created.body.id, paymentId: String(created.body.payment_id).toLowerCase(), amount });
}

async function probeReadyz(): Promise<ReadyzProbe> {
  const mode = proxy.mode;
  try {
    const response = await fetch(`${system.relayer.url}/readyz`, { signal: AbortSignal.timeout(READYZ_TIMEOUT_MS) });
    const body = (await response.json()) as { status: string };
    return { mode, answeredIn: proxy.mode, outcome: response.status, status: body.status };
  } catch (error) {
    return { mode, answeredIn: proxy.mode, outcome: (error as Error).name === "TimeoutError" ? "timeout" : "error" };
  }
}

before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  operator = system.relayer.signer;
  baseNonce = await system.provider.getTransactionCount(operator, "latest");
  proxy = await RpcProxy.start(system.chain.rpcUrl);
  await system.restartRelayer({ RPC_URL: proxy.url });
  db = await openSystemDatabase(system);
  client = new MerchantClient({ ready: async () => system.relayer.url, generation: 1 }, system.merchantKey);
}, { timeout: 300_000 });

after(async () => {
  await db?.close();
  await system?.stop();
  await proxy?.close();
});

/** The chain and database checks every scenario ends with. */
function assertExactlyOnce(accepted: Accepted[], chain: ChainView, snapshot: DbSnapshot, chainNonce: number): void {
  for (const a of accepted) {
    const state = chain.states.get(a.paymentId);
    assert.equal(state?.status, PaymentStatus.Authorized, `payment of ${a.intentId}`);
    assert.equal(state?.capturable, a.amount, `capturable of ${a.intentId}`);
    assert.equal(chain.authorizedEvents.get(a.paymentId), 1, `PaymentAuthorized events of ${a.intentId}`);
  }
  assert.deepEqual(reusedNonces(snapshot), []);
  const nonces = snapshot.chainTransactions.map((tx) => tx.nonce);
  assert.deepEqual(nonces, Array.from({ length: nonces.length }, (_, k) => baseNonce + k));
  assert.equal(chainNonce - baseNonce, nonces.length);
}

describe("an RPC outage (refused, then stalled) during a run of payments", () => {
  const accepted: Accepted[] = [];
  const refused: string[] = [];
  const probes: ReadyzProbe[] = [];
  let snapshot: DbSnapshot;
  let chain: ChainView;
  let chainNonce: number;

  before(async () => {
    let probing = true;
    const prober = (async () => {
      while (probing) {
        probes.push(await probeReadyz());
        await sleep(200);
      }
    })();
    let next = 0;
    const workers = Array.from({ length: 3 }, async () => {
      while (next < INTENTS) {
        await pay("outage", next++, accepted, refused);
        await sleep(Math.random() * 1_200);
      }
    });
    await sleep(1_500);
    await proxy.setMode("refuse");
    await sleep(REFUSE_MS);
    await proxy.setMode("stall");
    await sleep(STALL_MS);
    await proxy.setMode("pass");
    await Promise.all(workers);
    await waitForDrain(db, 120_000);
    probing = false;
    await prober;
    snapshot = await readDatabase(db);
    chain = await readChain(system.provider, system.credentials.contracts.PaymentEscrow, accepted.map((a) => a.paymentId));
    chainNonce = await system.provider.getTransactionCount(operator, "latest");
    const summary = (mode: ProxyMode) => probes.filter((p) => p.mode === mode).map((p) => p.status ?? p.outcome).join(" ");
    console.log(
      `rpc outage: ${accepted.length} confirms accepted, ${client.serverErrorRetries} 5xx retried, ${client.networkRetries} network retries; ` +
        `proxy ${JSON.stringify(proxy.stats)}; readyz while refused: ${summary("refuse")}; while stalled: ${summary("stall")}`,
    );
  }, { timeout: 300_000 });

  it("accepts every confirm (merchants retrying with the same key) and authorizes each exactly once", () => {
    assert.deepEqual(refused, []);
    assert.equal(accepted.length, INTENTS);
    assertExactlyOnce(accepted, chain, snapshot, chainNonce);
  });

  it("settles every operation as succeeded, in confirmed transactions", () => {
    assert.deepEqual(snapshot.operations.filter((op) => op.status !== "succeeded"), []);
    assert.deepEqual(snapshot.chainTransactions.filter((tx) => tx.status !== "confirmed" || tx.receipt_status !== 1), []);
  });

  it("reports not_ready on /readyz while the RPC refuses connections, and ready again after", () => {
    const whileRefused = probes.filter((p) => p.mode === "refuse");
    assert.ok(whileRefused.length > 0);
    assert.ok(whileRefused.some((p) => p.outcome === 503 && p.status === "not_ready"), JSON.stringify(whileRefused));
    assert.deepEqual(whileRefused.filter((p) => p.status === "ready"), []);
    assert.equal(probes.at(-1)?.status, "ready");
  });

  // Each readiness check has its own 2 s timeout, so a stalled node makes /readyz say not_ready, not hang.
  it("reports not_ready on /readyz while the RPC stalls", () => {
    const whileStalled = probes.filter((p) => p.mode === "stall" && p.answeredIn === "stall");
    assert.ok(whileStalled.length > 0);
    assert.deepEqual(whileStalled.filter((p) => p.status === "ready"), []);
    assert.ok(whileStalled.some((p) => p.outcome === 503 && p.status === "not_ready"), JSON.stringify(whileStalled));
  });
});

describe("a flaky gateway failing every gas estimate for a while", () => {
  const accepted: Accepted[] = [];
  const refused: string[] = [];
  let snapshot: DbSnapshot;
  let chain: ChainView;
  let chainNonce: number;
  let gasLimits: bigint[] = [];

  before(async () => {
    await waitForDrain(db, 60_000);
    const earlier = new Set((await readDatabase(db)).chainTransactions.map((tx) => tx.id));
    // A fresh relayer has learnt no gas per batch item yet, so every batch needs an estimate.
    await system.restartRelayer({ RPC_URL: proxy.url });
    proxy.failMethods.add("eth_estimateGas");
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 40) await pay("estimate", next++, accepted, refused);
      }),
    );
    await sleep(2_000);
    proxy.failMethods.clear();
    await waitForDrain(db, 120_000);
    snapshot = await readDatabase(db);
    const ours = snapshot.chainTransactions.filter((tx) => !earlier.has(tx.id));
    for (const tx of ours) gasLimits.push((await system.provider.getTransaction(tx.mined_hash!))!.gasLimit);
    chain = await readChain(system.provider, system.credentials.contracts.PaymentEscrow, accepted.map((a) => a.paymentId));
    chainNonce = await system.provider.getTransactionCount(operator, "latest");
    console.log(`estimate failures: ${proxy.stats.failed} injected; ${ours.length} transactions, gas limits ${gasLimits.join(" ")}`);
  }, { timeout: 300_000 });

  it("authorizes every accepted payment exactly once, and no operation fails", () => {
    assert.deepEqual(refused, []);
    assert.ok(proxy.stats.failed > 0, "no gas estimate was failed");
    assert.deepEqual(snapshot.operations.filter((op) => op.status !== "succeeded"), []);
    assertExactlyOnce(accepted, chain, snapshot, chainNonce);
  });
});

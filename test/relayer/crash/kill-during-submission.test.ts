// Exactly once through SIGKILL: a few hundred payments are created and confirmed through HTTP while the relayer
// process is killed again and again, by its own failpoints inside the submitter (after the nonce is allocated,
// after the signed bytes are stored, after the broadcast) and by the test at random moments while confirms are in
// flight. The merchant retries with the same Idempotency-Key. Once the relayer runs undisturbed and has drained,
// the chain and the database must tell the same story: every accepted confirm authorized exactly once.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { ChildRelayer, childEnvFor } from "../support/child-relayer.js";
import { startSystem, type TestSystem } from "../support/system.js";
import type { Database } from "../../../relayer/persistence/database.js";
import { openSystemDatabase, readChain, readDatabase, reusedNonces, waitForDrain, type ChainView, type DbSnapshot } from "./audit.js";
import { MerchantClient, payOnce, type AcceptedPayment } from "./merchant-client.js";

/** At least this many intents; more (up to MAX_INTENTS) while fewer than MIN_KILLS kills happened. */
const INTENTS = Number(process.env.CRASH_INTENTS ?? 200);
const MAX_INTENTS = 2 * INTENTS;
const MIN_KILLS = 20;
/** The test's own kills; the failpoints add theirs. */
const TEST_KILLS = 10;
/** Merchants at work at once, each pausing up to this long between payments (so kills land all along the run). */
const CONCURRENCY = 4;
const MAX_PAUSE_MS = 600;
/** Each failpoint fires with this probability every time the submitter passes it. */
const FAILPOINT_ODDS = process.env.CRASH_FAILPOINT_ODDS ?? "0.05";
const FAILPOINTS = ["after_nonce_allocation", "after_raw_persisted", "after_broadcast"].map((name) => `${name}:${FAILPOINT_ODDS}`).join(",");

let system: TestSystem;
/** The test's own connection to the relayers' database. */
let db: Database;
let child: ChildRelayer;
let client: MerchantClient;
let operator: string;
let baseNonce: number;
const accepted: AcceptedPayment[] = [];
const refused: string[] = [];
let kills = { requested: 0, unrequested: 0 };
/** Where each failpoint death left the transaction it was working on. */
const failpointDeaths = new Map<string, number>();
let snapshot: DbSnapshot;
let chain: ChainView;
let chainNonce: number;

async function pay(i: number): Promise<void> {
  const outcome = await payOnce(client, system, "crash", i);
  if ("refused" in outcome) refused.push(outcome.refused);
  else accepted.push(outcome);
}

/**
 * Kills the running relayer at random moments while the merchants are confirming, `TEST_KILLS` times, each within
 * about a second of its start; the merchants' retries get through between kills.
 */
async function killAtRandom(done: () => boolean): Promise<void> {
  let killed = 0;
  while (!done() && killed < TEST_KILLS) {
    await child.ready();
    const generation = child.generation;
    // Within about a second of the start: the failpoints often end a life sooner than that, and a kill is only
    // counted against the life it was aimed at.
    await sleep(150 + Math.random() * 1_200);
    if (!done() && child.generation === generation && (await child.kill())) killed++;
  }
}

/**
 * Names the failpoint that killed a relayer from what it left behind: a nonce allocated but nothing signed
 * (after_nonce_allocation); signed bytes stored but unknown to the chain (after_raw_persisted); signed bytes the
 * chain already mined, not yet marked submitted (after_broadcast).
 */
async function classifyFailpointDeath(): Promise<string> {
  const open = (await readDatabase(db)).chainTransactions.filter((tx) => tx.status === "allocated" || tx.status === "signed");
  const tx = open.at(-1);
  if (!tx) return "unknown";
  if (tx.status === "allocated") return "after_nonce_allocation";
  const hashes = JSON.parse(tx.hashes) as string[];
  for (const hash of hashes) if (await system.provider.getTransaction(hash)) return "after_broadcast";
  return "after_raw_persisted";
}

before(async () => {
  const startedAt = Date.now();
  system = await startSystem({ LOG_LEVEL: "silent" });
  operator = system.relayer.signer;
  await system.relayer.stop(); // from here on, only child processes serve this database
  db = await openSystemDatabase(system);
  baseNonce = await system.provider.getTransactionCount(operator, "latest");
  // Each restarted process is a new instance: it takes its dead predecessor's leases at once (a dead process of
  // this machine), instead of waiting for them to expire as an instance elsewhere must (the cluster tests do that).
  const env = childEnvFor(system, { RELAYER_FAILPOINTS: FAILPOINTS, BATCH_SIZE: "10" });
  child = new ChildRelayer(env, {
    logFile: process.env.CRASH_LOG ?? path.join(system.dir, "children.log"),
    onExit: async (exit) => {
      if (exit.requested || exit.signal !== "SIGKILL") return;
      const point = await classifyFailpointDeath();
      failpointDeaths.set(point, (failpointDeaths.get(point) ?? 0) + 1);
    },
  });
  client = new MerchantClient(child, system.merchantKey);
  child.keepRunning(true);

  const runStartedAt = Date.now();
  let next = 0;
  let finished = false;
  const killCount = () => child.kills.requested + child.kills.unrequested;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    const moreNeeded = () => next < INTENTS || killCount() < MIN_KILLS || failpointDeaths.size < 3;
    while (moreNeeded() && next < MAX_INTENTS) {
      await pay(next++);
      await sleep(Math.random() * MAX_PAUSE_MS);
    }
  });
  const chaos = killAtRandom(() => finished);
  await Promise.all(workers);
  finished = true;
  await chaos;
  kills = child.kills;
  const runSeconds = (Date.now() - runStartedAt) / 1000;

  // Failpoints off, one more restart, and let it finish everything in flight.
  child.setEnv({ RELAYER_FAILPOINTS: undefined });
  await child.kill();
  await child.ready();
  await waitForDrain(db, 90_000);
  await child.stop();
  snapshot = await readDatabase(db);
  chain = await readChain(system.provider, system.credentials.contracts.PaymentEscrow, accepted.map((a) => a.paymentId));
  chainNonce = await system.provider.getTransactionCount(operator, "latest");
  console.log(
    `crash run: ${next} intents, ${accepted.length} confirms accepted, ${kills.requested} kills by the test, ${kills.unrequested} by failpoints, ` +
      `${child.generation} relayer processes, ${snapshot.chainTransactions.length} transactions, ${client.networkRetries} network retries, ` +
      `${client.stranded.length} stranded idempotency keys (${snapshot.idempotencyInProgress} claims left in progress); ` +
      `failpoint deaths ${JSON.stringify(Object.fromEntries(failpointDeaths))}; load ${runSeconds.toFixed(1)} s, total ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
  );
}, { timeout: 900_000 });

after(async () => {
  await child?.stop().catch(() => undefined);
  await db?.close();
  await system?.stop();
});

describe("SIGKILL during submission (failpoints and random kills, merchants retrying with the same key)", () => {
  it(`survives at least ${MIN_KILLS} kills, by the failpoints and by the test`, () => {
    assert.ok(kills.requested + kills.unrequested >= MIN_KILLS, `only ${kills.requested + kills.unrequested} kills:\n${child.output()}`);
    assert.ok(kills.unrequested > 0, "no failpoint fired");
    assert.deepEqual([...failpointDeaths.keys()].sort(), ["after_broadcast", "after_nonce_allocation", "after_raw_persisted"]);
    assert.ok(kills.requested > 0, "the test killed nothing");
    const otherDeaths = child.exits.filter((e) => e.signal !== "SIGKILL" && !e.requested);
    assert.deepEqual(otherDeaths, [], `relayers died another way:\n${child.output()}`);
  });

  it("accepts the confirm of every intent it created (after retries)", () => {
    assert.deepEqual(refused, []);
    assert.ok(accepted.length >= INTENTS, `only ${accepted.length} accepted`);
  });

  it("authorizes every accepted payment on chain, for its amount", () => {
    for (const a of accepted) {
      const state = chain.states.get(a.paymentId);
      assert.equal(state?.status, PaymentStatus.Authorized, `payment of ${a.intentId}`);
      assert.equal(state?.capturable, a.amount, `capturable of ${a.intentId}`);
    }
  });

  it("emits exactly one PaymentAuthorized per accepted payment, and none for anything else", () => {
    const twice = accepted.filter((a) => chain.authorizedEvents.get(a.paymentId) !== 1);
    assert.deepEqual(twice.map((a) => [a.intentId, chain.authorizedEvents.get(a.paymentId) ?? 0]), []);
    const total = [...chain.authorizedEvents.values()].reduce((sum, n) => sum + n, 0);
    assert.equal(total, accepted.length);
  });

  it("never uses a nonce twice, and uses exactly the nonces the chain counted, without gaps", () => {
    assert.deepEqual(reusedNonces(snapshot), []);
    const nonces = snapshot.chainTransactions.filter((tx) => tx.signer.toLowerCase() === operator.toLowerCase()).map((tx) => tx.nonce);
    assert.equal(new Set(nonces).size, nonces.length);
    assert.equal(chainNonce - baseNonce, nonces.length);
    assert.deepEqual(nonces, Array.from({ length: nonces.length }, (_, k) => baseNonce + k));
  });

  it("confirms every chain transaction it signed, each mined successfully under one of its recorded hashes", () => {
    for (const tx of snapshot.chainTransactions) {
      assert.equal(tx.status, "confirmed", `transaction at nonce ${tx.nonce}`);
      assert.equal(tx.receipt_status, 1, `receipt of nonce ${tx.nonce}`);
      assert.ok((JSON.parse(tx.hashes) as string[]).includes(tx.mined_hash!), `mined hash of nonce ${tx.nonce}`);
    }
  });

  it("settles every operation as succeeded: none failed, none left open", () => {
    const notSucceeded = snapshot.operations.filter((op) => op.status !== "succeeded");
    assert.deepEqual(notSucceeded, []);
  });

  it("loses no accepted confirm: each has exactly one authorize operation, succeeded", () => {
    const byIntent = new Map<string, DbSnapshot["operations"]>();
    for (const op of snapshot.operations) byIntent.set(op.intent_id ?? "", [...(byIntent.get(op.intent_id ?? "") ?? []), op]);
    for (const a of accepted) {
      const ops = byIntent.get(a.intentId) ?? [];
      assert.deepEqual(ops.map((op) => [op.kind, op.status]), [["authorize", "succeeded"]], `operations of ${a.intentId}`);
    }
    assert.equal(snapshot.operations.length, accepted.length);
  });

  it("records in the database the amounts and status the chain holds", () => {
    const stored = new Map(snapshot.intents.map((i) => [i.id, i]));
    for (const a of accepted) {
      const intent = stored.get(a.intentId);
      const state = chain.states.get(a.paymentId)!;
      assert.equal(intent?.amount, a.amount.toString());
      assert.equal(Number(intent?.status), state.status);
      assert.equal(intent?.amount_capturable, state.capturable.toString());
      assert.equal(intent?.amount_held, state.held.toString());
    }
    assert.equal(snapshot.intents.length, accepted.length);
  });
});

// Real reorgs on a real `hardhat node`: `evm_snapshot` before a block, `evm_revert` after the relayer has seen it,
// then different blocks at the same heights. Hardhat's revert also empties the mempool (the snapshot had none of
// it), so a transaction in an orphaned block is gone from the node, as it would be from a node that never saw it.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";

import { escrowInterface } from "../../../relayer/chain/escrow-calls.js";
import { termsFromJson } from "../../../relayer/chain/operation-codec.js";
import { chainTransactions, operations } from "../../../relayer/persistence/chain-store.js";
import { intents } from "../../../relayer/persistence/intents.js";
import { PaymentEscrow__factory } from "../../../typechain-types/index.js";
import { devWallet, signAuthorization, startSystem, until, waitForIntent, type TestSystem } from "../support/system.js";

const CONFIRMATIONS = 3;
const operator = devWallet(1).address;

let system: TestSystem;
let receiver: Server;
const delivered: { type: string; objectId: string }[] = [];

before(async () => {
  system = await startSystem({ CONFIRMATIONS: String(CONFIRMATIONS) });
  // A merchant's webhook receiver: every delivery it gets, by event type.
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const payload = JSON.parse(body) as { type: string; data: { object: { id: string } } };
      delivered.push({ type: payload.type, objectId: payload.data.object.id });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const endpoint = await system.api("POST", "/v1/webhook_endpoints", { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` });
  assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
});
after(async () => {
  await system?.provider.send("evm_setAutomine", [true]).catch(() => undefined);
  await system?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const rpc = <T = unknown>(method: string, params: unknown[] = []) => system.provider.send(method, params) as Promise<T>;
/** Mines a block that differs from anything the relayer saw: it carries a transfer of someone else's. */
async function mineDifferentBlock(): Promise<void> {
  const other = devWallet(12).connect(system.provider);
  await other.sendTransaction({ to: other.address, value: 1n });
  await rpc("evm_mine");
}

/** Mines a block at a time until the intent reaches `status`: the indexer acts only on confirmed blocks. */
async function mineUntil(intentId: string, status: string): Promise<void> {
  await until(`intent ${intentId} ${status}`, async () => {
    if ((await system.api("GET", `/v1/payment_intents/${intentId}`)).body.status === status) return true;
    await rpc("evm_mine");
    await new Promise((r) => setTimeout(r, 100));
    return false;
  });
}

async function createIntent(orderRef: string) {
  const created = await system.api("POST", "/v1/payment_intents", {
    amount: "4000000",
    token: system.credentials.contracts.SettlementToken,
    buyer: system.credentials.buyer.address,
    order_ref: orderRef,
    capture_method: "manual",
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

async function eventsOf(intentId: string): Promise<{ type: string; data: Record<string, any> }[]> {
  return (await system.api("GET", `/v1/events?object_id=${intentId}&limit=100`)).body.data;
}

async function authorizedLogs(paymentId: string) {
  return system.provider.getLogs({
    address: system.credentials.contracts.PaymentEscrow,
    topics: [escrowInterface.getEvent("PaymentAuthorized")!.topicHash, paymentId],
    fromBlock: 0,
  });
}

describe("a reorg shallower than CONFIRMATIONS", () => {
  after(() => rpc("evm_setAutomine", [true]));
  it("rebroadcasts the same signed transaction when its block is orphaned, and authorizes the payment once", async () => {
    const created = await createIntent("reorg-shallow-1");
    await rpc("evm_setAutomine", [false]);
    const snapshot = await rpc<string>("evm_snapshot");
    const forkPoint = await system.provider.getBlockNumber();

    await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
    const sent = await until("the authorization in the mempool", async () =>
      (await system.relayer.db.read((sql) => chainTransactions.inStatus(sql, operator, ["submitted"])))[0],
    );
    await rpc("evm_mine"); // block forkPoint + 1 holds it
    const orphan = (await system.provider.getBlock(forkPoint + 1))!;
    const seen = await until("the relayer to see it mined", async () => {
      const row = await system.relayer.db.read((sql) => chainTransactions.get(sql, sent.id));
      return row?.status === "mined" && row;
    });
    assert.equal(seen.blockHash, orphan.hash, "the relayer recorded the block it was mined in");
    assert.equal((await waitForIntent(system, created.id, () => true)).status, "processing", "one block is not CONFIRMATIONS deep");

    // The reorg: back before that block, then other blocks at the same heights.
    assert.equal(await rpc<boolean>("evm_revert", [snapshot]), true);
    await mineDifferentBlock();
    await mineDifferentBlock();
    assert.notEqual((await system.provider.getBlock(forkPoint + 1))!.hash, orphan.hash, "block N changed");

    // The node forgot the transaction with the orphaned block; the relayer notices and sends the very same bytes
    // again (same nonce, same hash, no replacement). It is pending, or already in one of the new blocks.
    const again = await until("the same transaction known to the node again", async () =>
      (await rpc<{ hash: string; nonce: string } | null>("eth_getTransactionByHash", [sent.hashes[0]])) ?? undefined,
    );
    assert.equal(again.hash, sent.hashes[0]);
    assert.equal(Number(again.nonce), sent.nonce);

    await rpc("evm_setAutomine", [true]);
    for (let i = 0; i < CONFIRMATIONS; i++) await rpc("evm_mine");
    const done = await waitForIntent(system, created.id, (i) => i.status !== "processing");
    assert.equal(done.status, "requires_capture");

    // Exactly one transaction for the intent, with one hash, mined in a block of the new chain.
    const rows = await system.relayer.db.read((sql) => chainTransactions.inStatus(sql, operator, ["allocated", "signed", "submitted", "mined", "confirmed", "failed"]));
    const carrying = await system.relayer.db.read((sql) => operations.ofTransaction(sql, sent.id));
    assert.deepEqual(carrying.map((op) => op.intentId), [created.id]);
    assert.equal(rows.filter((r) => r.id === sent.id).length, 1);
    const final = rows.find((r) => r.id === sent.id)!;
    assert.equal(final.status, "confirmed");
    assert.equal(final.nonce, sent.nonce);
    assert.deepEqual(final.hashes, sent.hashes, "no second signed version");
    const receipt = (await system.provider.getTransactionReceipt(sent.hashes[0]!))!;
    assert.equal(final.blockHash, receipt.blockHash);
    assert.notEqual(final.blockHash, orphan.hash);
    assert.equal((await system.provider.getBlock(receipt.blockNumber))!.hash, receipt.blockHash);

    // On chain once; in the events list and the webhooks once, pointing at the canonical block.
    const logs = await authorizedLogs(created.payment_id);
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.transactionHash, sent.hashes[0]);
    const authorized = (await eventsOf(created.id)).filter((e) => e.type === "payment_intent.authorized");
    assert.equal(authorized.length, 1);
    assert.equal(authorized[0]!.data.block_number, receipt.blockNumber);
    assert.equal(authorized[0]!.data.transaction_hash, receipt.hash);
    await until("the authorized webhook", async () => delivered.some((d) => d.objectId === created.id && d.type === "payment_intent.authorized"));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(delivered.filter((d) => d.objectId === created.id && d.type === "payment_intent.authorized").length, 1);
  });
});

describe("a reorg deeper than CONFIRMATIONS", () => {
  it("sends its own confirmed transaction again, the same bytes, when a deep reorg orphans it, and settles it again", async () => {
    const created = await createIntent("reorg-deep-own-1");
    const snapshot = await rpc<string>("evm_snapshot");
    await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
    await mineUntil(created.id, "requires_capture");
    const [first] = await authorizedLogs(created.payment_id);
    await until("the indexer to index the authorization", async () => {
      await rpc("evm_mine");
      return system.relayer.db.read((sql) => sql.get("SELECT 1 FROM chain_logs WHERE tx_hash = ?", first!.transactionHash));
    });
    const sent = (await system.relayer.db.read((sql) => sql.get<{ tx_id: number }>("SELECT tx_id FROM chain_transaction_hashes WHERE hash = ?", first!.transactionHash)))!;
    const before = (await system.relayer.db.read((sql) => chainTransactions.get(sql, sent.tx_id)))!;
    assert.equal(before.status, "confirmed");

    // Without automine while the new chain is built: the relayer may notice the reorg and send its transaction
    // again at once, and automine would then mine it alone on the same parent, at the same height and (the chain
    // running ahead of the clock) the same timestamp as before: the very same block. Mined by hand, the new chain's
    // first block always carries another transfer too.
    await rpc("evm_setAutomine", [false]);
    assert.equal(await rpc<boolean>("evm_revert", [snapshot]), true);
    for (let i = 0; i < CONFIRMATIONS + 4; i++) await mineDifferentBlock();
    await rpc("evm_setAutomine", [true]);
    assert.notEqual((await system.provider.getBlock(first!.blockNumber))?.hash, first!.blockHash, "the block that held it is gone");

    await until("the reorganized event", async () => (await eventsOf(created.id)).some((e) => e.type === "payment_intent.reorganized"));
    await mineUntil(created.id, "requires_capture");
    const after = (await system.relayer.db.read((sql) => chainTransactions.get(sql, sent.tx_id)))!;
    assert.equal(after.status, "confirmed");
    assert.equal(after.nonce, before.nonce);
    assert.deepEqual(after.hashes, before.hashes, "the same signed bytes, no second version");
    assert.notEqual(after.blockHash, before.blockHash);
    const logs = await authorizedLogs(created.payment_id);
    assert.equal(logs.length, 1, "authorized once on the new chain");
    assert.equal(logs[0]!.transactionHash, first!.transactionHash);
    assert.equal(after.blockHash, logs[0]!.blockHash, "the relayer records the block that holds it now");
    const types = (await eventsOf(created.id)).map((e) => e.type).reverse().filter((t) => /authorized|reorganized/.test(t));
    assert.deepEqual(types, ["payment_intent.authorized", "payment_intent.reorganized", "payment_intent.authorized"]);
    const total = await system.relayer.db.read((sql) => sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM chain_transactions WHERE id IN (SELECT tx_id FROM operations WHERE intent_id = ?)", created.id));
    assert.equal(total!.n, 1, "one transaction for the intent");
  });

  it("corrects an intent the indexer had updated from an event in an orphaned block, and says so in an event", async () => {
    const created = await createIntent("reorg-deep-1");
    await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
    await mineUntil(created.id, "requires_capture");

    // Past the authorization expiry (last in this file: intents created after this would be expired), the buyer reclaims directly; the indexer applies it once it is confirmed.
    await rpc("evm_increaseTime", [8 * 86_400]);
    await rpc("evm_mine");
    const snapshot = await rpc<string>("evm_snapshot");
    const forkPoint = await system.provider.getBlockNumber();
    const intent = await system.relayer.db.read((sql) => intents.get(sql, created.id));
    const terms = termsFromJson(JSON.parse(JSON.stringify(intent!.terms, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))));
    const buyer = system.buyer.connect(system.provider);
    const escrow = PaymentEscrow__factory.connect(system.credentials.contracts.PaymentEscrow, buyer);
    const reclaimRaw = await buyer.signTransaction(await buyer.populateTransaction(await escrow.reclaim.populateTransaction(terms)));
    const reclaim = (await (await system.provider.broadcastTransaction(reclaimRaw)).wait())!;
    await mineUntil(created.id, "canceled");
    assert.equal((await eventsOf(created.id)).filter((e) => e.type === "payment_intent.reclaimed").length, 1);

    // A reorg deeper than CONFIRMATIONS removes the reclaim; the new chain is longer than the old one.
    assert.equal(await rpc<boolean>("evm_revert", [snapshot]), true);
    for (let i = 0; i < CONFIRMATIONS + 3; i++) await mineDifferentBlock();
    assert.equal(await system.provider.getTransactionReceipt(reclaim.hash), null);
    assert.notEqual((await system.provider.getBlock(forkPoint + 1))!.hash, reclaim.blockHash);

    const corrected = await waitForIntent(system, created.id, (i) => i.status === "requires_capture");
    assert.equal(corrected.amount_capturable, "4000000");
    const events = await eventsOf(created.id);
    const reorganized = events.filter((e) => e.type === "payment_intent.reorganized");
    assert.equal(reorganized.length, 1, JSON.stringify(events.map((e) => e.type)));
    assert.deepEqual(
      reorganized[0]!.data.dropped.map((d: { chain_event: string; transaction_hash: string }) => [d.chain_event, d.transaction_hash]),
      [["PaymentReclaimed", reclaim.hash]],
    );
    assert.equal(events.filter((e) => e.type === "payment_intent.reclaimed").length, 1, "the reclaim is not reported twice");
    await until("the reorganized webhook", async () => delivered.some((d) => d.objectId === created.id && d.type === "payment_intent.reorganized"));

    // The buyer's transaction comes back in the new chain: it is applied again, once.
    await system.provider.send("eth_sendRawTransaction", [reclaimRaw]);
    await mineUntil(created.id, "canceled");
    await new Promise((r) => setTimeout(r, 500));
    const final = (await eventsOf(created.id)).map((e) => e.type).reverse();
    assert.deepEqual(final.filter((t) => /authorized|reclaimed|reorganized/.test(t)), [
      "payment_intent.authorized",
      "payment_intent.reclaimed",
      "payment_intent.reorganized",
      "payment_intent.reclaimed",
    ]);
  });
});

// A batch transaction settles item by item: the escrow reports each failed item with BatchItemFailed(index, …),
// and the confirmer fails exactly that item's operation with the item's own reason, while the others succeed.
// The items are held back (the operator's eth_getTransactionCount fails at a proxy) until all are confirmed, so
// they go out in one authorizeMany.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { SettlementToken__factory } from "../../../typechain-types/index.js";
import { RpcProxy } from "../crash/rpc-proxy.js";
import { signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";

let system: TestSystem;
let proxy: RpcProxy;

before(async () => {
  system = await startSystem();
  proxy = await RpcProxy.start(system.chain.rpcUrl);
  await system.restartRelayer({ RPC_URL: proxy.url });
});

after(async () => {
  await system?.stop();
  await proxy?.close();
});

/** Confirms with the buyer's signature; a 5xx (the proxy failed a JSON-RPC batch the check shared) is asked again. */
async function confirm(intent: { id: string }, signature: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const { status, body } = await system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, { signature });
    if (status === 202) return;
    if (status < 500) throw new Error(`confirm answered ${status}: ${JSON.stringify(body)}`);
  }
  throw new Error("confirm kept failing");
}

describe("batch settlement", () => {
  it("fails only the item the escrow reports as failed, with its reason, and authorizes the others in the same transaction", async () => {
    const token = system.credentials.contracts.SettlementToken;
    const balance = await SettlementToken__factory.connect(token, system.provider).balanceOf(system.buyer.address);
    const create = async (amount: bigint) =>
      (await system.api("POST", "/v1/payment_intents", { amount: amount.toString(), token, buyer: system.buyer.address, order_ref: `batch-${Math.random().toString(16).slice(2)}`, capture_method: "manual" })).body as { id: string };
    // The middle one asks for more than the buyer holds: the API cannot tell, the token refuses it on chain.
    const intents = [await create(1_000_000n), await create(balance + 1n), await create(2_000_000n)];
    const signatures = await Promise.all(intents.map((intent) => signAuthorization(system.buyer, intent)));

    proxy.failMethods.add("eth_getTransactionCount"); // the operator cannot allocate a nonce: nothing is sent
    for (const [i, intent] of intents.entries()) await confirm(intent, signatures[i]!);
    proxy.failMethods.clear();

    const [first, poor, third] = await Promise.all(intents.map((intent) => waitForIntent(system, intent.id, (i) => i.status !== "processing", 30_000)));
    assert.equal(first.status, "requires_capture");
    assert.equal(third.status, "requires_capture");
    assert.equal(poor.status, "failed");
    assert.equal(poor.last_error.code, "insufficient_funds");
    assert.match(poor.last_error.message, /ERC20InsufficientBalance/);
    assert.deepEqual(intents.map((_, i) => [first, poor, third][i].transactions[0].status), ["succeeded", "failed", "succeeded"]);
    const hash = (intent: any) => intent.transactions[0].hashes.at(-1) as string;
    assert.equal(hash(poor), hash(first), "one transaction carried them all");
    assert.equal(hash(third), hash(first), "one transaction carried them all");
    const receipt = await system.provider.getTransactionReceipt(hash(first));
    assert.equal(receipt?.status, 1, "the batch itself succeeded");
  });
});

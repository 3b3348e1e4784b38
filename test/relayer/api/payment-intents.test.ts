import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
});
after(async () => {
  await system?.stop();
});

const createBody = (overrides: Record<string, unknown> = {}) => ({
  amount: "25000000",
  token: system.credentials.contracts.SettlementToken,
  buyer: system.credentials.buyer.address,
  order_ref: `order-${Math.random().toString(16).slice(2)}`,
  ...overrides,
});

describe("payment intents end to end", () => {
  it("creates an intent that carries the EIP-712 typed data the buyer signs", async () => {
    const { status, body } = await system.api("POST", "/v1/payment_intents", createBody());
    assert.equal(status, 201);
    assert.equal(body.status, "requires_authorization");
    assert.equal(body.amount, "25000000");
    assert.equal(body.authorization.typed_data.primaryType, "ReceiveWithAuthorization");
    assert.equal(body.authorization.typed_data.message.nonce, body.payment_id);
  });

  it("confirms with the buyer's signature, and the automatic capture lands on chain: status captured", async () => {
    const created = (await system.api("POST", "/v1/payment_intents", createBody())).body;
    const signature = await signAuthorization(system.buyer, created);
    const confirmed = await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature });
    assert.equal(confirmed.status, 202);
    assert.equal(confirmed.body.status, "processing");
    const done = await waitForIntent(system, created.id, (i) => i.status !== "processing");
    assert.equal(done.status, "captured");
    assert.equal(done.amount_held, "25000000");
    assert.equal(done.transactions.length, 1);
    assert.equal(done.transactions[0].status, "succeeded");
    assert.ok(done.transactions[0].confirmations >= 1);
    const receipt = await system.provider.getTransactionReceipt(done.transactions[0].hashes.at(-1));
    assert.equal(receipt?.status, 1);
    const metrics = await (await fetch(`${system.relayer.url}/metrics`)).text();
    const count = (name: string) => Number(/\S+_count\{[^}]*\} (\d+)/.exec(metrics.split("\n").filter((l) => l.startsWith(name + "_count")).join("\n"))?.[1] ?? 0);
    assert.ok(count("relayer_submission_latency_seconds") >= 1, "submission latency observed");
    assert.ok(count("relayer_confirmation_latency_seconds") >= 1, "confirmation latency observed");
    // Request durations by route pattern: the confirm is counted under `:id`, and no intent id becomes a label.
    const confirms = metrics.split("\n").filter((l) => l.startsWith("relayer_http_request_duration_seconds_count{"));
    assert.ok(
      confirms.some((l) => l.includes('method="POST"') && l.includes('route="/v1/payment_intents/:id/confirm"') && l.includes('status="202"') && Number(l.split(" ").at(-1)) >= 1),
      `the confirm is in the request-duration histogram:\n${confirms.join("\n")}`,
    );
    assert.ok(!metrics.includes(created.id), "no object id in any label");
  });

  it("authorizes with manual capture, captures part, refunds part, and lists the events in order", async () => {
    const created = (await system.api("POST", "/v1/payment_intents", createBody({ capture_method: "manual" }))).body;
    await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
    const authorized = await waitForIntent(system, created.id, (i) => i.status !== "processing");
    assert.equal(authorized.status, "requires_capture");
    assert.equal(authorized.amount_capturable, "25000000");

    assert.equal((await system.api("POST", `/v1/payment_intents/${created.id}/capture`, { amount: "10000000" })).status, 202);
    const captured = await waitForIntent(system, created.id, (i) => i.status !== "processing");
    assert.equal(captured.status, "captured");
    assert.equal(captured.amount_held, "10000000");
    assert.equal(captured.amount_capturable, "15000000");

    assert.equal((await system.api("POST", `/v1/payment_intents/${created.id}/refund`, { amount: "4000000" })).status, 202);
    const refunded = await waitForIntent(system, created.id, (i) => i.status !== "processing");
    assert.equal(refunded.amount_refunded, "4000000");
    assert.equal(refunded.amount_held, "6000000");

    const refunds = (await system.api("GET", `/v1/payment_intents/${created.id}/refunds`)).body.data;
    assert.equal(refunds.length, 1);
    assert.match(refunds[0].id, /^re_[0-9a-f]{24}$/);
    assert.equal(refunds[0].amount, "4000000");
    assert.equal(refunds[0].status, "succeeded");
    assert.equal(refunds[0].transaction_hashes.length, 1);

    const events = (await system.api("GET", `/v1/events?object_id=${created.id}&limit=100`)).body;
    const types = events.data.map((e: { type: string }) => e.type).reverse();
    assert.deepEqual(types, [
      "payment_intent.created",
      "payment_intent.confirm_requested",
      "payment_intent.authorized",
      "payment_intent.capture_requested",
      "payment_intent.captured",
      "payment_intent.refund_requested",
      "payment_intent.refunded",
    ]);
  });

  it("refuses a signature from anyone but the buyer before anything reaches the chain", async () => {
    const created = (await system.api("POST", "/v1/payment_intents", createBody())).body;
    const { HDNodeWallet } = await import("ethers");
    const stranger = HDNodeWallet.createRandom();
    const { status, body } = await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(stranger, created) });
    assert.equal(status, 400);
    assert.equal(body.error.code, "signature_invalid");
    const after = (await system.api("GET", `/v1/payment_intents/${created.id}`)).body;
    assert.equal(after.status, "requires_authorization");
    assert.equal(after.transactions.length, 0);
  });

  it("answers another merchant's intent id, or an unknown one, with 404", async () => {
    const { status, body } = await system.api("GET", "/v1/payment_intents/pi_000000000000000000000000");
    assert.equal(status, 404);
    assert.equal(body.error.code, "resource_missing");
  });
});

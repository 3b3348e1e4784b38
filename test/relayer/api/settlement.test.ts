// Captured funds are released once the confirmation window passes (batched by the relayer), show up as the
// merchant's available balance, and a payout pays them to the settlement address.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { SettlementToken__factory } from "../../../typechain-types/index.js";
import { signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(async () => {
  await system?.stop();
});

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await probe();
  }
  assert.ok(done(last), `condition not reached; last: ${JSON.stringify(last)}`);
  return last;
}

describe("release, balances and payouts", () => {
  it("releases a captured payment after its confirmation window, credits the net, and pays it out", async () => {
    const token = system.credentials.contracts.SettlementToken;
    const created = (
      await system.api("POST", "/v1/payment_intents", {
        amount: "40000000",
        token,
        buyer: system.credentials.buyer.address,
        order_ref: "settle-1",
        confirmation_window: 0,
      })
    ).body;
    await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
    const released = await waitForIntent(system, created.id, (i) => i.status === "released");
    assert.equal(released.amount_released, "40000000");
    assert.equal(released.amount_held, "0");

    // 2.5% fee: 1,000,000 to the platform (of which the partner's 20%), 39,000,000 to the merchant.
    const balance = (await system.api("GET", "/v1/balances")).body.data[0];
    assert.equal(balance.available, "39000000");

    const settlement = system.credentials.merchant.settlementAddress;
    const erc20 = SettlementToken__factory.connect(token, system.provider);
    const before = await erc20.balanceOf(settlement);
    const requested = await system.api("POST", "/v1/payouts", {}, { "Idempotency-Key": "payout-1" });
    assert.equal(requested.status, 202);
    assert.equal(requested.body.status, "pending");
    const again = await system.api("POST", "/v1/payouts", {}, { "Idempotency-Key": "payout-2" });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "payout_in_progress");

    const paid = await waitFor(() => system.api("GET", `/v1/payouts/${requested.body.id}`).then((r) => r.body), (p) => p.status !== "pending");
    assert.equal(paid.status, "paid");
    assert.equal(paid.amount, "39000000");
    assert.equal(paid.destination, settlement);
    assert.equal((await erc20.balanceOf(settlement)) - before, 39_000_000n);
    assert.equal((await system.api("GET", "/v1/balances")).body.data[0].available, "0");

    const types = (await system.api("GET", `/v1/events?limit=100`)).body.data.map((e: { type: string }) => e.type);
    assert.ok(types.includes("payout.paid"));
    assert.ok(types.includes("payment_intent.released"));
  });

  it("answers a payout with nothing available as failed with nothing_to_pay", async () => {
    const requested = await system.api("POST", "/v1/payouts", {});
    assert.equal(requested.status, 202);
    const done = await waitFor(() => system.api("GET", `/v1/payouts/${requested.body.id}`).then((r) => r.body), (p) => p.status !== "pending");
    assert.equal(done.status, "failed");
    assert.equal(done.failure.code, "nothing_to_pay");
  });
});

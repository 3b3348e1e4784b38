// What others do on chain shows up in the intent and its events: here the buyer reclaims an expired authorization
// directly, paying its own gas, without the relayer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { PaymentEscrow__factory } from "../../../typechain-types/index.js";
import { termsFromJson } from "../../../relayer/chain/operation-codec.js";
import { intents } from "../../../relayer/persistence/intents.js";
import { signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(async () => {
  await system?.stop();
});

describe("chain activity by others", () => {
  it("shows a buyer's direct reclaim after expiry as canceled, with a payment_intent.reclaimed event", async () => {
    const created = (
      await system.api("POST", "/v1/payment_intents", {
        amount: "7000000",
        token: system.credentials.contracts.SettlementToken,
        buyer: system.credentials.buyer.address,
        order_ref: "reclaim-1",
        capture_method: "manual",
      })
    ).body;
    await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
    await waitForIntent(system, created.id, (i) => i.status === "requires_capture");

    // Past the authorization expiry, the buyer takes the funds back itself.
    await system.provider.send("evm_increaseTime", [8 * 86_400]);
    await system.provider.send("evm_mine", []);
    const intent = await system.relayer.db.read((sql) => intents.get(sql, created.id));
    const escrow = PaymentEscrow__factory.connect(system.credentials.contracts.PaymentEscrow, system.buyer.connect(system.provider));
    const terms = termsFromJson(JSON.parse(JSON.stringify(intent!.terms, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))));
    const receipt = await (await escrow.reclaim(terms)).wait();

    const reclaimed = await waitForIntent(system, created.id, (i) => i.status === "canceled");
    assert.equal(reclaimed.amount_capturable, "0");
    const events = (await system.api("GET", `/v1/events?object_id=${created.id}`)).body.data;
    const event = events.find((e: { type: string }) => e.type === "payment_intent.reclaimed");
    assert.ok(event, `no reclaimed event in ${JSON.stringify(events.map((e: { type: string }) => e.type))}`);
    assert.equal(event.data.transaction_hash, receipt!.hash);
    assert.equal(event.data.args.amount, "7000000");
    // Our own authorization was not reported a second time by the indexer.
    assert.equal(events.filter((e: { type: string }) => e.type === "payment_intent.authorized").length, 1);
  });
});

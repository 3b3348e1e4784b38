// The buyer's own actions on held funds, signed and relayed by the merchant: confirming receipt releases them at
// once; a dispute freezes them. Wrong signatures are refused before anything is sent.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet } from "ethers";

import { issueApiKey } from "../../../relayer/application/admin.js";
import { signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(async () => {
  await system?.stop();
});

let order = 0;
async function capturedIntent(): Promise<any> {
  const created = (
    await system.api("POST", "/v1/payment_intents", {
      amount: "12000000",
      token: system.credentials.contracts.SettlementToken,
      buyer: system.credentials.buyer.address,
      order_ref: `buyer-actions-${order++}`,
    })
  ).body;
  await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
  return waitForIntent(system, created.id, (i) => i.status === "captured");
}

const sign = (wallet: HDNodeWallet, typed: any) => wallet.signTypedData(typed.domain, typed.types, typed.message);

describe("buyer actions", () => {
  it("releases held funds at once when the buyer confirms receipt", async () => {
    const intent = await capturedIntent();
    const action = intent.buyer_actions.confirm_receipt;
    const { status } = await system.api("POST", `/v1/payment_intents/${intent.id}/confirm_receipt`, {
      deadline: action.deadline,
      signature: await sign(system.buyer, action.typed_data),
    });
    assert.equal(status, 202);
    const released = await waitForIntent(system, intent.id, (i) => i.status !== "processing");
    assert.equal(released.status, "released");
    assert.equal(released.amount_released, "12000000");
  });

  it("freezes held funds when the buyer disputes", async () => {
    const intent = await capturedIntent();
    const typed = intent.buyer_actions.open_dispute.typed_data;
    const { status } = await system.api("POST", `/v1/payment_intents/${intent.id}/disputes`, {
      reason: "not_received",
      signature: await sign(system.buyer, typed),
    });
    assert.equal(status, 202);
    const disputed = await waitForIntent(system, intent.id, (i) => i.status !== "processing");
    assert.equal(disputed.status, "disputed");
    const refused = await system.api("POST", `/v1/payment_intents/${intent.id}/refund`, {});
    assert.equal(refused.status, 409);

    // The arbiter (admin scope) splits: 3,000,000 back to the buyer, the rest released to the merchant.
    const admin = (await issueApiKey(system.relayer.db, { scope: "admin", label: "arbiter desk" }, Date.now())).secret;
    const asAdmin = { authorization: `Bearer ${admin}` };
    const tooMuch = await system.api("POST", `/v1/admin/payment_intents/${intent.id}/resolve_dispute`, { buyer_amount: "12000001" }, asAdmin);
    assert.equal(tooMuch.status, 409);
    assert.equal(tooMuch.body.error.code, "amount_exceeds_held");
    assert.equal((await system.api("POST", `/v1/admin/payment_intents/${intent.id}/resolve_dispute`, { buyer_amount: "1" })).status, 403);
    const resolving = await system.api("POST", `/v1/admin/payment_intents/${intent.id}/resolve_dispute`, { buyer_amount: "3000000" }, asAdmin);
    assert.equal(resolving.status, 202);
    const resolved = await waitForIntent(system, intent.id, (i) => i.status !== "processing");
    assert.equal(resolved.status, "released");
    assert.equal(resolved.amount_refunded, "3000000");
    assert.equal(resolved.amount_released, "9000000");
  });

  it("refuses a receipt confirmation signed by anyone but the buyer, sending nothing", async () => {
    const intent = await capturedIntent();
    const action = intent.buyer_actions.confirm_receipt;
    const { status, body } = await system.api("POST", `/v1/payment_intents/${intent.id}/confirm_receipt`, {
      deadline: action.deadline,
      signature: await sign(HDNodeWallet.createRandom(), action.typed_data),
    });
    assert.equal(status, 400);
    assert.equal(body.error.code, "signature_invalid");
    const after = (await system.api("GET", `/v1/payment_intents/${intent.id}`)).body;
    assert.equal(after.status, "captured");
    assert.equal(after.transactions.length, 1);
  });

  it("refuses a dispute whose signature covers another reason", async () => {
    const intent = await capturedIntent();
    const typed = intent.buyer_actions.open_dispute.typed_data; // signed for not_received
    const { status, body } = await system.api("POST", `/v1/payment_intents/${intent.id}/disputes`, {
      reason: "damaged",
      signature: await sign(system.buyer, typed),
    });
    assert.equal(status, 400);
    assert.equal(body.error.code, "signature_invalid");
  });
});

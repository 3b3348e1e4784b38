// Bad requests along an intent's life, through real HTTP against the real system: refused signatures,
// parties the KYC registry refuses, expired and replayed authorizations, amounts beyond what the intent holds,
// requests in the wrong state. Each is refused before anything reaches the chain: no row, no transaction.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet, id } from "ethers";

import { PaymentsService } from "../../../relayer/application/payments.js";
import { inlineSignatureRecovery } from "../../../relayer/chain/signatures.js";
import { readTokenInfo } from "../../../relayer/chain/reader.js";
import { merchants } from "../../../relayer/persistence/merchants.js";
import { KycRegistry__factory } from "../../../typechain-types/index.js";
import { devWallet, signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";
import { assertRefused, createBody, randomOrderRef, type Expected } from "./bad-inputs-support.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
});
after(async () => {
  await system?.stop();
});

const createIntent = async (overrides: Record<string, unknown> = {}) => {
  const { status, body } = await system.api("POST", "/v1/payment_intents", createBody(system, overrides));
  assert.equal(status, 201, JSON.stringify(body));
  return body;
};
const confirm = (intent: any, signature: string) => () => system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, { signature });
const action = (intent: any, name: string, body: unknown = {}) => () => system.api("POST", `/v1/payment_intents/${intent.id}/${name}`, body);
const settle = (intent: any) => waitForIntent(system, intent.id, (i) => i.status !== "processing");

/** Confirms with the buyer's signature and waits for the chain's answer. */
async function confirmed(overrides: Record<string, unknown> = {}) {
  const intent = await createIntent(overrides);
  const reply = await confirm(intent, await signAuthorization(system.buyer, intent))();
  assert.equal(reply.status, 202, JSON.stringify(reply.body));
  return { intent, settled: await settle(intent) };
}

describe("confirm: signatures", () => {
  const INVALID: Expected = { status: 400, code: "signature_invalid", param: "signature", type: "invalid_request_error" };

  it("refuses a stranger's signature of the intent's typed data", async () => {
    const intent = await createIntent();
    await assertRefused(system, confirm(intent, await signAuthorization(HDNodeWallet.createRandom(), intent)), INVALID);
  });

  it("refuses the buyer's signature of another intent's typed data", async () => {
    const [intent, other] = [await createIntent(), await createIntent()];
    await assertRefused(system, confirm(intent, await signAuthorization(system.buyer, other)), INVALID);
  });

  it("refuses the buyer's signature of the same typed data with a larger value", async () => {
    const intent = await createIntent();
    const { domain, types, message } = intent.authorization.typed_data;
    const signature = await system.buyer.signTypedData(domain, types, { ...message, value: (BigInt(message.value) * 2n).toString() });
    await assertRefused(system, confirm(intent, signature), INVALID);
  });

  it("refuses the buyer's signature under another chain id", async () => {
    const intent = await createIntent();
    const { domain, types, message } = intent.authorization.typed_data;
    await assertRefused(system, confirm(intent, await system.buyer.signTypedData({ ...domain, chainId: 1 }, types, message)), INVALID);
  });

  it("refuses 65 zero bytes (no signer can be recovered)", async () => {
    const intent = await createIntent();
    await assertRefused(system, confirm(intent, `0x${"00".repeat(65)}`), INVALID);
  });

  const malformed: [string, (s: string) => unknown][] = [
    ["a signature one byte short", (s) => s.slice(0, -2)],
    ["a signature without 0x", (s) => s.slice(2)],
    ["a signature as a number", () => 1234],
  ];
  for (const [name, mangle] of malformed) {
    it(`refuses ${name} with 400 parameter_invalid on signature`, async () => {
      const intent = await createIntent();
      const signature = mangle(await signAuthorization(system.buyer, intent));
      await assertRefused(system, () => system.api("POST", `/v1/payment_intents/${intent.id}/confirm`, { signature }), { status: 400, code: "parameter_invalid", param: "signature" });
    });
  }

  it("refuses a confirm without a signature with 400 parameter_missing", async () => {
    const intent = await createIntent();
    await assertRefused(system, action(intent, "confirm", {}), { status: 400, code: "parameter_missing", param: "signature" });
  });
});

describe("confirm: the parties and the authorization window", () => {
  it("creates an intent for a buyer without KYC, then refuses its confirm with 400 kyc_tier_too_low on buyer", async () => {
    const stranger = HDNodeWallet.createRandom();
    const intent = await createIntent({ buyer: stranger.address });
    await assertRefused(system, confirm(intent, await signAuthorization(stranger, intent)), { status: 400, code: "kyc_tier_too_low", param: "buyer" });
  });

  it("refuses the confirm of a buyer the compliance officer froze with 400 account_frozen on buyer", async () => {
    const frozen = HDNodeWallet.createRandom();
    const intent = await createIntent({ buyer: frozen.address });
    const registry = KycRegistry__factory.connect(system.credentials.contracts.KycRegistry, devWallet(2).connect(system.provider));
    await (await registry.freeze(frozen.address, id("test: frozen buyer"))).wait();
    assert.equal(await registry.isFrozen(frozen.address), true);
    await assertRefused(system, confirm(intent, await signAuthorization(frozen, intent)), { status: 400, code: "account_frozen", param: "buyer" });
  });

  it("refuses the confirm of an eligible buyer when the merchant is frozen with 400 account_frozen on merchant; when both are refused, names the buyer", async () => {
    const registry = KycRegistry__factory.connect(system.credentials.contracts.KycRegistry, devWallet(2).connect(system.provider));
    const merchant = system.credentials.merchant.address;
    const intent = await createIntent();
    const stranger = HDNodeWallet.createRandom();
    const strangers = await createIntent({ buyer: stranger.address });
    await (await registry.freeze(merchant, id("test: frozen merchant"))).wait();
    try {
      await assertRefused(system, confirm(intent, await signAuthorization(system.buyer, intent)), { status: 400, code: "account_frozen", param: "merchant" });
      // Both parties are read in one call; the buyer comes first.
      await assertRefused(system, confirm(strangers, await signAuthorization(stranger, strangers)), { status: 400, code: "kyc_tier_too_low", param: "buyer" });
    } finally {
      await (await registry.unfreeze(merchant, id("test: unfrozen merchant"))).wait();
    }
  });

  it("refuses a confirm after the authorization window closed with 400 authorization_expired", async () => {
    // The window (1 h) is not configurable: build the intent as the relayer would have two hours ago.
    const network = await system.provider.getNetwork();
    const payments = new PaymentsService(
      { chainId: network.chainId, escrow: system.credentials.contracts.PaymentEscrow, token: await readTokenInfo(system.provider, system.credentials.contracts.SettlementToken) },
      { paymentStates: () => Promise.reject(new Error("unused")), kycCheck: () => Promise.reject(new Error("unused")), escrowBalance: () => Promise.reject(new Error("unused")) },
      inlineSignatureRecovery,
    );
    const created = await system.relayer.db.transaction(async (sql) => {
      const intent = payments.newIntent((await merchants.get(sql, system.merchantId))!, {
        amount: 1_000_000n, token: system.credentials.contracts.SettlementToken, buyer: system.credentials.buyer.address,
        orderRef: randomOrderRef(), captureMethod: "automatic", metadata: {},
      }, Date.now() - 2 * 3_600_000);
      await payments.insertIntent(sql, intent);
      return intent;
    });
    const intent = (await system.api("GET", `/v1/payment_intents/${created.id}`)).body;
    assert.equal(intent.status, "requires_authorization");
    assert.ok(intent.expires_at < Date.now() / 1000);
    await assertRefused(system, confirm(intent, await signAuthorization(system.buyer, intent)), { status: 400, code: "authorization_expired", param: "signature" });
  });

  it("refuses the same signature a second time with 409 intent_unexpected_state", async () => {
    const { intent, settled } = await confirmed();
    assert.equal(settled.status, "captured");
    await assertRefused(system, confirm(intent, await signAuthorization(system.buyer, intent)), { status: 409, code: "intent_unexpected_state", type: "conflict_error" });
  });
});

describe("capture, cancel and refund beyond what the intent holds", () => {
  let authorized: any; // manual capture, 25 000 000 capturable
  let captured: any; // automatic capture, 25 000 000 held
  before(async () => {
    authorized = (await confirmed({ capture_method: "manual" })).settled;
    assert.equal(authorized.status, "requires_capture");
    captured = (await confirmed()).settled;
    assert.equal(captured.status, "captured");
  });

  it("refuses a capture above the authorized amount with 409 amount_exceeds_capturable", async () => {
    await assertRefused(system, action(authorized, "capture", { amount: "25000001" }), { status: 409, code: "amount_exceeds_capturable" });
  });

  it("refuses a refund above the captured amount with 409 amount_exceeds_refundable", async () => {
    await assertRefused(system, action(captured, "refund", { amount: "25000001" }), { status: 409, code: "amount_exceeds_refundable" });
  });

  it("refuses a capture of zero with 400 amount_invalid", async () => {
    await assertRefused(system, action(authorized, "capture", { amount: "0" }), { status: 400, code: "amount_invalid", param: "amount" });
  });

  it("refuses a capture on an intent not yet authorized with 409 intent_unexpected_state", async () => {
    const intent = await createIntent({ capture_method: "manual" });
    await assertRefused(system, action(intent, "capture"), { status: 409, code: "intent_unexpected_state" });
  });

  it("refuses a refund on an intent not yet authorized with 409 intent_unexpected_state", async () => {
    const intent = await createIntent();
    await assertRefused(system, action(intent, "refund"), { status: 409, code: "intent_unexpected_state" });
  });

  it("refuses a refund on an authorized but uncaptured intent with 409 intent_unexpected_state", async () => {
    await assertRefused(system, action(authorized, "refund"), { status: 409, code: "intent_unexpected_state" });
  });

  it("refuses a cancel of a fully captured intent with 409 intent_unexpected_state", async () => {
    await assertRefused(system, action(captured, "cancel"), { status: 409, code: "intent_unexpected_state" });
  });

  it("refuses a body on cancel with 400 parameter_unknown", async () => {
    await assertRefused(system, action(authorized, "cancel", { amount: "1" }), { status: 400, code: "parameter_unknown", param: "amount" });
  });
});

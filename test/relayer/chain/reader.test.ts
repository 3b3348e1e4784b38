// The relayer's chain reads against a real node: many payments' states through the never-deployed
// PaymentStatesLens (in chunks of 100, in the order asked), and both parties' KYC in one requireAllEligible call.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet, id } from "ethers";

import { EscrowReader } from "../../../relayer/chain/reader.js";
import { KycRegistry__factory, PaymentEscrow__factory } from "../../../typechain-types/index.js";
import { runAuditScenario, type AuditScenario } from "../support/audit-scenario.js";
import { devWallet, startSystem, type TestSystem } from "../support/system.js";

let system: TestSystem;
let scenario: AuditScenario;
let reader: EscrowReader;

before(async () => {
  system = await startSystem();
  scenario = await runAuditScenario(system, "reader");
  const { PaymentEscrow, KycRegistry } = system.credentials.contracts;
  reader = new EscrowReader(system.provider, PaymentEscrow, KycRegistry);
});
after(async () => {
  await system?.stop();
});

describe("EscrowReader.paymentStates", () => {
  it("reads 250 payments (three calls) in the order asked, each as escrow.paymentState answers it", async () => {
    const escrow = PaymentEscrow__factory.connect(system.credentials.contracts.PaymentEscrow, system.provider);
    const known = [scenario.released, scenario.authorized, scenario.refunded, scenario.large].map((i) => i.payment_id as string);
    const unknown = id("a payment nobody made");
    const asked = Array.from({ length: 250 }, (_, i) => (i % 5 === 4 ? unknown : known[i % 5]!));
    const states = await reader.paymentStates(asked);
    assert.equal(states.length, 250);
    for (const [i, paymentId] of asked.entries()) {
      const s = await escrow.paymentState(paymentId);
      assert.deepEqual(states[i], {
        status: Number(s.status),
        capturable: s.capturable,
        held: s.held,
        released: s.released - s.refundedAfterRelease,
        refundedAfterRelease: s.refundedAfterRelease,
        heldSince: Number(s.heldSince),
      }, `payment ${i}`);
    }
    assert.equal(states[4]!.status, 0, "an unknown payment: status None");
    assert.ok(states[0]!.refundedAfterRelease > 0n, "the released payment was partly refunded after release");
  });

  it("reads no payments without a call, and refuses what is not a payment id", async () => {
    assert.deepEqual(await reader.paymentStates([]), []);
    await assert.rejects(reader.paymentStates(["0x1234"]), /not a payment id/);
  });
});

describe("EscrowReader.kycCheck", () => {
  it("passes eligible parties, and names the first refused one with the registry's reason", async () => {
    const { buyer, merchant } = system.credentials;
    assert.deepEqual(await reader.kycCheck([buyer.address, merchant.address], 1), { ok: true });
    const stranger = HDNodeWallet.createRandom().address;
    const frozen = HDNodeWallet.createRandom().address;
    const registry = KycRegistry__factory.connect(system.credentials.contracts.KycRegistry, devWallet(2).connect(system.provider));
    await (await registry.freeze(frozen, id("test: frozen"))).wait();
    const refused = await reader.kycCheck([buyer.address, frozen, stranger], 1);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.account, frozen);
    assert.equal(!refused.ok && refused.code, "account_frozen");
    const second = await reader.kycCheck([stranger.toLowerCase(), frozen], 1);
    assert.equal(!second.ok && second.account, stranger.toLowerCase(), "the account as the caller gave it");
    assert.equal(!second.ok && second.code, "kyc_tier_too_low");
  });

  it("fails, refusing nobody, when the registry reverts without a reason (a contract without requireAllEligible)", async () => {
    const { PaymentEscrow } = system.credentials.contracts;
    const noRegistry = new EscrowReader(system.provider, PaymentEscrow, PaymentEscrow);
    await assert.rejects(noRegistry.kycCheck([system.credentials.buyer.address], 1), /reverted without a reason: is the KycRegistry older than this relayer\?/);
  });
});

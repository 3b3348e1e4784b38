import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod, KycTier, PaymentStatus, type PaymentTerms } from "../../../relayer/chain/typed-data.js";
import {
  authorizeAndCapture,
  authorizeErc3009,
  deploySystem,
  makeTerms,
  MERCHANT_FEE_BPS,
  PARTNER_SHARE_BPS,
  signErc3009Funding,
  UNIT,
  type System,
} from "../fixtures.js";
import { feeSplit, ledger, releasedEvents, sendErc3009Authorize, setKyc } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const NEW_FEE_BPS = 500;

/** Reconfigures the fixture merchant, keeping its settlement address and partner unless overridden. */
async function reconfigureMerchant(sys: System, overrides: { feeBps?: number; active?: boolean }) {
  await (
    await sys.escrow.connect(sys.admin).setMerchant(sys.merchant.address, {
      settlementAddress: sys.settlement.address,
      feeBps: overrides.feeBps ?? MERCHANT_FEE_BPS,
      partnerShareBps: PARTNER_SHARE_BPS,
      active: overrides.active ?? true,
      partner: sys.partner.address,
    })
  ).wait();
}

async function disallowToken(sys: System) {
  await (await sys.escrow.connect(sys.admin).setToken(sys.tokenAddress, { allowed: false, largeTransactionThreshold: 0n })).wait();
}

async function passWindow(sys: System, id: string, terms: PaymentTerms) {
  const heldSince = (await sys.escrow.paymentState(id)).heldSince;
  await networkHelpers.time.increaseTo(heldSince + terms.confirmationWindow);
}

describe("PaymentEscrow configuration changes and existing payments", () => {
  describe("deactivating a merchant", () => {
    it("reverts a new authorization with EscrowMerchantNotActive", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await reconfigureMerchant(sys, { active: false });
      const terms = await makeTerms(sys);
      await expect(sendErc3009Authorize(sys, terms))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowMerchantNotActive")
        .withArgs(sys.merchant.address);
    });

    it("reverts a new charge with EscrowMerchantNotActive", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await reconfigureMerchant(sys, { active: false });
      const terms = await makeTerms(sys);
      const funding = await signErc3009Funding(sys, sys.buyer, terms);
      await expect(sys.escrow.connect(sys.operator).charge(terms, FundingMethod.Erc3009, funding))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowMerchantNotActive")
        .withArgs(sys.merchant.address);
    });

    it("still captures a payment authorized before the deactivation", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await authorizeErc3009(sys, terms);
      await reconfigureMerchant(sys, { active: false });
      await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount))
        .to.emit(sys.escrow, "PaymentCaptured")
        .withArgs(id, terms.amount);
      expect((await sys.escrow.paymentState(id)).held).to.equal(terms.amount);
    });

    it("still releases a payment captured before the deactivation and credits the merchant", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await authorizeAndCapture(sys, terms);
      await reconfigureMerchant(sys, { active: false });
      await passWindow(sys, id, terms);
      await (await sys.escrow.release(terms)).wait();
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Released);
      expect((await ledger(sys)).merchant).to.equal(feeSplit(terms, terms.amount).net);
    });

    it("still refunds a payment captured before the deactivation", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await authorizeAndCapture(sys, terms);
      await reconfigureMerchant(sys, { active: false });
      await expect(sys.escrow.connect(sys.operator).refund(terms, terms.amount)).to.changeTokenBalances(
        ethers,
        sys.token,
        [sys.buyer, sys.escrowAddress],
        [terms.amount, -terms.amount],
      );
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Refunded);
    });
  });

  describe("disallowing a token", () => {
    it("reverts a new authorization with EscrowTokenNotAllowed", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await disallowToken(sys);
      const terms = await makeTerms(sys);
      await expect(sendErc3009Authorize(sys, terms))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowTokenNotAllowed")
        .withArgs(sys.tokenAddress);
    });

    it("still captures and releases a payment authorized before, crediting the merchant", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await authorizeErc3009(sys, terms);
      await disallowToken(sys);
      await (await sys.escrow.connect(sys.operator).capture(terms, terms.amount)).wait();
      await (await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x")).wait();
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Released);
      expect((await ledger(sys)).merchant).to.equal(feeSplit(terms, terms.amount).net);
    });

    it("still pays out the merchant's balance in that token to its settlement address", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      await authorizeAndCapture(sys, terms);
      await (await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x")).wait();
      await disallowToken(sys);
      const { net } = feeSplit(terms, terms.amount);
      await expect(sys.escrow.connect(sys.operator).payout(sys.tokenAddress, sys.merchant.address)).to.changeTokenBalances(
        ethers,
        sys.token,
        [sys.settlement, sys.escrowAddress],
        [net, -net],
      );
    });
  });

  describe("changing a merchant's fee", () => {
    it("releases a payment authorized before the change at the fee its terms carry", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      await authorizeAndCapture(sys, terms);
      await reconfigureMerchant(sys, { feeBps: NEW_FEE_BPS });
      const [event] = await releasedEvents(sys, sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"));
      const expected = feeSplit(terms, terms.amount);
      expect(expected.fee).to.equal((terms.amount * BigInt(MERCHANT_FEE_BPS)) / 10_000n);
      expect(event).to.deep.equal({ gross: terms.amount, ...expected });
      expect(await ledger(sys)).to.deep.equal({
        merchant: expected.net,
        treasury: expected.fee - expected.partnerFee,
        partner: expected.partnerFee,
      });
    });

    it("reverts a new authorization still carrying the old fee with EscrowFeeTermsMismatch", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await reconfigureMerchant(sys, { feeBps: NEW_FEE_BPS });
      const terms = await makeTerms(sys, { feeBps: MERCHANT_FEE_BPS });
      await expect(sendErc3009Authorize(sys, terms))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowFeeTermsMismatch")
        .withArgs(sys.merchant.address);
    });

    it("charges a new payment carrying the new fee at the new fee", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await reconfigureMerchant(sys, { feeBps: NEW_FEE_BPS });
      const terms = await makeTerms(sys, { feeBps: NEW_FEE_BPS });
      await authorizeAndCapture(sys, terms);
      const [event] = await releasedEvents(sys, sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"));
      expect(event?.fee).to.equal((terms.amount * BigInt(NEW_FEE_BPS)) / 10_000n);
      expect(event).to.deep.equal({ gross: terms.amount, ...feeSplit(terms, terms.amount) });
    });
  });

  describe("risk limits set to zero per payment", () => {
    it("reverts even a one-unit payment of that tier with EscrowPaymentLimitExceeded", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.escrow.connect(sys.admin).setRiskLimits(sys.tokenAddress, KycTier.Enhanced, { perPayment: 0n, perDay: 100_000n * UNIT });
      const terms = await makeTerms(sys, { amount: 1n });
      await expect(sendErc3009Authorize(sys, terms))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowPaymentLimitExceeded")
        .withArgs(1n, 0n);
    });

    it("leaves buyers of another tier able to pay", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.escrow.connect(sys.admin).setRiskLimits(sys.tokenAddress, KycTier.Enhanced, { perPayment: 0n, perDay: 100_000n * UNIT });
      await setKyc(sys, sys.buyer2.address, { tier: KycTier.Basic });
      const terms = await makeTerms(sys, { buyer: sys.buyer2.address });
      const id = await authorizeErc3009(sys, terms, sys.buyer2);
      expect((await sys.escrow.paymentState(id)).capturable).to.equal(terms.amount);
    });

    it("does not stop the capture of a payment of that tier authorized before", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await authorizeErc3009(sys, terms);
      await sys.escrow.connect(sys.admin).setRiskLimits(sys.tokenAddress, KycTier.Enhanced, { perPayment: 0n, perDay: 0n });
      await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount))
        .to.emit(sys.escrow, "PaymentCaptured")
        .withArgs(id, terms.amount);
    });
  });
});

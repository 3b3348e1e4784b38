import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod, KycTier } from "../../../relayer/chain/typed-data.js";
import { authorizeErc3009, deploySystem, makeTerms, signErc3009Funding, UNIT } from "../fixtures.js";
import { CN, HOUR, latest, sendErc3009Authorize, setKyc } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);
const REASON = ethers.encodeBytes32String("test");

const ENHANCED_PER_PAYMENT = 50_000n * UNIT;
const ENHANCED_PER_DAY = 100_000n * UNIT;
const BASIC_PER_PAYMENT = 1_000n * UNIT;
const THRESHOLD = 10_000n * UNIT;

describe("PaymentEscrow limits", () => {
  it("authorizes a payment exactly at the buyer's per-payment limit", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { amount: ENHANCED_PER_PAYMENT });
    await authorizeErc3009(sys, terms);
    expect(await sys.escrow.rollingVolume(sys.buyer.address, sys.tokenAddress)).to.equal(ENHANCED_PER_PAYMENT);
  });

  it("reverts with EscrowPaymentLimitExceeded one unit above the Enhanced buyer's per-payment limit", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { amount: ENHANCED_PER_PAYMENT + 1n });
    await expect(sendErc3009Authorize(sys, terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowPaymentLimitExceeded")
      .withArgs(ENHANCED_PER_PAYMENT + 1n, ENHANCED_PER_PAYMENT);
  });

  it("applies the limit of the buyer's own tier: a Basic buyer is limited to the Basic limit", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await setKyc(sys, sys.buyer.address, { tier: KycTier.Basic });
    const terms = await makeTerms(sys, { amount: BASIC_PER_PAYMENT + 1n });
    await expect(sendErc3009Authorize(sys, terms))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowPaymentLimitExceeded")
      .withArgs(BASIC_PER_PAYMENT + 1n, BASIC_PER_PAYMENT);
  });

  it("applies the limit of the buyer's own tier: an Institutional buyer may exceed the Enhanced limit", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await setKyc(sys, sys.buyer.address, { tier: KycTier.Institutional });
    const terms = await makeTerms(sys, { amount: ENHANCED_PER_PAYMENT + 1n });
    await expect(sendErc3009Authorize(sys, terms)).to.emit(sys.escrow, "PaymentAuthorized");
  });

  describe("rolling 24-hour volume", () => {
    async function atDailyLimit() {
      const sys = await networkHelpers.loadFixture(system);
      // Start of an 8-hour bucket, so both payments fall into the same one whatever the clock says.
      const bucket = 8n * HOUR;
      await networkHelpers.time.increaseTo(((await latest(sys)) / bucket + 1n) * bucket);
      await authorizeErc3009(sys, await makeTerms(sys, { amount: ENHANCED_PER_PAYMENT }));
      await authorizeErc3009(sys, await makeTerms(sys, { amount: ENHANCED_PER_PAYMENT }));
      return sys;
    }

    it("accepts payments adding up exactly to the daily limit", async () => {
      const sys = await atDailyLimit();
      expect(await sys.escrow.rollingVolume(sys.buyer.address, sys.tokenAddress)).to.equal(ENHANCED_PER_DAY);
    });

    it("reverts with EscrowDailyLimitExceeded one unit above the daily limit", async () => {
      const sys = await atDailyLimit();
      const terms = await makeTerms(sys, { amount: 1n });
      await expect(sendErc3009Authorize(sys, terms))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowDailyLimitExceeded")
        .withArgs(sys.buyer.address, ENHANCED_PER_DAY + 1n, ENHANCED_PER_DAY);
    });

    it("still counts the volume 24 hours later", async () => {
      const sys = await atDailyLimit();
      await networkHelpers.time.increase(24n * HOUR);
      expect(await sys.escrow.rollingVolume(sys.buyer.address, sys.tokenAddress)).to.equal(ENHANCED_PER_DAY);
      await expect(sendErc3009Authorize(sys, await makeTerms(sys, { amount: 1n }))).to.be.revertedWithCustomError(
        sys.escrow,
        "EscrowDailyLimitExceeded",
      );
    });

    it("drops the volume after 32 hours, allowing new payments", async () => {
      const sys = await atDailyLimit();
      await networkHelpers.time.increase(32n * HOUR);
      expect(await sys.escrow.rollingVolume(sys.buyer.address, sys.tokenAddress)).to.equal(0n);
      await authorizeErc3009(sys, await makeTerms(sys, { amount: ENHANCED_PER_PAYMENT }));
      expect(await sys.escrow.rollingVolume(sys.buyer.address, sys.tokenAddress)).to.equal(ENHANCED_PER_PAYMENT);
    });

    it("counts each buyer separately", async () => {
      const sys = await atDailyLimit();
      const terms = await makeTerms(sys, { buyer: sys.buyer2.address, amount: ENHANCED_PER_PAYMENT });
      await authorizeErc3009(sys, terms, sys.buyer2);
      expect(await sys.escrow.rollingVolume(sys.buyer2.address, sys.tokenAddress)).to.equal(ENHANCED_PER_PAYMENT);
    });
  });

  describe("large-transaction reports", () => {
    it("does not report a payment one unit below the threshold", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys, { amount: THRESHOLD - 1n });
      await expect(sendErc3009Authorize(sys, terms)).to.not.emit(sys.escrow, "LargeTransactionReported");
    });

    it("reports a payment at the threshold", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys, { amount: THRESHOLD });
      const id = await sys.escrow.paymentId(terms);
      await expect(sendErc3009Authorize(sys, terms))
        .to.emit(sys.escrow, "LargeTransactionReported")
        .withArgs(id, sys.buyer.address, sys.merchant.address, sys.tokenAddress, THRESHOLD);
    });

    it("reports a charge at the threshold", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys, { amount: THRESHOLD });
      const funding = await signErc3009Funding(sys, sys.buyer, terms);
      await expect(sys.escrow.connect(sys.operator).charge(terms, FundingMethod.Erc3009, funding)).to.emit(
        sys.escrow,
        "LargeTransactionReported",
      );
    });

    it("reports nothing when the token's threshold is zero", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.escrow.connect(sys.admin).setToken(sys.tokenAddress, { allowed: true, largeTransactionThreshold: 0n });
      const terms = await makeTerms(sys, { amount: ENHANCED_PER_PAYMENT });
      await expect(sendErc3009Authorize(sys, terms)).to.not.emit(sys.escrow, "LargeTransactionReported");
    });
  });
});

describe("PaymentEscrow KYC checks on authorization", () => {
  for (const party of ["buyer", "merchant"] as const) {
    describe(`of the ${party}`, () => {
      it("bubbles up KycTierTooLow when the record was revoked", async () => {
        const sys = await networkHelpers.loadFixture(system);
        const account = sys[party].address;
        await sys.kyc.connect(sys.compliance).revoke(account, REASON);
        await expect(sendErc3009Authorize(sys, await makeTerms(sys)))
          .to.be.revertedWithCustomError(sys.kyc, "KycTierTooLow")
          .withArgs(account, KycTier.None, KycTier.Basic);
      });

      it("authorizes one second before the KYC expiry", async () => {
        const sys = await networkHelpers.loadFixture(system);
        const account = sys[party].address;
        const expiresAt = (await latest(sys)) + 600n;
        await setKyc(sys, account, { expiresAt });
        const terms = await makeTerms(sys);
        const funding = await signErc3009Funding(sys, sys.buyer, terms);
        await networkHelpers.time.setNextBlockTimestamp(expiresAt - 1n);
        await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding)).to.emit(
          sys.escrow,
          "PaymentAuthorized",
        );
      });

      it("bubbles up KycExpired at the KYC expiry", async () => {
        const sys = await networkHelpers.loadFixture(system);
        const account = sys[party].address;
        const expiresAt = (await latest(sys)) + 600n;
        await setKyc(sys, account, { expiresAt });
        const terms = await makeTerms(sys);
        const funding = await signErc3009Funding(sys, sys.buyer, terms);
        await networkHelpers.time.setNextBlockTimestamp(expiresAt);
        await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding))
          .to.be.revertedWithCustomError(sys.kyc, "KycExpired")
          .withArgs(account, expiresAt);
      });

      it("bubbles up KycFrozen when frozen", async () => {
        const sys = await networkHelpers.loadFixture(system);
        const account = sys[party].address;
        await sys.kyc.connect(sys.compliance).freeze(account, REASON);
        await expect(sendErc3009Authorize(sys, await makeTerms(sys)))
          .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
          .withArgs(account);
      });

      it("bubbles up KycJurisdictionBlocked when its jurisdiction is blocked", async () => {
        const sys = await networkHelpers.loadFixture(system);
        const account = sys[party].address;
        await setKyc(sys, account, { country: CN });
        await sys.kyc.connect(sys.compliance).setJurisdictionBlocked(CN, true, REASON);
        await expect(sendErc3009Authorize(sys, await makeTerms(sys)))
          .to.be.revertedWithCustomError(sys.kyc, "KycJurisdictionBlocked")
          .withArgs(account, CN);
      });
    });
  }

  it("reverts with KycTierTooLow when the payment's tier is above the buyer's", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { kycTier: KycTier.Institutional });
    await expect(sendErc3009Authorize(sys, terms))
      .to.be.revertedWithCustomError(sys.kyc, "KycTierTooLow")
      .withArgs(sys.buyer.address, KycTier.Enhanced, KycTier.Institutional);
  });

  it("reverts with KycTierTooLow when the payment's tier is above the merchant's", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await setKyc(sys, sys.buyer.address, { tier: KycTier.Institutional });
    const terms = await makeTerms(sys, { kycTier: KycTier.Institutional });
    await expect(sendErc3009Authorize(sys, terms))
      .to.be.revertedWithCustomError(sys.kyc, "KycTierTooLow")
      .withArgs(sys.merchant.address, KycTier.Enhanced, KycTier.Institutional);
  });

  it("authorizes when both parties hold exactly the payment's tier", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { kycTier: KycTier.Enhanced });
    await expect(sendErc3009Authorize(sys, terms)).to.emit(sys.escrow, "PaymentAuthorized");
  });
});

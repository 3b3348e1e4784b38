import { expect } from "chai";
import { network } from "hardhat";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import {
  ADMIN_DELAY,
  authorizeAndCapture,
  deploySystem,
  makeTerms,
  UNIT,
  type System,
} from "../fixtures.js";
import { feeSplit } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const MAX_FEE_BPS = 1_000;
const NEW_MERCHANT = ethers.getAddress("0x00000000000000000000000000000000000a11ce");
const NEW_SETTLEMENT = ethers.getAddress("0x00000000000000000000000000000000005e771e");
const NEW_PARTNER = ethers.getAddress("0x000000000000000000000000000000000000beef");

/** A valid configuration for a new merchant; `overrides` replace single fields. */
function merchantConfig(
  overrides: Partial<{ settlementAddress: string; feeBps: number; partnerShareBps: number; active: boolean; partner: string }> = {},
) {
  return {
    settlementAddress: NEW_SETTLEMENT,
    feeBps: 300,
    partnerShareBps: 5_000,
    active: true,
    partner: NEW_PARTNER,
    ...overrides,
  };
}

/** The buyer confirms receipt of a captured payment: the held funds are released and fees credited. */
async function confirm(sys: System, terms: Awaited<ReturnType<typeof makeTerms>>) {
  await (await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x")).wait();
}

describe("PaymentEscrow administration", () => {
  describe("constructor", () => {
    it("reverts with EscrowZeroAddress for a zero KYC registry", async () => {
      const [admin, treasury] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("PaymentEscrow");
      await expect(
        factory.deploy(admin!.address, ADMIN_DELAY, ethers.ZeroAddress, treasury!.address),
      ).to.be.revertedWithCustomError(factory, "EscrowZeroAddress");
    });

    it("reverts with EscrowZeroAddress for a zero treasury", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const factory = await ethers.getContractFactory("PaymentEscrow");
      await expect(
        factory.deploy(sys.admin.address, ADMIN_DELAY, await sys.kyc.getAddress(), ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(factory, "EscrowZeroAddress");
    });

    it("emits TreasurySet with the initial treasury", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const escrow = await ethers.deployContract("PaymentEscrow", [
        sys.admin.address,
        ADMIN_DELAY,
        await sys.kyc.getAddress(),
        sys.treasury.address,
      ]);
      await expect(escrow.deploymentTransaction()).to.emit(escrow, "TreasurySet").withArgs(sys.treasury.address);
    });
  });

  describe("views", () => {
    it("treasury() reports the treasury given at deployment", async () => {
      const sys = await networkHelpers.loadFixture(system);
      expect(await sys.escrow.treasury()).to.equal(sys.treasury.address);
    });

    it("kycRegistry() reports the registry given at deployment", async () => {
      const sys = await networkHelpers.loadFixture(system);
      expect(await sys.escrow.kycRegistry()).to.equal(await sys.kyc.getAddress());
    });

    it("MAX_FEE_BPS is 10%", async () => {
      const sys = await networkHelpers.loadFixture(system);
      expect(await sys.escrow.MAX_FEE_BPS()).to.equal(MAX_FEE_BPS);
    });
  });

  describe("setMerchant", () => {
    it("stores the configuration and emits MerchantConfigured with every field", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const config = merchantConfig();
      await expect(sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, config))
        .to.emit(sys.escrow, "MerchantConfigured")
        .withArgs(NEW_MERCHANT, NEW_SETTLEMENT, 300, NEW_PARTNER, 5_000, true);
      const stored = await sys.escrow.merchantConfig(NEW_MERCHANT);
      expect([stored.settlementAddress, stored.feeBps, stored.partnerShareBps, stored.active, stored.partner]).to.deep.equal([
        NEW_SETTLEMENT,
        300n,
        5_000n,
        true,
        NEW_PARTNER,
      ]);
    });

    it("reverts with EscrowZeroAddress for a zero merchant", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(
        sys.escrow.connect(sys.admin).setMerchant(ethers.ZeroAddress, merchantConfig()),
      ).to.be.revertedWithCustomError(sys.escrow, "EscrowZeroAddress");
    });

    it("reverts with EscrowZeroAddress for a zero settlement address", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(
        sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, merchantConfig({ settlementAddress: ethers.ZeroAddress })),
      ).to.be.revertedWithCustomError(sys.escrow, "EscrowZeroAddress");
    });

    it("reverts with EscrowFeeTooHigh one basis point above MAX_FEE_BPS", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, merchantConfig({ feeBps: MAX_FEE_BPS + 1 })))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowFeeTooHigh")
        .withArgs(MAX_FEE_BPS + 1, MAX_FEE_BPS);
    });

    it("accepts a fee of exactly MAX_FEE_BPS", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, merchantConfig({ feeBps: MAX_FEE_BPS })))
        .to.emit(sys.escrow, "MerchantConfigured")
        .withArgs(NEW_MERCHANT, NEW_SETTLEMENT, MAX_FEE_BPS, NEW_PARTNER, 5_000, true);
      expect((await sys.escrow.merchantConfig(NEW_MERCHANT)).feeBps).to.equal(MAX_FEE_BPS);
    });

    it("reverts with EscrowInvalidPartnerTerms for a partner share above 10,000 bps", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, merchantConfig({ partnerShareBps: 10_001 })))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidPartnerTerms")
        .withArgs(NEW_PARTNER, 10_001);
    });

    it("accepts a partner share of exactly 10,000 bps (the whole fee)", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, merchantConfig({ partnerShareBps: 10_000 }));
      expect((await sys.escrow.merchantConfig(NEW_MERCHANT)).partnerShareBps).to.equal(10_000);
    });

    it("reverts with EscrowInvalidPartnerTerms for a zero partner with a non-zero share", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(
        sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, merchantConfig({ partner: ethers.ZeroAddress, partnerShareBps: 1 })),
      )
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidPartnerTerms")
        .withArgs(ethers.ZeroAddress, 1);
    });

    it("accepts no partner with a zero share", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.escrow
        .connect(sys.admin)
        .setMerchant(NEW_MERCHANT, merchantConfig({ partner: ethers.ZeroAddress, partnerShareBps: 0 }));
      const stored = await sys.escrow.merchantConfig(NEW_MERCHANT);
      expect([stored.partner, stored.partnerShareBps]).to.deep.equal([ethers.ZeroAddress, 0n]);
    });

    it("reverts with EscrowInvalidPartnerTerms when the partner is the merchant itself", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.escrow.connect(sys.admin).setMerchant(NEW_MERCHANT, merchantConfig({ partner: NEW_MERCHANT })))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidPartnerTerms")
        .withArgs(NEW_MERCHANT, 5_000);
    });
  });

  describe("setToken", () => {
    it("reverts with EscrowZeroAddress for the zero token", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(
        sys.escrow.connect(sys.admin).setToken(ethers.ZeroAddress, { allowed: true, largeTransactionThreshold: 0n }),
      ).to.be.revertedWithCustomError(sys.escrow, "EscrowZeroAddress");
    });

    it("stores the configuration and emits TokenConfigured with its args", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.escrow.connect(sys.admin).setToken(sys.tokenAddress, { allowed: false, largeTransactionThreshold: 7n * UNIT }))
        .to.emit(sys.escrow, "TokenConfigured")
        .withArgs(sys.tokenAddress, false, 7n * UNIT);
      const stored = await sys.escrow.tokenConfig(sys.tokenAddress);
      expect([stored.allowed, stored.largeTransactionThreshold]).to.deep.equal([false, 7n * UNIT]);
    });
  });

  describe("setRiskLimits", () => {
    it("stores the limits and emits RiskLimitsSet with token, tier and both limits", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(
        sys.escrow.connect(sys.admin).setRiskLimits(sys.tokenAddress, KycTier.Institutional, { perPayment: 3n * UNIT, perDay: 9n * UNIT }),
      )
        .to.emit(sys.escrow, "RiskLimitsSet")
        .withArgs(sys.tokenAddress, KycTier.Institutional, 3n * UNIT, 9n * UNIT);
      const stored = await sys.escrow.riskLimits(sys.tokenAddress, KycTier.Institutional);
      expect([stored.perPayment, stored.perDay]).to.deep.equal([3n * UNIT, 9n * UNIT]);
    });
  });

  describe("setTreasury", () => {
    it("reverts with EscrowZeroAddress for the zero address", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.escrow.connect(sys.admin).setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        sys.escrow,
        "EscrowZeroAddress",
      );
    });

    it("changes treasury() and emits TreasurySet with the new treasury", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.escrow.connect(sys.admin).setTreasury(sys.stranger.address))
        .to.emit(sys.escrow, "TreasurySet")
        .withArgs(sys.stranger.address);
      expect(await sys.escrow.treasury()).to.equal(sys.stranger.address);
    });

    it("credits the platform fee of releases after the change to the new treasury", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      await authorizeAndCapture(sys, terms);
      await sys.escrow.connect(sys.admin).setTreasury(sys.stranger.address);
      await confirm(sys, terms);
      const { fee, partnerFee } = feeSplit(terms, terms.amount);
      expect(fee - partnerFee).to.be.greaterThan(0n);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.stranger.address)).to.equal(fee - partnerFee);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.treasury.address)).to.equal(0n);
    });

    it("leaves the old treasury's accrued balance in place and claimable by it", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      await authorizeAndCapture(sys, terms);
      await confirm(sys, terms);
      const { fee, partnerFee } = feeSplit(terms, terms.amount);
      const accrued = fee - partnerFee;
      await sys.escrow.connect(sys.admin).setTreasury(sys.stranger.address);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.treasury.address)).to.equal(accrued);
      await expect(sys.escrow.connect(sys.treasury).payout(sys.tokenAddress, sys.treasury.address))
        .to.emit(sys.escrow, "PayoutSent")
        .withArgs(sys.tokenAddress, sys.treasury.address, sys.treasury.address, accrued);
      expect(await sys.token.balanceOf(sys.treasury.address)).to.equal(accrued);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.treasury.address)).to.equal(0n);
    });
  });
});

// Review findings: each test demonstrates one bug found in the security review (it fails before the fix).
import { expect } from "chai";
import { network } from "hardhat";

import { KycTier, PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { authorizeErc3009, deploySystem, makeTerms, UNIT } from "../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);
const reason = ethers.encodeBytes32String("review");

describe("Review findings", () => {
  describe("F-1 SettlementToken: a blocklisted spender keeps using an unlimited allowance", () => {
    it("reverts with TokenAccountBlocklisted when a blocklisted spender calls transferFrom on an unlimited allowance", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.token.connect(sys.buyer).approve(sys.stranger.address, ethers.MaxUint256);
      await sys.token.connect(sys.compliance).blocklist(sys.stranger.address, reason);

      await expect(
        sys.token.connect(sys.stranger).transferFrom(sys.buyer.address, sys.buyer2.address, 10n * UNIT),
      )
        .to.be.revertedWithCustomError(sys.token, "TokenAccountBlocklisted")
        .withArgs(sys.stranger.address);
    });

    it("still lets a non-blocklisted spender use an unlimited allowance", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.token.connect(sys.buyer).approve(sys.stranger.address, ethers.MaxUint256);

      await expect(
        sys.token.connect(sys.stranger).transferFrom(sys.buyer.address, sys.buyer2.address, 10n * UNIT),
      ).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.buyer2], [-10n * UNIT, 10n * UNIT]);
    });
  });

  describe("F-2 PaymentEscrow: a frozen buyer's authorization can still be captured (the frozen buyer pays)", () => {
    it("reverts capture with KycFrozen when the buyer was frozen after authorization", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      await authorizeErc3009(sys, terms);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, reason);

      await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount))
        .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
        .withArgs(sys.buyer.address);
    });

    it("still lets the frozen buyer reclaim at the authorization expiry", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await authorizeErc3009(sys, terms);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, reason);
      await networkHelpers.time.increaseTo(terms.authorizationExpiry);

      await expect(sys.escrow.connect(sys.buyer).reclaim(terms)).to.changeTokenBalances(
        ethers,
        sys.token,
        [sys.buyer, sys.escrowAddress],
        [terms.amount, -terms.amount],
      );
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Voided);
    });
  });

  describe("F-3 KycRegistry: isEligible and requireEligible disagree for the tier None", () => {
    it("isEligible(account, None) is true for an account that requireEligible(account, None) accepts", async () => {
      const sys = await networkHelpers.loadFixture(system);
      expect(await sys.kyc.requireEligible(sys.buyer.address, KycTier.None)).to.equal(KycTier.Enhanced);

      expect(await sys.kyc.isEligible(sys.buyer.address, KycTier.None)).to.equal(true);
    });

    it("isEligible(account, None) stays false for an account without a record", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.kyc.requireEligible(sys.stranger.address, KycTier.None)).to.be.revertedWithCustomError(
        sys.kyc,
        "KycTierTooLow",
      );

      expect(await sys.kyc.isEligible(sys.stranger.address, KycTier.None)).to.equal(false);
    });
  });
});

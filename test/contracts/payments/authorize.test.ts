import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod, KycTier, PaymentStatus } from "../../../relayer/chain/typed-data.js";
import {
  deploySystem,
  makeTerms,
  MERCHANT_FEE_BPS,
  PARTNER_SHARE_BPS,
  permitFunding,
  ROLES,
  signErc3009Funding,
  signTerms,
  UNIT,
  type System,
} from "../fixtures.js";
import { sendErc3009Authorize, statusBits, UINT96_MAX } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

async function expectAuthorized(sys: System, id: string, amount: bigint) {
  const state = await sys.escrow.paymentState(id);
  expect(state.status).to.equal(PaymentStatus.Authorized);
  expect(state.capturable).to.equal(amount);
  expect(state.held).to.equal(0n);
}

describe("PaymentEscrow authorize", () => {
  describe("funding methods", () => {
    it("authorizes by an EIP-3009 signature relayed by the operator and moves the funds into escrow", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await sys.escrow.paymentId(terms);
      const funding = await signErc3009Funding(sys, sys.buyer, terms);
      const tx = sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding);
      await expect(tx)
        .to.emit(sys.escrow, "PaymentAuthorized")
        .withArgs(id, terms.merchant, terms.buyer, terms.token, terms.amount, terms.orderRef, FundingMethod.Erc3009);
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.escrowAddress], [-terms.amount, terms.amount]);
      await expectAuthorized(sys, id, terms.amount);
    });

    it("authorizes by an EIP-2612 permit plus the buyer's terms signature", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await sys.escrow.paymentId(terms);
      const funding = await permitFunding(sys, sys.buyer, terms);
      const tx = sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Permit, funding);
      await expect(tx)
        .to.emit(sys.escrow, "PaymentAuthorized")
        .withArgs(id, terms.merchant, terms.buyer, terms.token, terms.amount, terms.orderRef, FundingMethod.Permit);
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.escrowAddress], [-terms.amount, terms.amount]);
      await expectAuthorized(sys, id, terms.amount);
    });

    it("authorizes by permit even when someone front-ran the permit", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const funding = await permitFunding(sys, sys.buyer, terms);
      const [deadline, v, r, s] = ethers.AbiCoder.defaultAbiCoder().decode(
        ["uint256", "uint8", "bytes32", "bytes32", "bytes"],
        funding,
      );
      await sys.token.connect(sys.stranger).permit(sys.buyer.address, sys.escrowAddress, terms.amount, deadline, v, r, s);
      expect(await sys.token.allowance(sys.buyer.address, sys.escrowAddress)).to.equal(terms.amount);

      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Permit, funding))
        .to.emit(sys.escrow, "PaymentAuthorized");
      await expectAuthorized(sys, await sys.escrow.paymentId(terms), terms.amount);
    });

    it("authorizes from a prior allowance with the buyer's signature over the terms", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await sys.escrow.paymentId(terms);
      await sys.token.connect(sys.buyer).approve(sys.escrowAddress, terms.amount);
      const signature = await signTerms(sys, sys.buyer, terms);
      const tx = sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Allowance, signature);
      await expect(tx)
        .to.emit(sys.escrow, "PaymentAuthorized")
        .withArgs(id, terms.merchant, terms.buyer, terms.token, terms.amount, terms.orderRef, FundingMethod.Allowance);
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.escrowAddress], [-terms.amount, terms.amount]);
      await expectAuthorized(sys, id, terms.amount);
    });

    it("reverts with EscrowInvalidSignature when the terms signature is not the buyer's", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      await sys.token.connect(sys.buyer).approve(sys.escrowAddress, terms.amount);
      const signature = await signTerms(sys, sys.stranger, terms);
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Allowance, signature))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidSignature")
        .withArgs(sys.buyer.address);
    });

    it("authorizes from an allowance without any signature when the buyer calls itself", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await sys.escrow.paymentId(terms);
      await sys.token.connect(sys.buyer).approve(sys.escrowAddress, terms.amount);
      const tx = sys.escrow.connect(sys.buyer).authorize(terms, FundingMethod.Allowance, "0x");
      await expect(tx)
        .to.emit(sys.escrow, "PaymentAuthorized")
        .withArgs(id, terms.merchant, terms.buyer, terms.token, terms.amount, terms.orderRef, FundingMethod.Allowance);
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.escrowAddress], [-terms.amount, terms.amount]);
      await expectAuthorized(sys, id, terms.amount);
    });
  });

  describe("reverts", () => {
    it("reverts with EscrowUnexpectedStatus when the same terms are authorized twice", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      await (await sendErc3009Authorize(sys, terms)).wait();
      const id = await sys.escrow.paymentId(terms);
      await expect(sendErc3009Authorize(sys, terms))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Authorized, statusBits(PaymentStatus.None));
    });

    it("reverts with EscrowZeroAmount for a zero amount", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys, { amount: 0n });
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowZeroAmount");
    });

    it("reverts with EscrowAmountTooLarge above the uint96 maximum", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys, { amount: UINT96_MAX + 1n });
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowAmountTooLarge")
        .withArgs(UINT96_MAX + 1n);
    });

    it("reverts with EscrowInvalidExpiries when the pre-approval expiry is after the authorization expiry", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const base = await makeTerms(sys);
      const terms = { ...base, preApprovalExpiry: base.authorizationExpiry + 1n };
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidExpiries")
        .withArgs(terms.preApprovalExpiry, terms.authorizationExpiry, terms.refundExpiry);
    });

    it("reverts with EscrowInvalidExpiries when the authorization expiry is after the refund expiry", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const base = await makeTerms(sys);
      const terms = { ...base, authorizationExpiry: base.refundExpiry + 1n };
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidExpiries")
        .withArgs(terms.preApprovalExpiry, terms.authorizationExpiry, terms.refundExpiry);
    });

    it("authorizes one second before the pre-approval expiry", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const funding = await signErc3009Funding(sys, sys.buyer, terms);
      await networkHelpers.time.setNextBlockTimestamp(terms.preApprovalExpiry - 1n);
      await sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding);
      await expectAuthorized(sys, await sys.escrow.paymentId(terms), terms.amount);
    });

    for (const offset of [0n, 1n]) {
      it(`reverts with EscrowPreApprovalExpired at the pre-approval expiry + ${offset}s`, async () => {
        const sys = await networkHelpers.loadFixture(system);
        const terms = await makeTerms(sys);
        const funding = await signErc3009Funding(sys, sys.buyer, terms);
        await networkHelpers.time.setNextBlockTimestamp(terms.preApprovalExpiry + offset);
        await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding))
          .to.be.revertedWithCustomError(sys.escrow, "EscrowPreApprovalExpired")
          .withArgs(terms.preApprovalExpiry);
      });
    }

    for (const kycTier of [0, 4]) {
      it(`reverts with EscrowInvalidKycTier for tier ${kycTier}`, async () => {
        const sys = await networkHelpers.loadFixture(system);
        const terms = await makeTerms(sys, { kycTier: kycTier as KycTier });
        await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
          .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidKycTier")
          .withArgs(kycTier);
      });
    }

    it("reverts with EscrowTokenNotAllowed for a token that is not allowlisted", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.escrow.connect(sys.admin).setToken(sys.tokenAddress, { allowed: false, largeTransactionThreshold: 0n });
      const terms = await makeTerms(sys);
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowTokenNotAllowed")
        .withArgs(sys.tokenAddress);
    });

    it("reverts with EscrowMerchantNotActive for a deactivated merchant", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.escrow.connect(sys.admin).setMerchant(sys.merchant.address, {
        settlementAddress: sys.settlement.address,
        feeBps: MERCHANT_FEE_BPS,
        partnerShareBps: PARTNER_SHARE_BPS,
        active: false,
        partner: sys.partner.address,
      });
      const terms = await makeTerms(sys);
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowMerchantNotActive")
        .withArgs(sys.merchant.address);
    });

    const mismatches = [
      ["feeBps", { feeBps: MERCHANT_FEE_BPS + 1 }],
      ["partner", { partner: "0x000000000000000000000000000000000000dEaD" }],
      ["partnerShareBps", { partnerShareBps: PARTNER_SHARE_BPS - 1 }],
    ] as const;
    for (const [field, override] of mismatches) {
      it(`reverts with EscrowFeeTermsMismatch when ${field} differs from the merchant's configuration`, async () => {
        const sys = await networkHelpers.loadFixture(system);
        const terms = await makeTerms(sys, override);
        await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x"))
          .to.be.revertedWithCustomError(sys.escrow, "EscrowFeeTermsMismatch")
          .withArgs(sys.merchant.address);
      });
    }

    it("reverts with AccessControlUnauthorizedAccount when the caller is neither operator nor buyer", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const funding = await signErc3009Funding(sys, sys.buyer, terms);
      await expect(sys.escrow.connect(sys.stranger).authorize(terms, FundingMethod.Erc3009, funding))
        .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
        .withArgs(sys.stranger.address, ROLES.OPERATOR);
    });

    it("reverts with EnforcedPause while paused", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const funding = await signErc3009Funding(sys, sys.buyer, terms);
      await sys.escrow.connect(sys.pauser).pause();
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding))
        .to.be.revertedWithCustomError(sys.escrow, "EnforcedPause");
    });

    it("records nothing and moves no funds when an authorization reverts", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys, { amount: 1n * UNIT, kycTier: 0 as KycTier });
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, "0x")).to.be.revert(ethers);
      expect((await sys.escrow.paymentState(await sys.escrow.paymentId(terms))).status).to.equal(PaymentStatus.None);
      expect(await sys.token.balanceOf(sys.escrowAddress)).to.equal(0n);
    });
  });
});

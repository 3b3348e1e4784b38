import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, authorizeErc3009, deploySystem, makeTerms, ROLES, UNIT } from "../fixtures.js";
import { feeSplit, ledger, statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);
const REFUNDABLE = statusBits(PaymentStatus.Captured, PaymentStatus.Released);

async function captured(amount?: bigint) {
  const sys = await networkHelpers.loadFixture(system);
  const terms = await makeTerms(sys);
  const id = await authorizeAndCapture(sys, terms, amount);
  return { sys, terms, id };
}

/** Captured in full and released by the buyer's confirmation: the merchant holds the net. */
async function released() {
  const ctx = await captured();
  await ctx.sys.escrow.connect(ctx.sys.buyer).confirmReceipt(ctx.terms, 0n, "0x");
  return ctx;
}

describe("PaymentEscrow refund", () => {
  describe("from held funds", () => {
    it("refunds part of the held funds to the buyer and stays Captured", async () => {
      const { sys, terms, id } = await captured();
      const tx = sys.escrow.connect(sys.operator).refund(terms, 30n * UNIT);
      await expect(tx).to.emit(sys.escrow, "PaymentRefunded").withArgs(id, 30n * UNIT, 30n * UNIT, 0n);
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.escrowAddress, sys.buyer], [-30n * UNIT, 30n * UNIT]);
      const state = await sys.escrow.paymentState(id);
      expect(state.status).to.equal(PaymentStatus.Captured);
      expect(state.held).to.equal(70n * UNIT);
    });

    it("refunds in several parts and ends Refunded when everything went back", async () => {
      const { sys, terms, id } = await captured();
      await sys.escrow.connect(sys.operator).refund(terms, 30n * UNIT);
      await sys.escrow.connect(sys.operator).refund(terms, 30n * UNIT);
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Captured);
      await sys.escrow.connect(sys.operator).refund(terms, 40n * UNIT);
      const state = await sys.escrow.paymentState(id);
      expect(state.status).to.equal(PaymentStatus.Refunded);
      expect(state.held).to.equal(0n);
      expect(await sys.token.balanceOf(sys.escrowAddress)).to.equal(0n);
    });

    it("ends Refunded on a full refund, after which no refund is possible", async () => {
      const { sys, terms, id } = await captured();
      await sys.escrow.connect(sys.operator).refund(terms, terms.amount);
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Refunded);
      await expect(sys.escrow.connect(sys.operator).refund(terms, 1n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Refunded, REFUNDABLE);
    });

    it("reverts with EscrowRefundExceedsCaptured above what was captured", async () => {
      const { sys, terms, id } = await captured(40n * UNIT);
      await expect(sys.escrow.connect(sys.operator).refund(terms, 40n * UNIT + 1n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowRefundExceedsCaptured")
        .withArgs(id, 40n * UNIT, 40n * UNIT + 1n);
    });

    it("refunds while the buyer is frozen in KYC", async () => {
      const { sys, terms, id } = await captured();
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, ethers.encodeBytes32String("aml"));
      await expect(sys.escrow.connect(sys.operator).refund(terms, terms.amount)).to.changeTokenBalances(
        ethers,
        sys.token,
        [sys.buyer],
        [terms.amount],
      );
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Refunded);
    });
  });

  describe("after release", () => {
    it("takes the refund from the merchant's balance; the merchant bears the fee", async () => {
      const { sys, terms, id } = await released();
      const { net } = feeSplit(terms, terms.amount);
      const before = await ledger(sys);
      await expect(sys.escrow.connect(sys.operator).refund(terms, 50n * UNIT))
        .to.emit(sys.escrow, "PaymentRefunded")
        .withArgs(id, 50n * UNIT, 0n, 50n * UNIT);
      const after = await ledger(sys);
      expect(after.merchant).to.equal(net - 50n * UNIT);
      expect(after.treasury).to.equal(before.treasury);
      expect(after.partner).to.equal(before.partner);
      const state = await sys.escrow.paymentState(id);
      expect(state.status).to.equal(PaymentStatus.Released);
      expect(state.refundedAfterRelease).to.equal(50n * UNIT);
    });

    it("takes from held funds first, then from the merchant's balance", async () => {
      const { sys, terms, id } = await captured(40n * UNIT);
      await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
      await sys.escrow.connect(sys.operator).capture(terms, 60n * UNIT);
      const merchantBefore = (await ledger(sys)).merchant;
      await expect(sys.escrow.connect(sys.operator).refund(terms, 80n * UNIT))
        .to.emit(sys.escrow, "PaymentRefunded")
        .withArgs(id, 80n * UNIT, 60n * UNIT, 20n * UNIT);
      expect((await ledger(sys)).merchant).to.equal(merchantBefore - 20n * UNIT);
      const state = await sys.escrow.paymentState(id);
      expect(state.held).to.equal(0n);
      expect(state.status).to.equal(PaymentStatus.Released);
    });

    it("ends Refunded when everything released is refunded (from the merchant's other earnings)", async () => {
      const { sys, terms, id } = await released();
      const other = await makeTerms(sys);
      await authorizeAndCapture(sys, other);
      await sys.escrow.connect(sys.buyer).confirmReceipt(other, 0n, "0x");
      await sys.escrow.connect(sys.operator).refund(terms, terms.amount);
      const state = await sys.escrow.paymentState(id);
      expect(state.status).to.equal(PaymentStatus.Refunded);
      expect(state.refundedAfterRelease).to.equal(terms.amount);
      expect((await ledger(sys)).merchant).to.equal(2n * feeSplit(terms, terms.amount).net - terms.amount);
    });

    it("reverts with EscrowInsufficientMerchantBalance when the merchant's net does not cover a full refund", async () => {
      const { sys, terms } = await released();
      const { net } = feeSplit(terms, terms.amount);
      await expect(sys.escrow.connect(sys.operator).refund(terms, terms.amount))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInsufficientMerchantBalance")
        .withArgs(sys.merchant.address, net, terms.amount);
    });

    it("reverts with EscrowInsufficientMerchantBalance after the merchant was paid out", async () => {
      const { sys, terms } = await released();
      await sys.escrow.connect(sys.merchant).payout(sys.tokenAddress, sys.merchant.address);
      await expect(sys.escrow.connect(sys.operator).refund(terms, 10n * UNIT))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInsufficientMerchantBalance")
        .withArgs(sys.merchant.address, 0n, 10n * UNIT);
    });

    it("reverts with EscrowRefundExceedsCaptured above what is left after earlier refunds", async () => {
      const { sys, terms, id } = await released();
      await sys.escrow.connect(sys.operator).refund(terms, 60n * UNIT);
      await expect(sys.escrow.connect(sys.operator).refund(terms, 40n * UNIT + 1n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowRefundExceedsCaptured")
        .withArgs(id, 40n * UNIT, 40n * UNIT + 1n);
    });
  });

  describe("window and access", () => {
    it("refunds one second before the refund expiry", async () => {
      const { sys, terms, id } = await captured();
      await networkHelpers.time.setNextBlockTimestamp(terms.refundExpiry - 1n);
      await expect(sys.escrow.connect(sys.operator).refund(terms, 1n))
        .to.emit(sys.escrow, "PaymentRefunded")
        .withArgs(id, 1n, 1n, 0n);
    });

    for (const offset of [0n, 1n]) {
      it(`reverts with EscrowRefundWindowClosed at the refund expiry + ${offset}s`, async () => {
        const { sys, terms, id } = await captured();
        await networkHelpers.time.setNextBlockTimestamp(terms.refundExpiry + offset);
        await expect(sys.escrow.connect(sys.operator).refund(terms, 1n))
          .to.be.revertedWithCustomError(sys.escrow, "EscrowRefundWindowClosed")
          .withArgs(id, terms.refundExpiry);
      });
    }

    it("reverts with EscrowZeroAmount for a zero refund", async () => {
      const { sys, terms } = await captured();
      await expect(sys.escrow.connect(sys.operator).refund(terms, 0n)).to.be.revertedWithCustomError(
        sys.escrow,
        "EscrowZeroAmount",
      );
    });

    it("reverts with EscrowUnexpectedStatus when nothing was captured", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const terms = await makeTerms(sys);
      const id = await authorizeErc3009(sys, terms);
      await expect(sys.escrow.connect(sys.operator).refund(terms, 1n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Authorized, REFUNDABLE);
    });

    it("reverts with AccessControlUnauthorizedAccount when the merchant refunds", async () => {
      const { sys, terms } = await captured();
      await expect(sys.escrow.connect(sys.merchant).refund(terms, 1n))
        .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
        .withArgs(sys.merchant.address, ROLES.OPERATOR);
    });
  });
});

// Tokens that misbehave: fee-on-transfer, false instead of revert, no return value (USDT-style), a recipient
// blocklist, and a pause mid-flow. The escrow records nothing it did not receive and never loses a balance.
import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod, PaymentStatus, type PaymentTerms } from "../../../../relayer/chain/typed-data.js";
import { deploySystem, makeTerms, signTerms, UNIT } from "../../fixtures.js";
import {
  addMerchant,
  authorizeByAllowance,
  BUYER_FUNDS,
  enableTestToken,
  expectSolvent,
  extraMerchantTerms,
  payeeAccounts,
  settleByAllowance,
} from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

async function hostileTokens() {
  const sys = await deploySystem(ethers);
  const feeToken = await ethers.deployContract("FeeOnTransferToken", [100n]); // 1%
  const falseToken = await ethers.deployContract("FalseReturningToken");
  const noReturnToken = await ethers.deployContract("NoReturnToken");
  const blockToken = await ethers.deployContract("BlocklistingToken");
  const pauseToken = await ethers.deployContract("PausableTestToken");
  for (const token of [feeToken, falseToken, noReturnToken, blockToken, pauseToken]) {
    await enableTestToken(sys, await token.getAddress());
  }
  const terms = async (token: { getAddress(): Promise<string> }, overrides: Partial<PaymentTerms> = {}) =>
    makeTerms(sys, { token: await token.getAddress(), ...overrides });
  return { sys, feeToken, falseToken, noReturnToken, blockToken, pauseToken, terms };
}

const NET = 100n * UNIT - (100n * UNIT * 250n) / 10_000n; // the fixture merchant's net on 100 (2.5% fee)

describe("PaymentEscrow security: hostile tokens", () => {
  describe("fee-on-transfer token", () => {
    it("reverts authorize with EscrowTokenShortfall and records nothing", async () => {
      const { sys, feeToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const t = await terms(feeToken);
      const signature = await signTerms(sys, sys.buyer, t);
      await expect(sys.escrow.connect(sys.operator).authorize(t, FundingMethod.Allowance, signature))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowTokenShortfall")
        .withArgs(await feeToken.getAddress(), t.amount, 99n * UNIT);
      expect((await sys.escrow.paymentState(await sys.escrow.paymentId(t))).status).to.equal(PaymentStatus.None);
      expect(await sys.escrow.rollingVolume(sys.buyer.address, await feeToken.getAddress())).to.equal(0n);
      expect(await feeToken.balanceOf(sys.buyer.address)).to.equal(BUYER_FUNDS);
    });

    it("reverts charge with EscrowTokenShortfall", async () => {
      const { sys, feeToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const t = await terms(feeToken);
      await expect(sys.escrow.connect(sys.buyer).charge(t, FundingMethod.Allowance, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowTokenShortfall")
        .withArgs(await feeToken.getAddress(), t.amount, 99n * UNIT);
    });

    it("fails the item of a batch with EscrowTokenShortfall and leaves it unrecorded", async () => {
      const { sys, feeToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const t = await terms(feeToken);
      const request = { terms: t, method: FundingMethod.Allowance, funding: await signTerms(sys, sys.buyer, t) };
      expect(await sys.escrow.connect(sys.operator).authorizeMany.staticCall([request])).to.deep.equal([false]);
      const id = await sys.escrow.paymentId(t);
      const reason = sys.escrow.interface.encodeErrorResult("EscrowTokenShortfall", [await feeToken.getAddress(), t.amount, 99n * UNIT]);
      await expect(sys.escrow.connect(sys.operator).authorizeMany([request]))
        .to.emit(sys.escrow, "BatchItemFailed")
        .withArgs(0n, id, reason);
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.None);
      expect(await feeToken.balanceOf(sys.escrowAddress)).to.equal(0n);
    });
  });

  describe("token that returns false instead of reverting", () => {
    it("reverts authorize with SafeERC20FailedOperation and records nothing", async () => {
      const { sys, falseToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      await falseToken.setFailing(true);
      const t = await terms(falseToken);
      await expect(sys.escrow.connect(sys.operator).authorize(t, FundingMethod.Allowance, await signTerms(sys, sys.buyer, t)))
        .to.be.revertedWithCustomError(sys.escrow, "SafeERC20FailedOperation")
        .withArgs(await falseToken.getAddress());
      expect((await sys.escrow.paymentState(await sys.escrow.paymentId(t))).status).to.equal(PaymentStatus.None);
    });

    it("reverts void with SafeERC20FailedOperation and keeps the amount capturable", async () => {
      const { sys, falseToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const t = await terms(falseToken);
      const id = await authorizeByAllowance(sys, t);
      await falseToken.setFailing(true);
      await expect(sys.escrow.connect(sys.operator).void(t))
        .to.be.revertedWithCustomError(sys.escrow, "SafeERC20FailedOperation")
        .withArgs(await falseToken.getAddress());
      expect((await sys.escrow.paymentState(id)).capturable).to.equal(t.amount);
      await expectSolvent(sys, await falseToken.getAddress(), [id], payeeAccounts(sys));
    });

    it("reverts a single payout with EscrowPayoutFailed and keeps the balance", async () => {
      const { sys, falseToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const token = await falseToken.getAddress();
      await settleByAllowance(sys, await terms(falseToken));
      await falseToken.setFailing(true);
      await expect(sys.escrow.connect(sys.merchant).payout(token, sys.merchant.address))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowPayoutFailed")
        .withArgs(token, sys.merchant.address, sys.settlement.address);
      expect(await sys.escrow.balanceOf(token, sys.merchant.address)).to.equal(NET);
    });

    it("emits PayoutFailed in payoutMany and keeps every balance claimable", async () => {
      const { sys, falseToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const token = await falseToken.getAddress();
      const id = await settleByAllowance(sys, await terms(falseToken));
      await falseToken.setFailing(true);
      await expect(sys.escrow.connect(sys.operator).payoutMany(token, [sys.merchant.address]))
        .to.emit(sys.escrow, "PayoutFailed")
        .withArgs(token, sys.merchant.address, sys.settlement.address, NET);
      expect(await sys.escrow.balanceOf(token, sys.merchant.address)).to.equal(NET);
      await expectSolvent(sys, token, [id], payeeAccounts(sys));
    });
  });

  describe("token with no return value (USDT-style)", () => {
    it("runs authorize, partial capture, refund, release, void and payout", async () => {
      const { sys, noReturnToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const token = await noReturnToken.getAddress();
      const t = await terms(noReturnToken);
      const id = await authorizeByAllowance(sys, t);
      await sys.escrow.connect(sys.operator).capture(t, 60n * UNIT);
      await sys.escrow.connect(sys.operator).refund(t, 10n * UNIT);
      await sys.escrow.connect(sys.operator).void(t);
      await networkHelpers.time.increase(t.confirmationWindow);
      await sys.escrow.connect(sys.stranger).release(t);
      const net = 50n * UNIT - (50n * UNIT * 250n) / 10_000n;
      expect(await sys.escrow.balanceOf(token, sys.merchant.address)).to.equal(net);
      await expect(sys.escrow.connect(sys.merchant).payout(token, sys.merchant.address))
        .to.emit(sys.escrow, "PayoutSent")
        .withArgs(token, sys.merchant.address, sys.settlement.address, net);
      expect(await noReturnToken.balanceOf(sys.settlement.address)).to.equal(net);
      expect(await noReturnToken.balanceOf(sys.buyer.address)).to.equal(BUYER_FUNDS - 50n * UNIT);
      await expectSolvent(sys, token, [id], payeeAccounts(sys));
    });

    it("reverts authorize without an allowance, with the token's own reason", async () => {
      const { sys, noReturnToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      await noReturnToken.connect(sys.buyer).approve(sys.escrowAddress, 0n);
      const t = await terms(noReturnToken);
      await expect(sys.escrow.connect(sys.operator).authorize(t, FundingMethod.Allowance, await signTerms(sys, sys.buyer, t))).to.be.revertedWith(
        "NoReturnToken: allowance",
      );
    });
  });

  describe("token that blocklists a recipient", () => {
    async function twoMerchantsCredited() {
      const fx = await hostileTokens();
      const { sys, blockToken, terms } = fx;
      const other = await addMerchant(sys, 1);
      const ids = [
        await settleByAllowance(sys, await terms(blockToken)),
        await settleByAllowance(sys, await terms(blockToken, extraMerchantTerms(sys, other.merchant))),
      ];
      await blockToken.setBlocked(sys.settlement.address, true);
      return { ...fx, other, ids };
    }

    it("payoutMany pays the others in the same transaction and keeps the blocked merchant's balance claimable", async () => {
      const { sys, blockToken, other, ids } = await networkHelpers.loadFixture(twoMerchantsCredited);
      const token = await blockToken.getAddress();
      const otherNet = 100n * UNIT - UNIT;
      const tx = sys.escrow
        .connect(sys.operator)
        .payoutMany(token, [sys.merchant.address, other.merchant, sys.treasury.address, sys.partner.address]);
      await expect(tx).to.emit(sys.escrow, "PayoutFailed").withArgs(token, sys.merchant.address, sys.settlement.address, NET);
      await expect(tx).to.emit(sys.escrow, "PayoutSent").withArgs(token, other.merchant, other.settlement, otherNet);
      expect(await blockToken.balanceOf(other.settlement)).to.equal(otherNet);
      expect(await sys.escrow.balanceOf(token, sys.merchant.address)).to.equal(NET);
      expect(await sys.escrow.balanceOf(token, sys.treasury.address)).to.equal(0n);
      expect(await sys.escrow.balanceOf(token, sys.partner.address)).to.equal(0n);
      await expectSolvent(sys, token, ids, [...payeeAccounts(sys), other.merchant]);
    });

    it("reverts a single payout to the blocked address with EscrowPayoutFailed", async () => {
      const { sys, blockToken } = await networkHelpers.loadFixture(twoMerchantsCredited);
      const token = await blockToken.getAddress();
      await expect(sys.escrow.connect(sys.operator).payout(token, sys.merchant.address))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowPayoutFailed")
        .withArgs(token, sys.merchant.address, sys.settlement.address);
      expect(await sys.escrow.balanceOf(token, sys.merchant.address)).to.equal(NET);
    });

    it("pays the kept balance once the recipient is unblocked", async () => {
      const { sys, blockToken } = await networkHelpers.loadFixture(twoMerchantsCredited);
      const token = await blockToken.getAddress();
      await sys.escrow.connect(sys.operator).payoutMany(token, [sys.merchant.address]);
      await blockToken.setBlocked(sys.settlement.address, false);
      await sys.escrow.connect(sys.merchant).payout(token, sys.merchant.address);
      expect(await blockToken.balanceOf(sys.settlement.address)).to.equal(NET);
      expect(await sys.escrow.balanceOf(token, sys.merchant.address)).to.equal(0n);
    });

    it("reverts void to a blocked buyer with the token's error and keeps the payment capturable", async () => {
      const { sys, blockToken, terms } = await networkHelpers.loadFixture(hostileTokens);
      const t = await terms(blockToken);
      const id = await authorizeByAllowance(sys, t);
      await blockToken.setBlocked(sys.buyer.address, true);
      await expect(sys.escrow.connect(sys.operator).void(t))
        .to.be.revertedWithCustomError(blockToken, "RecipientBlocked")
        .withArgs(sys.buyer.address);
      const state = await sys.escrow.paymentState(id);
      expect([state.status, state.capturable]).to.deep.equal([BigInt(PaymentStatus.Authorized), t.amount]);
    });
  });

  describe("pausable token paused mid-flow", () => {
    async function pausedAfterAuthorize() {
      const fx = await hostileTokens();
      const t = await fx.terms(fx.pauseToken);
      const id = await authorizeByAllowance(fx.sys, t);
      const settledId = await settleByAllowance(fx.sys, await fx.terms(fx.pauseToken));
      await fx.pauseToken.pause();
      return { ...fx, t, id, settledId };
    }

    it("reverts authorize while the token is paused (EnforcedPause) and records nothing", async () => {
      const { sys, pauseToken, terms } = await networkHelpers.loadFixture(pausedAfterAuthorize);
      const t = await terms(pauseToken);
      await expect(sys.escrow.connect(sys.operator).authorize(t, FundingMethod.Allowance, await signTerms(sys, sys.buyer, t)))
        .to.be.revertedWithCustomError(pauseToken, "EnforcedPause");
      expect((await sys.escrow.paymentState(await sys.escrow.paymentId(t))).status).to.equal(PaymentStatus.None);
    });

    it("still captures and releases (no token moves) while the token is paused", async () => {
      const { sys, pauseToken, t, id } = await networkHelpers.loadFixture(pausedAfterAuthorize);
      await sys.escrow.connect(sys.operator).capture(t, t.amount);
      await sys.escrow.connect(sys.buyer).confirmReceipt(t, 0n, "0x");
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Released);
      expect(await sys.escrow.balanceOf(await pauseToken.getAddress(), sys.merchant.address)).to.equal(2n * NET);
    });

    it("reverts void with EnforcedPause and keeps the payment capturable", async () => {
      const { sys, pauseToken, t, id } = await networkHelpers.loadFixture(pausedAfterAuthorize);
      await expect(sys.escrow.connect(sys.operator).void(t)).to.be.revertedWithCustomError(pauseToken, "EnforcedPause");
      expect((await sys.escrow.paymentState(id)).capturable).to.equal(t.amount);
    });

    it("fails payouts while paused (EscrowPayoutFailed single, PayoutFailed in a batch) and pays after unpause", async () => {
      const { sys, pauseToken, id, settledId } = await networkHelpers.loadFixture(pausedAfterAuthorize);
      const token = await pauseToken.getAddress();
      await expect(sys.escrow.connect(sys.merchant).payout(token, sys.merchant.address))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowPayoutFailed")
        .withArgs(token, sys.merchant.address, sys.settlement.address);
      await expect(sys.escrow.connect(sys.operator).payoutMany(token, [sys.merchant.address]))
        .to.emit(sys.escrow, "PayoutFailed")
        .withArgs(token, sys.merchant.address, sys.settlement.address, NET);
      expect(await sys.escrow.balanceOf(token, sys.merchant.address)).to.equal(NET);
      await pauseToken.unpause();
      await sys.escrow.connect(sys.merchant).payout(token, sys.merchant.address);
      expect(await pauseToken.balanceOf(sys.settlement.address)).to.equal(NET);
      await expectSolvent(sys, token, [id, settledId], payeeAccounts(sys));
    });
  });
});

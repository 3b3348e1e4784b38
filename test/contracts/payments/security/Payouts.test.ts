// Payouts: pull over push. Balances go to a merchant's settlement address or to the account itself, only at
// the account's or the operator's request; a batch never loses a balance it could not pay.
import { expect } from "chai";
import { network } from "hardhat";

import { authorizeAndCapture, deploySystem, makeTerms, UNIT } from "../../fixtures.js";
import { addMerchant, expectSolvent, extraMerchantTerms, payeeAccounts } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

const FEE = (100n * UNIT * 250n) / 10_000n; // 2.5 on 100
const NET = 100n * UNIT - FEE;
const PARTNER_FEE = (FEE * 2_000n) / 10_000n; // 20% of the fee
const TREASURY_FEE = FEE - PARTNER_FEE;
const FROZEN = ethers.encodeBytes32String("sanctions hit");

async function credited() {
  const sys = await deploySystem(ethers);
  const terms = await makeTerms(sys);
  const id = await authorizeAndCapture(sys, terms);
  await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
  return { sys, ids: [id] };
}

describe("PaymentEscrow security: payouts", () => {
  describe("single payout", () => {
    it("pays the merchant's balance to its settlement address when the merchant asks", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await expect(sys.escrow.connect(sys.merchant).payout(sys.tokenAddress, sys.merchant.address))
        .to.emit(sys.escrow, "PayoutSent")
        .withArgs(sys.tokenAddress, sys.merchant.address, sys.settlement.address, NET);
      expect(await sys.token.balanceOf(sys.settlement.address)).to.equal(NET);
      expect(await sys.token.balanceOf(sys.merchant.address)).to.equal(0n);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(0n);
    });

    it("pays the merchant's balance to its settlement address when the operator asks", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await expect(sys.escrow.connect(sys.operator).payout(sys.tokenAddress, sys.merchant.address)).to.changeTokenBalances(
        ethers,
        sys.token,
        [sys.settlement, sys.escrowAddress],
        [NET, -NET],
      );
    });

    it("pays the treasury's fees to the treasury itself", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await expect(sys.escrow.connect(sys.treasury).payout(sys.tokenAddress, sys.treasury.address))
        .to.emit(sys.escrow, "PayoutSent")
        .withArgs(sys.tokenAddress, sys.treasury.address, sys.treasury.address, TREASURY_FEE);
      expect(await sys.token.balanceOf(sys.treasury.address)).to.equal(TREASURY_FEE);
    });

    it("pays the partner's share to the partner itself, at the operator's request", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await expect(sys.escrow.connect(sys.operator).payout(sys.tokenAddress, sys.partner.address))
        .to.emit(sys.escrow, "PayoutSent")
        .withArgs(sys.tokenAddress, sys.partner.address, sys.partner.address, PARTNER_FEE);
      expect(await sys.token.balanceOf(sys.partner.address)).to.equal(PARTNER_FEE);
    });

    it("reverts with EscrowNothingToPay for an account without a balance", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await expect(sys.escrow.connect(sys.stranger).payout(sys.tokenAddress, sys.stranger.address))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowNothingToPay")
        .withArgs(sys.tokenAddress, sys.stranger.address);
    });

    it("reverts with EscrowNothingToPay when the balance was already paid out", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await sys.escrow.connect(sys.merchant).payout(sys.tokenAddress, sys.merchant.address);
      await expect(sys.escrow.connect(sys.merchant).payout(sys.tokenAddress, sys.merchant.address))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowNothingToPay")
        .withArgs(sys.tokenAddress, sys.merchant.address);
    });

    it("reverts with KycFrozen for a frozen merchant and keeps the balance", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await sys.kyc.connect(sys.compliance).freeze(sys.merchant.address, FROZEN);
      await expect(sys.escrow.connect(sys.operator).payout(sys.tokenAddress, sys.merchant.address))
        .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
        .withArgs(sys.merchant.address);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(NET);
    });

    it("reverts with KycFrozen when the merchant's settlement address is frozen", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await sys.kyc.connect(sys.compliance).freeze(sys.settlement.address, FROZEN);
      await expect(sys.escrow.connect(sys.merchant).payout(sys.tokenAddress, sys.merchant.address))
        .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
        .withArgs(sys.settlement.address);
    });
  });

  describe("payoutMany", () => {
    it("reports a frozen merchant with PayoutFailed, keeps its balance claimable and pays the others", async () => {
      const { sys, ids } = await networkHelpers.loadFixture(credited);
      await sys.kyc.connect(sys.compliance).freeze(sys.merchant.address, FROZEN);
      const tx = sys.escrow.connect(sys.operator).payoutMany(sys.tokenAddress, [sys.merchant.address, sys.treasury.address, sys.partner.address]);
      await expect(tx).to.emit(sys.escrow, "PayoutFailed").withArgs(sys.tokenAddress, sys.merchant.address, sys.settlement.address, NET);
      await expect(tx).to.emit(sys.escrow, "PayoutSent").withArgs(sys.tokenAddress, sys.treasury.address, sys.treasury.address, TREASURY_FEE);
      await expect(tx).to.emit(sys.escrow, "PayoutSent").withArgs(sys.tokenAddress, sys.partner.address, sys.partner.address, PARTNER_FEE);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(NET);
      await expectSolvent(sys, sys.tokenAddress, ids, payeeAccounts(sys));
    });

    it("pays the kept balance once the merchant is unfrozen", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      await sys.kyc.connect(sys.compliance).freeze(sys.merchant.address, FROZEN);
      await sys.escrow.connect(sys.operator).payoutMany(sys.tokenAddress, [sys.merchant.address]);
      await sys.kyc.connect(sys.compliance).unfreeze(sys.merchant.address, FROZEN);
      await sys.escrow.connect(sys.operator).payoutMany(sys.tokenAddress, [sys.merchant.address]);
      expect(await sys.token.balanceOf(sys.settlement.address)).to.equal(NET);
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(0n);
    });

    it("skips accounts with nothing to pay without an event", async () => {
      const { sys } = await networkHelpers.loadFixture(credited);
      const receipt = await (await sys.escrow.connect(sys.operator).payoutMany(sys.tokenAddress, [sys.stranger.address])).wait();
      expect(receipt!.logs).to.have.length(0);
    });

    describe("twenty merchants in one transaction", () => {
      async function twentyMerchants() {
        const { sys, ids } = await credited();
        const merchants = [];
        const terms = [];
        for (let i = 0; i < 20; i++) {
          const m = await addMerchant(sys, i);
          const t = await makeTerms(sys, { ...extraMerchantTerms(sys, m.merchant), amount: BigInt(i + 1) * 10n * UNIT });
          ids.push(await authorizeAndCapture(sys, t));
          merchants.push(m);
          terms.push(t);
        }
        await networkHelpers.time.increase(3n * 24n * 3600n);
        await sys.escrow.connect(sys.stranger).releaseMany(terms);
        return { sys, ids, merchants, terms };
      }

      it("pays every merchant's net (1% fee) to its own settlement address", async () => {
        const { sys, merchants, terms } = await networkHelpers.loadFixture(twentyMerchants);
        const tx = sys.escrow.connect(sys.operator).payoutMany(sys.tokenAddress, merchants.map((m) => m.merchant));
        for (const [i, m] of merchants.entries()) {
          const net = terms[i]!.amount - terms[i]!.amount / 100n;
          await expect(tx).to.emit(sys.escrow, "PayoutSent").withArgs(sys.tokenAddress, m.merchant, m.settlement, net);
        }
        for (const [i, m] of merchants.entries()) {
          expect(await sys.token.balanceOf(m.settlement)).to.equal(terms[i]!.amount - terms[i]!.amount / 100n);
          expect(await sys.escrow.balanceOf(sys.tokenAddress, m.merchant)).to.equal(0n);
        }
      });

      it("emits exactly one PayoutSent per merchant and stays solvent", async () => {
        const { sys, ids, merchants } = await networkHelpers.loadFixture(twentyMerchants);
        const receipt = await (await sys.escrow.connect(sys.operator).payoutMany(sys.tokenAddress, merchants.map((m) => m.merchant))).wait();
        const sent = receipt!.logs.map((log) => sys.escrow.interface.parseLog(log)).filter((e) => e?.name === "PayoutSent");
        expect(sent).to.have.length(20);
        await expectSolvent(sys, sys.tokenAddress, ids, [...payeeAccounts(sys), ...merchants.map((m) => m.merchant)]);
      });

      it("keeps one frozen merchant's balance while the 19 others are paid", async () => {
        const { sys, merchants } = await networkHelpers.loadFixture(twentyMerchants);
        const frozen = merchants[7]!;
        await sys.kyc.connect(sys.compliance).freeze(frozen.merchant, FROZEN);
        const before = await sys.escrow.balanceOf(sys.tokenAddress, frozen.merchant);
        const receipt = await (await sys.escrow.connect(sys.operator).payoutMany(sys.tokenAddress, merchants.map((m) => m.merchant))).wait();
        const names = receipt!.logs.map((log) => sys.escrow.interface.parseLog(log)?.name);
        expect(names.filter((n) => n === "PayoutSent")).to.have.length(19);
        expect(names.filter((n) => n === "PayoutFailed")).to.have.length(1);
        expect(await sys.escrow.balanceOf(sys.tokenAddress, frozen.merchant)).to.equal(before);
        expect(await sys.token.balanceOf(frozen.settlement)).to.equal(0n);
      });
    });
  });
});

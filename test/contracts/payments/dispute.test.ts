import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, deploySystem, makeTerms, ROLES, UNIT } from "../fixtures.js";
import { feeSplit, ledger, signDispute, statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);
const REASON = ethers.encodeBytes32String("not-delivered");

async function captured(amount?: bigint) {
  const sys = await networkHelpers.loadFixture(system);
  const terms = await makeTerms(sys);
  const id = await authorizeAndCapture(sys, terms, amount);
  const heldSince = (await sys.escrow.paymentState(id)).heldSince;
  return { sys, terms, id, deadline: heldSince + terms.confirmationWindow };
}

async function disputed(amount?: bigint) {
  const ctx = await captured(amount);
  await ctx.sys.escrow.connect(ctx.sys.buyer).openDispute(ctx.terms, REASON, "0x");
  return ctx;
}

describe("PaymentEscrow disputes", () => {
  describe("opening", () => {
    it("freezes the held funds when the buyer disputes in person", async () => {
      const { sys, terms, id } = await captured();
      await expect(sys.escrow.connect(sys.buyer).openDispute(terms, REASON, "0x"))
        .to.emit(sys.escrow, "DisputeOpened")
        .withArgs(id, REASON);
      const state = await sys.escrow.paymentState(id);
      expect(state.status).to.equal(PaymentStatus.Disputed);
      expect(state.disputeUsed).to.equal(true);
      expect(state.held).to.equal(terms.amount);
    });

    it("opens on the buyer's DisputeRequest signature relayed by anyone", async () => {
      const { sys, terms, id } = await captured();
      const signature = await signDispute(sys, sys.buyer, id, REASON);
      await expect(sys.escrow.connect(sys.stranger).openDispute(terms, REASON, signature))
        .to.emit(sys.escrow, "DisputeOpened")
        .withArgs(id, REASON);
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Disputed);
    });

    it("reverts with EscrowInvalidSignature when the signature is not the buyer's", async () => {
      const { sys, terms, id } = await captured();
      const signature = await signDispute(sys, sys.stranger, id, REASON);
      await expect(sys.escrow.connect(sys.stranger).openDispute(terms, REASON, signature))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidSignature")
        .withArgs(sys.buyer.address);
    });

    it("opens one second before the confirmation window closes", async () => {
      const { sys, terms, id, deadline } = await captured();
      await networkHelpers.time.setNextBlockTimestamp(deadline - 1n);
      await expect(sys.escrow.connect(sys.buyer).openDispute(terms, REASON, "0x")).to.emit(sys.escrow, "DisputeOpened").withArgs(id, REASON);
    });

    it("reverts with EscrowDisputeWindowClosed when the window has closed", async () => {
      const { sys, terms, id, deadline } = await captured();
      await networkHelpers.time.setNextBlockTimestamp(deadline);
      await expect(sys.escrow.connect(sys.buyer).openDispute(terms, REASON, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowDisputeWindowClosed")
        .withArgs(id, deadline);
    });

    it("reverts with EscrowNothingHeld when the captured part was released and only capturable funds remain", async () => {
      const { sys, terms, id } = await captured(40n * UNIT);
      await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
      const state = await sys.escrow.paymentState(id);
      expect([state.status, state.held, state.capturable]).to.deep.equal([BigInt(PaymentStatus.Captured), 0n, 60n * UNIT]);
      await expect(sys.escrow.connect(sys.buyer).openDispute(terms, REASON, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowNothingHeld")
        .withArgs(id);
    });

    it("reverts with EscrowDisputeAlreadyUsed for a second dispute after a resolution", async () => {
      const { sys, terms, id } = await disputed(40n * UNIT);
      await sys.escrow.connect(sys.arbiter).resolveDispute(terms, 10n * UNIT);
      await sys.escrow.connect(sys.operator).capture(terms, 60n * UNIT);
      await expect(sys.escrow.connect(sys.buyer).openDispute(terms, REASON, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowDisputeAlreadyUsed")
        .withArgs(id);
    });

    it("reverts with EscrowUnexpectedStatus while a dispute is open", async () => {
      const { sys, terms, id } = await disputed();
      await expect(sys.escrow.connect(sys.buyer).openDispute(terms, REASON, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Disputed, statusBits(PaymentStatus.Captured));
    });
  });

  describe("held funds are frozen", () => {
    it("release reverts with EscrowUnexpectedStatus even after the window", async () => {
      const { sys, terms, id, deadline } = await disputed();
      await networkHelpers.time.increaseTo(deadline);
      await expect(sys.escrow.release(terms))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Disputed, statusBits(PaymentStatus.Captured));
    });

    it("confirmReceipt reverts with EscrowUnexpectedStatus", async () => {
      const { sys, terms, id } = await disputed();
      await expect(sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Disputed, statusBits(PaymentStatus.Captured));
    });

    it("refund reverts with EscrowUnexpectedStatus", async () => {
      const { sys, terms, id } = await disputed();
      await expect(sys.escrow.connect(sys.operator).refund(terms, 1n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Disputed, statusBits(PaymentStatus.Captured, PaymentStatus.Released));
    });

    it("capture of the rest reverts with EscrowUnexpectedStatus", async () => {
      const { sys, terms, id } = await disputed(40n * UNIT);
      await expect(sys.escrow.connect(sys.operator).capture(terms, 1n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Disputed, statusBits(PaymentStatus.Authorized, PaymentStatus.Captured));
    });

    it("the uncaptured rest can still be voided; the dispute stays open", async () => {
      const { sys, terms, id } = await disputed(40n * UNIT);
      await expect(sys.escrow.connect(sys.operator).void(terms)).to.emit(sys.escrow, "PaymentVoided").withArgs(id, 60n * UNIT);
      const state = await sys.escrow.paymentState(id);
      expect(state.status).to.equal(PaymentStatus.Disputed);
      expect(state.held).to.equal(40n * UNIT);
    });
  });

  describe("resolution", () => {
    it("gives everything to the merchant (0/100), net of fees", async () => {
      const { sys, terms, id } = await disputed();
      const { fee, partnerFee, net } = feeSplit(terms, terms.amount);
      const tx = sys.escrow.connect(sys.arbiter).resolveDispute(terms, 0n);
      await expect(tx)
        .to.emit(sys.escrow, "DisputeResolved")
        .withArgs(id, 0n, terms.amount)
        .and.to.emit(sys.escrow, "PaymentReleased")
        .withArgs(id, terms.amount, fee, partnerFee, net);
      await expect(tx).to.not.emit(sys.escrow, "PaymentRefunded");
      expect(await ledger(sys)).to.deep.equal({ merchant: net, treasury: fee - partnerFee, partner: partnerFee });
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Released);
    });

    it("gives everything to the buyer (100/0), with no fee", async () => {
      const { sys, terms, id } = await disputed();
      const tx = sys.escrow.connect(sys.arbiter).resolveDispute(terms, terms.amount);
      await expect(tx)
        .to.emit(sys.escrow, "DisputeResolved")
        .withArgs(id, terms.amount, 0n)
        .and.to.emit(sys.escrow, "PaymentRefunded")
        .withArgs(id, terms.amount, terms.amount, 0n);
      await expect(tx).to.not.emit(sys.escrow, "PaymentReleased");
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.escrowAddress, sys.buyer], [-terms.amount, terms.amount]);
      expect(await ledger(sys)).to.deep.equal({ merchant: 0n, treasury: 0n, partner: 0n });
      expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Refunded);
    });

    it("splits 30/70, charging fees only on the merchant's part", async () => {
      const { sys, terms, id } = await disputed();
      const buyerPart = 30n * UNIT;
      const merchantPart = 70n * UNIT;
      const { fee, partnerFee, net } = feeSplit(terms, merchantPart);
      expect(fee).to.equal(1_750_000n);
      const tx = sys.escrow.connect(sys.arbiter).resolveDispute(terms, buyerPart);
      await expect(tx)
        .to.emit(sys.escrow, "DisputeResolved")
        .withArgs(id, buyerPart, merchantPart)
        .and.to.emit(sys.escrow, "PaymentReleased")
        .withArgs(id, merchantPart, fee, partnerFee, net);
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.buyer], [buyerPart]);
      expect(await ledger(sys)).to.deep.equal({ merchant: net, treasury: fee - partnerFee, partner: partnerFee });
      const state = await sys.escrow.paymentState(id);
      expect(state.status).to.equal(PaymentStatus.Released);
      expect(state.released).to.equal(merchantPart);
      expect(state.held).to.equal(0n);
    });

    it("reverts with EscrowSplitExceedsHeld when the buyer's part is above the held funds", async () => {
      const { sys, terms, id } = await disputed(40n * UNIT);
      await expect(sys.escrow.connect(sys.arbiter).resolveDispute(terms, 40n * UNIT + 1n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowSplitExceedsHeld")
        .withArgs(id, 40n * UNIT, 40n * UNIT + 1n);
    });

    it("reverts with EscrowUnexpectedStatus when there is no dispute", async () => {
      const { sys, terms, id } = await captured();
      await expect(sys.escrow.connect(sys.arbiter).resolveDispute(terms, 0n))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
        .withArgs(id, PaymentStatus.Captured, statusBits(PaymentStatus.Disputed));
    });

    it("reverts with AccessControlUnauthorizedAccount when the operator resolves", async () => {
      const { sys, terms } = await disputed();
      await expect(sys.escrow.connect(sys.operator).resolveDispute(terms, 0n))
        .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
        .withArgs(sys.operator.address, ROLES.ARBITER);
    });
  });
});

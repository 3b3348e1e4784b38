// Batches: every item succeeds or fails on its own; failures emit BatchItemFailed with the decodable inner
// error and the returned ok[] says which went through. (Who may call them: see AccessControl.test.ts —
// authorizeMany and captureMany are the operator's, releaseMany is open to anyone.)
import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod, PaymentStatus, type PaymentTerms } from "../../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, authorizeErc3009, deploySystem, makeTerms, signErc3009Funding, signTerms, UNIT, type System } from "../../fixtures.js";
import { batchFailures, statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const request = async (sys: System, terms: PaymentTerms) => ({
  terms,
  method: FundingMethod.Erc3009,
  funding: await signErc3009Funding(sys, sys.buyer, terms),
});

describe("PaymentEscrow security: batches", () => {
  describe("authorizeMany with 10 items of which 3 are bad", () => {
    async function tenRequests() {
      const sys = await deploySystem(ethers);
      const good = await Promise.all(Array.from({ length: 7 }, async () => request(sys, await makeTerms(sys))));
      const badSignatureTerms = await makeTerms(sys);
      const badSignature = { terms: badSignatureTerms, method: FundingMethod.Allowance, funding: await signTerms(sys, sys.buyer2, badSignatureTerms) };
      const overLimit = await request(sys, await makeTerms(sys, { amount: 60_000n * UNIT })); // Enhanced buyer: 50,000 per payment
      const [g0, g1, g2, g3, g4, g5, g6] = good as [typeof good[0], typeof good[0], typeof good[0], typeof good[0], typeof good[0], typeof good[0], typeof good[0]];
      const requests = [g0, g1, badSignature, g2, overLimit, g3, g4, g5, g6, g0 /* duplicate of item 0 */];
      return { sys, requests, good, badSignature, overLimit, g0 };
    }

    it("returns ok[] true for the 7 good items and false for the bad signature, the over-limit item and the duplicate", async () => {
      const { sys, requests } = await networkHelpers.loadFixture(tenRequests);
      const ok = await sys.escrow.connect(sys.operator).authorizeMany.staticCall(requests);
      expect(ok).to.deep.equal([true, true, false, true, false, true, true, true, true, false]);
    });

    it("authorizes the 7 good items and records nothing for the 3 bad ones", async () => {
      const { sys, requests, good, badSignature, overLimit } = await networkHelpers.loadFixture(tenRequests);
      await sys.escrow.connect(sys.operator).authorizeMany(requests);
      for (const item of good) {
        expect((await sys.escrow.paymentState(await sys.escrow.paymentId(item.terms))).status).to.equal(PaymentStatus.Authorized);
      }
      for (const item of [badSignature, overLimit]) {
        expect((await sys.escrow.paymentState(await sys.escrow.paymentId(item.terms))).status).to.equal(PaymentStatus.None);
      }
      expect(await sys.token.balanceOf(sys.escrowAddress)).to.equal(700n * UNIT);
      expect(await sys.escrow.rollingVolume(sys.buyer.address, sys.tokenAddress)).to.equal(700n * UNIT);
    });

    it("emits BatchItemFailed for exactly the 3 bad items, each with its decodable inner error", async () => {
      const { sys, requests, badSignature, overLimit, g0 } = await networkHelpers.loadFixture(tenRequests);
      const receipt = await (await sys.escrow.connect(sys.operator).authorizeMany(requests)).wait();
      const id = (t: PaymentTerms) => sys.escrow.paymentId(t);
      expect(batchFailures(sys, receipt, [sys.token.interface])).to.deep.equal([
        { index: 2n, paymentId: await id(badSignature.terms), error: "EscrowInvalidSignature", args: [sys.buyer.address] },
        { index: 4n, paymentId: await id(overLimit.terms), error: "EscrowPaymentLimitExceeded", args: [60_000n * UNIT, 50_000n * UNIT] },
        {
          index: 9n,
          paymentId: await id(g0.terms),
          error: "EscrowUnexpectedStatus",
          args: [await id(g0.terms), BigInt(PaymentStatus.Authorized), statusBits(PaymentStatus.None)],
        },
      ]);
    });
  });

  describe("captureMany", () => {
    async function capturable() {
      const sys = await deploySystem(ethers);
      const [a, b, c, d, e] = await Promise.all(Array.from({ length: 5 }, () => makeTerms(sys))) as [PaymentTerms, PaymentTerms, PaymentTerms, PaymentTerms, PaymentTerms];
      for (const t of [a, b, c, d, e]) await authorizeErc3009(sys, t);
      await sys.escrow.connect(sys.operator).void(e);
      const never = await makeTerms(sys);
      const requests = [
        { terms: a, amount: a.amount },
        { terms: b, amount: 40n * UNIT },
        { terms: c, amount: 150n * UNIT },
        { terms: d, amount: 0n },
        { terms: never, amount: UNIT },
        { terms: e, amount: UNIT },
      ];
      return { sys, a, b, c, d, e, never, requests };
    }

    it("returns ok[] for the full and partial captures only", async () => {
      const { sys, requests } = await networkHelpers.loadFixture(capturable);
      expect(await sys.escrow.connect(sys.operator).captureMany.staticCall(requests)).to.deep.equal([true, true, false, false, false, false]);
    });

    it("captures the good items and reports each bad one with its inner error", async () => {
      const { sys, a, b, c, d, e, never, requests } = await networkHelpers.loadFixture(capturable);
      const receipt = await (await sys.escrow.connect(sys.operator).captureMany(requests)).wait();
      const id = (t: PaymentTerms) => sys.escrow.paymentId(t);
      const open = statusBits(PaymentStatus.Authorized, PaymentStatus.Captured);
      expect(batchFailures(sys, receipt, [])).to.deep.equal([
        { index: 2n, paymentId: await id(c), error: "EscrowCaptureExceedsAuthorization", args: [await id(c), 100n * UNIT, 150n * UNIT] },
        { index: 3n, paymentId: await id(d), error: "EscrowZeroAmount", args: [] },
        { index: 4n, paymentId: await id(never), error: "EscrowUnexpectedStatus", args: [await id(never), BigInt(PaymentStatus.None), open] },
        { index: 5n, paymentId: await id(e), error: "EscrowUnexpectedStatus", args: [await id(e), BigInt(PaymentStatus.Voided), open] },
      ]);
      expect((await sys.escrow.paymentState(await id(a))).held).to.equal(a.amount);
      const stateB = await sys.escrow.paymentState(await id(b));
      expect([stateB.held, stateB.capturable]).to.deep.equal([40n * UNIT, 60n * UNIT]);
      expect((await sys.escrow.paymentState(await id(c))).capturable).to.equal(c.amount);
    });
  });

  describe("releaseMany", () => {
    async function releasable() {
      const sys = await deploySystem(ethers);
      const [due, disputed, authorizedOnly] = await Promise.all(Array.from({ length: 3 }, () => makeTerms(sys))) as [PaymentTerms, PaymentTerms, PaymentTerms];
      await authorizeAndCapture(sys, due);
      await authorizeAndCapture(sys, disputed);
      await sys.escrow.connect(sys.buyer).openDispute(disputed, ethers.id("late"), "0x");
      await authorizeErc3009(sys, authorizedOnly);
      await networkHelpers.time.increase(due.confirmationWindow);
      const fresh = await makeTerms(sys);
      await authorizeAndCapture(sys, fresh); // its window starts now
      return { sys, due, disputed, fresh, authorizedOnly, terms: [due, disputed, fresh, authorizedOnly] };
    }

    it("is open to anyone: a stranger releases what is due and gets ok[] per item", async () => {
      const { sys, terms } = await networkHelpers.loadFixture(releasable);
      expect(await sys.escrow.connect(sys.stranger).releaseMany.staticCall(terms)).to.deep.equal([true, false, false, false]);
    });

    it("releases only the payment whose window passed and reports the others with their inner errors", async () => {
      const { sys, due, disputed, fresh, authorizedOnly, terms } = await networkHelpers.loadFixture(releasable);
      const receipt = await (await sys.escrow.connect(sys.stranger).releaseMany(terms)).wait();
      const id = (t: PaymentTerms) => sys.escrow.paymentId(t);
      const heldSince = (await sys.escrow.paymentState(await id(fresh))).heldSince;
      const captured = statusBits(PaymentStatus.Captured);
      expect(batchFailures(sys, receipt, [])).to.deep.equal([
        { index: 1n, paymentId: await id(disputed), error: "EscrowUnexpectedStatus", args: [await id(disputed), BigInt(PaymentStatus.Disputed), captured] },
        { index: 2n, paymentId: await id(fresh), error: "EscrowConfirmationWindowOpen", args: [await id(fresh), heldSince + fresh.confirmationWindow] },
        { index: 3n, paymentId: await id(authorizedOnly), error: "EscrowUnexpectedStatus", args: [await id(authorizedOnly), BigInt(PaymentStatus.Authorized), captured] },
      ]);
      expect((await sys.escrow.paymentState(await id(due))).status).to.equal(PaymentStatus.Released);
      const fee = (100n * UNIT * 250n) / 10_000n;
      expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(100n * UNIT - fee);
    });
  });

  it("rejects calling a batch item entry point directly with EscrowOnlySelf, even for the operator", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    await authorizeErc3009(sys, terms);
    await expect(sys.escrow.connect(sys.operator).batchCaptureItem({ terms, amount: terms.amount })).to.be.revertedWithCustomError(
      sys.escrow,
      "EscrowOnlySelf",
    );
  });
});

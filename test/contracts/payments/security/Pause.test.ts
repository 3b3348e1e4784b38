// Pause stops new money coming in (authorize, capture, charge and their batches) but never traps money:
// void, reclaim, release, refund, disputes and payouts keep working.
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { FundingMethod, PaymentStatus, type PaymentTerms } from "../../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, authorizeErc3009, deploySystem, makeTerms, signErc3009Funding, UNIT, type System } from "../../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();

async function pausedMidFlow() {
  const sys = await deploySystem(ethers);
  const t = async () => makeTerms(sys);
  const authorized = await t();
  await authorizeErc3009(sys, authorized);
  const captured = await t();
  await authorizeAndCapture(sys, captured);
  const disputed = await t();
  await authorizeAndCapture(sys, disputed);
  await sys.escrow.connect(sys.buyer).openDispute(disputed, ethers.id("damaged"), "0x");
  const settled = await t();
  await authorizeAndCapture(sys, settled);
  await sys.escrow.connect(sys.buyer).confirmReceipt(settled, 0n, "0x");
  // Signed before the pause, submitted during it.
  const fresh = await t();
  const freshFunding = await signErc3009Funding(sys, sys.buyer, fresh);
  await sys.escrow.connect(sys.pauser).pause();
  return { sys, authorized, captured, disputed, settled, fresh, freshFunding };
}
type Ctx = Awaited<ReturnType<typeof pausedMidFlow>>;

interface Row {
  fn: string;
  run: (c: Ctx) => Promise<ContractTransactionResponse>;
}

const BLOCKED: Row[] = [
  { fn: "authorize", run: (c) => c.sys.escrow.connect(c.sys.operator).authorize(c.fresh, FundingMethod.Erc3009, c.freshFunding) },
  { fn: "charge", run: (c) => c.sys.escrow.connect(c.sys.operator).charge(c.fresh, FundingMethod.Erc3009, c.freshFunding) },
  { fn: "capture", run: (c) => c.sys.escrow.connect(c.sys.operator).capture(c.authorized, UNIT) },
  {
    fn: "authorizeMany",
    run: (c) => c.sys.escrow.connect(c.sys.operator).authorizeMany([{ terms: c.fresh, method: FundingMethod.Erc3009, funding: c.freshFunding }]),
  },
  { fn: "captureMany", run: (c) => c.sys.escrow.connect(c.sys.operator).captureMany([{ terms: c.authorized, amount: UNIT }]) },
];

const statusOf = async (sys: System, terms: PaymentTerms) => (await sys.escrow.paymentState(await sys.escrow.paymentId(terms))).status;

const STILL_WORKING: (Row & { event: string; check: (c: Ctx) => Promise<unknown> })[] = [
  {
    fn: "void",
    event: "PaymentVoided",
    run: (c) => c.sys.escrow.connect(c.sys.operator).void(c.authorized),
    check: async (c) => expect(await statusOf(c.sys, c.authorized)).to.equal(PaymentStatus.Voided),
  },
  {
    fn: "reclaim (by the buyer, after the authorization expiry)",
    event: "PaymentReclaimed",
    run: async (c) => {
      await networkHelpers.time.increaseTo(c.authorized.authorizationExpiry);
      return c.sys.escrow.connect(c.sys.buyer).reclaim(c.authorized);
    },
    check: async (c) => expect(await statusOf(c.sys, c.authorized)).to.equal(PaymentStatus.Voided),
  },
  {
    fn: "release (after the confirmation window)",
    event: "PaymentReleased",
    run: async (c) => {
      await networkHelpers.time.increase(c.captured.confirmationWindow);
      return c.sys.escrow.connect(c.sys.stranger).release(c.captured);
    },
    check: async (c) => expect(await statusOf(c.sys, c.captured)).to.equal(PaymentStatus.Released),
  },
  {
    fn: "releaseMany",
    event: "PaymentReleased",
    run: async (c) => {
      await networkHelpers.time.increase(c.captured.confirmationWindow);
      return c.sys.escrow.connect(c.sys.stranger).releaseMany([c.captured]);
    },
    check: async (c) => expect(await statusOf(c.sys, c.captured)).to.equal(PaymentStatus.Released),
  },
  {
    fn: "confirmReceipt",
    event: "ReceiptConfirmed",
    run: (c) => c.sys.escrow.connect(c.sys.buyer).confirmReceipt(c.captured, 0n, "0x"),
    check: async (c) => expect(await statusOf(c.sys, c.captured)).to.equal(PaymentStatus.Released),
  },
  {
    fn: "refund",
    event: "PaymentRefunded",
    run: (c) => c.sys.escrow.connect(c.sys.operator).refund(c.captured, c.captured.amount),
    check: async (c) => expect(await statusOf(c.sys, c.captured)).to.equal(PaymentStatus.Refunded),
  },
  {
    fn: "openDispute",
    event: "DisputeOpened",
    run: (c) => c.sys.escrow.connect(c.sys.buyer).openDispute(c.captured, ethers.id("damaged"), "0x"),
    check: async (c) => expect(await statusOf(c.sys, c.captured)).to.equal(PaymentStatus.Disputed),
  },
  {
    fn: "resolveDispute",
    event: "DisputeResolved",
    run: (c) => c.sys.escrow.connect(c.sys.arbiter).resolveDispute(c.disputed, 50n * UNIT),
    check: async (c) => expect(await statusOf(c.sys, c.disputed)).to.equal(PaymentStatus.Released),
  },
  {
    fn: "payout",
    event: "PayoutSent",
    run: (c) => c.sys.escrow.connect(c.sys.merchant).payout(c.sys.tokenAddress, c.sys.merchant.address),
    check: async (c) => expect(await c.sys.escrow.balanceOf(c.sys.tokenAddress, c.sys.merchant.address)).to.equal(0n),
  },
  {
    fn: "payoutMany",
    event: "PayoutSent",
    run: (c) => c.sys.escrow.connect(c.sys.operator).payoutMany(c.sys.tokenAddress, [c.sys.merchant.address, c.sys.treasury.address]),
    check: async (c) => expect(await c.sys.escrow.balanceOf(c.sys.tokenAddress, c.sys.treasury.address)).to.equal(0n),
  },
];

describe("PaymentEscrow security: pause", () => {
  describe("blocks new money while paused", () => {
    for (const row of BLOCKED) {
      it(`reverts ${row.fn} with EnforcedPause`, async () => {
        const c = await networkHelpers.loadFixture(pausedMidFlow);
        await expect(row.run(c)).to.be.revertedWithCustomError(c.sys.escrow, "EnforcedPause");
      });
    }
  });

  describe("never traps money while paused", () => {
    for (const row of STILL_WORKING) {
      it(`still runs ${row.fn}`, async () => {
        const c = await networkHelpers.loadFixture(pausedMidFlow);
        await expect(row.run(c)).to.emit(c.sys.escrow, row.event);
        await row.check(c);
        expect(await c.sys.escrow.paused()).to.equal(true);
      });
    }
  });

  it("accepts the signature made before the pause once unpaused", async () => {
    const c = await networkHelpers.loadFixture(pausedMidFlow);
    await c.sys.escrow.connect(c.sys.pauser).unpause();
    await expect(c.sys.escrow.connect(c.sys.operator).authorize(c.fresh, FundingMethod.Erc3009, c.freshFunding)).to.emit(
      c.sys.escrow,
      "PaymentAuthorized",
    );
  });
});

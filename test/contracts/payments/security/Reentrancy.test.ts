// Re-entrancy: a token that calls back into the escrow from transfer/transferFrom is stopped by the lock,
// for every entry point that moves tokens and every state-changing call it tries, and leaves state consistent.
import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod, PaymentStatus, type PaymentTerms } from "../../../../relayer/chain/typed-data.js";
import type { ReentrantEscrowToken } from "../../../../typechain-types/index.js";
import { deploySystem, makeTerms, ROLES, signTerms, UNIT, type System } from "../../fixtures.js";
import { authorizeByAllowance, enableTestToken, expectSolvent, payeeAccounts, settleByAllowance } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

const Hook = { Transfer: 1, TransferFrom: 2 } as const;

interface Ctx {
  sys: System;
  token: ReentrantEscrowToken;
  tokenAddress: string;
  terms: (overrides?: Partial<PaymentTerms>) => Promise<PaymentTerms>;
  /** Authorized, 100 capturable: the target of reentrant capture and void. */
  open: PaymentTerms;
  openId: string;
  /** Captured and released: the merchant holds a balance; the target of reentrant refund and payout. */
  settled: PaymentTerms;
  settledId: string;
  /** Signed by the buyer but not authorized: the target of a reentrant authorize. */
  fresh: PaymentTerms;
  freshId: string;
  freshSignature: string;
}

async function reentrancySetup(): Promise<Ctx> {
  const sys = await deploySystem(ethers);
  const token = await ethers.deployContract("ReentrantEscrowToken");
  const tokenAddress = await token.getAddress();
  await enableTestToken(sys, tokenAddress);
  // The callback gets every authority the escrow knows, so only the lock stands in its way.
  await sys.escrow.connect(sys.admin).grantRole(ROLES.OPERATOR, tokenAddress);
  const terms = (overrides: Partial<PaymentTerms> = {}) => makeTerms(sys, { token: tokenAddress, ...overrides });
  const open = await terms();
  const openId = await authorizeByAllowance(sys, open);
  const settled = await terms();
  const settledId = await settleByAllowance(sys, settled);
  const fresh = await terms();
  const freshSignature = await signTerms(sys, sys.buyer, fresh);
  const freshId = await sys.escrow.paymentId(fresh);
  return { sys, token, tokenAddress, terms, open, openId, settled, settledId, fresh, freshId, freshSignature };
}

/** What the token tries from inside its callback. Each would succeed on its own (see the control test). */
const ATTACKS: { name: string; data: (c: Ctx) => string }[] = [
  {
    name: "authorize",
    data: (c) => c.sys.escrow.interface.encodeFunctionData("authorize", [c.fresh, FundingMethod.Allowance, c.freshSignature]),
  },
  { name: "capture", data: (c) => c.sys.escrow.interface.encodeFunctionData("capture", [c.open, 10n * UNIT]) },
  { name: "refund", data: (c) => c.sys.escrow.interface.encodeFunctionData("refund", [c.settled, 10n * UNIT]) },
  { name: "void", data: (c) => c.sys.escrow.interface.encodeFunctionData("void", [c.open]) },
  {
    name: "payout",
    data: (c) => c.sys.escrow.interface.encodeFunctionData("payout", [c.tokenAddress, c.sys.merchant.address]),
  },
];

interface Entry {
  name: string;
  hook: number;
  /** Brings a new payment `q` to the state the entry point needs. */
  prepare: (c: Ctx, q: PaymentTerms) => Promise<void>;
  run: (c: Ctx, q: PaymentTerms) => Promise<unknown>;
  /** The entry point's own effect, checked after the blocked reentry. */
  check: (c: Ctx, q: PaymentTerms) => Promise<unknown>;
}

const statusOf = async (c: Ctx, q: PaymentTerms) => (await c.sys.escrow.paymentState(await c.sys.escrow.paymentId(q))).status;

/** Every entry point that moves tokens, hence gives a token the chance to call back. */
const ENTRIES: Entry[] = [
  {
    name: "authorize",
    hook: Hook.TransferFrom,
    prepare: async () => {},
    run: (c, q) => authorizeByAllowance(c.sys, q),
    check: async (c, q) => expect(await statusOf(c, q)).to.equal(PaymentStatus.Authorized),
  },
  {
    name: "charge",
    hook: Hook.TransferFrom,
    prepare: async () => {},
    run: async (c, q) =>
      (await c.sys.escrow.connect(c.sys.operator).charge(q, FundingMethod.Allowance, await signTerms(c.sys, c.sys.buyer, q))).wait(),
    check: async (c, q) => expect(await statusOf(c, q)).to.equal(PaymentStatus.Captured),
  },
  {
    name: "authorizeMany",
    hook: Hook.TransferFrom,
    prepare: async () => {},
    run: async (c, q) =>
      (
        await c.sys.escrow
          .connect(c.sys.operator)
          .authorizeMany([{ terms: q, method: FundingMethod.Allowance, funding: await signTerms(c.sys, c.sys.buyer, q) }])
      ).wait(),
    check: async (c, q) => expect(await statusOf(c, q)).to.equal(PaymentStatus.Authorized),
  },
  {
    name: "void",
    hook: Hook.Transfer,
    prepare: async (c, q) => void (await authorizeByAllowance(c.sys, q)),
    run: async (c, q) => (await c.sys.escrow.connect(c.sys.operator).void(q)).wait(),
    check: async (c, q) => expect(await statusOf(c, q)).to.equal(PaymentStatus.Voided),
  },
  {
    name: "reclaim",
    hook: Hook.Transfer,
    prepare: async (c, q) => {
      await authorizeByAllowance(c.sys, q);
      await networkHelpers.time.increaseTo(q.authorizationExpiry);
    },
    run: async (c, q) => (await c.sys.escrow.connect(c.sys.buyer).reclaim(q)).wait(),
    check: async (c, q) => expect(await statusOf(c, q)).to.equal(PaymentStatus.Voided),
  },
  {
    name: "refund",
    hook: Hook.Transfer,
    prepare: async (c, q) => {
      await authorizeByAllowance(c.sys, q);
      await (await c.sys.escrow.connect(c.sys.operator).capture(q, q.amount)).wait();
    },
    run: async (c, q) => (await c.sys.escrow.connect(c.sys.operator).refund(q, q.amount)).wait(),
    check: async (c, q) => expect(await statusOf(c, q)).to.equal(PaymentStatus.Refunded),
  },
  {
    name: "resolveDispute",
    hook: Hook.Transfer,
    prepare: async (c, q) => {
      await authorizeByAllowance(c.sys, q);
      await (await c.sys.escrow.connect(c.sys.operator).capture(q, q.amount)).wait();
      await (await c.sys.escrow.connect(c.sys.buyer).openDispute(q, ethers.id("not delivered"), "0x")).wait();
    },
    run: async (c, q) => (await c.sys.escrow.connect(c.sys.arbiter).resolveDispute(q, q.amount)).wait(),
    check: async (c, q) => expect(await statusOf(c, q)).to.equal(PaymentStatus.Refunded),
  },
  {
    name: "payout",
    hook: Hook.Transfer,
    prepare: async () => {},
    run: async (c) => (await c.sys.escrow.connect(c.sys.partner).payout(c.tokenAddress, c.sys.partner.address)).wait(),
    check: async (c) => expect(await c.sys.escrow.balanceOf(c.tokenAddress, c.sys.partner.address)).to.equal(0n),
  },
  {
    name: "payoutMany",
    hook: Hook.Transfer,
    prepare: async () => {},
    run: async (c) => (await c.sys.escrow.connect(c.sys.operator).payoutMany(c.tokenAddress, [c.sys.treasury.address])).wait(),
    check: async (c) => expect(await c.sys.escrow.balanceOf(c.tokenAddress, c.sys.treasury.address)).to.equal(0n),
  },
];

/** The reentry targets are exactly as the fixture left them. */
async function expectTargetsUntouched(c: Ctx, before: { open: unknown; settled: unknown; merchant: bigint }) {
  expect(await c.sys.escrow.paymentState(c.openId)).to.deep.equal(before.open);
  expect(await c.sys.escrow.paymentState(c.settledId)).to.deep.equal(before.settled);
  expect((await c.sys.escrow.paymentState(c.freshId)).status).to.equal(PaymentStatus.None);
  expect(await c.sys.escrow.balanceOf(c.tokenAddress, c.sys.merchant.address)).to.equal(before.merchant);
}

async function expectBlockedByLock(c: Ctx) {
  expect(await c.token.attempts()).to.equal(1n);
  expect(await c.token.lastReentryBlocked()).to.equal(true);
  const error = c.sys.escrow.interface.parseError(await c.token.lastReentryReturnData());
  expect(error?.name).to.equal("ReentrancyGuardReentrantCall");
}

describe("PaymentEscrow security: re-entrancy through the token", () => {
  for (const entry of ENTRIES) {
    describe(`${entry.name} (token calls back from ${entry.hook === Hook.Transfer ? "transfer" : "transferFrom"})`, () => {
      for (const attack of ATTACKS) {
        it(`blocks a reentrant ${attack.name} with ReentrancyGuardReentrantCall, completes itself and stays solvent`, async () => {
          const c = await networkHelpers.loadFixture(reentrancySetup);
          const q = await c.terms();
          await entry.prepare(c, q);
          const before = {
            open: await c.sys.escrow.paymentState(c.openId),
            settled: await c.sys.escrow.paymentState(c.settledId),
            merchant: await c.sys.escrow.balanceOf(c.tokenAddress, c.sys.merchant.address),
          };
          await c.token.arm(c.sys.escrowAddress, entry.hook, attack.data(c));

          await entry.run(c, q);

          await expectBlockedByLock(c);
          await entry.check(c, q);
          await expectTargetsUntouched(c, before);
          await expectSolvent(c.sys, c.tokenAddress, [c.openId, c.settledId, await c.sys.escrow.paymentId(q)], payeeAccounts(c.sys));
        });
      }
    });
  }

  describe("controls", () => {
    for (const attack of ATTACKS) {
      it(`lets the same ${attack.name} through when the token makes it outside any escrow call (only the lock stopped it)`, async () => {
        const c = await networkHelpers.loadFixture(reentrancySetup);
        await c.token.arm(c.sys.escrowAddress, Hook.Transfer, attack.data(c));
        // A plain token transfer between two outsiders fires the callback with no escrow call on the stack.
        await c.token.connect(c.sys.buyer).transfer(c.sys.stranger.address, 1n);
        expect(await c.token.attempts()).to.equal(1n);
        expect(await c.token.lastReentryBlocked()).to.equal(false);
      });
    }

    it("rejects a callback into a batch item entry point with EscrowOnlySelf", async () => {
      const c = await networkHelpers.loadFixture(reentrancySetup);
      const q = await c.terms();
      await c.token.arm(
        c.sys.escrowAddress,
        Hook.TransferFrom,
        c.sys.escrow.interface.encodeFunctionData("batchCaptureItem", [{ terms: c.open, amount: 10n * UNIT }]),
      );
      await authorizeByAllowance(c.sys, q);
      expect(await c.token.lastReentryBlocked()).to.equal(true);
      expect(c.sys.escrow.interface.parseError(await c.token.lastReentryReturnData())?.name).to.equal("EscrowOnlySelf");
      expect((await c.sys.escrow.paymentState(c.openId)).capturable).to.equal(c.open.amount);
    });
  });
});

// Review regressions: the status derivation and the escrow invariant in the paths the review examined.
import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus, type PaymentTerms } from "../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, authorizeErc3009, deploySystem, makeTerms, UNIT, type System } from "../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);
const reason = ethers.encodeBytes32String("not-delivered");

/** Escrow balance == sum of capturable + held of `ids` + balances of merchant, treasury and partner. */
async function expectInvariant(sys: System, ids: string[]): Promise<void> {
  let owed = 0n;
  for (const id of ids) {
    const p = await sys.escrow.paymentState(id);
    owed += p.capturable + p.held;
  }
  for (const account of [sys.merchant, sys.treasury, sys.partner]) {
    owed += await sys.escrow.balanceOf(sys.tokenAddress, account.address);
  }
  expect(await sys.token.balanceOf(sys.escrowAddress)).to.equal(owed);
}

async function statusOf(sys: System, id: string): Promise<bigint> {
  return (await sys.escrow.paymentState(id)).status;
}

async function disputed(sys: System, terms: PaymentTerms, captured: bigint): Promise<string> {
  const id = await authorizeAndCapture(sys, terms, captured);
  await sys.escrow.connect(sys.buyer).openDispute(terms, reason, "0x");
  return id;
}

describe("Review: status derivation and accounting", () => {
  it("keeps a payment Disputed when the operator voids its uncaptured rest during the dispute", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await disputed(sys, terms, 40n * UNIT);
    await sys.escrow.connect(sys.operator).void(terms);
    expect(await statusOf(sys, id)).to.equal(PaymentStatus.Disputed);
    await expectInvariant(sys, [id]);
  });

  it("ends Released when the arbiter splits a dispute and nothing is capturable", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await disputed(sys, terms, terms.amount);
    await sys.escrow.connect(sys.arbiter).resolveDispute(terms, 30n * UNIT);
    expect(await statusOf(sys, id)).to.equal(PaymentStatus.Released);
    await expectInvariant(sys, [id]);
  });

  it("ends Refunded when the arbiter gives everything to the buyer", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await disputed(sys, terms, terms.amount);
    await sys.escrow.connect(sys.arbiter).resolveDispute(terms, terms.amount);
    expect(await statusOf(sys, id)).to.equal(PaymentStatus.Refunded);
    await expectInvariant(sys, [id]);
  });

  it("returns to Captured after a resolution that leaves something capturable, and refuses a second dispute", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await disputed(sys, terms, 40n * UNIT);
    await sys.escrow.connect(sys.arbiter).resolveDispute(terms, 0n);
    expect(await statusOf(sys, id)).to.equal(PaymentStatus.Captured);
    await sys.escrow.connect(sys.operator).capture(terms, 10n * UNIT);
    await expect(sys.escrow.connect(sys.buyer).openDispute(terms, reason, "0x"))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowDisputeAlreadyUsed")
      .withArgs(id);
  });

  it("ends Refunded when a partly released payment is refunded in full from held funds and the merchant's balance", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const other = await makeTerms(sys);
    const otherId = await authorizeAndCapture(sys, other);
    const id = await authorizeAndCapture(sys, terms, 60n * UNIT);
    await networkHelpers.time.increase(terms.confirmationWindow);
    await sys.escrow.release(other); // gives the merchant a balance large enough for a gross refund
    await sys.escrow.release(terms);
    await sys.escrow.connect(sys.operator).capture(terms, 40n * UNIT);
    await sys.escrow.connect(sys.operator).refund(terms, 30n * UNIT);
    expect(await statusOf(sys, id)).to.equal(PaymentStatus.Captured);
    await sys.escrow.connect(sys.operator).refund(terms, 70n * UNIT);
    expect(await statusOf(sys, id)).to.equal(PaymentStatus.Refunded);
    await expectInvariant(sys, [id, otherId]);
  });

  it("charges the same fee however a payment is split into captures and releases", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { amount: 999n });
    const id = await authorizeErc3009(sys, terms);
    for (const part of [333n, 333n, 333n]) {
      await sys.escrow.connect(sys.operator).capture(terms, part);
      await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
    }
    const fee = (999n * 250n) / 10_000n; // floor on the running total, once
    const partnerFee = (fee * 2_000n) / 10_000n;
    expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(999n - fee);
    expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.partner.address)).to.equal(partnerFee);
    expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.treasury.address)).to.equal(fee - partnerFee);
    await expectInvariant(sys, [id]);
  });

  it("keeps the fee of the whole when a payment is released in 39-unit slices that each round to zero", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { amount: 390n });
    await authorizeErc3009(sys, terms);
    for (let i = 0; i < 10; i++) {
      await sys.escrow.connect(sys.operator).capture(terms, 39n);
      await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
    }
    expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(390n - 9n);
  });

  it("lets the buyer reclaim while the escrow is paused", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeErc3009(sys, terms);
    await sys.escrow.connect(sys.pauser).pause();
    await networkHelpers.time.increaseTo(terms.authorizationExpiry);
    await sys.escrow.connect(sys.buyer).reclaim(terms);
    expect(await statusOf(sys, id)).to.equal(PaymentStatus.Voided);
    await expectInvariant(sys, [id]);
  });
});

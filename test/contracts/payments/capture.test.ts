import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { authorizeErc3009, deploySystem, makeTerms, ROLES, UNIT } from "../fixtures.js";
import { latest, statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

async function authorized() {
  const sys = await networkHelpers.loadFixture(system);
  const terms = await makeTerms(sys);
  const id = await authorizeErc3009(sys, terms);
  return { sys, terms, id };
}

describe("PaymentEscrow capture", () => {
  it("captures the full amount: held, nothing capturable, status Captured, window starts now", async () => {
    const { sys, terms, id } = await authorized();
    await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount))
      .to.emit(sys.escrow, "PaymentCaptured")
      .withArgs(id, terms.amount);
    const state = await sys.escrow.paymentState(id);
    expect(state.status).to.equal(PaymentStatus.Captured);
    expect(state.capturable).to.equal(0n);
    expect(state.held).to.equal(terms.amount);
    expect(state.heldSince).to.equal(await latest(sys));
  });

  it("captures in several parts, each moving capturable to held", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).capture(terms, 30n * UNIT);
    await expect(sys.escrow.connect(sys.operator).capture(terms, 50n * UNIT))
      .to.emit(sys.escrow, "PaymentCaptured")
      .withArgs(id, 50n * UNIT);
    let state = await sys.escrow.paymentState(id);
    expect(state.status).to.equal(PaymentStatus.Captured);
    expect(state.capturable).to.equal(20n * UNIT);
    expect(state.held).to.equal(80n * UNIT);
    await sys.escrow.connect(sys.operator).capture(terms, 20n * UNIT);
    state = await sys.escrow.paymentState(id);
    expect(state.capturable).to.equal(0n);
    expect(state.held).to.equal(terms.amount);
  });

  it("moves no tokens: captured funds stay in escrow", async () => {
    const { sys, terms } = await authorized();
    await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount)).to.changeTokenBalances(
      ethers,
      sys.token,
      [sys.buyer, sys.escrowAddress, sys.merchant],
      [0n, 0n, 0n],
    );
  });

  it("restarts the confirmation window on every capture", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).capture(terms, 10n * UNIT);
    await networkHelpers.time.increase(3_600);
    await sys.escrow.connect(sys.operator).capture(terms, 10n * UNIT);
    expect((await sys.escrow.paymentState(id)).heldSince).to.equal(await latest(sys));
  });

  it("reverts with EscrowCaptureExceedsAuthorization above the amount", async () => {
    const { sys, terms, id } = await authorized();
    await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount + 1n))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowCaptureExceedsAuthorization")
      .withArgs(id, terms.amount, terms.amount + 1n);
  });

  it("reverts with EscrowCaptureExceedsAuthorization above what is left after a partial capture", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).capture(terms, 60n * UNIT);
    await expect(sys.escrow.connect(sys.operator).capture(terms, 40n * UNIT + 1n))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowCaptureExceedsAuthorization")
      .withArgs(id, 40n * UNIT, 40n * UNIT + 1n);
  });

  it("reverts with EscrowZeroAmount for a zero capture", async () => {
    const { sys, terms } = await authorized();
    await expect(sys.escrow.connect(sys.operator).capture(terms, 0n)).to.be.revertedWithCustomError(
      sys.escrow,
      "EscrowZeroAmount",
    );
  });

  it("captures one second before the authorization expiry", async () => {
    const { sys, terms, id } = await authorized();
    await networkHelpers.time.setNextBlockTimestamp(terms.authorizationExpiry - 1n);
    await sys.escrow.connect(sys.operator).capture(terms, terms.amount);
    expect((await sys.escrow.paymentState(id)).held).to.equal(terms.amount);
  });

  for (const offset of [0n, 1n]) {
    it(`reverts with EscrowAuthorizationExpired at the authorization expiry + ${offset}s`, async () => {
      const { sys, terms, id } = await authorized();
      await networkHelpers.time.setNextBlockTimestamp(terms.authorizationExpiry + offset);
      await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowAuthorizationExpired")
        .withArgs(id, terms.authorizationExpiry);
    });
  }

  it("reverts with KycFrozen when the merchant is frozen", async () => {
    const { sys, terms } = await authorized();
    await sys.kyc.connect(sys.compliance).freeze(sys.merchant.address, ethers.encodeBytes32String("aml"));
    await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount))
      .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
      .withArgs(sys.merchant.address);
  });

  it("reverts with EnforcedPause while paused", async () => {
    const { sys, terms } = await authorized();
    await sys.escrow.connect(sys.pauser).pause();
    await expect(sys.escrow.connect(sys.operator).capture(terms, terms.amount)).to.be.revertedWithCustomError(
      sys.escrow,
      "EnforcedPause",
    );
  });

  it("reverts with EscrowUnexpectedStatus for a payment never authorized", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await sys.escrow.paymentId(terms);
    await expect(sys.escrow.connect(sys.operator).capture(terms, 1n))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
      .withArgs(id, PaymentStatus.None, statusBits(PaymentStatus.Authorized, PaymentStatus.Captured));
  });

  it("reverts with EscrowUnexpectedStatus for a voided payment", async () => {
    const { sys, terms, id } = await authorized();
    await sys.escrow.connect(sys.operator).void(terms);
    await expect(sys.escrow.connect(sys.operator).capture(terms, 1n))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
      .withArgs(id, PaymentStatus.Voided, statusBits(PaymentStatus.Authorized, PaymentStatus.Captured));
  });

  it("reverts with AccessControlUnauthorizedAccount when the buyer captures", async () => {
    const { sys, terms } = await authorized();
    await expect(sys.escrow.connect(sys.buyer).capture(terms, terms.amount))
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(sys.buyer.address, ROLES.OPERATOR);
  });
});

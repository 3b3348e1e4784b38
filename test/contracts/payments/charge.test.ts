import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod, PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { deploySystem, makeTerms, ROLES, signErc3009Funding } from "../fixtures.js";
import { chargeErc3009, latest, statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

describe("PaymentEscrow charge", () => {
  it("authorizes and captures the full amount in one call, emitting both events", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await sys.escrow.paymentId(terms);
    const funding = await signErc3009Funding(sys, sys.buyer, terms);
    const tx = sys.escrow.connect(sys.operator).charge(terms, FundingMethod.Erc3009, funding);
    await expect(tx)
      .to.emit(sys.escrow, "PaymentAuthorized")
      .withArgs(id, terms.merchant, terms.buyer, terms.token, terms.amount, terms.orderRef, FundingMethod.Erc3009)
      .and.to.emit(sys.escrow, "PaymentCaptured")
      .withArgs(id, terms.amount);
    await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.escrowAddress], [-terms.amount, terms.amount]);
    const state = await sys.escrow.paymentState(id);
    expect(state.status).to.equal(PaymentStatus.Captured);
    expect(state.capturable).to.equal(0n);
    expect(state.held).to.equal(terms.amount);
    expect(state.heldSince).to.equal(await latest(sys));
  });

  it("charges when the buyer calls itself from an allowance", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    await sys.token.connect(sys.buyer).approve(sys.escrowAddress, terms.amount);
    await expect(sys.escrow.connect(sys.buyer).charge(terms, FundingMethod.Allowance, "0x")).to.emit(
      sys.escrow,
      "PaymentCaptured",
    );
    expect((await sys.escrow.paymentState(await sys.escrow.paymentId(terms))).status).to.equal(PaymentStatus.Captured);
  });

  it("reverts with EscrowUnexpectedStatus when the same terms are charged twice", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await chargeErc3009(sys, terms);
    await expect(sys.escrow.connect(sys.operator).charge(terms, FundingMethod.Erc3009, "0x"))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowUnexpectedStatus")
      .withArgs(id, PaymentStatus.Captured, statusBits(PaymentStatus.None));
  });

  it("reverts with AccessControlUnauthorizedAccount when the caller is neither operator nor buyer", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const funding = await signErc3009Funding(sys, sys.buyer, terms);
    await expect(sys.escrow.connect(sys.stranger).charge(terms, FundingMethod.Erc3009, funding))
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(sys.stranger.address, ROLES.OPERATOR);
  });

  it("reverts with EnforcedPause while paused", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const funding = await signErc3009Funding(sys, sys.buyer, terms);
    await sys.escrow.connect(sys.pauser).pause();
    await expect(sys.escrow.connect(sys.operator).charge(terms, FundingMethod.Erc3009, funding)).to.be.revertedWithCustomError(
      sys.escrow,
      "EnforcedPause",
    );
  });
});

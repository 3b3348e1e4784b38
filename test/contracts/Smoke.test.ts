import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus } from "../../relayer/chain/typed-data.js";
import { authorizeAndCapture, deploySystem, makeTerms, UNIT } from "./fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

describe("PaymentEscrow smoke", () => {
  it("authorizes by EIP-3009, captures, releases after the window and pays the merchant out", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys);
    const id = await authorizeAndCapture(sys, terms);
    expect((await sys.escrow.paymentState(id)).status).to.equal(PaymentStatus.Captured);
    await networkHelpers.time.increase(terms.confirmationWindow);
    await sys.escrow.connect(sys.stranger).release(terms);
    const fee = (100n * UNIT * 250n) / 10_000n;
    expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(100n * UNIT - fee);
    await sys.escrow.connect(sys.merchant).payout(sys.tokenAddress, sys.merchant.address);
    expect(await sys.token.balanceOf(sys.settlement.address)).to.equal(100n * UNIT - fee);
  });
});

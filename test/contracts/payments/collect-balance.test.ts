import { expect } from "chai";
import { network } from "hardhat";

import { authorizeAndCapture, deploySystem, makeTerms, ROLES, UNIT } from "../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

/** A merchant with a released balance, and the `collector` (a plain key here; the registry in production). */
async function credited() {
  const sys = await networkHelpers.loadFixture(system);
  const terms = await makeTerms(sys);
  await authorizeAndCapture(sys, terms);
  await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
  const collector = sys.stranger;
  await sys.escrow.connect(sys.admin).grantRole(ROLES.COLLECTOR, collector.address);
  const balance = await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address);
  return { sys, collector, balance };
}

describe("PaymentEscrow collectBalance", () => {
  it("moves part of a merchant's balance to the collector, with an event, and debits exactly that", async () => {
    const { sys, collector, balance } = await credited();
    const tx = sys.escrow.connect(collector).collectBalance(sys.tokenAddress, sys.merchant.address, 40n * UNIT);
    await expect(tx).to.emit(sys.escrow, "BalanceCollected").withArgs(sys.tokenAddress, sys.merchant.address, collector.address, 40n * UNIT);
    await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.escrowAddress, collector], [-40n * UNIT, 40n * UNIT]);
    expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(balance - 40n * UNIT);
  });

  it("is refused to every key without the collector role, the operator and the merchant included", async () => {
    const { sys } = await credited();
    for (const caller of [sys.operator, sys.merchant, sys.admin, sys.buyer]) {
      await expect(sys.escrow.connect(caller).collectBalance(sys.tokenAddress, sys.merchant.address, 1n))
        .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
        .withArgs(caller.address, ROLES.COLLECTOR);
    }
  });

  it("refuses more than the balance, and zero, with nothing moved", async () => {
    const { sys, collector, balance } = await credited();
    await expect(sys.escrow.connect(collector).collectBalance(sys.tokenAddress, sys.merchant.address, balance + 1n))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowInsufficientMerchantBalance")
      .withArgs(sys.merchant.address, balance, balance + 1n);
    await expect(sys.escrow.connect(collector).collectBalance(sys.tokenAddress, sys.merchant.address, 0n))
      .to.be.revertedWithCustomError(sys.escrow, "EscrowZeroAmount");
    expect(await sys.escrow.balanceOf(sys.tokenAddress, sys.merchant.address)).to.equal(balance);
  });

  it("refuses a frozen merchant's balance; after unfreezing it can be collected", async () => {
    const { sys, collector } = await credited();
    await sys.kyc.connect(sys.compliance).freeze(sys.merchant.address, ethers.encodeBytes32String("aml"));
    await expect(sys.escrow.connect(collector).collectBalance(sys.tokenAddress, sys.merchant.address, 1n))
      .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
      .withArgs(sys.merchant.address);
    await sys.kyc.connect(sys.compliance).unfreeze(sys.merchant.address, ethers.encodeBytes32String("cleared"));
    await sys.escrow.connect(collector).collectBalance(sys.tokenAddress, sys.merchant.address, 1n);
  });
});

import { expect } from "chai";
import { network } from "hardhat";

import { FundingMethod } from "../../../relayer/chain/typed-data.js";
import { ReceivableState, RepaymentSource } from "../../../relayer/chain/receivable-typed-data.js";
import { signErc3009Funding } from "../fixtures.js";
import { stateBits } from "./helpers.js";
import { DAY, deployFinance, issueAccepted, repaymentAuth, SELF, UNIT, type Finance } from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);
const { Wallet, EscrowBalance } = RepaymentSource;

/** An accepted 1,000,000 invoice split 600,000 (supplier) / 300,000 (tier 2) / 100,000 (tier 2), in that order. */
async function splitInThree() {
  const f = await networkHelpers.loadFixture(finance);
  const { id, terms } = await issueAccepted(f);
  await f.registry
    .connect(f.supplier)
    .split(id, [600_000n * UNIT, 300_000n * UNIT, 100_000n * UNIT], [f.supplier.address, f.tier2.address, f.tier2.address], SELF);
  const parts = await Promise.all([0, 1, 2].map((i) => f.registry.partIdOf(id, i)));
  return { f, id, terms, parts: parts as [bigint, bigint, bigint] };
}

let sales = 0;

/** Gives the debtor (an escrow merchant) `amount` of sales proceeds in its escrow balance. */
async function escrowProceeds(f: Finance, amount: bigint) {
  const now = BigInt(await networkHelpers.time.latest());
  const terms = {
    merchant: f.debtor.address, buyer: f.buyer.address, token: f.tokenAddress, amount,
    preApprovalExpiry: now + 3_600n, authorizationExpiry: now + 7n * DAY, refundExpiry: now + 30n * DAY,
    confirmationWindow: 0n, kycTier: 1, feeBps: 100, partner: ethers.ZeroAddress, partnerShareBps: 0, orderRef: ethers.id(`sale-${sales++}`),
  };
  await f.escrow.connect(f.operator).charge(terms, FundingMethod.Erc3009, await signErc3009Funding(f, f.buyer, terms));
  await f.escrow.release(terms);
  return f.escrow.balanceOf(f.tokenAddress, f.debtor.address);
}

describe("ReceivableRegistry repay", () => {
  it("pays every current holder exactly its part's face value, and nothing stays in the registry", async () => {
    const { f, id, parts } = await splitInThree();
    const tx = f.registry.connect(f.debtor).repay(id, 1_000_000n * UNIT, Wallet, SELF);
    await expect(tx).to.changeTokenBalances(ethers, f.token, [f.debtor, f.supplier, f.tier2, f.registryAddress], [-1_000_000n * UNIT, 600_000n * UNIT, 400_000n * UNIT, 0n]);
    for (const p of parts) {
      await expect(tx).to.emit(f.registry, "ReceivableRepaid").withArgs(p);
      expect((await f.registry.receivableOf(p)).state).to.equal(ReceivableState.Repaid);
    }
    await expect(tx).to.emit(f.registry, "RepaymentReceived").withArgs(id, id, f.debtor.address, Wallet, 1_000_000n * UNIT);
  });

  it("allocates a partial repayment to the parts in creation order, each in full before the next", async () => {
    const { f, id, parts } = await splitInThree();
    await expect(f.registry.connect(f.debtor).repay(id, 700_000n * UNIT, Wallet, SELF))
      .to.emit(f.registry, "RepaymentAllocated").withArgs(parts[0], f.supplier.address, 0n, 600_000n * UNIT, false)
      .and.to.emit(f.registry, "RepaymentAllocated").withArgs(parts[1], f.tier2.address, 0n, 100_000n * UNIT, false);
    const states = await Promise.all(parts.map(async (p) => (await f.registry.receivableOf(p)).state));
    expect(states).to.deep.equal([ReceivableState.Repaid, ReceivableState.Accepted, ReceivableState.Accepted]);
    expect((await f.registry.receivableOf(parts[1])).principalPaid).to.equal(100_000n * UNIT);
    expect(await f.registry.amountDue(id)).to.deep.equal([300_000n * UNIT, 0n]);
    // a partly repaid part can still move; the next holder receives what is left
    await f.registry.connect(f.tier2).transferFrom(f.tier2.address, f.supplier.address, parts[1]);
    await expect(f.registry.connect(f.debtor).repay(id, 300_000n * UNIT, Wallet, SELF)).to.changeTokenBalances(
      ethers, f.token, [f.supplier, f.tier2], [200_000n * UNIT, 100_000n * UNIT],
    );
  });

  it("repays one part only when the debtor names it; takes no more than is due", async () => {
    const { f, parts } = await splitInThree();
    const tx = f.registry.connect(f.debtor).repay(parts[2], 5_000_000n * UNIT, Wallet, SELF);
    await expect(tx).to.changeTokenBalances(ethers, f.token, [f.debtor, f.tier2, f.supplier], [-100_000n * UNIT, 100_000n * UNIT, 0n]);
    expect((await f.registry.receivableOf(parts[0])).principalPaid).to.equal(0n);
  });

  it("allows early repayment, long before the due date, without any fee", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f);
    await expect(f.registry.connect(f.debtor).repay(id, 1_000_000n * UNIT, Wallet, SELF)).to.changeTokenBalances(
      ethers, f.token, [f.debtor, f.supplier], [-1_000_000n * UNIT, 1_000_000n * UNIT],
    );
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Repaid);
  });

  it("repays by the debtor's signature from its merchant balance in the escrow (sales proceeds)", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f, { faceValue: 50_000n * UNIT });
    const balance = await escrowProceeds(f, 40_000n * UNIT); // two sales of 40,000, less the 1% fee
    expect(balance).to.equal(39_600n * UNIT);
    expect(await escrowProceeds(f, 40_000n * UNIT)).to.equal(79_200n * UNIT);
    const auth = await repaymentAuth(f, f.debtor, id, 50_000n * UNIT, EscrowBalance);
    const tx = f.registry.connect(f.operator).repay(id, 50_000n * UNIT, EscrowBalance, auth);
    await expect(tx).to.changeTokenBalances(ethers, f.token, [f.escrowAddress, f.supplier, f.debtor, f.registryAddress], [-50_000n * UNIT, 50_000n * UNIT, 0n, 0n]);
    await expect(tx).to.emit(f.escrow, "BalanceCollected").withArgs(f.tokenAddress, f.debtor.address, f.registryAddress, 50_000n * UNIT);
    expect(await f.escrow.balanceOf(f.tokenAddress, f.debtor.address)).to.equal(29_200n * UNIT);
  });

  it("refuses an escrow repayment beyond the debtor's merchant balance, with nothing moved", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f, { faceValue: 50_000n * UNIT });
    await expect(f.registry.connect(f.debtor).repay(id, 50_000n * UNIT, EscrowBalance, SELF))
      .to.be.revertedWithCustomError(f.escrow, "EscrowInsufficientMerchantBalance").withArgs(f.debtor.address, 0n, 50_000n * UNIT);
  });

  it("refuses repayment by a stranger, or with a signature from the wrong party", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f);
    await expect(f.registry.connect(f.financier).repay(id, 1n, Wallet, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnauthorizedCaller").withArgs(f.financier.address);
    await expect(f.registry.connect(f.operator).repay(id, 1n, Wallet, await repaymentAuth(f, f.supplier, id, 1n, Wallet)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature").withArgs(f.debtor.address);
    // the signature binds the source: a wallet signature cannot drain the escrow balance
    await expect(f.registry.connect(f.operator).repay(id, 1n, EscrowBalance, await repaymentAuth(f, f.debtor, id, 1n, Wallet)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature").withArgs(f.debtor.address);
    expect((await f.registry.receivableOf(id)).principalPaid).to.equal(0n);
  });

  it("refuses a zero amount, a repaid receivable, a fully repaid split invoice, and a frozen debtor", async () => {
    const { f, id, parts } = await splitInThree();
    await expect(f.registry.connect(f.debtor).repay(id, 0n, Wallet, SELF)).to.be.revertedWithCustomError(f.registry, "ReceivableZeroAmount");
    await f.registry.connect(f.debtor).repay(id, 1_000_000n * UNIT, Wallet, SELF);
    await expect(f.registry.connect(f.debtor).repay(id, 1n, Wallet, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableNothingDue").withArgs(id);
    await expect(f.registry.connect(f.debtor).repay(parts[0], 1n, Wallet, SELF)).to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState")
      .withArgs(parts[0], ReceivableState.Repaid, stateBits(ReceivableState.Accepted, ReceivableState.Split, ReceivableState.Overdue, ReceivableState.Defaulted));
    const other = await issueAccepted(f);
    await f.kyc.connect(f.compliance).freeze(f.debtor.address, ethers.encodeBytes32String("aml"));
    await expect(f.registry.connect(f.debtor).repay(other.id, 1n, Wallet, SELF)).to.be.revertedWithCustomError(f.kyc, "KycFrozen");
  });
});

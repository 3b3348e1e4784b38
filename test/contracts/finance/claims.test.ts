import { expect } from "chai";
import { network } from "hardhat";

import { RepaymentSource } from "../../../relayer/chain/receivable-typed-data.js";
import { deployFinance, issueAccepted, SELF, UNIT } from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);

async function splitToTier2() {
  const f = await networkHelpers.loadFixture(finance);
  const { id } = await issueAccepted(f);
  await f.registry.connect(f.supplier).split(id, [700_000n * UNIT, 300_000n * UNIT], [f.supplier.address, f.tier2.address], SELF);
  return { f, id, part: await f.registry.partIdOf(id, 1) };
}

describe("ReceivableRegistry claims (pull over push)", () => {
  it("credits a frozen holder's share as a claim, pays the others, and the registry holds exactly the claim", async () => {
    const { f, id, part } = await splitToTier2();
    await f.kyc.connect(f.compliance).freeze(f.tier2.address, ethers.encodeBytes32String("aml"));
    const tx = f.registry.connect(f.debtor).repay(id, 1_000_000n * UNIT, RepaymentSource.Wallet, SELF);
    await expect(tx).to.changeTokenBalances(ethers, f.token, [f.supplier, f.tier2, f.registryAddress], [700_000n * UNIT, 0n, 300_000n * UNIT]);
    await expect(tx).to.emit(f.registry, "ClaimCredited").withArgs(f.tokenAddress, f.tier2.address, part, 300_000n * UNIT);
    await expect(tx).to.emit(f.registry, "RepaymentAllocated").withArgs(part, f.tier2.address, 0n, 300_000n * UNIT, true);
    expect(await f.registry.claimable(f.tokenAddress, f.tier2.address)).to.equal(300_000n * UNIT);
    // frozen: the claim stays, it cannot be paid
    await expect(f.registry.connect(f.tier2).claim(f.tokenAddress, f.tier2.address)).to.be.revertedWithCustomError(f.kyc, "KycFrozen");
    await f.kyc.connect(f.compliance).unfreeze(f.tier2.address, ethers.encodeBytes32String("cleared"));
    await expect(f.registry.connect(f.operator).claim(f.tokenAddress, f.tier2.address))
      .to.emit(f.registry, "Claimed").withArgs(f.tokenAddress, f.tier2.address, 300_000n * UNIT);
    expect(await f.token.balanceOf(f.registryAddress)).to.equal(0n);
    expect(await f.registry.claimable(f.tokenAddress, f.tier2.address)).to.equal(0n);
  });

  it("credits a holder the token blocklists instead of failing the repayment", async () => {
    const { f, id, part } = await splitToTier2();
    await f.token.connect(f.compliance).blocklist(f.tier2.address, ethers.encodeBytes32String("sanctions"));
    await expect(f.registry.connect(f.debtor).repay(id, 1_000_000n * UNIT, RepaymentSource.Wallet, SELF))
      .to.emit(f.registry, "ClaimCredited").withArgs(f.tokenAddress, f.tier2.address, part, 300_000n * UNIT);
    expect(await f.token.balanceOf(f.registryAddress)).to.equal(300_000n * UNIT);
  });

  it("refuses a claim of nothing, and a claim for someone else by a stranger", async () => {
    const { f } = await splitToTier2();
    await expect(f.registry.connect(f.tier2).claim(f.tokenAddress, f.tier2.address))
      .to.be.revertedWithCustomError(f.registry, "ReceivableNothingToClaim").withArgs(f.tokenAddress, f.tier2.address);
    await expect(f.registry.connect(f.outsider).claim(f.tokenAddress, f.tier2.address))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnauthorizedCaller").withArgs(f.outsider.address);
  });
});

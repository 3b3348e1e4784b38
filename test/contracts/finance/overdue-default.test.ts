import { expect } from "chai";
import { network } from "hardhat";

import { ReceivableState, RepaymentSource } from "../../../relayer/chain/receivable-typed-data.js";
import { ROLES } from "../fixtures.js";
import { stateBits } from "./helpers.js";
import { DAY, deployFinance, GRACE_PERIOD, issueAccepted, LATE_FEE_BPS, SELF, UNIT } from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);
const YEAR = 365n * DAY;
const reason = ethers.encodeBytes32String("unpaid-30-days");

async function splitInTwo() {
  const f = await networkHelpers.loadFixture(finance);
  const { id, terms } = await issueAccepted(f);
  await f.registry.connect(f.supplier).split(id, [700_000n * UNIT, 300_000n * UNIT], [f.supplier.address, f.tier2.address], SELF);
  const parts = [await f.registry.partIdOf(id, 0), await f.registry.partIdOf(id, 1)] as const;
  return { f, id, terms, parts, overdueAt: terms.dueAt + GRACE_PERIOD };
}

describe("ReceivableRegistry overdue and default", () => {
  it("anyone marks an invoice overdue once the grace period has passed: every open part, one event", async () => {
    const { f, id, parts, overdueAt } = await splitInTwo();
    await networkHelpers.time.increaseTo(overdueAt - 2n);
    await expect(f.registry.connect(f.outsider).markOverdue(parts[1]))
      .to.be.revertedWithCustomError(f.registry, "ReceivableNotOverdue").withArgs(id, overdueAt);
    await networkHelpers.time.setNextBlockTimestamp(overdueAt);
    await expect(f.registry.connect(f.outsider).markOverdue(parts[1]))
      .to.emit(f.registry, "ReceivableOverdue").withArgs(id, overdueAt, 1_000_000n * UNIT);
    for (const p of parts) expect((await f.registry.receivableOf(p)).state).to.equal(ReceivableState.Overdue);
    await expect(f.registry.markOverdue(id)).to.be.revertedWithCustomError(f.registry, "ReceivableAlreadyOverdue").withArgs(id);
  });

  it("an overdue part can still move; it accrues the late fee on its unpaid principal", async () => {
    const { f, id, parts, overdueAt } = await splitInTwo();
    await networkHelpers.time.increaseTo(overdueAt);
    await f.registry.markOverdue(id);
    await f.registry.connect(f.tier2).transferFrom(f.tier2.address, f.supplier.address, parts[1]);
    await networkHelpers.time.increaseTo(overdueAt + 30n * DAY);
    const fee = (300_000n * UNIT * BigInt(LATE_FEE_BPS) * 30n * DAY) / (10_000n * YEAR);
    expect((await f.registry.receivableOf(parts[1])).lateFeeDue).to.equal(fee);
  });

  it("repayment after the grace period marks the invoice overdue and pays each holder face value plus its late fee, fee first", async () => {
    const { f, id, parts, overdueAt } = await splitInTwo();
    const at = overdueAt + 10n * DAY;
    await networkHelpers.time.setNextBlockTimestamp(at);
    const fee = (face: bigint) => (face * BigInt(LATE_FEE_BPS) * 10n * DAY) / (10_000n * YEAR);
    const [fee0, fee1] = [fee(700_000n * UNIT), fee(300_000n * UNIT)];
    const total = 1_000_000n * UNIT + fee0 + fee1;
    const tx = f.registry.connect(f.debtor).repay(id, 2_000_000n * UNIT, RepaymentSource.Wallet, SELF);
    await expect(tx).to.emit(f.registry, "ReceivableOverdue").withArgs(id, overdueAt, 1_000_000n * UNIT);
    await expect(tx).to.emit(f.registry, "LateFeeAccrued").withArgs(parts[0], fee0, at);
    await expect(tx).to.emit(f.registry, "RepaymentAllocated").withArgs(parts[0], f.supplier.address, fee0, 700_000n * UNIT, false);
    await expect(tx).to.changeTokenBalances(ethers, f.token, [f.debtor, f.supplier, f.tier2, f.registryAddress], [-total, 700_000n * UNIT + fee0, 300_000n * UNIT + fee1, 0n]);
  });

  it("a partial late repayment pays the first part's late fee before its principal", async () => {
    const { f, id, parts, overdueAt } = await splitInTwo();
    const at = overdueAt + 73n * DAY;
    await networkHelpers.time.setNextBlockTimestamp(at);
    const fee0 = (700_000n * UNIT * BigInt(LATE_FEE_BPS) * 73n * DAY) / (10_000n * YEAR);
    await expect(f.registry.connect(f.debtor).repay(id, fee0 + 1n, RepaymentSource.Wallet, SELF))
      .to.emit(f.registry, "RepaymentAllocated").withArgs(parts[0], f.supplier.address, fee0, 1n, false);
    const r = await f.registry.receivableOf(parts[0]);
    expect([r.principalPaid, r.lateFeeDue]).to.deep.equal([1n, 0n]);
  });

  it("the arbiter declares default after the grace period: parts Defaulted, frozen in place, still repayable", async () => {
    const { f, id, parts, overdueAt } = await splitInTwo();
    await f.registry.connect(f.debtor).repay(parts[1], 300_000n * UNIT, RepaymentSource.Wallet, SELF);
    await expect(f.registry.connect(f.arbiter).declareDefault(id, reason))
      .to.be.revertedWithCustomError(f.registry, "ReceivableNotOverdue").withArgs(id, overdueAt);
    await networkHelpers.time.increaseTo(overdueAt);
    await expect(f.registry.connect(f.operator).declareDefault(id, reason))
      .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount").withArgs(f.operator.address, ROLES.ARBITER);
    const tx = f.registry.connect(f.arbiter).declareDefault(parts[0], reason);
    await expect(tx).to.emit(f.registry, "ReceivableOverdue").withArgs(id, overdueAt, 700_000n * UNIT);
    await expect(tx).to.emit(f.registry, "ReceivableDefaulted").withArgs(id, f.arbiter.address, reason, 700_000n * UNIT);
    expect((await f.registry.receivableOf(parts[0])).state).to.equal(ReceivableState.Defaulted);
    expect((await f.registry.receivableOf(parts[1])).state).to.equal(ReceivableState.Repaid);
    await expect(f.registry.connect(f.supplier).transferFrom(f.supplier.address, f.tier2.address, parts[0]))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState")
      .withArgs(parts[0], ReceivableState.Defaulted, stateBits(ReceivableState.Accepted, ReceivableState.Overdue));
    await expect(f.registry.connect(f.arbiter).declareDefault(id, reason)).to.be.revertedWithCustomError(f.registry, "ReceivableNothingDue").withArgs(id);
    await f.registry.connect(f.debtor).repay(id, 2_000_000n * UNIT, RepaymentSource.Wallet, SELF);
    expect((await f.registry.receivableOf(parts[0])).state).to.equal(ReceivableState.Repaid);
  });

  it("an unsplit invoice repaid in full cannot be marked overdue or defaulted", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id, terms } = await issueAccepted(f);
    await f.registry.connect(f.debtor).repay(id, terms.faceValue, RepaymentSource.Wallet, SELF);
    await networkHelpers.time.increaseTo(terms.dueAt + GRACE_PERIOD);
    await expect(f.registry.markOverdue(id)).to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState");
    await expect(f.registry.connect(f.arbiter).declareDefault(id, reason)).to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState");
  });

  it("a split invoice repaid in full cannot be marked overdue (nothing due)", async () => {
    const { f, id, overdueAt } = await splitInTwo();
    await f.registry.connect(f.debtor).repay(id, 1_000_000n * UNIT, RepaymentSource.Wallet, SELF);
    await networkHelpers.time.increaseTo(overdueAt);
    await expect(f.registry.markOverdue(id)).to.be.revertedWithCustomError(f.registry, "ReceivableNothingDue").withArgs(id);
  });
});

// The escrow's admin changes hands in two steps with a delay (OpenZeppelin AccessControlDefaultAdminRules).
import { expect } from "chai";
import { network } from "hardhat";

import { ADMIN_DELAY, deploySystem, ROLES } from "../../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

async function transferBegun() {
  const sys = await deploySystem(ethers);
  await sys.escrow.connect(sys.admin).beginDefaultAdminTransfer(sys.stranger.address);
  const [, schedule] = await sys.escrow.pendingDefaultAdmin();
  return { sys, schedule };
}

describe("PaymentEscrow security: two-step admin transfer with delay", () => {
  it("schedules the new admin ADMIN_DELAY after the transfer begins", async () => {
    const { sys, schedule } = await networkHelpers.loadFixture(transferBegun);
    const begunAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const [pending] = await sys.escrow.pendingDefaultAdmin();
    expect(pending).to.equal(sys.stranger.address);
    expect(schedule).to.equal(begunAt + ADMIN_DELAY);
    expect(await sys.escrow.defaultAdminDelay()).to.equal(ADMIN_DELAY);
  });

  it("lets only the admin begin a transfer", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await expect(sys.escrow.connect(sys.operator).beginDefaultAdminTransfer(sys.operator.address))
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(sys.operator.address, ROLES.ADMIN);
  });

  it("reverts acceptance with AccessControlEnforcedDefaultAdminDelay up to the scheduled second", async () => {
    const { sys, schedule } = await networkHelpers.loadFixture(transferBegun);
    await networkHelpers.time.setNextBlockTimestamp(schedule);
    await expect(sys.escrow.connect(sys.stranger).acceptDefaultAdminTransfer())
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlEnforcedDefaultAdminDelay")
      .withArgs(schedule);
  });

  it("reverts acceptance by anyone but the pending admin with AccessControlInvalidDefaultAdmin", async () => {
    const { sys, schedule } = await networkHelpers.loadFixture(transferBegun);
    await networkHelpers.time.increaseTo(schedule + 1n);
    await expect(sys.escrow.connect(sys.operator).acceptDefaultAdminTransfer())
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlInvalidDefaultAdmin")
      .withArgs(sys.operator.address);
  });

  it("hands over after the delay: the new admin configures, the old one no longer can", async () => {
    const { sys, schedule } = await networkHelpers.loadFixture(transferBegun);
    await networkHelpers.time.setNextBlockTimestamp(schedule + 1n);
    await sys.escrow.connect(sys.stranger).acceptDefaultAdminTransfer();
    expect(await sys.escrow.defaultAdmin()).to.equal(sys.stranger.address);
    expect(await sys.escrow.hasRole(ROLES.ADMIN, sys.admin.address)).to.equal(false);
    await expect(sys.escrow.connect(sys.admin).setTreasury(sys.admin.address))
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(sys.admin.address, ROLES.ADMIN);
    await expect(sys.escrow.connect(sys.stranger).setTreasury(sys.stranger.address))
      .to.emit(sys.escrow, "TreasurySet")
      .withArgs(sys.stranger.address);
  });

  it("keeps the old admin in charge while the transfer is pending", async () => {
    const { sys } = await networkHelpers.loadFixture(transferBegun);
    await expect(sys.escrow.connect(sys.admin).setTreasury(sys.admin.address)).to.emit(sys.escrow, "TreasurySet");
    await expect(sys.escrow.connect(sys.stranger).setTreasury(sys.stranger.address))
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(sys.stranger.address, ROLES.ADMIN);
  });

  it("voids a cancelled transfer: acceptance then reverts AccessControlInvalidDefaultAdmin", async () => {
    const { sys, schedule } = await networkHelpers.loadFixture(transferBegun);
    await sys.escrow.connect(sys.admin).cancelDefaultAdminTransfer();
    await networkHelpers.time.increaseTo(schedule + 1n);
    await expect(sys.escrow.connect(sys.stranger).acceptDefaultAdminTransfer())
      .to.be.revertedWithCustomError(sys.escrow, "AccessControlInvalidDefaultAdmin")
      .withArgs(sys.stranger.address);
    expect(await sys.escrow.defaultAdmin()).to.equal(sys.admin.address);
  });

  it("refuses to grant the admin role directly (AccessControlEnforcedDefaultAdminRules)", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await expect(sys.escrow.connect(sys.admin).grantRole(ROLES.ADMIN, sys.stranger.address)).to.be.revertedWithCustomError(
      sys.escrow,
      "AccessControlEnforcedDefaultAdminRules",
    );
  });

  it("lets the admin grant and revoke operational roles at once", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await sys.escrow.connect(sys.admin).grantRole(ROLES.OPERATOR, sys.stranger.address);
    expect(await sys.escrow.hasRole(ROLES.OPERATOR, sys.stranger.address)).to.equal(true);
    await sys.escrow.connect(sys.admin).revokeRole(ROLES.OPERATOR, sys.stranger.address);
    expect(await sys.escrow.hasRole(ROLES.OPERATOR, sys.stranger.address)).to.equal(false);
  });
});

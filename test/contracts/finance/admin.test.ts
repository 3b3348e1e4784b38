import { expect } from "chai";
import { network } from "hardhat";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";
import { ADMIN_DELAY, KYC_EXPIRY_SECONDS, ROLES } from "../fixtures.js";
import {
  acceptance,
  deployFinance,
  GRACE_PERIOD,
  LATE_FEE_BPS,
  makeInvoice,
  PLATFORM_FEE_BPS,
  signInvoice,
} from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);

describe("ReceivableRegistry administration, views and smart-wallet parties", () => {
  it("reports its configuration", async () => {
    const f = await networkHelpers.loadFixture(finance);
    expect(await f.registry.platformFeeBps()).to.equal(PLATFORM_FEE_BPS);
    expect(await f.registry.lateFeeBps()).to.equal(LATE_FEE_BPS);
    expect(await f.registry.gracePeriod()).to.equal(GRACE_PERIOD);
    expect(await f.registry.treasury()).to.equal(f.treasury.address);
    expect(await f.registry.kycRegistry()).to.equal(await f.kyc.getAddress());
    expect(await f.registry.paymentEscrow()).to.equal(f.escrowAddress);
    expect(await f.registry.isTokenAllowed(f.tokenAddress)).to.equal(true);
    expect(await f.registry.supportsInterface("0x80ac58cd")).to.equal(true); // ERC-721
    expect(await f.registry.supportsInterface("0x7965db0b")).to.equal(true); // AccessControl
    expect(await f.registry.supportsInterface("0xffffffff")).to.equal(false);
    expect((await f.registry.receivableOf(123n)).state).to.equal(ReceivableState.None);
    expect(await f.registry.amountDue(123n)).to.deep.equal([0n, 0n]);
  });

  it("lets only the admin set the platform fee, at most 10%", async () => {
    const f = await networkHelpers.loadFixture(finance);
    await expect(f.registry.connect(f.admin).setPlatformFee(1_000)).to.emit(f.registry, "PlatformFeeSet").withArgs(1_000);
    await expect(f.registry.connect(f.admin).setPlatformFee(1_001))
      .to.be.revertedWithCustomError(f.registry, "ReceivableFeeTooHigh").withArgs(1_001, 1_000);
    await expect(f.registry.connect(f.operator).setPlatformFee(10))
      .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount").withArgs(f.operator.address, ROLES.ADMIN);
  });

  it("lets only the admin set the treasury (never zero) and the allowed tokens", async () => {
    const f = await networkHelpers.loadFixture(finance);
    await expect(f.registry.connect(f.admin).setTreasury(f.stranger.address)).to.emit(f.registry, "TreasurySet").withArgs(f.stranger.address);
    await expect(f.registry.connect(f.admin).setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(f.registry, "ReceivableZeroAddress");
    await expect(f.registry.connect(f.admin).setTokenAllowed(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(f.registry, "ReceivableZeroAddress");
    await expect(f.registry.connect(f.stranger).setTreasury(f.stranger.address)).to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount");
    await expect(f.registry.connect(f.admin).setTokenAllowed(f.tokenAddress, false)).to.emit(f.registry, "TokenAllowed").withArgs(f.tokenAddress, false);
    await expect(f.registry.connect(f.supplier).issue(await makeInvoice(f), "0x"))
      .to.be.revertedWithCustomError(f.registry, "ReceivableTokenNotAllowed").withArgs(f.tokenAddress);
  });

  it("refuses a deployment with a zero address or a fee above the maximum", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const kyc = await f.kyc.getAddress();
    const deploy = (args: unknown[]) => ethers.deployContract("ReceivableRegistry", args);
    await expect(deploy([f.admin.address, ADMIN_DELAY, ethers.ZeroAddress, f.escrowAddress, f.treasury.address, 50, 1_800, GRACE_PERIOD]))
      .to.be.revertedWithCustomError(f.registry, "ReceivableZeroAddress");
    await expect(deploy([f.admin.address, ADMIN_DELAY, kyc, ethers.ZeroAddress, f.treasury.address, 50, 1_800, GRACE_PERIOD]))
      .to.be.revertedWithCustomError(f.registry, "ReceivableZeroAddress");
    await expect(deploy([f.admin.address, ADMIN_DELAY, kyc, f.escrowAddress, ethers.ZeroAddress, 50, 1_800, GRACE_PERIOD]))
      .to.be.revertedWithCustomError(f.registry, "ReceivableZeroAddress");
    await expect(deploy([f.admin.address, ADMIN_DELAY, kyc, f.escrowAddress, f.treasury.address, 1_001, 1_800, GRACE_PERIOD]))
      .to.be.revertedWithCustomError(f.registry, "ReceivableFeeTooHigh").withArgs(1_001, 1_000);
  });

  it("accepts ERC-1271 smart-wallet parties: a wallet supplier issues and a wallet debtor accepts by signature", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const walletOf = async (owner: typeof f.supplier) => {
      const w = await ethers.deployContract("MockERC1271Wallet", [owner.address]);
      const address = await w.getAddress();
      const now = BigInt(await networkHelpers.time.latest());
      await f.kyc.connect(f.compliance).setRecord(address, KycTier.Enhanced, "0x5347", now + KYC_EXPIRY_SECONDS, ethers.id(`dossier:${address}`), ethers.encodeBytes32String("onboarding"));
      return address;
    };
    const supplierWallet = await walletOf(f.supplier);
    const debtorWallet = await walletOf(f.debtor);
    const terms = await makeInvoice(f, { issuer: supplierWallet, debtor: debtorWallet });
    const id = await (async () => {
      await f.registry.connect(f.operator).issue(terms, await signInvoice(f, f.supplier, terms));
      return f.registry.invoiceId(terms);
    })();
    expect(await f.registry.ownerOf(id)).to.equal(supplierWallet);
    await f.registry.connect(f.operator).accept(id, await acceptance(f, f.debtor, id));
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Accepted);
  });
});

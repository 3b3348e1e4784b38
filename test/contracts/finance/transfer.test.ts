import { expect } from "chai";
import { network } from "hardhat";

import { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";
import { stateBits } from "./helpers.js";
import { deployFinance, issue, issueAccepted, makeInvoice, transferAuth } from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);
const movable = stateBits(ReceivableState.Accepted, ReceivableState.Overdue);

describe("ReceivableRegistry transfer", () => {
  it("moves an accepted receivable by the holder's ERC-721 transfer", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f);
    await expect(f.registry.connect(f.supplier).transferFrom(f.supplier.address, f.tier2.address, id))
      .to.emit(f.registry, "Transfer").withArgs(f.supplier.address, f.tier2.address, id);
    expect(await f.registry.ownerOf(id)).to.equal(f.tier2.address);
  });

  it("moves one by the operator carrying the holder's signature; the signature cannot be replayed", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f);
    const auth = await transferAuth(f, f.supplier, id, f.tier2.address);
    await f.registry.connect(f.operator).transferBySig(id, f.tier2.address, auth);
    expect(await f.registry.ownerOf(id)).to.equal(f.tier2.address);
    await f.registry.connect(f.tier2).transferFrom(f.tier2.address, f.supplier.address, id);
    await expect(f.registry.connect(f.operator).transferBySig(id, f.tier2.address, auth))
      .to.be.revertedWithCustomError(f.registry, "ReceivableNonceUsed").withArgs(f.supplier.address, auth.nonce);
  });

  it("refuses to move an unaccepted (Pending) receivable", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const id = await issue(f, await makeInvoice(f));
    await expect(f.registry.connect(f.supplier).transferFrom(f.supplier.address, f.tier2.address, id))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState").withArgs(id, ReceivableState.Pending, movable);
    await expect(f.registry.connect(f.operator).transferBySig(id, f.tier2.address, await transferAuth(f, f.supplier, id, f.tier2.address)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState").withArgs(id, ReceivableState.Pending, movable);
    expect(await f.registry.ownerOf(id)).to.equal(f.supplier.address);
  });

  it("refuses a signature from someone other than the holder, and a stranger as sender", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f);
    await expect(f.registry.connect(f.operator).transferBySig(id, f.tier2.address, await transferAuth(f, f.tier2, id, f.tier2.address)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature").withArgs(f.supplier.address);
    await expect(f.registry.connect(f.outsider).transferBySig(id, f.tier2.address, await transferAuth(f, f.supplier, id, f.tier2.address)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnauthorizedCaller").withArgs(f.outsider.address);
  });

  it("refuses a recipient without KYC and a frozen holder", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const { id } = await issueAccepted(f);
    await expect(f.registry.connect(f.supplier).transferFrom(f.supplier.address, f.outsider.address, id))
      .to.be.revertedWithCustomError(f.kyc, "KycTierTooLow");
    await f.kyc.connect(f.compliance).freeze(f.supplier.address, ethers.encodeBytes32String("aml"));
    await expect(f.registry.connect(f.supplier).transferFrom(f.supplier.address, f.tier2.address, id))
      .to.be.revertedWithCustomError(f.kyc, "KycFrozen").withArgs(f.supplier.address);
  });
});

import { expect } from "chai";
import { network } from "hardhat";

import { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";
import { stateBits } from "./helpers.js";
import { deployFinance, issue, issueAccepted, makeInvoice, SELF, splitAuth, UNIT } from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);

async function accepted() {
  const f = await networkHelpers.loadFixture(finance);
  const { id, terms } = await issueAccepted(f);
  return { f, id, terms };
}

describe("ReceivableRegistry split", () => {
  it("splits by the holder's signature: parent retired and burnt, parts minted with lineage, same debtor and due date", async () => {
    const { f, id, terms } = await accepted();
    const faces = [600_000n * UNIT, 300_000n * UNIT, 100_000n * UNIT];
    const to = [f.supplier.address, f.tier2.address, f.tier2.address];
    const parts = [0, 1, 2].map((i) => BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [id, i]))));
    await expect(f.registry.connect(f.operator).split(id, faces, to, await splitAuth(f, f.supplier, id, faces, to)))
      .to.emit(f.registry, "ReceivableSplit").withArgs(id, id, parts, faces, to);
    const parent = await f.registry.receivableOf(id);
    expect([parent.state, parent.partCount, parent.holder]).to.deep.equal([ReceivableState.Split, 3n, ethers.ZeroAddress]);
    await expect(f.registry.ownerOf(id)).to.be.revertedWithCustomError(f.registry, "ERC721NonexistentToken");
    for (const [i, part] of parts.entries()) {
      const r = await f.registry.receivableOf(part);
      expect([r.state, r.faceValue, r.parent, r.root, r.debtor, r.dueAt, r.documentHash, r.holder]).to.deep.equal([
        ReceivableState.Accepted, faces[i], id, id, f.debtor.address, terms.dueAt, terms.documentHash, to[i],
      ]);
      expect(await f.registry.partIdOf(id, i)).to.equal(part);
    }
    expect(await f.registry.invoiceParts(id)).to.deep.equal([id, ...parts]);
    expect(await f.registry.amountDue(id)).to.deep.equal([terms.faceValue, 0n]);
  });

  it("splits a part again (multi-tier): the grandchild traces back through its parent to the invoice", async () => {
    const { f, id } = await accepted();
    await f.registry.connect(f.supplier).split(id, [700_000n * UNIT, 300_000n * UNIT], [f.supplier.address, f.tier2.address], SELF);
    const part = await f.registry.partIdOf(id, 1);
    await f.registry.connect(f.tier2).split(part, [200_000n * UNIT, 100_000n * UNIT], [f.tier2.address, f.supplier.address], SELF);
    const grandchild = await f.registry.partIdOf(part, 1);
    const r = await f.registry.receivableOf(grandchild);
    expect([r.parent, r.root, r.faceValue]).to.deep.equal([part, id, 100_000n * UNIT]);
    expect(await f.registry.amountDue(part)).to.deep.equal([300_000n * UNIT, 0n]);
  });

  it("refuses parts that do not sum, zero parts, one part, too many parts, and mismatched recipients", async () => {
    const { f, id } = await accepted();
    const s = f.supplier.address;
    const face = 1_000_000n * UNIT;
    const split = (faces: bigint[], to: string[]) => f.registry.connect(f.supplier).split(id, faces, to, SELF);
    await expect(split([600_000n * UNIT, 300_000n * UNIT], [s, s])).to.be.revertedWithCustomError(f.registry, "ReceivablePartsMismatch").withArgs(face, 900_000n * UNIT);
    await expect(split([face, 1n], [s, s])).to.be.revertedWithCustomError(f.registry, "ReceivablePartsMismatch").withArgs(face, face + 1n);
    await expect(split([face + 1n, 1n], [s, s])).to.be.revertedWithCustomError(f.registry, "ReceivablePartsMismatch").withArgs(face, face + 1n);
    await expect(split([face, 0n], [s, s])).to.be.revertedWithCustomError(f.registry, "ReceivableZeroPart").withArgs(1);
    await expect(split([face], [s])).to.be.revertedWithCustomError(f.registry, "ReceivableInvalidPartCount").withArgs(1, 10);
    await expect(split([], [])).to.be.revertedWithCustomError(f.registry, "ReceivableInvalidPartCount").withArgs(0, 10);
    await expect(split(Array(11).fill(face / 11n), Array(11).fill(s))).to.be.revertedWithCustomError(f.registry, "ReceivableInvalidPartCount").withArgs(11, 10);
    await expect(split([face / 2n, face / 2n], [s])).to.be.revertedWithCustomError(f.registry, "ReceivableLengthMismatch").withArgs(2, 1);
    expect((await f.registry.receivableOf(id)).state).to.equal(ReceivableState.Accepted);
    expect(await f.registry.invoiceParts(id)).to.deep.equal([id]);
  });

  it("caps the ids of one invoice at MAX_PARTS_PER_INVOICE (64)", async () => {
    const { f, id } = await accepted();
    const s = f.supplier.address;
    let frontier = [id];
    let count = 1;
    // six splits into ten parts bring the invoice to 61 ids; four more parts would make 65
    while (count + 10 <= 64) {
      const target = frontier.shift()!;
      const face = (await f.registry.receivableOf(target)).faceValue;
      const faces = [...Array(9).fill(face / 10n), face - (face / 10n) * 9n];
      await f.registry.connect(f.supplier).split(target, faces, Array(10).fill(s), SELF);
      frontier = [...frontier, ...(await Promise.all([...Array(10).keys()].map((i) => f.registry.partIdOf(target, i))))];
      count += 10;
    }
    expect((await f.registry.invoiceParts(id)).length).to.equal(count);
    const target = frontier[0]!;
    const face = (await f.registry.receivableOf(target)).faceValue;
    const n = 64 - count + 1;
    const faces = [...Array(n - 1).fill(face / BigInt(n)), face - (face / BigInt(n)) * BigInt(n - 1)];
    await expect(f.registry.connect(f.supplier).split(target, faces, Array(n).fill(s), SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableTooManyParts").withArgs(id, 64);
  });

  it("refuses a split of a Pending invoice, a split parent, and by anyone but the holder", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const pendingId = await issue(f, await makeInvoice(f));
    const s = f.supplier.address;
    await expect(f.registry.connect(f.supplier).split(pendingId, [1n, 999_999_999_999n], [s, s], SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState").withArgs(pendingId, ReceivableState.Pending, stateBits(ReceivableState.Accepted));
    const { id } = await issueAccepted(f);
    await expect(f.registry.connect(f.tier2).split(id, [1n, 999_999_999_999n], [s, s], SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnauthorizedCaller").withArgs(f.tier2.address);
    await expect(f.registry.connect(f.operator).split(id, [1n, 999_999_999_999n], [s, s], await splitAuth(f, f.tier2, id, [1n, 999_999_999_999n], [s, s])))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature").withArgs(f.supplier.address);
    await f.registry.connect(f.supplier).split(id, [1n, 999_999_999_999n], [s, s], SELF);
    await expect(f.registry.connect(f.supplier).split(id, [1n, 999_999_999_999n], [s, s], SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState").withArgs(id, ReceivableState.Split, stateBits(ReceivableState.Accepted));
  });

  it("refuses a split at or after maturity, to a recipient without KYC, and by a frozen holder", async () => {
    const { f, id, terms } = await accepted();
    const faces = [500_000n * UNIT, 500_000n * UNIT];
    await expect(f.registry.connect(f.supplier).split(id, faces, [f.supplier.address, f.outsider.address], SELF))
      .to.be.revertedWithCustomError(f.kyc, "KycTierTooLow");
    await f.kyc.connect(f.compliance).freeze(f.supplier.address, ethers.encodeBytes32String("aml"));
    await expect(f.registry.connect(f.supplier).split(id, faces, [f.tier2.address, f.tier2.address], SELF))
      .to.be.revertedWithCustomError(f.kyc, "KycFrozen").withArgs(f.supplier.address);
    await f.kyc.connect(f.compliance).unfreeze(f.supplier.address, ethers.encodeBytes32String("cleared"));
    await networkHelpers.time.increaseTo(terms.dueAt);
    await expect(f.registry.connect(f.supplier).split(id, faces, [f.tier2.address, f.tier2.address], SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableMatured").withArgs(id, terms.dueAt);
  });
});

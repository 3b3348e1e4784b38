import { expect } from "chai";
import { network } from "hardhat";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";
import { stateBits } from "./helpers.js";
import {
  DAY,
  deployFinance,
  expectedPrice,
  financeAcceptance,
  issue,
  issueAccepted,
  makeInvoice,
  makeOffer,
  PLATFORM_FEE_BPS,
  SELF,
  signOffer,
  UNIT,
} from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);

async function accepted() {
  const f = await networkHelpers.loadFixture(finance);
  const { id, terms } = await issueAccepted(f, { faceValue: 500_000n * UNIT });
  return { f, id, terms };
}

describe("ReceivableRegistry finance", () => {
  it("the operator carries both signatures: holder paid price minus fee, treasury the fee, financier gets the receivable", async () => {
    const { f, id, terms } = await accepted();
    const at = terms.dueAt - 100n * DAY - 3_600n; // 100 days and 1 hour: counts as 101 days
    await networkHelpers.time.setNextBlockTimestamp(at);
    const offer = await makeOffer(f, id, { annualRateBps: 800, expiry: at + 60n });
    const q = expectedPrice(terms.faceValue, 800n, terms.dueAt - at);
    expect(q.days).to.equal(101n);
    const tx = f.registry
      .connect(f.operator)
      .finance(offer, await signOffer(f, f.financier, offer), q.proceeds, await financeAcceptance(f, f.supplier, offer, q.proceeds, at + 60n));
    await expect(tx).to.changeTokenBalances(ethers, f.token, [f.supplier, f.financier, f.treasury, f.registryAddress], [q.proceeds, -q.price, q.fee, 0n]);
    await expect(tx).to.emit(f.registry, "ReceivableFinanced").withArgs(id, f.supplier.address, f.financier.address, 800, 101n, q.price, q.fee);
    const r = await f.registry.receivableOf(id);
    expect([r.financed, r.holder, r.state]).to.deep.equal([true, f.financier.address, ReceivableState.Accepted]);
    expect(q.fee).to.equal((q.price * BigInt(PLATFORM_FEE_BPS) + 9_999n) / 10_000n);
  });

  it("the holder sends it with the financier's offer; the financier sends it with the holder's acceptance", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const a = await issueAccepted(f);
    const offerA = await makeOffer(f, a.id);
    await f.registry.connect(f.supplier).finance(offerA, await signOffer(f, f.financier, offerA), 0n, SELF);
    expect(await f.registry.ownerOf(a.id)).to.equal(f.financier.address);
    const b = await issueAccepted(f);
    const offerB = await makeOffer(f, b.id);
    await f.registry.connect(f.financier).finance(offerB, "0x", 0n, await financeAcceptance(f, f.supplier, offerB, 0n));
    expect(await f.registry.ownerOf(b.id)).to.equal(f.financier.address);
  });

  it("quote() gives the same figures the purchase uses", async () => {
    const { f, id, terms } = await accepted();
    const now = BigInt(await networkHelpers.time.latest());
    const q = expectedPrice(terms.faceValue, 600n, terms.dueAt - now);
    expect(await f.registry.quote(id, 600)).to.deep.equal([q.days, q.price, q.fee, q.proceeds]);
  });

  it("never finances twice: not the same receivable, and not a part split from a financed one", async () => {
    const { f, id } = await accepted();
    const offer = await makeOffer(f, id);
    await f.registry.connect(f.supplier).finance(offer, await signOffer(f, f.financier, offer), 0n, SELF);
    const again = await makeOffer(f, id, { financier: f.financier2.address });
    await expect(f.registry.connect(f.financier).finance(again, await signOffer(f, f.financier2, again), 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableAlreadyFinanced").withArgs(id);
    await f.registry.connect(f.financier).split(id, [200_000n * UNIT, 300_000n * UNIT], [f.financier.address, f.financier.address], SELF);
    const part = await f.registry.partIdOf(id, 0);
    expect((await f.registry.receivableOf(part)).financed).to.equal(true);
    const onPart = await makeOffer(f, part, { financier: f.financier2.address });
    await expect(f.registry.connect(f.financier).finance(onPart, await signOffer(f, f.financier2, onPart), 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableAlreadyFinanced").withArgs(part);
  });

  it("refuses a matured receivable, an expired offer, and an unaccepted one", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const pendingId = await issue(f, await makeInvoice(f));
    const offerP = await makeOffer(f, pendingId);
    await expect(f.registry.connect(f.supplier).finance(offerP, await signOffer(f, f.financier, offerP), 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState").withArgs(pendingId, ReceivableState.Pending, stateBits(ReceivableState.Accepted));
    const { id, terms } = await issueAccepted(f);
    const offer = await makeOffer(f, id);
    await networkHelpers.time.increaseTo(offer.expiry + 1n);
    await expect(f.registry.connect(f.supplier).finance(offer, await signOffer(f, f.financier, offer), 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableOfferExpired").withArgs(offer.expiry);
    await networkHelpers.time.increaseTo(terms.dueAt);
    const late = await makeOffer(f, id, { expiry: terms.dueAt + DAY });
    await expect(f.registry.connect(f.supplier).finance(late, await signOffer(f, f.financier, late), 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableMatured").withArgs(id, terms.dueAt);
    await expect(f.registry.quote(id, 600)).to.be.revertedWithCustomError(f.registry, "ReceivableMatured");
  });

  it("holds both parties to their bounds: max price, min proceeds, a rate that leaves a price", async () => {
    const { f, id, terms } = await accepted();
    const now = BigInt(await networkHelpers.time.latest());
    const q = expectedPrice(terms.faceValue, 600n, terms.dueAt - now - 1n);
    const capped = await makeOffer(f, id, { maxPrice: q.price - 1n });
    await expect(f.registry.connect(f.supplier).finance(capped, await signOffer(f, f.financier, capped), 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivablePriceAboveMax").withArgs(q.price, q.price - 1n);
    const offer = await makeOffer(f, id);
    await expect(f.registry.connect(f.supplier).finance(offer, await signOffer(f, f.financier, offer), q.proceeds + 1n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableProceedsBelowMin").withArgs(q.proceeds, q.proceeds + 1n);
    for (const rate of [0, 65_535]) {
      const bad = await makeOffer(f, id, { annualRateBps: rate });
      await expect(f.registry.connect(f.supplier).finance(bad, await signOffer(f, f.financier, bad), 0n, SELF))
        .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidRate").withArgs(rate);
    }
    expect((await f.registry.receivableOf(id)).financed).to.equal(false);
  });

  it("refuses a signature from the wrong party, a stranger as sender, self-financing and a non-institutional financier", async () => {
    const { f, id } = await accepted();
    const offer = await makeOffer(f, id);
    await expect(f.registry.connect(f.supplier).finance(offer, await signOffer(f, f.financier2, offer), 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature").withArgs(f.financier.address);
    await expect(f.registry.connect(f.financier).finance(offer, "0x", 0n, await financeAcceptance(f, f.tier2, offer, 0n)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature").withArgs(f.supplier.address);
    await expect(f.registry.connect(f.outsider).finance(offer, await signOffer(f, f.financier, offer), 0n, await financeAcceptance(f, f.supplier, offer, 0n)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnauthorizedCaller").withArgs(f.outsider.address);
    const self = await makeOffer(f, id, { financier: f.supplier.address });
    await expect(f.registry.connect(f.supplier).finance(self, "0x", 0n, SELF))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidParties").withArgs(f.supplier.address, f.supplier.address);
    const byTier2 = await makeOffer(f, id, { financier: f.tier2.address });
    await expect(f.registry.connect(f.tier2).finance(byTier2, "0x", 0n, await financeAcceptance(f, f.supplier, byTier2, 0n)))
      .to.be.revertedWithCustomError(f.kyc, "KycTierTooLow").withArgs(f.tier2.address, KycTier.Basic, KycTier.Institutional);
  });

  it("a frozen holder cannot finance", async () => {
    const { f, id } = await accepted();
    await f.kyc.connect(f.compliance).freeze(f.supplier.address, ethers.encodeBytes32String("aml"));
    const offer = await makeOffer(f, id);
    await expect(f.registry.connect(f.financier).finance(offer, "0x", 0n, await financeAcceptance(f, f.supplier, offer, 0n)))
      .to.be.revertedWithCustomError(f.kyc, "KycFrozen").withArgs(f.supplier.address);
  });
});

import { expect } from "chai";
import { network } from "hardhat";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";
import { stateBits } from "./helpers.js";
import { DAY, deployFinance, issue, makeInvoice, signInvoice } from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);

describe("ReceivableRegistry issue", () => {
  it("issues by the operator with the supplier's signature: Pending, minted to the supplier, id = EIP-712 digest", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const terms = await makeInvoice(f);
    const predicted = BigInt(
      ethers.TypedDataEncoder.hash(
        { name: "ReceivableRegistry", version: "1", chainId: f.chainId, verifyingContract: f.registryAddress },
        (await import("../../../relayer/chain/receivable-typed-data.js")).InvoiceTermsTypes,
        terms,
      ),
    );
    await expect(f.registry.connect(f.operator).issue(terms, await signInvoice(f, f.supplier, terms)))
      .to.emit(f.registry, "ReceivableIssued")
      .withArgs(predicted, f.supplier.address, f.debtor.address, f.tokenAddress, terms.faceValue, terms.dueAt, terms.acceptBy, terms.documentHash, terms.invoiceRef);
    const r = await f.registry.receivableOf(predicted);
    expect(r.state).to.equal(ReceivableState.Pending);
    expect([r.issuer, r.debtor, r.token, r.faceValue, r.dueAt, r.acceptBy, r.documentHash]).to.deep.equal([
      f.supplier.address, f.debtor.address, f.tokenAddress, terms.faceValue, terms.dueAt, terms.acceptBy, terms.documentHash,
    ]);
    expect([r.parent, r.root, r.holder, r.financed]).to.deep.equal([0n, predicted, f.supplier.address, false]);
    expect(await f.registry.ownerOf(predicted)).to.equal(f.supplier.address);
    expect(await f.registry.invoiceParts(predicted)).to.deep.equal([predicted]);
  });

  it("issues when the supplier sends it itself, without a signature", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const terms = await makeInvoice(f);
    await f.registry.connect(f.supplier).issue(terms, "0x");
    expect(await f.registry.ownerOf(await f.registry.invoiceId(terms))).to.equal(f.supplier.address);
  });

  it("refuses the same invoice twice", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const terms = await makeInvoice(f);
    const id = await issue(f, terms);
    await expect(f.registry.connect(f.operator).issue(terms, await signInvoice(f, f.supplier, terms)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnexpectedState")
      .withArgs(id, ReceivableState.Pending, stateBits(ReceivableState.None));
  });

  it("refuses a signature from the wrong party (the debtor signing the supplier's invoice)", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const terms = await makeInvoice(f);
    await expect(f.registry.connect(f.operator).issue(terms, await signInvoice(f, f.debtor, terms)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableInvalidSignature")
      .withArgs(f.supplier.address);
  });

  it("refuses a stranger sending the supplier's signature", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const terms = await makeInvoice(f);
    await expect(f.registry.connect(f.outsider).issue(terms, await signInvoice(f, f.supplier, terms)))
      .to.be.revertedWithCustomError(f.registry, "ReceivableUnauthorizedCaller")
      .withArgs(f.outsider.address);
  });

  it("refuses bad terms, each with its own error, and records nothing", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const now = BigInt(await networkHelpers.time.latest());
    const cases: [Partial<Parameters<typeof makeInvoice>[1]>, string][] = [
      [{ faceValue: 0n }, "ReceivableZeroFaceValue"],
      [{ faceValue: 1n << 128n }, "ReceivableFaceValueTooLarge"],
      [{ debtor: f.supplier.address }, "ReceivableInvalidParties"],
      [{ token: f.escrowAddress }, "ReceivableTokenNotAllowed"],
      [{ acceptBy: now - 1n }, "ReceivableInvalidDates"],
      [{ acceptBy: now + 10n * DAY, dueAt: now + 9n * DAY }, "ReceivableInvalidDates"],
    ];
    for (const [override, error] of cases) {
      const terms = await makeInvoice(f, override as never);
      await expect(f.registry.connect(f.supplier).issue(terms, "0x"), error).to.be.revertedWithCustomError(f.registry, error);
      expect((await f.registry.receivableOf(await f.registry.invoiceId(terms))).state).to.equal(ReceivableState.None);
    }
  });

  it("requires both parties to pass KYC", async () => {
    const f = await networkHelpers.loadFixture(finance);
    await expect(f.registry.connect(f.operator).issue(...(await (async () => {
      const t = await makeInvoice(f, { debtor: f.outsider.address });
      return [t, await signInvoice(f, f.supplier, t)] as const;
    })()))).to.be.revertedWithCustomError(f.kyc, "KycTierTooLow").withArgs(f.outsider.address, KycTier.None, KycTier.Basic);
    await f.kyc.connect(f.compliance).freeze(f.supplier.address, ethers.encodeBytes32String("aml"));
    await expect(f.registry.connect(f.supplier).issue(await makeInvoice(f), "0x"))
      .to.be.revertedWithCustomError(f.kyc, "KycFrozen")
      .withArgs(f.supplier.address);
  });

  it("face value of exactly 2^128-1 is accepted (the upper bound)", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const terms = await makeInvoice(f, { faceValue: (1n << 128n) - 1n });
    await f.registry.connect(f.supplier).issue(terms, "0x");
    expect((await f.registry.receivableOf(await f.registry.invoiceId(terms))).faceValue).to.equal((1n << 128n) - 1n);
  });
});

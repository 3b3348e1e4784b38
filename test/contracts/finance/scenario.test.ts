import { expect } from "chai";
import { network } from "hardhat";

import { ReceivableState, RepaymentSource } from "../../../relayer/chain/receivable-typed-data.js";
import {
  DAY,
  deployFinance,
  expectedPrice,
  financeAcceptance,
  issueAccepted,
  makeOffer,
  repaymentAuth,
  signOffer,
  splitAuth,
  UNIT,
} from "./fixture.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const finance = () => deployFinance(ethers);

describe("Receivables: the 1,000,000-unit multi-tier scenario, exact to the unit", () => {
  it("supplier issues, debtor accepts, 300,000 split to tier 2, tier 2 finances at 6%/yr 90 days out, debtor repays at maturity", async () => {
    const f = await networkHelpers.loadFixture(finance);
    const token = f.token;
    const balances = async () =>
      Object.fromEntries(
        await Promise.all(
          ([["supplier", f.supplier], ["tier2", f.tier2], ["debtor", f.debtor], ["financier", f.financier], ["treasury", f.treasury], ["registry", f.registryAddress]] as const).map(
            async ([name, who]) => [name, await token.balanceOf(typeof who === "string" ? who : who.address)] as const,
          ),
        ),
      ) as Record<"supplier" | "tier2" | "debtor" | "financier" | "treasury" | "registry", bigint>;

    // 1. issue (supplier signs, operator relays) and acceptance (debtor signs, operator relays)
    const { id: root, terms } = await issueAccepted(f, { faceValue: 1_000_000n * UNIT });
    expect((await f.registry.receivableOf(root)).state).to.equal(ReceivableState.Accepted);
    const before = await balances();

    // 2. the supplier keeps 700,000 and passes 300,000 to its own supplier
    const faces = [700_000n * UNIT, 300_000n * UNIT];
    const recipients = [f.supplier.address, f.tier2.address];
    await f.registry.connect(f.operator).split(root, faces, recipients, await splitAuth(f, f.supplier, root, faces, recipients));
    const [kept, passed] = [await f.registry.partIdOf(root, 0), await f.registry.partIdOf(root, 1)];
    expect(await f.registry.ownerOf(kept)).to.equal(f.supplier.address);
    expect(await f.registry.ownerOf(passed)).to.equal(f.tier2.address);
    const lineage = await f.registry.receivableOf(passed);
    expect([lineage.parent, lineage.root, lineage.faceValue, lineage.dueAt, lineage.debtor]).to.deep.equal([
      root, root, 300_000n * UNIT, terms.dueAt, f.debtor.address,
    ]);

    // 3. tier 2 sells its part 90 days before maturity at 6%/yr; the platform takes 0.5% of the price
    await networkHelpers.time.setNextBlockTimestamp(terms.dueAt - 90n * DAY);
    const offer = await makeOffer(f, passed, { annualRateBps: 600, expiry: terms.dueAt });
    // discount = ceil(300,000e6 * 600 * 90 / 3,650,000) = 4,438,356,165; fee = ceil(295,561,643,835 * 50 / 10,000)
    const price = 295_561_643_835n;
    const fee = 1_477_808_220n;
    expect(expectedPrice(300_000n * UNIT, 600n, 90n * DAY)).to.deep.equal({ days: 90n, price, fee, proceeds: price - fee });
    await expect(
      f.registry
        .connect(f.operator)
        .finance(offer, await signOffer(f, f.financier, offer), price - fee, await financeAcceptance(f, f.tier2, offer, price - fee, terms.dueAt)),
    )
      .to.emit(f.registry, "ReceivableFinanced")
      .withArgs(passed, f.tier2.address, f.financier.address, 600, 90n, price, fee);
    expect(await f.registry.ownerOf(passed)).to.equal(f.financier.address);
    const afterFinance = await balances();
    expect(afterFinance.tier2 - before.tier2).to.equal(294_083_835_615n);
    expect(before.financier - afterFinance.financier).to.equal(price);
    expect(afterFinance.treasury - before.treasury).to.equal(fee);

    // 4. the debtor repays the invoice at maturity, by signature through the operator
    await networkHelpers.time.setNextBlockTimestamp(terms.dueAt);
    const amount = 1_000_000n * UNIT;
    await f.registry
      .connect(f.operator)
      .repay(root, amount, RepaymentSource.Wallet, await repaymentAuth(f, f.debtor, root, amount, RepaymentSource.Wallet, terms.dueAt));
    const after = await balances();
    expect(before.debtor - after.debtor).to.equal(1_000_000n * UNIT);
    expect(after.supplier - before.supplier).to.equal(700_000n * UNIT);
    expect(after.financier - afterFinance.financier).to.equal(300_000n * UNIT);
    expect(after.financier - before.financier).to.equal(300_000n * UNIT - price); // the financier's yield: 4,438,356,165
    expect(after.tier2 - before.tier2).to.equal(294_083_835_615n);
    expect(after.treasury - before.treasury).to.equal(1_477_808_220n);
    expect(after.registry).to.equal(0n);
    for (const part of [kept, passed]) expect((await f.registry.receivableOf(part)).state).to.equal(ReceivableState.Repaid);
    expect(await f.registry.amountDue(root)).to.deep.equal([0n, 0n]);
  });
});

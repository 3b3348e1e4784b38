import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import type { PaymentTerms } from "../../../relayer/chain/typed-data.js";
import {
  authorizeAndCapture,
  authorizeErc3009,
  deploySystem,
  makeTerms,
  MERCHANT_FEE_BPS,
  UNIT,
  type System,
} from "../fixtures.js";
import { feeSplit, ledger, releasedEvents, sumReleased, type Released } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

/** Captures `parts` one by one, releasing each at once by the buyer's confirmation. */
async function releaseInParts(sys: System, terms: PaymentTerms, parts: bigint[]): Promise<Released[]> {
  await authorizeErc3009(sys, terms);
  const events: Released[] = [];
  for (const part of parts) {
    await (await sys.escrow.connect(sys.operator).capture(terms, part)).wait();
    events.push(...(await releasedEvents(sys, sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"))));
  }
  return events;
}

/** Captures all of `terms` and releases it in one go. */
async function releaseWhole(sys: System, terms: PaymentTerms): Promise<Released> {
  await authorizeAndCapture(sys, terms);
  const [event] = await releasedEvents(sys, sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"));
  if (!event) throw new Error("no PaymentReleased event");
  return event;
}

async function configureMerchant(sys: System, feeBps: number, partner: string, partnerShareBps: number) {
  await sys.escrow.connect(sys.admin).setMerchant(sys.merchant.address, {
    settlementAddress: sys.settlement.address,
    feeBps,
    partnerShareBps,
    active: true,
    partner,
  });
}

describe("PaymentEscrow fees", () => {
  it("emits fee + net == gross and rounds the fee down, for amounts that do not divide evenly", async () => {
    const sys = await networkHelpers.loadFixture(system);
    for (const amount of [1n, 39n, 40n, 41n, 399n, 401n, 999_999n, 123_456_789n, 49_999n * UNIT + 7n]) {
      const terms = await makeTerms(sys, { amount });
      const event = await releaseWhole(sys, terms);
      expect(event.fee + event.net, `amount ${amount}`).to.equal(event.gross);
      expect(event.gross).to.equal(amount);
      expect(event.fee).to.equal((amount * BigInt(MERCHANT_FEE_BPS)) / 10_000n);
      expect(event.partnerFee).to.equal((event.fee * 2_000n) / 10_000n);
    }
  });

  it("charges 100 one-unit releases exactly the fee of one release of the aggregate (per-part rounding would give 0)", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const parts = Array.from({ length: 100 }, () => 1n);
    const split = sumReleased(await releaseInParts(sys, await makeTerms(sys, { amount: 100n }), parts));
    const whole = await releaseWhole(sys, await makeTerms(sys, { amount: 100n }));
    expect(whole.fee).to.equal(2n);
    expect(split).to.deep.equal(whole);
    expect(await ledger(sys)).to.deep.equal({
      merchant: 2n * whole.net,
      treasury: 2n * (whole.fee - whole.partnerFee),
      partner: 2n * whole.partnerFee,
    });
  });

  it("gives the partner exactly its share of the aggregate fee across 100 separate releases", async () => {
    const sys = await networkHelpers.loadFixture(system);
    // 41 units at 2.5% rounds to a fee of 1 and a partner share of 0 per part; 4,100 gives 102 and 20.
    const parts = Array.from({ length: 100 }, () => 41n);
    const events = await releaseInParts(sys, await makeTerms(sys, { amount: 4_100n }), parts);
    expect(events.filter((e) => e.partnerFee > 0n)).to.not.have.length(0);
    const split = sumReleased(events);
    expect(split).to.deep.equal({ gross: 4_100n, fee: 102n, partnerFee: 20n, net: 3_998n });
    const whole = await releaseWhole(sys, await makeTerms(sys, { amount: 4_100n }));
    expect(split).to.deep.equal(whole);
  });

  it("charges the aggregate fee however a payment is split across uneven captures", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const parts = [7n, 333n, 1n, 1n, 58n, 12_345n, 99n, 2n, 1_000_001n];
    const amount = parts.reduce((a, b) => a + b, 0n);
    const split = sumReleased(await releaseInParts(sys, await makeTerms(sys, { amount }), parts));
    expect(split).to.deep.equal({ gross: amount, ...feeSplit(await makeTerms(sys, { amount }), amount) });
  });

  it("charges only on the merchant's part when releases mix confirmations and a dispute split", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const terms = await makeTerms(sys, { amount: 1_000n });
    await authorizeErc3009(sys, terms);
    const events: Released[] = [];
    await sys.escrow.connect(sys.operator).capture(terms, 333n);
    events.push(...(await releasedEvents(sys, sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x"))));
    await sys.escrow.connect(sys.operator).capture(terms, 667n);
    await sys.escrow.connect(sys.buyer).openDispute(terms, ethers.encodeBytes32String("damaged"), "0x");
    events.push(...(await releasedEvents(sys, sys.escrow.connect(sys.arbiter).resolveDispute(terms, 100n))));
    const split = sumReleased(events);
    expect(split).to.deep.equal({ gross: 900n, ...feeSplit(terms, 900n) });
  });

  it("credits the whole fee to the treasury when the merchant has no partner", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await configureMerchant(sys, MERCHANT_FEE_BPS, ZeroAddress, 0);
    const terms = await makeTerms(sys, { partner: ZeroAddress, partnerShareBps: 0 });
    const event = await releaseWhole(sys, terms);
    expect(event).to.deep.equal({ gross: terms.amount, fee: 2_500_000n, partnerFee: 0n, net: 97_500_000n });
    expect(await ledger(sys)).to.deep.equal({ merchant: 97_500_000n, treasury: 2_500_000n, partner: 0n });
  });

  it("credits the whole gross to the merchant at a zero fee", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await configureMerchant(sys, 0, sys.partner.address, 2_000);
    const terms = await makeTerms(sys, { feeBps: 0 });
    const event = await releaseWhole(sys, terms);
    expect(event).to.deep.equal({ gross: terms.amount, fee: 0n, partnerFee: 0n, net: terms.amount });
    expect(await ledger(sys)).to.deep.equal({ merchant: terms.amount, treasury: 0n, partner: 0n });
  });
});

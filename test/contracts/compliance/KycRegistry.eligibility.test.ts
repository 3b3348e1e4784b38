import { expect } from "chai";
import { network } from "hardhat";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import { DAY, deploySystem, type System } from "../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();

const code = (text: string) => ethers.encodeBytes32String(text);
const SG = "0x5347";
const KP = "0x4b50";
const DE = "0x4445";

async function now(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** The system plus `subject`: a Basic-tier account from SG whose record expires in 30 days. */
async function withSubject() {
  const sys = await deploySystem(ethers);
  const subject = sys.stranger.address;
  const expiresAt = (await now()) + 30n * DAY;
  await sys.kyc.connect(sys.compliance).setRecord(subject, KycTier.Basic, SG, expiresAt, ethers.id("dossier"), code("onboarding"));
  return { sys, subject, expiresAt };
}

/** withSubject plus `peer`: an Institutional-tier account from DE whose record runs for two years. */
async function withSubjectAndPeer() {
  const f = await withSubject();
  const peer = f.sys.buyer2.address;
  await comply(f.sys).setRecord(peer, KycTier.Institutional, DE, (await now()) + 730n * DAY, ethers.id("peer"), code("onboarding"));
  return { ...f, peer };
}

type Fixture = Awaited<ReturnType<typeof withSubject>>;
type Outcome = { tier: number } | { error: string; args: (f: Fixture) => unknown[] };

interface Case {
  condition: string;
  arrange?: (f: Fixture) => Promise<unknown>;
  account?: (f: Fixture) => string;
  required: number;
  outcome: Outcome;
}

const comply = (sys: System) => sys.kyc.connect(sys.compliance);

const cases: Case[] = [
  { condition: "its tier equals the required tier", required: KycTier.Basic, outcome: { tier: KycTier.Basic } },
  {
    condition: "its tier is above the required tier",
    arrange: ({ sys, subject, expiresAt }) =>
      comply(sys).setRecord(subject, KycTier.Institutional, SG, expiresAt, ethers.id("d2"), code("upgrade")),
    required: KycTier.Enhanced,
    outcome: { tier: KycTier.Institutional },
  },
  {
    condition: "it has no record",
    account: ({ sys }) => sys.treasury.address,
    required: KycTier.Basic,
    outcome: { error: "KycTierTooLow", args: ({ sys }) => [sys.treasury.address, KycTier.None, KycTier.Basic] },
  },
  {
    condition: "its tier is below the required tier",
    required: KycTier.Enhanced,
    outcome: { error: "KycTierTooLow", args: ({ subject }) => [subject, KycTier.Basic, KycTier.Enhanced] },
  },
  {
    condition: "its record was revoked",
    arrange: ({ sys, subject }) => comply(sys).revoke(subject, code("offboarded")),
    required: KycTier.Basic,
    outcome: { error: "KycTierTooLow", args: ({ subject }) => [subject, KycTier.None, KycTier.Basic] },
  },
  {
    condition: "it is frozen",
    arrange: ({ sys, subject }) => comply(sys).freeze(subject, code("fraud-review")),
    required: KycTier.Basic,
    outcome: { error: "KycFrozen", args: ({ subject }) => [subject] },
  },
  {
    condition: "it is frozen and has no record (frozen is reported first)",
    arrange: ({ sys }) => comply(sys).freeze(sys.treasury.address, code("sanctions")),
    account: ({ sys }) => sys.treasury.address,
    required: KycTier.Basic,
    outcome: { error: "KycFrozen", args: ({ sys }) => [sys.treasury.address] },
  },
  {
    condition: "its record expired",
    arrange: ({ expiresAt }) => networkHelpers.time.increaseTo(expiresAt + DAY),
    required: KycTier.Basic,
    outcome: { error: "KycExpired", args: ({ subject, expiresAt }) => [subject, expiresAt] },
  },
  {
    condition: "its jurisdiction is blocked",
    arrange: ({ sys }) => comply(sys).setJurisdictionBlocked(SG, true, code("fatf-list")),
    required: KycTier.Basic,
    outcome: { error: "KycJurisdictionBlocked", args: ({ subject }) => [subject, SG] },
  },
  {
    condition: "its record expired and its jurisdiction is blocked (expiry is reported first)",
    arrange: async ({ sys, expiresAt }) => {
      await comply(sys).setJurisdictionBlocked(SG, true, code("fatf-list"));
      await networkHelpers.time.increaseTo(expiresAt + 1n);
    },
    required: KycTier.Basic,
    outcome: { error: "KycExpired", args: ({ subject, expiresAt }) => [subject, expiresAt] },
  },
  {
    condition: "another jurisdiction is blocked",
    arrange: ({ sys }) => comply(sys).setJurisdictionBlocked(KP, true, code("fatf-list")),
    required: KycTier.Basic,
    outcome: { tier: KycTier.Basic },
  },
  {
    condition: "it was unfrozen",
    arrange: async ({ sys, subject }) => {
      await comply(sys).freeze(subject, code("fraud-review"));
      await comply(sys).unfreeze(subject, code("cleared"));
    },
    required: KycTier.Basic,
    outcome: { tier: KycTier.Basic },
  },
  {
    condition: "it has a valid record and the required tier is None",
    required: KycTier.None,
    outcome: { tier: KycTier.Basic },
  },
];

describe("KycRegistry eligibility", () => {
  for (const c of cases) {
    const verdict = "tier" in c.outcome ? "returns the tier" : `reverts with ${c.outcome.error}`;
    it(`requireEligible ${verdict} when ${c.condition}`, async () => {
      const f = await networkHelpers.loadFixture(withSubject);
      await c.arrange?.(f);
      const account = c.account?.(f) ?? f.subject;
      if ("tier" in c.outcome) {
        expect(await f.sys.kyc.requireEligible(account, c.required)).to.equal(BigInt(c.outcome.tier));
      } else {
        await expect(f.sys.kyc.requireEligible(account, c.required))
          .to.be.revertedWithCustomError(f.sys.kyc, c.outcome.error)
          .withArgs(...c.outcome.args(f));
      }
    });

    it(`requireAllEligible ${"tier" in c.outcome ? "returns both tiers" : `reverts with ${c.outcome.error}`} when ${c.condition}, after an eligible peer`, async () => {
      const f = await networkHelpers.loadFixture(withSubjectAndPeer);
      await c.arrange?.(f);
      const account = c.account?.(f) ?? f.subject;
      if ("tier" in c.outcome) {
        expect(await f.sys.kyc.requireAllEligible([f.peer, account], c.required)).to.deep.equal([BigInt(KycTier.Institutional), BigInt(c.outcome.tier)]);
      } else {
        await expect(f.sys.kyc.requireAllEligible([f.peer, account], c.required))
          .to.be.revertedWithCustomError(f.sys.kyc, c.outcome.error)
          .withArgs(...c.outcome.args(f));
      }
    });

    it(`isEligible returns ${"tier" in c.outcome} when ${c.condition}`, async () => {
      const f = await networkHelpers.loadFixture(withSubject);
      await c.arrange?.(f);
      const account = c.account?.(f) ?? f.subject;
      expect(await f.sys.kyc.isEligible(account, c.required)).to.equal("tier" in c.outcome);
    });
  }

  describe("requireAllEligible", () => {
    it("reports the first refused account when several are refused, in the order given", async () => {
      const f = await networkHelpers.loadFixture(withSubjectAndPeer);
      await comply(f.sys).freeze(f.peer, code("fraud-review"));
      await expect(f.sys.kyc.requireAllEligible([f.subject, f.peer], KycTier.Enhanced))
        .to.be.revertedWithCustomError(f.sys.kyc, "KycTierTooLow")
        .withArgs(f.subject, KycTier.Basic, KycTier.Enhanced);
      await expect(f.sys.kyc.requireAllEligible([f.peer, f.subject], KycTier.Enhanced))
        .to.be.revertedWithCustomError(f.sys.kyc, "KycFrozen")
        .withArgs(f.peer);
    });

    it("returns no tiers for no accounts, and each account's tier for repeats", async () => {
      const f = await networkHelpers.loadFixture(withSubjectAndPeer);
      expect(await f.sys.kyc.requireAllEligible([], KycTier.Basic)).to.deep.equal([]);
      expect(await f.sys.kyc.requireAllEligible([f.subject, f.peer, f.subject], KycTier.Basic)).to.deep.equal([
        BigInt(KycTier.Basic),
        BigInt(KycTier.Institutional),
        BigInt(KycTier.Basic),
      ]);
    });
  });

  describe("expiry boundary", () => {
    it("is eligible one second before expiresAt", async () => {
      const { sys, subject, expiresAt } = await networkHelpers.loadFixture(withSubject);
      await networkHelpers.time.increaseTo(expiresAt - 1n);
      expect(await now()).to.equal(expiresAt - 1n);
      expect(await sys.kyc.isEligible(subject, KycTier.Basic)).to.equal(true);
      expect(await sys.kyc.requireEligible(subject, KycTier.Basic)).to.equal(BigInt(KycTier.Basic));
    });

    it("reverts with KycExpired at the expiresAt second", async () => {
      const { sys, subject, expiresAt } = await networkHelpers.loadFixture(withSubject);
      await networkHelpers.time.increaseTo(expiresAt);
      expect(await now()).to.equal(expiresAt);
      expect(await sys.kyc.isEligible(subject, KycTier.Basic)).to.equal(false);
      await expect(sys.kyc.requireEligible(subject, KycTier.Basic))
        .to.be.revertedWithCustomError(sys.kyc, "KycExpired")
        .withArgs(subject, expiresAt);
    });

    it("reverts with KycExpired one second after expiresAt", async () => {
      const { sys, subject, expiresAt } = await networkHelpers.loadFixture(withSubject);
      await networkHelpers.time.increaseTo(expiresAt + 1n);
      expect(await sys.kyc.isEligible(subject, KycTier.Basic)).to.equal(false);
      await expect(sys.kyc.requireEligible(subject, KycTier.Basic))
        .to.be.revertedWithCustomError(sys.kyc, "KycExpired")
        .withArgs(subject, expiresAt);
    });

    it("is eligible again once an expired record is renewed", async () => {
      const { sys, subject, expiresAt } = await networkHelpers.loadFixture(withSubject);
      await networkHelpers.time.increaseTo(expiresAt + 1n);
      await comply(sys).setRecord(subject, KycTier.Basic, SG, expiresAt + 365n * DAY, ethers.id("renewed"), code("renewal"));
      expect(await sys.kyc.isEligible(subject, KycTier.Basic)).to.equal(true);
    });
  });

  describe("freeze interplay", () => {
    it("stays frozen after its record is replaced", async () => {
      const { sys, subject, expiresAt } = await networkHelpers.loadFixture(withSubject);
      await comply(sys).freeze(subject, code("fraud-review"));
      await comply(sys).setRecord(subject, KycTier.Institutional, SG, expiresAt, ethers.id("d2"), code("upgrade"));
      await expect(sys.kyc.requireEligible(subject, KycTier.Basic))
        .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
        .withArgs(subject);
    });

    it("stays frozen after revoke and a new record", async () => {
      const { sys, subject, expiresAt } = await networkHelpers.loadFixture(withSubject);
      await comply(sys).freeze(subject, code("fraud-review"));
      await comply(sys).revoke(subject, code("offboarded"));
      await comply(sys).setRecord(subject, KycTier.Basic, SG, expiresAt, ethers.id("d3"), code("re-onboarding"));
      expect(await sys.kyc.isFrozen(subject)).to.equal(true);
      await expect(sys.kyc.requireEligible(subject, KycTier.Basic))
        .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
        .withArgs(subject);
    });
  });
});

import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import { DAY, deploySystem, type System } from "../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const code = (text: string) => ethers.encodeBytes32String(text);
const SG = "0x5347";
const CN = "0x434e";
const ONBOARDING = code("onboarding");

async function now(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** A valid record for `account`, one year from now, with field overrides. */
async function recordFor(account: string, overrides: Partial<RecordArgs> = {}): Promise<RecordArgs> {
  return {
    account,
    tier: KycTier.Basic,
    country: SG,
    expiresAt: (await now()) + 365n * DAY,
    dossierHash: ethers.id(`dossier:${account}`),
    ...overrides,
  };
}

interface RecordArgs {
  account: string;
  tier: number;
  country: string;
  expiresAt: bigint;
  dossierHash: string;
}

function setRecord(sys: System, r: RecordArgs, reason = ONBOARDING) {
  return sys.kyc.connect(sys.compliance).setRecord(r.account, r.tier, r.country, r.expiresAt, r.dossierHash, reason);
}

function setRecords(sys: System, rs: RecordArgs[], reason = ONBOARDING) {
  return sys.kyc.connect(sys.compliance).setRecords(
    rs.map((r) => r.account),
    rs.map((r) => r.tier),
    rs.map((r) => r.country),
    rs.map((r) => r.expiresAt),
    rs.map((r) => r.dossierHash),
    reason,
  );
}

async function expectStored(sys: System, r: RecordArgs, frozen = false) {
  const stored = await sys.kyc.recordOf(r.account);
  expect(stored.tier).to.equal(BigInt(r.tier));
  expect(stored.country).to.equal(r.country);
  expect(stored.expiresAt).to.equal(r.expiresAt);
  expect(stored.frozen).to.equal(frozen);
  expect(stored.dossierHash).to.equal(r.dossierHash);
}

describe("KycRegistry records", () => {
  describe("setRecord", () => {
    it("stores the record and emits KycRecordSet with the reason code", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const r = await recordFor(sys.stranger.address, { tier: KycTier.Institutional, country: CN });
      await expect(setRecord(sys, r))
        .to.emit(sys.kyc, "KycRecordSet")
        .withArgs(r.account, r.tier, r.country, r.expiresAt, r.dossierHash, ONBOARDING);
      await expectStored(sys, r);
    });

    it("replaces an existing record", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const r = await recordFor(sys.buyer.address, { tier: KycTier.Basic, country: CN, dossierHash: ethers.id("v2") });
      await setRecord(sys, r, code("downgrade"));
      await expectStored(sys, r);
    });

    it("keeps the frozen flag when the record is replaced", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review"));
      const r = await recordFor(sys.buyer.address, { tier: KycTier.Institutional });
      await setRecord(sys, r, code("refresh"));
      await expectStored(sys, r, true);
    });

    const invalid: Array<[string, (sys: System) => Promise<RecordArgs>]> = [
      ["the zero account", () => recordFor(ZeroAddress)],
      ["tier None", (sys) => recordFor(sys.stranger.address, { tier: KycTier.None })],
      ["a zero country", (sys) => recordFor(sys.stranger.address, { country: "0x0000" })],
      ["an expiry in the past", async (sys) => recordFor(sys.stranger.address, { expiresAt: (await now()) - 1n })],
      ["a zero dossier hash", (sys) => recordFor(sys.stranger.address, { dossierHash: ZeroHash })],
    ];
    for (const [condition, make] of invalid) {
      it(`reverts with KycInvalidRecord for ${condition}`, async () => {
        const sys = await networkHelpers.loadFixture(system);
        const r = await make(sys);
        await expect(setRecord(sys, r)).to.be.revertedWithCustomError(sys.kyc, "KycInvalidRecord").withArgs(r.account);
      });
    }

    it("reverts with KycInvalidRecord for an expiry equal to the block time", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const at = (await now()) + 100n;
      const r = await recordFor(sys.stranger.address, { expiresAt: at });
      await networkHelpers.time.setNextBlockTimestamp(at);
      await expect(setRecord(sys, r)).to.be.revertedWithCustomError(sys.kyc, "KycInvalidRecord").withArgs(r.account);
    });

    it("accepts an expiry one second after the block time", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const at = (await now()) + 100n;
      const r = await recordFor(sys.stranger.address, { expiresAt: at + 1n });
      await networkHelpers.time.setNextBlockTimestamp(at);
      await expect(setRecord(sys, r)).to.emit(sys.kyc, "KycRecordSet");
    });
  });

  describe("setRecords", () => {
    it("stores every record and emits one KycRecordSet each with the shared reason", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const rs = [
        await recordFor(sys.stranger.address, { tier: KycTier.Basic }),
        await recordFor(sys.treasury.address, { tier: KycTier.Institutional, country: CN }),
      ];
      const tx = setRecords(sys, rs, code("batch-1"));
      for (const r of rs) {
        await expect(tx)
          .to.emit(sys.kyc, "KycRecordSet")
          .withArgs(r.account, r.tier, r.country, r.expiresAt, r.dossierHash, code("batch-1"));
      }
      for (const r of rs) await expectStored(sys, r);
    });

    for (const field of ["tiers", "countries", "expiries", "dossierHashes"] as const) {
      it(`reverts with KycLengthMismatch when ${field} has a different length`, async () => {
        const sys = await networkHelpers.loadFixture(system);
        const rs = [await recordFor(sys.stranger.address), await recordFor(sys.treasury.address)];
        const args = {
          tiers: rs.map((r) => r.tier),
          countries: rs.map((r) => r.country),
          expiries: rs.map((r) => r.expiresAt),
          dossierHashes: rs.map((r) => r.dossierHash),
        };
        args[field].pop();
        await expect(
          sys.kyc
            .connect(sys.compliance)
            .setRecords(rs.map((r) => r.account), args.tiers, args.countries, args.expiries, args.dossierHashes, ONBOARDING),
        ).to.be.revertedWithCustomError(sys.kyc, "KycLengthMismatch");
      });
    }

    it("stores nothing when one record is invalid", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const good = await recordFor(sys.stranger.address);
      const bad = await recordFor(sys.treasury.address, { dossierHash: ZeroHash });
      await expect(setRecords(sys, [good, bad]))
        .to.be.revertedWithCustomError(sys.kyc, "KycInvalidRecord")
        .withArgs(sys.treasury.address);
      expect((await sys.kyc.recordOf(sys.stranger.address)).tier).to.equal(BigInt(KycTier.None));
    });
  });

  describe("revoke", () => {
    it("clears the record and emits KycRecordSet with tier None and the reason", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.kyc.connect(sys.compliance).revoke(sys.buyer.address, code("offboarded")))
        .to.emit(sys.kyc, "KycRecordSet")
        .withArgs(sys.buyer.address, KycTier.None, "0x0000", 0n, ZeroHash, code("offboarded"));
      await expectStored(sys, { account: sys.buyer.address, tier: KycTier.None, country: "0x0000", expiresAt: 0n, dossierHash: ZeroHash });
    });

    it("keeps the frozen flag", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review"));
      await sys.kyc.connect(sys.compliance).revoke(sys.buyer.address, code("offboarded"));
      expect(await sys.kyc.isFrozen(sys.buyer.address)).to.equal(true);
      expect((await sys.kyc.recordOf(sys.buyer.address)).tier).to.equal(BigInt(KycTier.None));
    });

    it("reverts with KycTierTooLow for an account without a record", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.kyc.connect(sys.compliance).revoke(sys.stranger.address, code("offboarded")))
        .to.be.revertedWithCustomError(sys.kyc, "KycTierTooLow")
        .withArgs(sys.stranger.address, KycTier.None, KycTier.Basic);
    });
  });

  describe("freeze and unfreeze", () => {
    it("freezes with AccountFrozen and the reason", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review")))
        .to.emit(sys.kyc, "AccountFrozen")
        .withArgs(sys.buyer.address, code("fraud-review"));
      expect(await sys.kyc.isFrozen(sys.buyer.address)).to.equal(true);
      await expect(sys.kyc.requireNotFrozen(sys.buyer.address))
        .to.be.revertedWithCustomError(sys.kyc, "KycFrozen")
        .withArgs(sys.buyer.address);
    });

    it("freezes an account that has no record", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.kyc.connect(sys.compliance).freeze(sys.stranger.address, code("sanctions"));
      expect(await sys.kyc.isFrozen(sys.stranger.address)).to.equal(true);
    });

    it("reverts a second freeze with KycFreezeUnchanged(account, true)", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review"));
      await expect(sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review")))
        .to.be.revertedWithCustomError(sys.kyc, "KycFreezeUnchanged")
        .withArgs(sys.buyer.address, true);
    });

    it("unfreezes with AccountUnfrozen and the reason", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review"));
      await expect(sys.kyc.connect(sys.compliance).unfreeze(sys.buyer.address, code("cleared")))
        .to.emit(sys.kyc, "AccountUnfrozen")
        .withArgs(sys.buyer.address, code("cleared"));
      expect(await sys.kyc.isFrozen(sys.buyer.address)).to.equal(false);
      await sys.kyc.requireNotFrozen(sys.buyer.address);
    });

    it("reverts a second unfreeze with KycFreezeUnchanged(account, false)", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review"));
      await sys.kyc.connect(sys.compliance).unfreeze(sys.buyer.address, code("cleared"));
      await expect(sys.kyc.connect(sys.compliance).unfreeze(sys.buyer.address, code("cleared")))
        .to.be.revertedWithCustomError(sys.kyc, "KycFreezeUnchanged")
        .withArgs(sys.buyer.address, false);
    });

    it("keeps the record while frozen and after unfreezing", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const before = await sys.kyc.recordOf(sys.buyer.address);
      await sys.kyc.connect(sys.compliance).freeze(sys.buyer.address, code("fraud-review"));
      await sys.kyc.connect(sys.compliance).unfreeze(sys.buyer.address, code("cleared"));
      const after = await sys.kyc.recordOf(sys.buyer.address);
      expect([after.tier, after.country, after.expiresAt, after.dossierHash]).to.deep.equal([
        before.tier,
        before.country,
        before.expiresAt,
        before.dossierHash,
      ]);
    });
  });

  describe("setJurisdictionBlocked", () => {
    it("blocks a country with JurisdictionBlockSet and the reason", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.kyc.connect(sys.compliance).setJurisdictionBlocked(CN, true, code("fatf-list")))
        .to.emit(sys.kyc, "JurisdictionBlockSet")
        .withArgs(CN, true, code("fatf-list"));
      expect(await sys.kyc.isJurisdictionBlocked(CN)).to.equal(true);
      expect(await sys.kyc.isJurisdictionBlocked(SG)).to.equal(false);
    });

    it("unblocks a country with JurisdictionBlockSet(false) and the reason", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await sys.kyc.connect(sys.compliance).setJurisdictionBlocked(CN, true, code("fatf-list"));
      await expect(sys.kyc.connect(sys.compliance).setJurisdictionBlocked(CN, false, code("delisted")))
        .to.emit(sys.kyc, "JurisdictionBlockSet")
        .withArgs(CN, false, code("delisted"));
      expect(await sys.kyc.isJurisdictionBlocked(CN)).to.equal(false);
    });
  });
});

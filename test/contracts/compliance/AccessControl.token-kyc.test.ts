// Access-control matrix of SettlementToken and KycRegistry: every role-gated external function is called by
// every role of the network; only the intended role succeeds, the others revert with
// AccessControlUnauthorizedAccount(caller, neededRole). Not role-gated, hence not in the matrix: ERC-20
// transfers and approvals, permit, EIP-3009 (signature-gated), renounceRole (caller's own roles only) and
// acceptDefaultAdminTransfer (pending admin only, tested below).
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import type { KycRegistry, SettlementToken } from "../../../typechain-types/index.js";
import { ADMIN_DELAY, DAY, deploySystem, ROLES, UNIT, type System } from "../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const code = (text: string) => ethers.encodeBytes32String(text);

const ROLE_NAMES = ["admin", "operator", "compliance", "arbiter", "pauser", "issuer", "stranger"] as const;
type RoleName = (typeof ROLE_NAMES)[number];
const NEEDED_ROLE: Record<Exclude<RoleName, "operator" | "arbiter" | "stranger">, string> = {
  admin: ROLES.ADMIN,
  compliance: ROLES.COMPLIANCE,
  pauser: ROLES.PAUSER,
  issuer: ROLES.ISSUER,
};

type Target = "token" | "kyc";
type Gated = SettlementToken | KycRegistry;
const contractOf = (sys: System, target: Target): Gated => (target === "token" ? sys.token : sys.kyc);

interface Row {
  fn: string;
  /** The only role allowed to call `fn`. */
  role: keyof typeof NEEDED_ROLE;
  /** State that makes the intended call succeed (run by the role holders, before the attempt). */
  setup?: (sys: System) => Promise<unknown>;
  call: (sys: System, caller: HardhatEthersSigner) => Promise<ContractTransactionResponse>;
  /** The event the intended role's call emits. */
  event: string;
}

const oneYear = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 365n * DAY;

/** The DEFAULT_ADMIN_ROLE functions both contracts inherit from AccessControlDefaultAdminRules. */
function adminRows(target: Target): Row[] {
  const c = (sys: System, caller: HardhatEthersSigner) => contractOf(sys, target).connect(caller) as Gated;
  return [
    { fn: "grantRole", role: "admin", call: (s, by) => c(s, by).grantRole(ROLES.ISSUER, s.stranger.address), event: "RoleGranted" },
    {
      fn: "revokeRole",
      role: "admin",
      setup: (s) => contractOf(s, target).connect(s.admin).grantRole(ROLES.ISSUER, s.treasury.address),
      call: (s, by) => c(s, by).revokeRole(ROLES.ISSUER, s.treasury.address),
      event: "RoleRevoked",
    },
    {
      fn: "beginDefaultAdminTransfer",
      role: "admin",
      call: (s, by) => c(s, by).beginDefaultAdminTransfer(s.treasury.address),
      event: "DefaultAdminTransferScheduled",
    },
    {
      fn: "cancelDefaultAdminTransfer",
      role: "admin",
      setup: (s) => contractOf(s, target).connect(s.admin).beginDefaultAdminTransfer(s.treasury.address),
      call: (s, by) => c(s, by).cancelDefaultAdminTransfer(),
      event: "DefaultAdminTransferCanceled",
    },
    {
      fn: "changeDefaultAdminDelay",
      role: "admin",
      call: (s, by) => c(s, by).changeDefaultAdminDelay(DAY),
      event: "DefaultAdminDelayChangeScheduled",
    },
    {
      fn: "rollbackDefaultAdminDelay",
      role: "admin",
      setup: (s) => contractOf(s, target).connect(s.admin).changeDefaultAdminDelay(DAY),
      call: (s, by) => c(s, by).rollbackDefaultAdminDelay(),
      event: "DefaultAdminDelayChangeCanceled",
    },
  ];
}

const MATRIX: Record<Target, Row[]> = {
  token: [
    { fn: "mint", role: "issuer", call: (s, by) => s.token.connect(by).mint(s.stranger.address, UNIT, code("wire:1")), event: "Minted" },
    {
      fn: "burn",
      role: "issuer",
      setup: (s) => s.token.connect(s.issuer).mint(s.issuer.address, UNIT, code("reserve:in")),
      call: (s, by) => s.token.connect(by).burn(UNIT, code("redeem:1")),
      event: "Burned",
    },
    { fn: "blocklist", role: "compliance", call: (s, by) => s.token.connect(by).blocklist(s.stranger.address, code("sanctions")), event: "Blocklisted" },
    {
      fn: "unblocklist",
      role: "compliance",
      setup: (s) => s.token.connect(s.compliance).blocklist(s.buyer.address, code("sanctions")),
      call: (s, by) => s.token.connect(by).unblocklist(s.buyer.address, code("cleared")),
      event: "Unblocklisted",
    },
    { fn: "pause", role: "pauser", call: (s, by) => s.token.connect(by).pause(), event: "Paused" },
    {
      fn: "unpause",
      role: "pauser",
      setup: (s) => s.token.connect(s.pauser).pause(),
      call: (s, by) => s.token.connect(by).unpause(),
      event: "Unpaused",
    },
    ...adminRows("token"),
  ],
  kyc: [
    {
      fn: "setRecord",
      role: "compliance",
      call: async (s, by) =>
        s.kyc.connect(by).setRecord(s.stranger.address, KycTier.Basic, "0x5347", await oneYear(), ethers.id("d"), code("onboarding")),
      event: "KycRecordSet",
    },
    {
      fn: "setRecords",
      role: "compliance",
      call: async (s, by) =>
        s.kyc.connect(by).setRecords([s.stranger.address], [KycTier.Basic], ["0x5347"], [await oneYear()], [ethers.id("d")], code("batch")),
      event: "KycRecordSet",
    },
    { fn: "revoke", role: "compliance", call: (s, by) => s.kyc.connect(by).revoke(s.buyer.address, code("offboarded")), event: "KycRecordSet" },
    { fn: "freeze", role: "compliance", call: (s, by) => s.kyc.connect(by).freeze(s.buyer.address, code("fraud-review")), event: "AccountFrozen" },
    {
      fn: "unfreeze",
      role: "compliance",
      setup: (s) => s.kyc.connect(s.compliance).freeze(s.buyer.address, code("fraud-review")),
      call: (s, by) => s.kyc.connect(by).unfreeze(s.buyer.address, code("cleared")),
      event: "AccountUnfrozen",
    },
    {
      fn: "setJurisdictionBlocked",
      role: "compliance",
      call: (s, by) => s.kyc.connect(by).setJurisdictionBlocked("0x4b50", true, code("fatf-list")),
      event: "JurisdictionBlockSet",
    },
    ...adminRows("kyc"),
  ],
};

for (const [target, rows] of Object.entries(MATRIX) as Array<[Target, Row[]]>) {
  describe(`${target === "token" ? "SettlementToken" : "KycRegistry"} access-control matrix`, () => {
    for (const row of rows) {
      describe(`${row.fn} (${row.role} only)`, () => {
        for (const roleName of ROLE_NAMES) {
          const allowed = roleName === row.role;
          it(`${roleName}: ${allowed ? `succeeds with ${row.event}` : "reverts with AccessControlUnauthorizedAccount"}`, async () => {
            const sys = await networkHelpers.loadFixture(system);
            await row.setup?.(sys);
            const caller = sys[roleName];
            const contract: BaseContract = contractOf(sys, target);
            if (allowed) {
              await expect(row.call(sys, caller)).to.emit(contract, row.event);
            } else {
              await expect(row.call(sys, caller))
                .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
                .withArgs(caller.address, NEEDED_ROLE[row.role]);
            }
          });
        }
      });
    }
  });
}

for (const target of ["token", "kyc"] as const) {
  describe(`${target === "token" ? "SettlementToken" : "KycRegistry"} two-step default admin transfer`, () => {
    /** Begins a transfer to the treasury account; returns the accept schedule. */
    async function begin(sys: System): Promise<bigint> {
      const contract = contractOf(sys, target);
      await contract.connect(sys.admin).beginDefaultAdminTransfer(sys.treasury.address);
      const [pending, schedule] = await contract.pendingDefaultAdmin();
      expect(pending).to.equal(sys.treasury.address);
      return schedule;
    }

    it("schedules the transfer ADMIN_DELAY after the begin block", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const contract = contractOf(sys, target);
      const tx = await contract.connect(sys.admin).beginDefaultAdminTransfer(sys.treasury.address);
      const at = BigInt((await tx.getBlock())!.timestamp);
      await expect(tx).to.emit(contract, "DefaultAdminTransferScheduled").withArgs(sys.treasury.address, at + ADMIN_DELAY);
    });

    it("reverts acceptDefaultAdminTransfer with AccessControlEnforcedDefaultAdminDelay at the schedule second", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const schedule = await begin(sys);
      await networkHelpers.time.setNextBlockTimestamp(schedule);
      await expect(contractOf(sys, target).connect(sys.treasury).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(contractOf(sys, target), "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
    });

    it("hands the admin role over one second after the schedule", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const contract = contractOf(sys, target);
      const schedule = await begin(sys);
      await networkHelpers.time.setNextBlockTimestamp(schedule + 1n);
      await expect(contract.connect(sys.treasury).acceptDefaultAdminTransfer())
        .to.emit(contract, "RoleGranted")
        .withArgs(ROLES.ADMIN, sys.treasury.address, sys.treasury.address);
      expect(await contract.defaultAdmin()).to.equal(sys.treasury.address);
      expect(await contract.hasRole(ROLES.ADMIN, sys.admin.address)).to.equal(false);
      await expect(contract.connect(sys.treasury).grantRole(ROLES.COMPLIANCE, sys.stranger.address)).to.emit(contract, "RoleGranted");
      await expect(contract.connect(sys.admin).grantRole(ROLES.COMPLIANCE, sys.stranger.address))
        .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
        .withArgs(sys.admin.address, ROLES.ADMIN);
    });

    it("reverts acceptDefaultAdminTransfer by anyone but the pending admin with AccessControlInvalidDefaultAdmin", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const schedule = await begin(sys);
      await networkHelpers.time.increaseTo(schedule + 1n);
      for (const roleName of ROLE_NAMES) {
        await expect(contractOf(sys, target).connect(sys[roleName]).acceptDefaultAdminTransfer())
          .to.be.revertedWithCustomError(contractOf(sys, target), "AccessControlInvalidDefaultAdmin")
          .withArgs(sys[roleName].address);
      }
    });

    it("makes a cancelled transfer unacceptable", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const contract = contractOf(sys, target);
      const schedule = await begin(sys);
      await contract.connect(sys.admin).cancelDefaultAdminTransfer();
      await networkHelpers.time.increaseTo(schedule + 1n);
      await expect(contract.connect(sys.treasury).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(contract, "AccessControlInvalidDefaultAdmin")
        .withArgs(sys.treasury.address);
      expect(await contract.defaultAdmin()).to.equal(sys.admin.address);
    });

    it("refuses to grant DEFAULT_ADMIN_ROLE directly with AccessControlEnforcedDefaultAdminRules", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const contract = contractOf(sys, target);
      await expect(contract.connect(sys.admin).grantRole(ROLES.ADMIN, sys.treasury.address)).to.be.revertedWithCustomError(
        contract,
        "AccessControlEnforcedDefaultAdminRules",
      );
    });
  });
}

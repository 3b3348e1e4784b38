// Access-control matrix: every external state-changing function of the escrow x every role. Each row says
// who succeeds (and the event that proves it) and the exact error everyone else gets.
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import {
  DisputeRequestTypes,
  escrowDomain,
  FundingMethod,
  KycTier,
  ReceiptConfirmationTypes,
  type PaymentTerms,
} from "../../../../relayer/chain/typed-data.js";
import { authorizeAndCapture, authorizeErc3009, deploySystem, makeTerms, ROLES, signTerms, UNIT, type System } from "../../fixtures.js";
import { ROLE_NAMES, signerOf, type RoleName } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const ROLE_LABEL: Record<string, string> = {
  [ROLES.ADMIN]: "DEFAULT_ADMIN_ROLE",
  [ROLES.OPERATOR]: "OPERATOR_ROLE",
  [ROLES.ARBITER]: "ARBITER_ROLE",
  [ROLES.PAUSER]: "PAUSER_ROLE",
  [ROLES.COLLECTOR]: "COLLECTOR_ROLE",
};

/** The exact revert a caller outside the row's `allowed` set gets. */
interface Denial {
  label: string;
  error: string;
  args: (sys: System, caller: string) => unknown[];
}
const needsRole = (role: string): Denial => ({
  label: `AccessControlUnauthorizedAccount(caller, ${ROLE_LABEL[role]})`,
  error: "AccessControlUnauthorizedAccount",
  args: (_sys, caller) => [caller, role],
});
const needsBuyerSignature: Denial = {
  label: "EscrowInvalidSignature(buyer)",
  error: "EscrowInvalidSignature",
  args: (sys) => [sys.buyer.address],
};
const onlySelf: Denial = { label: "EscrowOnlySelf()", error: "EscrowOnlySelf", args: () => [] };

type Call = (signer: HardhatEthersSigner) => Promise<ContractTransactionResponse>;

interface Row {
  fn: string;
  /** Roles for which the call succeeds; every other role gets `otherwise`. */
  allowed: RoleName[] | "everyone" | "no one";
  otherwise: Denial;
  /** Emitted by a successful call. */
  event: string;
  /** Puts the system where an allowed caller succeeds; returns the call. */
  setup: (sys: System) => Promise<Call>;
}

// ---------------------------------------------------------------- setups

async function approvedTerms(sys: System): Promise<{ terms: PaymentTerms; signature: string }> {
  const terms = await makeTerms(sys);
  await sys.token.connect(sys.buyer).approve(sys.escrowAddress, terms.amount);
  return { terms, signature: await signTerms(sys, sys.buyer, terms) };
}

async function authorized(sys: System): Promise<PaymentTerms> {
  const terms = await makeTerms(sys);
  await authorizeErc3009(sys, terms);
  return terms;
}

async function captured(sys: System): Promise<PaymentTerms> {
  const terms = await makeTerms(sys);
  await authorizeAndCapture(sys, terms);
  return terms;
}

/** Captured and released: the merchant has a balance to pay out. */
async function merchantCredited(sys: System): Promise<void> {
  const terms = await captured(sys);
  await sys.escrow.connect(sys.buyer).confirmReceipt(terms, 0n, "0x");
}

const newMerchantConfig = (sys: System) => ({
  settlementAddress: sys.stranger.address,
  feeBps: 100,
  partnerShareBps: 0,
  active: true,
  partner: ethers.ZeroAddress,
});

// ---------------------------------------------------------------- the matrix

const MATRIX: Row[] = [
  // payment lifecycle
  {
    fn: "authorize",
    allowed: ["operator", "buyer"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentAuthorized",
    setup: async (sys) => {
      const { terms, signature } = await approvedTerms(sys);
      return (s) => sys.escrow.connect(s).authorize(terms, FundingMethod.Allowance, signature);
    },
  },
  {
    fn: "capture",
    allowed: ["operator"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentCaptured",
    setup: async (sys) => {
      const terms = await authorized(sys);
      return (s) => sys.escrow.connect(s).capture(terms, terms.amount);
    },
  },
  {
    fn: "charge",
    allowed: ["operator", "buyer"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentCaptured",
    setup: async (sys) => {
      const { terms, signature } = await approvedTerms(sys);
      return (s) => sys.escrow.connect(s).charge(terms, FundingMethod.Allowance, signature);
    },
  },
  {
    fn: "void",
    allowed: ["operator"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentVoided",
    setup: async (sys) => {
      const terms = await authorized(sys);
      return (s) => sys.escrow.connect(s).void(terms);
    },
  },
  {
    fn: "reclaim",
    allowed: ["operator", "buyer"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentReclaimed",
    setup: async (sys) => {
      const terms = await authorized(sys);
      await networkHelpers.time.increaseTo(terms.authorizationExpiry);
      return (s) => sys.escrow.connect(s).reclaim(terms);
    },
  },
  {
    fn: "release",
    allowed: "everyone",
    otherwise: needsRole(ROLES.OPERATOR), // unused: no one is denied
    event: "PaymentReleased",
    setup: async (sys) => {
      const terms = await captured(sys);
      await networkHelpers.time.increase(terms.confirmationWindow);
      return (s) => sys.escrow.connect(s).release(terms);
    },
  },
  {
    fn: "confirmReceipt (in person, no signature)",
    allowed: ["buyer"],
    otherwise: needsBuyerSignature,
    event: "ReceiptConfirmed",
    setup: async (sys) => {
      const terms = await captured(sys);
      // A live deadline, so that others fail for want of a signature alone.
      return (s) => sys.escrow.connect(s).confirmReceipt(terms, ethers.MaxUint256, "0x");
    },
  },
  {
    fn: "confirmReceipt (relayed with the buyer's signature)",
    allowed: "everyone",
    otherwise: needsBuyerSignature, // unused
    event: "ReceiptConfirmed",
    setup: async (sys) => {
      const terms = await captured(sys);
      const paymentId = await sys.escrow.paymentId(terms);
      const deadline = terms.preApprovalExpiry;
      const signature = await sys.buyer.signTypedData(escrowDomain(sys.chainId, sys.escrowAddress), ReceiptConfirmationTypes, {
        paymentId,
        deadline,
      });
      return (s) => sys.escrow.connect(s).confirmReceipt(terms, deadline, signature);
    },
  },
  {
    fn: "refund",
    allowed: ["operator"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentRefunded",
    setup: async (sys) => {
      const terms = await captured(sys);
      return (s) => sys.escrow.connect(s).refund(terms, 10n * UNIT);
    },
  },
  {
    fn: "openDispute (in person, no signature)",
    allowed: ["buyer"],
    otherwise: needsBuyerSignature,
    event: "DisputeOpened",
    setup: async (sys) => {
      const terms = await captured(sys);
      return (s) => sys.escrow.connect(s).openDispute(terms, ethers.id("damaged"), "0x");
    },
  },
  {
    fn: "openDispute (relayed with the buyer's signature)",
    allowed: "everyone",
    otherwise: needsBuyerSignature, // unused
    event: "DisputeOpened",
    setup: async (sys) => {
      const terms = await captured(sys);
      const reason = ethers.id("damaged");
      const signature = await sys.buyer.signTypedData(escrowDomain(sys.chainId, sys.escrowAddress), DisputeRequestTypes, {
        paymentId: await sys.escrow.paymentId(terms),
        reason,
      });
      return (s) => sys.escrow.connect(s).openDispute(terms, reason, signature);
    },
  },
  {
    fn: "resolveDispute",
    allowed: ["arbiter"],
    otherwise: needsRole(ROLES.ARBITER),
    event: "DisputeResolved",
    setup: async (sys) => {
      const terms = await captured(sys);
      await sys.escrow.connect(sys.buyer).openDispute(terms, ethers.id("damaged"), "0x");
      return (s) => sys.escrow.connect(s).resolveDispute(terms, 40n * UNIT);
    },
  },
  // batches
  {
    fn: "authorizeMany",
    allowed: ["operator"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentAuthorized",
    setup: async (sys) => {
      const { terms, signature } = await approvedTerms(sys);
      return (s) => sys.escrow.connect(s).authorizeMany([{ terms, method: FundingMethod.Allowance, funding: signature }]);
    },
  },
  {
    fn: "captureMany",
    allowed: ["operator"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PaymentCaptured",
    setup: async (sys) => {
      const terms = await authorized(sys);
      return (s) => sys.escrow.connect(s).captureMany([{ terms, amount: terms.amount }]);
    },
  },
  {
    fn: "releaseMany",
    allowed: "everyone",
    otherwise: needsRole(ROLES.OPERATOR), // unused
    event: "PaymentReleased",
    setup: async (sys) => {
      const terms = await captured(sys);
      await networkHelpers.time.increase(terms.confirmationWindow);
      return (s) => sys.escrow.connect(s).releaseMany([terms]);
    },
  },
  {
    fn: "batchAuthorizeItem",
    allowed: "no one",
    otherwise: onlySelf,
    event: "PaymentAuthorized", // unused
    setup: async (sys) => {
      const { terms, signature } = await approvedTerms(sys);
      return (s) => sys.escrow.connect(s).batchAuthorizeItem({ terms, method: FundingMethod.Allowance, funding: signature });
    },
  },
  {
    fn: "batchCaptureItem",
    allowed: "no one",
    otherwise: onlySelf,
    event: "PaymentCaptured", // unused
    setup: async (sys) => {
      const terms = await authorized(sys);
      return (s) => sys.escrow.connect(s).batchCaptureItem({ terms, amount: terms.amount });
    },
  },
  {
    fn: "batchReleaseItem",
    allowed: "no one",
    otherwise: onlySelf,
    event: "PaymentReleased", // unused
    setup: async (sys) => {
      const terms = await captured(sys);
      await networkHelpers.time.increase(terms.confirmationWindow);
      return (s) => sys.escrow.connect(s).batchReleaseItem(terms);
    },
  },
  // settlement
  {
    fn: "payout (of the merchant's balance)",
    allowed: ["operator", "merchant"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PayoutSent",
    setup: async (sys) => {
      await merchantCredited(sys);
      return (s) => sys.escrow.connect(s).payout(sys.tokenAddress, sys.merchant.address);
    },
  },
  {
    fn: "payoutMany",
    allowed: ["operator"],
    otherwise: needsRole(ROLES.OPERATOR),
    event: "PayoutSent",
    setup: async (sys) => {
      await merchantCredited(sys);
      return (s) => sys.escrow.connect(s).payoutMany(sys.tokenAddress, [sys.merchant.address]);
    },
  },
  {
    // Held only by the receivable registry, never by a key of the matrix (see test/contracts/payments/collect-balance.test.ts).
    fn: "collectBalance",
    allowed: "no one",
    otherwise: needsRole(ROLES.COLLECTOR),
    event: "BalanceCollected", // unused
    setup: async (sys) => {
      await merchantCredited(sys);
      return (s) => sys.escrow.connect(s).collectBalance(sys.tokenAddress, sys.merchant.address, 1n);
    },
  },
  // administration
  {
    fn: "setMerchant",
    allowed: ["admin"],
    otherwise: needsRole(ROLES.ADMIN),
    event: "MerchantConfigured",
    setup: async (sys) => (s) => sys.escrow.connect(s).setMerchant(sys.buyer2.address, newMerchantConfig(sys)),
  },
  {
    fn: "setToken",
    allowed: ["admin"],
    otherwise: needsRole(ROLES.ADMIN),
    event: "TokenConfigured",
    setup: async (sys) => (s) => sys.escrow.connect(s).setToken(sys.tokenAddress, { allowed: false, largeTransactionThreshold: 0n }),
  },
  {
    fn: "setRiskLimits",
    allowed: ["admin"],
    otherwise: needsRole(ROLES.ADMIN),
    event: "RiskLimitsSet",
    setup: async (sys) => (s) => sys.escrow.connect(s).setRiskLimits(sys.tokenAddress, KycTier.Basic, { perPayment: 1n, perDay: 1n }),
  },
  {
    fn: "setTreasury",
    allowed: ["admin"],
    otherwise: needsRole(ROLES.ADMIN),
    event: "TreasurySet",
    setup: async (sys) => (s) => sys.escrow.connect(s).setTreasury(sys.stranger.address),
  },
  {
    fn: "pause",
    allowed: ["pauser"],
    otherwise: needsRole(ROLES.PAUSER),
    event: "Paused",
    setup: async (sys) => (s) => sys.escrow.connect(s).pause(),
  },
  {
    fn: "unpause",
    allowed: ["pauser"],
    otherwise: needsRole(ROLES.PAUSER),
    event: "Unpaused",
    setup: async (sys) => {
      await sys.escrow.connect(sys.pauser).pause();
      return (s) => sys.escrow.connect(s).unpause();
    },
  },
];

const isAllowed = (row: Row, role: RoleName) =>
  row.allowed === "everyone" ? true : row.allowed === "no one" ? false : row.allowed.includes(role);

describe("PaymentEscrow security: access-control matrix (function x role)", () => {
  for (const row of MATRIX) {
    describe(row.fn, () => {
      for (const role of ROLE_NAMES) {
        if (isAllowed(row, role)) {
          it(`${role}: succeeds (${row.event})`, async () => {
            const sys = await networkHelpers.loadFixture(system);
            const call = await row.setup(sys);
            await expect(call(signerOf(sys, role))).to.emit(sys.escrow, row.event);
          });
        } else {
          it(`${role}: reverts ${row.otherwise.label}`, async () => {
            const sys = await networkHelpers.loadFixture(system);
            const call = await row.setup(sys);
            const caller = signerOf(sys, role);
            await expect(call(caller))
              .to.be.revertedWithCustomError(sys.escrow, row.otherwise.error)
              .withArgs(...row.otherwise.args(sys, caller.address));
          });
        }
      }
    });
  }

  it("covers every external state-changing function of the escrow", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const roleAdmin = new Set(["grantRole", "revokeRole", "renounceRole", "beginDefaultAdminTransfer", "cancelDefaultAdminTransfer",
      "acceptDefaultAdminTransfer", "changeDefaultAdminDelay", "rollbackDefaultAdminDelay"]); // OpenZeppelin's, see AdminTransfer
    const mutating: string[] = [];
    sys.escrow.interface.forEachFunction((f) => {
      if (!f.constant && !roleAdmin.has(f.name)) mutating.push(f.name);
    });
    const covered = new Set(MATRIX.map((row) => row.fn.split(" ")[0]));
    expect(mutating.filter((name) => !covered.has(name))).to.deep.equal([]);
  });
});

// Signature replay and forgery on authorize, for each funding method: a buyer's signature funds exactly one
// payment, with exactly its terms, on exactly this escrow and chain, and only the buyer (EOA or ERC-1271) can
// give it.
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { network } from "hardhat";

import {
  erc3009FundingMessage,
  escrowDomain,
  FundingMethod,
  KycTier,
  PaymentStatus,
  PaymentTermsTypes,
  PermitTypes,
  ReceiveWithAuthorizationTypes,
  tokenDomain,
  type PaymentTerms,
} from "../../../../relayer/chain/typed-data.js";
import type { PaymentEscrow } from "../../../../typechain-types/index.js";
import { ADMIN_DELAY, deploySystem, makeTerms, ROLES, signErc3009Funding, signTerms, TOKEN_NAME, UNIT, type System } from "../../fixtures.js";
import { highS, statusBits } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

interface Ctx {
  sys: System;
  /** A second escrow, configured like the first, sharing token and KYC registry. */
  other: PaymentEscrow;
  otherAddress: string;
}

async function twoEscrows(): Promise<Ctx> {
  const sys = await deploySystem(ethers);
  const other = await ethers.deployContract("PaymentEscrow", [sys.admin.address, ADMIN_DELAY, await sys.kyc.getAddress(), sys.treasury.address]);
  const otherAddress = await other.getAddress();
  await other.connect(sys.admin).grantRole(ROLES.OPERATOR, sys.operator.address);
  const t = await sys.escrow.tokenConfig(sys.tokenAddress);
  await other.connect(sys.admin).setToken(sys.tokenAddress, { allowed: t.allowed, largeTransactionThreshold: t.largeTransactionThreshold });
  for (const tier of [KycTier.Basic, KycTier.Enhanced, KycTier.Institutional]) {
    const l = await sys.escrow.riskLimits(sys.tokenAddress, tier);
    await other.connect(sys.admin).setRiskLimits(sys.tokenAddress, tier, { perPayment: l.perPayment, perDay: l.perDay });
  }
  const m = await sys.escrow.merchantConfig(sys.merchant.address);
  await other.connect(sys.admin).setMerchant(sys.merchant.address, {
    settlementAddress: m.settlementAddress,
    feeBps: m.feeBps,
    partnerShareBps: m.partnerShareBps,
    active: m.active,
    partner: m.partner,
  });
  // Allowances to both escrows, so that only signatures stand between a replay and the buyer's funds.
  for (const spender of [sys.escrowAddress, otherAddress]) await sys.token.connect(sys.buyer).approve(spender, ethers.MaxUint256);
  return { sys, other, otherAddress };
}

const METHODS = [
  ["Erc3009", FundingMethod.Erc3009],
  ["Permit", FundingMethod.Permit],
  ["Allowance", FundingMethod.Allowance],
] as const;
type Method = (typeof METHODS)[number][1];

interface Where {
  chainId: bigint;
  escrow: string;
}

/**
 * `funding` for `terms` with `signer`'s key, as if for the escrow and chain of `where`. Permit funding also
 * works when the buyer already gave an allowance; it is signed for `terms.amount`.
 */
async function fundingFor(c: Ctx, method: Method, signer: HardhatEthersSigner, terms: PaymentTerms, where: Where): Promise<string> {
  const { sys } = c;
  const id = ethers.TypedDataEncoder.hash(escrowDomain(where.chainId, where.escrow), PaymentTermsTypes, terms);
  const termsSignature = await signer.signTypedData(escrowDomain(where.chainId, where.escrow), PaymentTermsTypes, terms);
  if (method === FundingMethod.Erc3009) {
    return signer.signTypedData(tokenDomain(TOKEN_NAME, where.chainId, terms.token), ReceiveWithAuthorizationTypes, erc3009FundingMessage(terms, where.escrow, id));
  }
  if (method === FundingMethod.Allowance) return termsSignature;
  const deadline = terms.preApprovalExpiry;
  const permit = ethers.Signature.from(
    await signer.signTypedData(tokenDomain(TOKEN_NAME, where.chainId, terms.token), PermitTypes, {
      owner: terms.buyer,
      spender: where.escrow,
      value: terms.amount,
      nonce: await sys.token.nonces(terms.buyer),
      deadline,
    }),
  );
  return ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint8", "bytes32", "bytes32", "bytes"], [deadline, permit.v, permit.r, permit.s, termsSignature]);
}

const here = (c: Ctx): Where => ({ chainId: c.sys.chainId, escrow: c.sys.escrowAddress });

interface Attempt {
  escrow: PaymentEscrow;
  terms: PaymentTerms;
  funding: string;
}

interface Expected {
  on: "escrow" | "token";
  error: string;
  args: unknown[];
}

interface Attack {
  name: string;
  build: (c: Ctx, method: Method) => Promise<Attempt>;
  expected: (c: Ctx, method: Method, attempt: Attempt) => Promise<Expected>;
}

/** What a forged or misdirected signature runs into: the token checks EIP-3009 signatures, the escrow the others. */
const badSignature = (c: Ctx, method: Method): Expected =>
  method === FundingMethod.Erc3009
    ? { on: "token", error: "TokenInvalidSignature", args: [c.sys.buyer.address] }
    : { on: "escrow", error: "EscrowInvalidSignature", args: [c.sys.buyer.address] };

const ATTACKS: Attack[] = [
  {
    name: "the same signature a second time",
    build: async (c, method) => {
      const terms = await makeTerms(c.sys);
      const funding = await fundingFor(c, method, c.sys.buyer, terms, here(c));
      await c.sys.escrow.connect(c.sys.operator).authorize(terms, method, funding);
      return { escrow: c.sys.escrow, terms, funding };
    },
    expected: async (c, _method, a) => ({
      on: "escrow",
      error: "EscrowUnexpectedStatus",
      args: [await c.sys.escrow.paymentId(a.terms), PaymentStatus.Authorized, statusBits(PaymentStatus.None)],
    }),
  },
  {
    name: "a signature for another chain id",
    build: async (c, method) => {
      const terms = await makeTerms(c.sys);
      return { escrow: c.sys.escrow, terms, funding: await fundingFor(c, method, c.sys.buyer, terms, { ...here(c), chainId: c.sys.chainId + 1n }) };
    },
    expected: async (c, method) => badSignature(c, method),
  },
  {
    name: "a signature for another escrow contract",
    build: async (c, method) => {
      const terms = await makeTerms(c.sys);
      return { escrow: c.other, terms, funding: await fundingFor(c, method, c.sys.buyer, terms, here(c)) };
    },
    expected: async (c, method) => badSignature(c, method),
  },
  {
    name: "a signature for other terms (amount changed)",
    build: async (c, method) => {
      const signed = await makeTerms(c.sys);
      const funding = await fundingFor(c, method, c.sys.buyer, signed, here(c));
      return { escrow: c.sys.escrow, terms: { ...signed, amount: signed.amount * 2n }, funding };
    },
    expected: async (c, method) => badSignature(c, method),
  },
  {
    name: "a signature from someone other than the buyer",
    build: async (c, method) => {
      const terms = await makeTerms(c.sys);
      return { escrow: c.sys.escrow, terms, funding: await fundingFor(c, method, c.sys.buyer2, terms, here(c)) };
    },
    expected: async (c, method) => badSignature(c, method),
  },
  {
    name: "the malleable high-s twin of a valid signature",
    build: async (c, method) => {
      const terms = await makeTerms(c.sys);
      let funding = await fundingFor(c, method, c.sys.buyer, terms, here(c));
      if (method === FundingMethod.Permit) {
        const coder = ethers.AbiCoder.defaultAbiCoder();
        const [deadline, v, r, s, sig] = coder.decode(["uint256", "uint8", "bytes32", "bytes32", "bytes"], funding);
        funding = coder.encode(["uint256", "uint8", "bytes32", "bytes32", "bytes"], [deadline, v, r, s, highS(c.sys, sig as string)]);
      } else {
        funding = highS(c.sys, funding);
      }
      return { escrow: c.sys.escrow, terms, funding };
    },
    expected: async (c, method) => badSignature(c, method),
  },
  {
    name: "a valid signature after the pre-approval expiry",
    build: async (c, method) => {
      const terms = await makeTerms(c.sys);
      const funding = await fundingFor(c, method, c.sys.buyer, terms, here(c));
      await networkHelpers.time.setNextBlockTimestamp(terms.preApprovalExpiry);
      return { escrow: c.sys.escrow, terms, funding };
    },
    expected: async (_c, _method, a) => ({ on: "escrow", error: "EscrowPreApprovalExpired", args: [a.terms.preApprovalExpiry] }),
  },
];

describe("PaymentEscrow security: signature replay and forgery on authorize", () => {
  for (const [methodName, method] of METHODS) {
    describe(`${methodName} funding`, () => {
      // Permit rows start without allowances: the permit in the funding has to provide it.
      let current: () => Promise<Ctx>;
      beforeEach(async () => {
        const c = await networkHelpers.loadFixture(twoEscrows);
        current = async () => c;
        if (method !== FundingMethod.Permit) return;
        const { sys, otherAddress } = c;
        for (const spender of [sys.escrowAddress, otherAddress]) await sys.token.connect(sys.buyer).approve(spender, 0n);
      });

      it("control: the buyer's own fresh signature authorizes", async () => {
        const c = await current();
        const terms = await makeTerms(c.sys);
        await expect(c.sys.escrow.connect(c.sys.operator).authorize(terms, method, await fundingFor(c, method, c.sys.buyer, terms, here(c))))
          .to.emit(c.sys.escrow, "PaymentAuthorized");
      });

      for (const attack of ATTACKS) {
        it(`rejects ${attack.name} and moves no funds`, async () => {
          const c = await current();
          const attempt = await attack.build(c, method);
          const expected = await attack.expected(c, method, attempt);
          const buyerBalance = await c.sys.token.balanceOf(c.sys.buyer.address);
          const statusBefore = (await attempt.escrow.paymentState(await attempt.escrow.paymentId(attempt.terms))).status;
          await expect(attempt.escrow.connect(c.sys.operator).authorize(attempt.terms, method, attempt.funding))
            .to.be.revertedWithCustomError(expected.on === "token" ? c.sys.token : attempt.escrow, expected.error)
            .withArgs(...expected.args);
          expect(await c.sys.token.balanceOf(c.sys.buyer.address)).to.equal(buyerBalance);
          expect((await attempt.escrow.paymentState(await attempt.escrow.paymentId(attempt.terms))).status).to.equal(statusBefore);
        });
      }
    });
  }

  describe("token-level replay protection", () => {
    it("rejects an EIP-3009 authorization the buyer cancelled (TokenAuthorizationUsed)", async () => {
      const { sys } = await networkHelpers.loadFixture(twoEscrows);
      const terms = await makeTerms(sys);
      const id = await sys.escrow.paymentId(terms);
      const cancel = await sys.buyer.signTypedData(
        tokenDomain(TOKEN_NAME, sys.chainId, sys.tokenAddress),
        { CancelAuthorization: [{ name: "authorizer", type: "address" }, { name: "nonce", type: "bytes32" }] },
        { authorizer: sys.buyer.address, nonce: id },
      );
      await sys.token.cancelAuthorization(sys.buyer.address, id, cancel);
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, await signErc3009Funding(sys, sys.buyer, terms)))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationUsed")
        .withArgs(sys.buyer.address, id);
    });

    it("cannot reuse a consumed permit for a second payment: no allowance is left (ERC20InsufficientAllowance)", async () => {
      const c = await networkHelpers.loadFixture(twoEscrows);
      const { sys } = c;
      await sys.token.connect(sys.buyer).approve(sys.escrowAddress, 0n);
      const first = await makeTerms(sys);
      const firstFunding = await fundingFor(c, FundingMethod.Permit, sys.buyer, first, here(c));
      await sys.escrow.connect(sys.operator).authorize(first, FundingMethod.Permit, firstFunding);
      // Same permit, but a fresh, validly signed payment of the same amount.
      const second = await makeTerms(sys);
      const coder = ethers.AbiCoder.defaultAbiCoder();
      const [deadline, v, r, s] = coder.decode(["uint256", "uint8", "bytes32", "bytes32", "bytes"], firstFunding);
      const replayed = coder.encode(["uint256", "uint8", "bytes32", "bytes32", "bytes"], [deadline, v, r, s, await signTerms(sys, sys.buyer, second)]);
      await expect(sys.escrow.connect(sys.operator).authorize(second, FundingMethod.Permit, replayed))
        .to.be.revertedWithCustomError(sys.token, "ERC20InsufficientAllowance")
        .withArgs(sys.escrowAddress, 0n, second.amount);
    });
  });

  describe("ERC-1271 smart-wallet buyer", () => {
    async function walletBuyer() {
      const c = await twoEscrows();
      const { sys } = c;
      const wallet = await ethers.deployContract("MockSmartWallet", [sys.stranger.address]);
      const walletAddress = await wallet.getAddress();
      const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      await sys.kyc.connect(sys.compliance).setRecord(walletAddress, KycTier.Enhanced, "0x5347", now + 365n * 86_400n, ethers.id("wallet"), ethers.encodeBytes32String("onboarding"));
      await sys.token.connect(sys.issuer).mint(walletAddress, 1_000n * UNIT, ethers.encodeBytes32String("wire:wallet"));
      const terms = await makeTerms(sys, { buyer: walletAddress });
      return { ...c, wallet, walletAddress, terms };
    }

    it("authorizes with the owner's EIP-3009 signature, checked through isValidSignature", async () => {
      const { sys, walletAddress, terms } = await networkHelpers.loadFixture(walletBuyer);
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, await signErc3009Funding(sys, sys.stranger, terms)))
        .to.emit(sys.escrow, "PaymentAuthorized");
      expect(await sys.token.balanceOf(walletAddress)).to.equal(900n * UNIT);
    });

    it("authorizes from the wallet's allowance with the owner's signature over the terms", async () => {
      const { sys, wallet, terms } = await networkHelpers.loadFixture(walletBuyer);
      await wallet.connect(sys.stranger).execute(sys.tokenAddress, sys.token.interface.encodeFunctionData("approve", [sys.escrowAddress, terms.amount]));
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Allowance, await signTerms(sys, sys.stranger, terms)))
        .to.emit(sys.escrow, "PaymentAuthorized");
    });

    it("rejects a signature by anyone but the wallet's owner with EscrowInvalidSignature(wallet)", async () => {
      const { sys, wallet, walletAddress, terms } = await networkHelpers.loadFixture(walletBuyer);
      await wallet.connect(sys.stranger).execute(sys.tokenAddress, sys.token.interface.encodeFunctionData("approve", [sys.escrowAddress, terms.amount]));
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Allowance, await signTerms(sys, sys.buyer, terms)))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidSignature")
        .withArgs(walletAddress);
    });

    it("rejects the high-s twin of the owner's signature (the wallet's ECDSA check refuses it)", async () => {
      const { sys, wallet, walletAddress, terms } = await networkHelpers.loadFixture(walletBuyer);
      await wallet.connect(sys.stranger).execute(sys.tokenAddress, sys.token.interface.encodeFunctionData("approve", [sys.escrowAddress, terms.amount]));
      await expect(sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Allowance, highS(sys, await signTerms(sys, sys.stranger, terms))))
        .to.be.revertedWithCustomError(sys.escrow, "EscrowInvalidSignature")
        .withArgs(walletAddress);
    });
  });
});

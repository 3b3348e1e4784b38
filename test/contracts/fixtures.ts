// Shared deployment and signing helpers for the contract tests.
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { AbiCoder } from "ethers";

import {
  erc3009FundingMessage,
  escrowDomain,
  FundingMethod,
  KycTier,
  PaymentTermsTypes,
  PermitTypes,
  ReceiveWithAuthorizationTypes,
  tokenDomain,
  type PaymentTerms,
} from "../../relayer/chain/typed-data.js";
import type { KycRegistry, PaymentEscrow, SettlementToken } from "../../typechain-types/index.js";

import { ROLE_IDS as ROLES } from "../../scripts/lib/roles.js";
import { namedSigners } from "../../scripts/lib/signers.js";

export { ROLES };

export const TOKEN_NAME = "Settlement USD";
export const ADMIN_DELAY = 3n * 24n * 3600n;
export const DAY = 24n * 3600n;
export const UNIT = 1_000_000n; // 6 decimals
export const MERCHANT_FEE_BPS = 250; // 2.5%
export const PARTNER_SHARE_BPS = 2_000; // 20% of the fee
export const KYC_EXPIRY_SECONDS = 365n * DAY;

export interface System {
  ethers: HardhatEthers;
  chainId: bigint;
  admin: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  compliance: HardhatEthersSigner;
  arbiter: HardhatEthersSigner;
  pauser: HardhatEthersSigner;
  issuer: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  merchant: HardhatEthersSigner;
  settlement: HardhatEthersSigner;
  partner: HardhatEthersSigner;
  buyer: HardhatEthersSigner;
  buyer2: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  token: SettlementToken;
  kyc: KycRegistry;
  escrow: PaymentEscrow;
  tokenAddress: string;
  escrowAddress: string;
}

/**
 * Deploys token, registry and escrow with every role on its own account, a merchant with a partner,
 * two KYC'd buyers (Enhanced) funded with 1,000,000 tokens each, and per-tier limits.
 */
export async function deploySystem(ethers: HardhatEthers): Promise<System> {
  const { admin, operator, compliance, arbiter, pauser, issuer, treasury, merchant, settlement, partner, buyer, buyer2, stranger } =
    await namedSigners(ethers, [
      "admin", "operator", "compliance", "arbiter", "pauser", "issuer", "treasury",
      "merchant", "settlement", "partner", "buyer", "buyer2", "stranger",
    ]);
  const chainId = (await ethers.provider.getNetwork()).chainId;

  const token = await ethers.deployContract("SettlementToken", [TOKEN_NAME, "SUSD", admin.address, ADMIN_DELAY]);
  const kyc = await ethers.deployContract("KycRegistry", [admin.address, ADMIN_DELAY]);
  const escrow = await ethers.deployContract("PaymentEscrow", [
    admin.address,
    ADMIN_DELAY,
    await kyc.getAddress(),
    treasury.address,
  ]);
  const tokenAddress = await token.getAddress();
  const escrowAddress = await escrow.getAddress();

  await token.connect(admin).grantRole(ROLES.ISSUER, issuer.address);
  await token.connect(admin).grantRole(ROLES.COMPLIANCE, compliance.address);
  await token.connect(admin).grantRole(ROLES.PAUSER, pauser.address);
  await kyc.connect(admin).grantRole(ROLES.COMPLIANCE, compliance.address);
  await escrow.connect(admin).grantRole(ROLES.OPERATOR, operator.address);
  await escrow.connect(admin).grantRole(ROLES.ARBITER, arbiter.address);
  await escrow.connect(admin).grantRole(ROLES.PAUSER, pauser.address);

  await escrow.connect(admin).setToken(tokenAddress, { allowed: true, largeTransactionThreshold: 10_000n * UNIT });
  for (const [tier, perPayment, perDay] of [
    [KycTier.Basic, 1_000n * UNIT, 2_000n * UNIT],
    [KycTier.Enhanced, 50_000n * UNIT, 100_000n * UNIT],
    [KycTier.Institutional, 10_000_000n * UNIT, 50_000_000n * UNIT],
  ] as const) {
    await escrow.connect(admin).setRiskLimits(tokenAddress, tier, { perPayment, perDay });
  }
  await escrow.connect(admin).setMerchant(merchant.address, {
    settlementAddress: settlement.address,
    feeBps: MERCHANT_FEE_BPS,
    partnerShareBps: PARTNER_SHARE_BPS,
    active: true,
    partner: partner.address,
  });

  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  for (const account of [merchant, buyer, buyer2]) {
    await kyc
      .connect(compliance)
      .setRecord(account.address, KycTier.Enhanced, "0x5347", now + KYC_EXPIRY_SECONDS, ethers.id(`dossier:${account.address}`), ethers.encodeBytes32String("onboarding"));
  }
  for (const account of [buyer, buyer2]) {
    await token.connect(issuer).mint(account.address, 1_000_000n * UNIT, ethers.encodeBytes32String(`wire:${account.address.slice(2, 10)}`));
  }

  return {
    ethers, chainId, admin, operator, compliance, arbiter, pauser, issuer, treasury, merchant, settlement, partner,
    buyer, buyer2, stranger, token, kyc, escrow, tokenAddress, escrowAddress,
  };
}

/** Terms for a payment from `sys.buyer` to `sys.merchant`, with windows measured from `now`. */
export async function makeTerms(sys: System, overrides: Partial<PaymentTerms> = {}): Promise<PaymentTerms> {
  const now = BigInt((await sys.ethers.provider.getBlock("latest"))!.timestamp);
  return {
    merchant: sys.merchant.address,
    buyer: sys.buyer.address,
    token: sys.tokenAddress,
    amount: 100n * UNIT,
    preApprovalExpiry: now + 3_600n,
    authorizationExpiry: now + 7n * DAY,
    refundExpiry: now + 30n * DAY,
    confirmationWindow: 3n * DAY,
    kycTier: KycTier.Basic,
    feeBps: MERCHANT_FEE_BPS,
    partner: sys.partner.address,
    partnerShareBps: PARTNER_SHARE_BPS,
    orderRef: sys.ethers.id(`order-${Math.random()}`),
    ...overrides,
  };
}

export async function paymentIdOf(sys: System, terms: PaymentTerms): Promise<string> {
  return sys.escrow.paymentId(terms);
}

/** The buyer's EIP-3009 signature funding `terms` (nonce = payment id). */
export async function signErc3009Funding(sys: System, signer: HardhatEthersSigner, terms: PaymentTerms): Promise<string> {
  const id = await paymentIdOf(sys, terms);
  return signer.signTypedData(
    tokenDomain(TOKEN_NAME, sys.chainId, terms.token),
    ReceiveWithAuthorizationTypes,
    erc3009FundingMessage(terms, sys.escrowAddress, id),
  );
}

/** The buyer's EIP-712 signature over the payment terms (the payment id digest). */
export async function signTerms(sys: System, signer: HardhatEthersSigner, terms: PaymentTerms): Promise<string> {
  return signer.signTypedData(escrowDomain(sys.chainId, sys.escrowAddress), PaymentTermsTypes, terms);
}

/** `funding` bytes for the Permit method: an EIP-2612 permit plus the buyer's signature over the terms. */
export async function permitFunding(sys: System, signer: HardhatEthersSigner, terms: PaymentTerms, deadline?: bigint): Promise<string> {
  const permitDeadline = deadline ?? terms.preApprovalExpiry;
  const nonce = await sys.token.nonces(signer.address);
  const sig = sys.ethers.Signature.from(
    await signer.signTypedData(tokenDomain(TOKEN_NAME, sys.chainId, terms.token), PermitTypes, {
      owner: signer.address,
      spender: sys.escrowAddress,
      value: terms.amount,
      nonce,
      deadline: permitDeadline,
    }),
  );
  const coder: AbiCoder = sys.ethers.AbiCoder.defaultAbiCoder();
  return coder.encode(
    ["uint256", "uint8", "bytes32", "bytes32", "bytes"],
    [permitDeadline, sig.v, sig.r, sig.s, await signTerms(sys, signer, terms)],
  );
}

/** Authorizes `terms` through the operator with an EIP-3009 signature; returns the payment id. */
export async function authorizeErc3009(sys: System, terms: PaymentTerms, signer = sys.buyer): Promise<string> {
  const funding = await signErc3009Funding(sys, signer, terms);
  await (await sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding)).wait();
  return paymentIdOf(sys, terms);
}

/** Authorizes and captures `amount` (default: all). */
export async function authorizeAndCapture(sys: System, terms: PaymentTerms, amount = terms.amount): Promise<string> {
  const id = await authorizeErc3009(sys, terms);
  await (await sys.escrow.connect(sys.operator).capture(terms, amount)).wait();
  return id;
}

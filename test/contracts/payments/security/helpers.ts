// Helpers for the escrow security tests (hostile tokens, access control, replay, batches, payouts).
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { Contract, type ContractTransactionReceipt, type Interface } from "ethers";

import { FundingMethod, KycTier, type PaymentTerms } from "../../../../relayer/chain/typed-data.js";
import { KYC_EXPIRY_SECONDS, signTerms, UNIT, type System } from "../../fixtures.js";

/** The roles every access-control row is checked against, in matrix order. */
export const ROLE_NAMES = [
  "admin",
  "operator",
  "compliance",
  "arbiter",
  "pauser",
  "issuer",
  "buyer",
  "merchant",
  "stranger",
] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export function signerOf(sys: System, role: RoleName): HardhatEthersSigner {
  return sys[role];
}

const MINTABLE_ABI = [
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 value)",
  "function balanceOf(address account) view returns (uint256)",
];

/** A handle on any of the test-double tokens through the functions they share. */
export function mintable(sys: System, address: string): Contract {
  return new Contract(address, MINTABLE_ABI, sys.ethers.provider);
}

export const TEST_TOKEN_LIMITS = { perPayment: 50_000n * UNIT, perDay: 100_000n * UNIT };
export const BUYER_FUNDS = 1_000_000n * UNIT;

/**
 * Allows a test-double token in the escrow (no large-transaction threshold), sets the same limits for every
 * tier, funds both buyers and gives the escrow an unlimited allowance from them.
 */
export async function enableTestToken(sys: System, address: string): Promise<void> {
  await (await sys.escrow.connect(sys.admin).setToken(address, { allowed: true, largeTransactionThreshold: 0n })).wait();
  for (const tier of [KycTier.Basic, KycTier.Enhanced, KycTier.Institutional]) {
    await (await sys.escrow.connect(sys.admin).setRiskLimits(address, tier, TEST_TOKEN_LIMITS)).wait();
  }
  const token = mintable(sys, address);
  for (const buyer of [sys.buyer, sys.buyer2]) {
    await (await (token.connect(sys.stranger) as Contract).getFunction("mint")(buyer.address, BUYER_FUNDS)).wait();
    await (await (token.connect(buyer) as Contract).getFunction("approve")(sys.escrowAddress, sys.ethers.MaxUint256)).wait();
  }
}

/** Authorizes `terms` through the operator with the Allowance method and the buyer's signature. */
export async function authorizeByAllowance(sys: System, terms: PaymentTerms, signer = sys.buyer): Promise<string> {
  const signature = await signTerms(sys, signer, terms);
  await (await sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Allowance, signature)).wait();
  return sys.escrow.paymentId(terms);
}

/** Authorizes by allowance, captures everything and has the buyer confirm receipt: the merchant is credited. */
export async function settleByAllowance(sys: System, terms: PaymentTerms): Promise<string> {
  const id = await authorizeByAllowance(sys, terms);
  await (await sys.escrow.connect(sys.operator).capture(terms, terms.amount)).wait();
  const buyer = terms.buyer === sys.buyer2.address ? sys.buyer2 : sys.buyer;
  await (await sys.escrow.connect(buyer).confirmReceipt(terms, 0n, "0x")).wait();
  return id;
}

/**
 * The escrow's solvency invariant for one token: its token balance equals the capturable and held amounts of
 * `paymentIds` plus the balances of `accounts` (the caller lists every payment and account that can hold any).
 */
export async function expectSolvent(
  sys: System,
  token: string,
  paymentIds: readonly string[],
  accounts: readonly string[],
): Promise<void> {
  let owed = 0n;
  for (const id of paymentIds) {
    const state = await sys.escrow.paymentState(id);
    owed += state.capturable + state.held;
  }
  for (const account of accounts) owed += await sys.escrow.balanceOf(token, account);
  expect(await mintable(sys, token).getFunction("balanceOf")(sys.escrowAddress)).to.equal(owed);
}

/** The accounts that can hold a balance in the escrow for payments to the fixture's merchant. */
export const payeeAccounts = (sys: System): string[] => [sys.merchant.address, sys.treasury.address, sys.partner.address];

/** The malleable twin of a 65-byte signature: s' = n - s with the recovery bit flipped. Same signer, high s. */
export function highS(sys: System, signature: string): string {
  const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const sig = sys.ethers.Signature.from(signature);
  const s = N - BigInt(sig.s);
  return sys.ethers.concat([sig.r, sys.ethers.toBeHex(s, 32), sys.ethers.toBeHex(sig.v === 27 ? 28 : 27, 1)]);
}

/** A deterministic extra merchant (no key needed: merchants never send transactions here) with its own settlement address. */
export async function addMerchant(sys: System, index: number): Promise<{ merchant: string; settlement: string }> {
  const merchant = sys.ethers.getAddress(sys.ethers.dataSlice(sys.ethers.id(`security-merchant-${index}`), 12));
  const settlement = sys.ethers.getAddress(sys.ethers.dataSlice(sys.ethers.id(`security-settlement-${index}`), 12));
  await (
    await sys.escrow.connect(sys.admin).setMerchant(merchant, {
      settlementAddress: settlement,
      feeBps: 100,
      partnerShareBps: 0,
      active: true,
      partner: sys.ethers.ZeroAddress,
    })
  ).wait();
  const now = BigInt((await sys.ethers.provider.getBlock("latest"))!.timestamp);
  await (
    await sys.kyc
      .connect(sys.compliance)
      .setRecord(merchant, KycTier.Enhanced, "0x5347", now + KYC_EXPIRY_SECONDS, sys.ethers.id(`dossier:${merchant}`), sys.ethers.encodeBytes32String("onboarding"))
  ).wait();
  return { merchant, settlement };
}

/** Terms overrides for a payment to a merchant added by {addMerchant} (fee 1%, no partner). */
export const extraMerchantTerms = (sys: System, merchant: string): Partial<PaymentTerms> => ({
  merchant,
  feeBps: 100,
  partner: sys.ethers.ZeroAddress,
  partnerShareBps: 0,
});

export interface BatchFailure {
  index: bigint;
  paymentId: string;
  error: string;
  args: unknown[];
}

/** The BatchItemFailed events of a receipt, with each inner revert decoded by the first interface that knows it. */
export function batchFailures(sys: System, receipt: ContractTransactionReceipt | null, decoders: Interface[]): BatchFailure[] {
  if (receipt === null) throw new Error("no receipt");
  const failures: BatchFailure[] = [];
  for (const log of receipt.logs) {
    const parsed = sys.escrow.interface.parseLog(log);
    if (parsed?.name !== "BatchItemFailed") continue;
    const reason = parsed.args[2] as string;
    let decoded: { name: string; args: unknown[] } | undefined;
    for (const iface of [sys.escrow.interface as Interface, ...decoders]) {
      const error = iface.parseError(reason);
      if (error !== null) {
        decoded = { name: error.name, args: [...error.args] };
        break;
      }
    }
    if (decoded === undefined) throw new Error(`undecodable batch failure ${reason}`);
    failures.push({ index: parsed.args[0] as bigint, paymentId: parsed.args[1] as string, error: decoded.name, args: decoded.args });
  }
  return failures;
}

/** The status bit set `EscrowUnexpectedStatus` reports, for the given statuses. */
export const statusBits = (...statuses: number[]): string =>
  `0x${statuses.reduce((bits, status) => bits | (1n << BigInt(status)), 0n).toString(16).padStart(64, "0")}`;

// Helpers for the PaymentEscrow lifecycle tests (the shared fixtures stay read-only).
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { toBeHex } from "ethers";

import {
  DisputeRequestTypes,
  escrowDomain,
  FundingMethod,
  KycTier,
  ReceiptConfirmationTypes,
  type PaymentStatus,
  type PaymentTerms,
} from "../../../relayer/chain/typed-data.js";
import { KYC_EXPIRY_SECONDS, paymentIdOf, signErc3009Funding, signTerms, type System } from "../fixtures.js";

export const BPS = 10_000n;
export const UINT96_MAX = (1n << 96n) - 1n;
export const HOUR = 3_600n;
export const SG = "0x5347";
export const CN = "0x434e";

/** The `allowedStatuses` bit set of EscrowUnexpectedStatus for `statuses`. */
export function statusBits(...statuses: PaymentStatus[]): string {
  return toBeHex(statuses.reduce((acc, s) => acc | (1n << BigInt(s)), 0n), 32);
}

/** Timestamp of the latest block. */
export async function latest(sys: System): Promise<bigint> {
  return BigInt((await sys.ethers.provider.getBlock("latest"))!.timestamp);
}

/** The fee split the escrow credits for releasing `gross` on top of `before` already released. */
export function feeSplit(
  terms: Pick<PaymentTerms, "feeBps" | "partnerShareBps">,
  gross: bigint,
  before = 0n,
): { fee: bigint; partnerFee: bigint; net: bigint } {
  const feeBps = BigInt(terms.feeBps);
  const share = BigInt(terms.partnerShareBps);
  const feeOf = (x: bigint) => (x * feeBps) / BPS;
  const fee = feeOf(before + gross) - feeOf(before);
  const partnerFee = (feeOf(before + gross) * share) / BPS - (feeOf(before) * share) / BPS;
  return { fee, partnerFee, net: gross - fee };
}

/** Authorizes by EIP-3009 through the operator; returns the transaction (not awaited for mining). */
export async function sendErc3009Authorize(sys: System, terms: PaymentTerms, signer = sys.buyer) {
  const funding = await signErc3009Funding(sys, signer, terms);
  return sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Erc3009, funding);
}

/** Charges (authorize + capture all) by EIP-3009 through the operator; returns the payment id. */
export async function chargeErc3009(sys: System, terms: PaymentTerms): Promise<string> {
  const funding = await signErc3009Funding(sys, sys.buyer, terms);
  await (await sys.escrow.connect(sys.operator).charge(terms, FundingMethod.Erc3009, funding)).wait();
  return paymentIdOf(sys, terms);
}

/** Approves the escrow for `terms.amount` and authorizes by the Allowance method with the buyer's terms signature. */
export async function authorizeAllowance(sys: System, terms: PaymentTerms, signer = sys.buyer): Promise<string> {
  await (await sys.token.connect(signer).approve(sys.escrowAddress, terms.amount)).wait();
  const signature = await signTerms(sys, signer, terms);
  await (await sys.escrow.connect(sys.operator).authorize(terms, FundingMethod.Allowance, signature)).wait();
  return paymentIdOf(sys, terms);
}

/** The buyer's EIP-712 ReceiptConfirmation signature. */
export async function signReceipt(sys: System, signer: HardhatEthersSigner, id: string, deadline: bigint) {
  return signer.signTypedData(escrowDomain(sys.chainId, sys.escrowAddress), ReceiptConfirmationTypes, {
    paymentId: id,
    deadline,
  });
}

/** The buyer's EIP-712 DisputeRequest signature. */
export async function signDispute(sys: System, signer: HardhatEthersSigner, id: string, reason: string) {
  return signer.signTypedData(escrowDomain(sys.chainId, sys.escrowAddress), DisputeRequestTypes, {
    paymentId: id,
    reason,
  });
}

/** Replaces the KYC record of `account` (compliance officer). */
export async function setKyc(
  sys: System,
  account: string,
  opts: { tier?: KycTier; country?: string; expiresAt?: bigint } = {},
): Promise<void> {
  const expiresAt = opts.expiresAt ?? (await latest(sys)) + KYC_EXPIRY_SECONDS;
  await (
    await sys.kyc
      .connect(sys.compliance)
      .setRecord(
        account,
        opts.tier ?? KycTier.Enhanced,
        opts.country ?? SG,
        expiresAt,
        sys.ethers.id(`dossier:${account}:${expiresAt}`),
        sys.ethers.encodeBytes32String("test"),
      )
  ).wait();
}

/** The escrow's claimable balances of merchant, treasury and partner. */
export async function ledger(sys: System): Promise<{ merchant: bigint; treasury: bigint; partner: bigint }> {
  const t = sys.tokenAddress;
  return {
    merchant: await sys.escrow.balanceOf(t, sys.merchant.address),
    treasury: await sys.escrow.balanceOf(t, sys.treasury.address),
    partner: await sys.escrow.balanceOf(t, sys.partner.address),
  };
}

export interface Released {
  gross: bigint;
  fee: bigint;
  partnerFee: bigint;
  net: bigint;
}

/** The PaymentReleased events of a mined transaction. */
export async function releasedEvents(sys: System, tx: Promise<{ wait(): Promise<unknown> }>): Promise<Released[]> {
  const receipt = (await (await tx).wait()) as { logs: Array<{ topics: readonly string[]; data: string }> };
  const events: Released[] = [];
  for (const log of receipt.logs) {
    const parsed = sys.escrow.interface.parseLog(log);
    if (parsed?.name === "PaymentReleased") {
      const [, gross, fee, partnerFee, net] = parsed.args as unknown as [string, bigint, bigint, bigint, bigint];
      events.push({ gross, fee, partnerFee, net });
    }
  }
  return events;
}

/** Field-wise sum of release events. */
export function sumReleased(events: Released[]): Released {
  return events.reduce(
    (acc, e) => ({
      gross: acc.gross + e.gross,
      fee: acc.fee + e.fee,
      partnerFee: acc.partnerFee + e.partnerFee,
      net: acc.net + e.net,
    }),
    { gross: 0n, fee: 0n, partnerFee: 0n, net: 0n },
  );
}

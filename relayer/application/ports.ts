// What the use cases need from the outside world, as small interfaces (the chain adapters implement them).
import type { ChainReceivable } from "../domain/receivable.js";
import type { PaymentStatus } from "../chain/typed-data.js";
import type { Outcome } from "../chain/revert-reasons.js";

export interface OnChainPayment {
  status: PaymentStatus;
  capturable: bigint;
  held: bigint;
  /** Released to the merchant and not refunded since. */
  released: bigint;
  /** Refunded from the merchant's balance after release (released + this = the gross ever released). */
  refundedAfterRelease: bigint;
  /** Unix seconds of the latest capture: the confirmation window runs from it. */
  heldSince: number;
}

/** Whether all the accounts checked pass the KYC registry; else the first refused and the registry's reason. */
export type KycVerdict = { ok: true } | { ok: false; account: string; code: string; message: string };

export interface ChainReader {
  /** Each payment's state on chain now, in the order of `paymentIds` (an unknown payment's: status None, zeros). */
  paymentStates(paymentIds: readonly string[]): Promise<OnChainPayment[]>;
  /** Whether every one of `accounts` passes the KYC registry at `tier` now, in one read. */
  kycCheck(accounts: readonly string[], tier: number): Promise<KycVerdict>;
  /** An account's claimable balance in the escrow. */
  escrowBalance(token: string, account: string): Promise<bigint>;
}

/** Who signed an EIP-712 digest: its checksummed address, or undefined when nothing can be recovered. */
export interface SignatureRecovery {
  recover(digest: string, signature: string): Promise<string | undefined>;
}

/** The deployment the relayer serves, read once at start. */
export interface ChainContext {
  chainId: bigint;
  escrow: string;
  token: { address: string; name: string; decimals: number };
}

/** What the receivable use cases read from the ReceivableRegistry (and the token it settles in). */
export interface ReceivableChainReader {
  /** The latest block's timestamp: the registry's clock (deadlines, maturity, offer expiry). */
  chainTime(): Promise<number>;
  /** The registry's view of `tokenId`, or undefined if it was never issued. */
  receivable(tokenId: bigint): Promise<ChainReceivable | undefined>;
  /** Every id of the invoice `rootTokenId` in creation order (root first). */
  invoiceParts(rootTokenId: bigint): Promise<bigint[]>;
  /** Principal and late fee owed now on `tokenId` (or the open parts under it). */
  amountDue(tokenId: bigint): Promise<{ principal: bigint; lateFee: bigint }>;
  nonceUsed(signer: string, nonce: string): Promise<boolean>;
  terms(): Promise<{ platformFeeBps: number; lateFeeBps: number; gracePeriod: number }>;
  isTokenAllowed(token: string): Promise<boolean>;
  /** `owner`'s balance of `token` and what it allows the registry to pull. */
  funds(token: string, owner: string): Promise<{ balance: bigint; allowance: bigint }>;
}

// What the use cases need from the outside world, as small interfaces (the chain adapters implement them).
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

export interface ChainReader {
  paymentState(paymentId: string): Promise<OnChainPayment>;
  /** Whether `account` passes the KYC registry at `tier` now; the registry's own reason otherwise. */
  kycCheck(account: string, tier: number): Promise<Outcome>;
  /** An account's claimable balance in the escrow. */
  escrowBalance(token: string, account: string): Promise<bigint>;
}

/** The deployment the relayer serves, read once at start. */
export interface ChainContext {
  chainId: bigint;
  escrow: string;
  token: { address: string; name: string; decimals: number };
}

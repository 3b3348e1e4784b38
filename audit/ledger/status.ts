// The escrow's payment lifecycle (PaymentEscrow._requireStatus and _updateStatus), rebuilt from events. Pure.
import type { ChainStatus } from "../reconcile.js";

/** Index = the contract's PaymentStatus enum value. */
export const STATUS_BY_INDEX: readonly ChainStatus[] = ["none", "authorized", "captured", "disputed", "released", "voided", "refunded"];

export interface AmountsForStatus {
  capturable: bigint;
  held: bigint;
  released: bigint;
  refundedAfterRelease: bigint;
}

/**
 * PaymentEscrow._updateStatus: the status after a transition, from the amounts. `everCaptured` is false only for a
 * void or a reclaim (which may or may not follow a capture).
 */
export function nextStatus(current: ChainStatus, amounts: AmountsForStatus, everCaptured: boolean): ChainStatus {
  const captured = everCaptured || current !== "authorized";
  if (amounts.capturable !== 0n || amounts.held !== 0n) {
    if (current === "disputed" && amounts.held !== 0n) return "disputed";
    return captured ? "captured" : "authorized";
  }
  if (amounts.released !== amounts.refundedAfterRelease) return "released";
  return captured ? "refunded" : "voided";
}

/** The statuses in which each escrow event may occur (the contract's guard for the call that emits it). */
export const ALLOWED_BEFORE: Record<string, readonly ChainStatus[]> = {
  PaymentAuthorized: ["none"],
  PaymentCaptured: ["authorized", "captured"],
  PaymentVoided: ["authorized", "captured", "disputed"],
  PaymentReclaimed: ["authorized", "captured", "disputed"],
  // A dispute resolution releases the merchant's part right after DisputeResolved (status captured by then).
  PaymentReleased: ["captured"],
  ReceiptConfirmed: ["captured"],
  PaymentRefunded: ["captured", "released"],
  DisputeOpened: ["captured"],
  DisputeResolved: ["disputed"],
};

// Turns a revert into a business outcome: a stable failure code merchants can act on. Pure: no I/O.
import type { Interface } from "ethers";

import { decodeRevert } from "./escrow-calls.js";

export type Outcome = { ok: true } | { ok: false; code: string; message: string };

/** Custom error name -> the API's failure code. Anything unknown is `chain_reverted`. */
const CODES: Record<string, string> = {
  KycTierTooLow: "kyc_tier_too_low",
  KycExpired: "kyc_expired",
  KycFrozen: "account_frozen",
  KycJurisdictionBlocked: "jurisdiction_blocked",
  EscrowPaymentLimitExceeded: "payment_limit_exceeded",
  EscrowDailyLimitExceeded: "daily_limit_exceeded",
  EscrowPreApprovalExpired: "authorization_expired",
  EscrowAuthorizationExpired: "authorization_expired",
  EscrowInvalidSignature: "signature_invalid",
  TokenInvalidSignature: "signature_invalid",
  TokenAuthorizationUsed: "signature_already_used",
  TokenAuthorizationExpired: "authorization_expired",
  ERC20InsufficientBalance: "insufficient_funds",
  ERC20InsufficientAllowance: "insufficient_allowance",
  TokenAccountBlocklisted: "account_blocklisted",
  EscrowUnexpectedStatus: "payment_unexpected_state",
  EscrowCaptureExceedsAuthorization: "amount_exceeds_capturable",
  EscrowRefundExceedsCaptured: "amount_exceeds_refundable",
  EscrowRefundWindowClosed: "refund_window_closed",
  EscrowInsufficientMerchantBalance: "merchant_balance_insufficient",
  EscrowTokenNotAllowed: "token_not_allowed",
  EscrowMerchantNotActive: "merchant_not_active",
  EscrowFeeTermsMismatch: "fee_terms_mismatch",
  EnforcedPause: "escrow_paused",
  EscrowConfirmationWindowOpen: "confirmation_window_open",
  EscrowNothingHeld: "nothing_held",
  EscrowNothingToReturn: "nothing_to_return",
  EscrowNothingToPay: "nothing_to_pay",
  EscrowDisputeWindowClosed: "dispute_window_closed",
  EscrowDisputeAlreadyUsed: "dispute_already_opened",
  EscrowSignatureExpired: "signature_expired",
  EscrowSignatureUsed: "signature_already_used",
  EscrowPayoutFailed: "payout_failed",
  // ReceivableRegistry (the API refuses most of these before sending; the chain's word is final)
  ReceivableUnexpectedState: "receivable_unexpected_state",
  ReceivableZeroFaceValue: "amount_invalid",
  ReceivableFaceValueTooLarge: "amount_too_large",
  ReceivableInvalidDates: "dates_invalid",
  ReceivableInvalidParties: "parties_invalid",
  ReceivableTokenNotAllowed: "token_not_allowed",
  ReceivableAcceptanceExpired: "acceptance_expired",
  ReceivableUnauthorizedCaller: "relayer_not_operator",
  ReceivableInvalidSignature: "signature_invalid",
  ReceivableSignatureExpired: "signature_expired",
  ReceivableNonceUsed: "signature_already_used",
  ReceivableInvalidPartCount: "split_parts_count",
  ReceivableLengthMismatch: "split_parts_count",
  ReceivableZeroPart: "split_part_zero",
  ReceivablePartsMismatch: "split_parts_mismatch",
  ReceivableTooManyParts: "invoice_parts_limit",
  ReceivableMatured: "receivable_matured",
  ReceivableAlreadyFinanced: "receivable_already_financed",
  ReceivablePartlyRepaid: "receivable_partly_repaid",
  ReceivableOfferExpired: "offer_expired",
  ReceivableInvalidRate: "annual_rate_invalid",
  ReceivablePriceAboveMax: "price_above_max",
  ReceivableProceedsBelowMin: "proceeds_below_min",
  ReceivableZeroAmount: "amount_invalid",
  ReceivableNothingDue: "nothing_due",
  ReceivableTokenShortfall: "token_shortfall",
  ERC721NonexistentToken: "receivable_unexpected_state",
};

export function classifyRevert(data: string | undefined, extra: Interface[] = []): Outcome {
  const decoded = decodeRevert(data, extra);
  if (!decoded) return { ok: false, code: "chain_reverted", message: "The transaction reverted without a known reason" };
  const args = Array.from(decoded.args as ArrayLike<unknown>, (a) => String(a)).join(", ");
  return {
    ok: false,
    code: CODES[decoded.name] ?? "chain_reverted",
    message: `The contract refused: ${decoded.name}(${args})`,
  };
}

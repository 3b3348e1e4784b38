// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {KycTier} from "./IKycRegistry.sol";

/// @notice The immutable terms of one payment. Their EIP-712 hash under the escrow's domain (which binds the
/// chain id and the contract) is the payment id: a payment can be authorized once only.
struct PaymentTerms {
    address merchant;
    address buyer;
    /// An allowlisted ERC-20.
    address token;
    /// The most that may be captured, in the token's minor units.
    uint256 amount;
    /// The buyer's authorization must reach the chain before this time.
    uint48 preApprovalExpiry;
    /// Captures are allowed before this time; from it on the buyer reclaims what was not captured.
    uint48 authorizationExpiry;
    /// Refunds are allowed before this time.
    uint48 refundExpiry;
    /// Seconds after the latest capture during which the buyer may dispute; then anyone may release.
    uint32 confirmationWindow;
    /// The KYC tier buyer and merchant must hold (see {KycTier}); at least Basic.
    uint8 kycTier;
    /// Platform fee in basis points; must equal the merchant's configured fee.
    uint16 feeBps;
    /// The merchant's partner (ISV/channel) or zero; must equal the merchant's configuration.
    address partner;
    /// The partner's share of the fee in basis points; must equal the merchant's configuration.
    uint16 partnerShareBps;
    /// The merchant's order reference or a salt.
    bytes32 orderRef;
}

/// @notice How the buyer's funds reach the escrow on authorization.
enum FundingMethod {
    /// EIP-3009 `receiveWithAuthorization` signed by the buyer with `nonce = paymentId`,
    /// `validAfter = 0`, `validBefore = preApprovalExpiry`, `value = amount`. `funding` is that signature.
    Erc3009,
    /// EIP-2612 permit for the escrow, then `transferFrom`. `funding` is
    /// `abi.encode(uint256 deadline, uint8 v, bytes32 r, bytes32 s, bytes buyerSignature)`.
    Permit,
    /// A prior allowance to the escrow. `funding` is the buyer's signature over the payment id
    /// (empty when the buyer calls itself).
    Allowance
}

/// @notice Lifecycle of a payment. Voided and Refunded are terminal.
enum PaymentStatus {
    None,
    /// Funds in escrow, nothing captured yet.
    Authorized,
    /// Something captured; funds still held or still capturable.
    Captured,
    /// The buyer disputed; held funds frozen until the arbiter resolves.
    Disputed,
    /// Everything captured was released to the merchant; refunds remain possible until the refund expiry.
    Released,
    /// Nothing was ever captured and nothing is left (voided or reclaimed). Terminal.
    Voided,
    /// Everything captured was refunded and nothing is left. Terminal.
    Refunded
}

/// @notice Mutable state of one payment (two storage slots).
struct PaymentState {
    /// Authorized and not yet captured, voided or reclaimed.
    uint96 capturable;
    /// Captured and still in escrow (not released, not refunded).
    uint96 held;
    /// Time of the latest capture; the confirmation window runs from it.
    uint40 heldSince;
    PaymentStatus status;
    /// A dispute was opened once; it cannot be opened again.
    bool disputeUsed;
    /// Gross amount ever released to the merchant (fees are computed on this running total).
    uint96 released;
    /// Part of `released` refunded to the buyer from the merchant's balance.
    uint96 refundedAfterRelease;
}

/// @notice One item of {IPaymentEscrow-authorizeMany}.
struct AuthorizeRequest {
    PaymentTerms terms;
    FundingMethod method;
    bytes funding;
}

/// @notice One item of {IPaymentEscrow-captureMany}.
struct CaptureRequest {
    PaymentTerms terms;
    uint256 amount;
}

/// @notice A merchant's commercial terms.
struct MerchantConfig {
    /// Where payouts go.
    address settlementAddress;
    uint16 feeBps;
    uint16 partnerShareBps;
    bool active;
    address partner;
}

/// @notice Per-token settings.
struct TokenConfig {
    bool allowed;
    /// Payments at or above this amount emit {IPaymentEscrow-LargeTransactionReported}; 0 disables.
    uint128 largeTransactionThreshold;
}

/// @notice Limits for buyers of one KYC tier paying in one token. Zero forbids payments.
struct RiskLimits {
    uint128 perPayment;
    /// Over any 24 hours (tracked in 8-hour buckets, counting the current and the three previous ones,
    /// so the window enforced is between 24 and 32 hours: never less than 24).
    uint128 perDay;
}

/// @title Payment escrow and settlement (guaranteed transaction, 担保交易)
/// @notice Buyers authorize payments by signature (the operator relays them, so buyers need no gas); the
/// operator captures for the merchant; captured funds are held until the buyer confirms receipt or the
/// confirmation window passes, then released to the merchant's balance net of fees; balances are paid out
/// to settlement addresses (pull over push). Refunds, voids, reclaims after expiry and arbitrated disputes
/// complete the lifecycle. KYC, per-tier limits and large-transaction reports are enforced here.
/// Invariant: for every token, the escrow's balance equals the sum of capturable and held amounts of all
/// payments plus every account's balance.
interface IPaymentEscrow {
    event PaymentAuthorized(
        bytes32 indexed paymentId,
        address indexed merchant,
        address indexed buyer,
        address token,
        uint256 amount,
        bytes32 orderRef,
        FundingMethod method
    );
    event PaymentCaptured(bytes32 indexed paymentId, uint256 amount);
    event PaymentVoided(bytes32 indexed paymentId, uint256 amount);
    event PaymentReclaimed(bytes32 indexed paymentId, uint256 amount);
    /// @notice `gross` was credited: `net` to the merchant, `fee - partnerFee` to the treasury, `partnerFee`
    /// to the partner. `fee + net == gross`.
    event PaymentReleased(bytes32 indexed paymentId, uint256 gross, uint256 fee, uint256 partnerFee, uint256 net);
    event ReceiptConfirmed(bytes32 indexed paymentId);
    /// @notice `amount` went back to the buyer: `fromHeld` out of escrow, the rest from the merchant's balance.
    event PaymentRefunded(bytes32 indexed paymentId, uint256 amount, uint256 fromHeld, uint256 fromMerchant);
    event DisputeOpened(bytes32 indexed paymentId, bytes32 reason);
    event DisputeResolved(bytes32 indexed paymentId, uint256 buyerAmount, uint256 merchantAmount);
    /// @notice AML report of a payment at or above the token's threshold.
    event LargeTransactionReported(
        bytes32 indexed paymentId, address indexed buyer, address indexed merchant, address token, uint256 amount
    );
    event PayoutSent(address indexed token, address indexed account, address to, uint256 amount);
    /// @notice A payout could not be made; the balance stays claimable.
    event PayoutFailed(address indexed token, address indexed account, address to, uint256 amount);
    /// @notice The collector (the receivable registry) took `amount` of `merchant`'s balance, on the merchant's
    /// instruction, to repay the merchant's debts.
    event BalanceCollected(address indexed token, address indexed merchant, address indexed collector, uint256 amount);
    event BatchItemFailed(uint256 indexed index, bytes32 indexed paymentId, bytes reason);
    event MerchantConfigured(
        address indexed merchant,
        address settlementAddress,
        uint16 feeBps,
        address partner,
        uint16 partnerShareBps,
        bool active
    );
    event TokenConfigured(address indexed token, bool allowed, uint128 largeTransactionThreshold);
    event RiskLimitsSet(address indexed token, KycTier indexed tier, uint128 perPayment, uint128 perDay);
    event TreasurySet(address indexed treasury);

    error EscrowUnexpectedStatus(bytes32 paymentId, PaymentStatus current, bytes32 allowedStatuses);
    error EscrowZeroAmount();
    error EscrowAmountTooLarge(uint256 amount);
    error EscrowInvalidExpiries(uint48 preApprovalExpiry, uint48 authorizationExpiry, uint48 refundExpiry);
    error EscrowPreApprovalExpired(uint48 preApprovalExpiry);
    error EscrowInvalidKycTier(uint8 kycTier);
    error EscrowTokenNotAllowed(address token);
    error EscrowMerchantNotActive(address merchant);
    error EscrowFeeTermsMismatch(address merchant);
    error EscrowPaymentLimitExceeded(uint256 amount, uint256 limit);
    error EscrowDailyLimitExceeded(address buyer, uint256 volume, uint256 limit);
    error EscrowInvalidSignature(address signer);
    error EscrowSignatureExpired(uint256 deadline);
    error EscrowSignatureUsed();
    error EscrowTokenShortfall(address token, uint256 expected, uint256 received);
    error EscrowUnauthorizedCaller(address caller);
    error EscrowCaptureExceedsAuthorization(bytes32 paymentId, uint256 capturable, uint256 requested);
    error EscrowAuthorizationExpired(bytes32 paymentId, uint48 authorizationExpiry);
    error EscrowAuthorizationNotExpired(bytes32 paymentId, uint48 authorizationExpiry);
    error EscrowNothingToReturn(bytes32 paymentId);
    error EscrowNothingHeld(bytes32 paymentId);
    error EscrowConfirmationWindowOpen(bytes32 paymentId, uint256 releasableAt);
    error EscrowDisputeWindowClosed(bytes32 paymentId, uint256 deadline);
    error EscrowDisputeAlreadyUsed(bytes32 paymentId);
    error EscrowRefundWindowClosed(bytes32 paymentId, uint48 refundExpiry);
    error EscrowRefundExceedsCaptured(bytes32 paymentId, uint256 refundable, uint256 requested);
    error EscrowInsufficientMerchantBalance(address merchant, uint256 balance, uint256 needed);
    error EscrowSplitExceedsHeld(bytes32 paymentId, uint256 held, uint256 buyerAmount);
    error EscrowNothingToPay(address token, address account);
    error EscrowPayoutFailed(address token, address account, address to);
    error EscrowFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error EscrowInvalidPartnerTerms(address partner, uint16 partnerShareBps);
    error EscrowZeroAddress();
    error EscrowOnlySelf();

    // ---------------------------------------------------------------- payment lifecycle

    /// @notice Moves the buyer's funds into escrow for `terms`. Called by the operator (with the buyer's
    /// signature in `funding`) or by the buyer. Checks KYC of both parties at `terms.kycTier`, the token,
    /// the merchant's fee terms and the buyer's per-payment and rolling 24-hour limits. Not while paused.
    /// @return paymentId The EIP-712 hash of `terms`.
    function authorize(PaymentTerms calldata terms, FundingMethod method, bytes calldata funding)
        external
        returns (bytes32 paymentId);

    /// @notice Captures `amount` (at most what is still capturable) for the merchant. Operator; before the
    /// authorization expiry; neither buyer nor merchant may be frozen. Not while paused.
    function capture(PaymentTerms calldata terms, uint256 amount) external;

    /// @notice {authorize} and {capture} of the full amount in one call. Operator or buyer. Not while paused.
    function charge(PaymentTerms calldata terms, FundingMethod method, bytes calldata funding)
        external
        returns (bytes32 paymentId);

    /// @notice Returns what is still capturable to the buyer. Operator.
    function void(PaymentTerms calldata terms) external;

    /// @notice From the authorization expiry on, returns what was never captured to the buyer. The buyer or
    /// the operator; always possible, even while paused or with the buyer frozen.
    function reclaim(PaymentTerms calldata terms) external;

    /// @notice Releases held funds to the merchant's balance, net of fees, once the confirmation window since
    /// the latest capture has passed. Anyone may call it: funds only go where the payment says.
    function release(PaymentTerms calldata terms) external;

    /// @notice The buyer confirms receipt (by calling, or by an EIP-712 `ReceiptConfirmation(bytes32 paymentId,
    /// uint256 deadline)` signature relayed by anyone): held funds are released at once.
    function confirmReceipt(PaymentTerms calldata terms, uint256 deadline, bytes calldata signature) external;

    /// @notice Refunds `amount` to the buyer: from held funds first, then from the merchant's balance (the
    /// merchant bears fees already taken). Operator; before the refund expiry; not during a dispute.
    function refund(PaymentTerms calldata terms, uint256 amount) external;

    /// @notice The buyer (by calling, or by an EIP-712 `DisputeRequest(bytes32 paymentId, bytes32 reason)`
    /// signature) disputes held funds within the confirmation window; they freeze until resolved. Once per payment.
    function openDispute(PaymentTerms calldata terms, bytes32 reason, bytes calldata signature) external;

    /// @notice Resolves a dispute: `buyerAmount` of the held funds to the buyer, the rest released to the
    /// merchant net of fees. Arbiter.
    function resolveDispute(PaymentTerms calldata terms, uint256 buyerAmount) external;

    // ---------------------------------------------------------------- batches (operator)

    /// @notice {authorize} for many payments; each item succeeds or fails on its own.
    /// @return ok Per item, whether it succeeded (failures also emit {BatchItemFailed}).
    function authorizeMany(AuthorizeRequest[] calldata requests) external returns (bool[] memory ok);

    /// @notice {capture} for many payments; each item succeeds or fails on its own.
    function captureMany(CaptureRequest[] calldata requests) external returns (bool[] memory ok);

    /// @notice {release} for many payments; each item succeeds or fails on its own.
    function releaseMany(PaymentTerms[] calldata terms) external returns (bool[] memory ok);

    // ---------------------------------------------------------------- settlement

    /// @notice Pays `account`'s whole balance in `token` to its payout address (a merchant's settlement
    /// address, otherwise the account itself). The account or the operator. Reverts if it cannot be paid.
    function payout(address token, address account) external;

    /// @notice Pays out many accounts in one transaction. Operator. A payout that fails (frozen account,
    /// blocklisted address, reverting token) emits {PayoutFailed} and stays claimable; the others go on.
    function payoutMany(address token, address[] calldata accounts) external;

    /// @notice Moves `amount` of `merchant`'s balance in `token` to the caller. Collector role only: the receivable
    /// registry, which calls it only when the merchant (as a debtor) sends or signs a repayment from its escrow
    /// balance. The merchant must not be frozen.
    function collectBalance(address token, address merchant, uint256 amount) external;

    // ---------------------------------------------------------------- administration

    /// @notice Registers or updates a merchant. Admin. `feeBps` at most {MAX_FEE_BPS}.
    function setMerchant(address merchant, MerchantConfig calldata config) external;

    /// @notice Allows or disallows a token and sets its large-transaction threshold. Admin.
    function setToken(address token, TokenConfig calldata config) external;

    /// @notice Sets the limits for buyers of `tier` paying in `token`. Admin.
    function setRiskLimits(address token, KycTier tier, RiskLimits calldata limits) external;

    /// @notice Sets where platform fees accrue. Admin.
    function setTreasury(address treasury) external;

    /// @notice Stops new authorizations and captures. Pauser.
    function pause() external;

    /// @notice Resumes them. Pauser.
    function unpause() external;

    // ---------------------------------------------------------------- views

    /// @notice The payment id of `terms`: their EIP-712 digest under this contract's domain.
    function paymentId(PaymentTerms calldata terms) external view returns (bytes32);

    function paymentState(bytes32 paymentId) external view returns (PaymentState memory);

    /// @notice The claimable balance of a merchant, the treasury or a partner.
    function balanceOf(address token, address account) external view returns (uint256);

    function merchantConfig(address merchant) external view returns (MerchantConfig memory);

    function tokenConfig(address token) external view returns (TokenConfig memory);

    function riskLimits(address token, KycTier tier) external view returns (RiskLimits memory);

    /// @notice What `buyer` paid in `token` within the enforced rolling window (see {RiskLimits}).
    function rollingVolume(address buyer, address token) external view returns (uint256);

    function treasury() external view returns (address);

    function kycRegistry() external view returns (address);
}

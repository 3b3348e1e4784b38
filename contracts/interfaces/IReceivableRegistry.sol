// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice The immutable terms of one invoice, signed by the supplier. Their EIP-712 digest under the registry's
/// domain (which binds the chain id and the contract), as a uint256, is the root receivable's token id: an
/// invoice can be issued once only, and the relayer knows the id before the transaction is mined.
/// EIP-712 (fields in this order): `InvoiceTerms(address issuer,uint48 dueAt,uint48 acceptBy,address debtor,
/// address token,uint256 faceValue,bytes32 documentHash,bytes32 invoiceRef)`.
struct InvoiceTerms {
    /// The supplier: first holder of the receivable.
    address issuer;
    /// Maturity: the debtor repays by this time. Late fees accrue from `dueAt + gracePeriod`.
    uint48 dueAt;
    /// The debtor must accept before or at this time (`now <= acceptBy`); then the invoice is dead.
    /// Also the deadline of the supplier's issue signature. `acceptBy <= dueAt`.
    uint48 acceptBy;
    /// The core enterprise that owes the face value.
    address debtor;
    /// The allowlisted ERC-20 the invoice settles in.
    address token;
    /// What the debtor owes at `dueAt`, in the token's minor units; 1 .. 2^128-1.
    uint256 faceValue;
    /// Hash of the invoice documents (the documents stay off chain).
    bytes32 documentHash;
    /// The supplier's invoice number or a salt: makes the terms, hence the id, unique.
    bytes32 invoiceRef;
}

/// @notice Lifecycle of one receivable (the root invoice or a part of it). One guard checks it everywhere.
enum ReceivableState {
    None,
    /// Issued by the supplier; awaits the debtor's acceptance until `acceptBy`. Cannot move. Dead after
    /// `acceptBy` (it can no longer be accepted).
    Pending,
    /// Acknowledged by the debtor (or a part of an accepted receivable): may move, be split, financed, repaid.
    Accepted,
    /// The debtor refused it. Terminal; cannot move.
    Rejected,
    /// Retired by a split into parts (its token is burnt; the parts carry the claim). Terminal.
    Split,
    /// Face value and late fee paid in full to its holder. Terminal; cannot move.
    Repaid,
    /// Past `dueAt + gracePeriod` and not repaid, marked (by anyone, or by a repayment). May move; accrues the
    /// late fee.
    Overdue,
    /// Declared in default by the arbiter after being overdue. Cannot move; repayments are still allocated.
    Defaulted
}

/// @notice Where a repayment comes from.
enum RepaymentSource {
    /// The debtor's wallet, through an ERC-20 allowance to the registry.
    Wallet,
    /// The debtor's merchant balance in the payment escrow (its sales proceeds), via `collectBalance`.
    EscrowBalance
}

/// @notice A party's EIP-712 authorization of one action, carried by the operator (the relayer). When the
/// party sends the transaction itself it passes an empty authorization (no nonce is consumed).
struct Authorization {
    /// One-time, chosen by the signer (like EIP-3009): concurrent signatures never conflict.
    bytes32 nonce;
    /// The signature is valid while `block.timestamp <= deadline`.
    uint256 deadline;
    /// 65-byte ECDSA signature, or anything an ERC-1271 wallet accepts.
    bytes signature;
}

/// @notice A financier's offer to buy one receivable at a discount, signed by the financier.
/// EIP-712: `FinanceOffer(uint256 receivableId,address financier,uint16 annualRateBps,uint256 maxPrice,
/// uint256 expiry,bytes32 nonce)`.
struct FinanceOffer {
    uint256 receivableId;
    /// Pays the price and becomes the holder. KYC tier Institutional.
    address financier;
    /// Annual discount rate in basis points (600 = 6%/yr).
    uint16 annualRateBps;
    /// The most the financier pays (the price rises as maturity nears).
    uint256 maxPrice;
    /// The offer is valid while `block.timestamp <= expiry`.
    uint256 expiry;
    /// The financier's one-time nonce.
    bytes32 nonce;
}

/// @notice Everything known about one receivable (see {IReceivableRegistry-receivableOf}).
struct Receivable {
    /// Invoice fields, shared by every part of the invoice.
    address issuer;
    uint48 issuedAt;
    uint48 dueAt;
    address debtor;
    uint48 acceptBy;
    ReceivableState state;
    /// Bought by a financier, or split from one that was: it can never be financed (again).
    bool financed;
    /// How many parts it was split into (their ids are {IReceivableRegistry-partIdOf}(id, 0 .. partCount-1)).
    uint8 partCount;
    address token;
    /// The current holder (zero once split).
    address holder;
    /// This receivable's own claim.
    uint256 faceValue;
    /// The immediate parent (0 for the root invoice) and the root invoice id (its own id for the root).
    uint256 parent;
    uint256 root;
    /// Principal repaid so far (to its holders).
    uint256 principalPaid;
    /// Late fee accrued and not yet paid, including what accrued since the last repayment.
    uint256 lateFeeDue;
    bytes32 documentHash;
}

/// @title Receivable registry (supply-chain finance)
/// @notice Invoices of suppliers against core enterprises become ERC-721 receivables: issued by the supplier,
/// accepted (acknowledged) by the debtor, then split into parts for the supplier's own suppliers (multi-tier),
/// transferred, sold at a discount to institutional financiers, and repaid by the debtor at maturity, from its
/// wallet or from its merchant balance in the payment escrow. Every action can be sent by the party itself or
/// by the operator (the relayer) with the party's EIP-712 signature.
///
/// EIP-712 domain: `name = "ReceivableRegistry"`, `version = "1"`, the chain id and this contract. Types (each
/// signature carries a signer-chosen one-time `nonce` and a `deadline`, except the issue, whose nonce is the
/// invoice id itself and whose deadline is `acceptBy`):
/// - issue, signed by the issuer: `InvoiceTerms(...)` (see {InvoiceTerms}); the digest is the root id.
/// - accept, by the debtor: `Acceptance(uint256 receivableId,bytes32 nonce,uint256 deadline)`.
/// - reject, by the debtor: `Rejection(uint256 receivableId,bytes32 reason,bytes32 nonce,uint256 deadline)`.
/// - split, by the holder: `Split(uint256 receivableId,uint256[] faceValues,address[] recipients,bytes32 nonce,
///   uint256 deadline)` (arrays hashed as EIP-712 says: keccak256 of the concatenated 32-byte elements).
/// - transfer, by the holder: `ReceivableTransfer(uint256 receivableId,address to,bytes32 nonce,uint256 deadline)`.
/// - finance, by the financier: `FinanceOffer(...)` (see {FinanceOffer}); by the holder:
///   `FinanceAcceptance(FinanceOffer offer,uint256 minProceeds,bytes32 nonce,uint256 deadline)` followed by the
///   `FinanceOffer` type (EIP-712 nested struct encoding).
/// - repay, by the debtor: `Repayment(uint256 receivableId,uint256 amount,uint8 source,bytes32 nonce,
///   uint256 deadline)` (`source` is {RepaymentSource} as a number).
///
/// Invariants: the face values of the parts of any receivable sum to its face value; a receivable is financed at
/// most once (the flag passes to its parts); repayment pays each holder exactly its part's face value plus the
/// late fee accrued on it; the registry's balance of every token equals the open claims in it.
interface IReceivableRegistry {
    // ---------------------------------------------------------------- events

    /// @notice The supplier issued the invoice `id` (minted to `issuer`, Pending).
    event ReceivableIssued(
        uint256 indexed id,
        address indexed issuer,
        address indexed debtor,
        address token,
        uint256 faceValue,
        uint48 dueAt,
        uint48 acceptBy,
        bytes32 documentHash,
        bytes32 invoiceRef
    );
    /// @notice The debtor acknowledged the invoice `id`: it owes the face value at maturity.
    event ReceivableAccepted(uint256 indexed id, address indexed debtor);
    /// @notice The debtor refused the invoice `id`.
    event ReceivableRejected(uint256 indexed id, address indexed debtor, bytes32 reason);
    /// @notice `parentId` (of invoice `rootId`) was retired and replaced by `partIds`, minted to `recipients`.
    event ReceivableSplit(
        uint256 indexed parentId,
        uint256 indexed rootId,
        uint256[] partIds,
        uint256[] faceValues,
        address[] recipients
    );
    /// @notice `financier` bought `id` from `holder`: paid `price`, of which `fee` went to the treasury and
    /// `price - fee` to the holder. `daysToMaturity` is the whole days counted (rounded up).
    event ReceivableFinanced(
        uint256 indexed id,
        address indexed holder,
        address indexed financier,
        uint16 annualRateBps,
        uint256 daysToMaturity,
        uint256 price,
        uint256 fee
    );
    /// @notice The debtor paid `amount` against `targetId` (of invoice `rootId`) from `source`.
    event RepaymentReceived(
        uint256 indexed rootId, uint256 indexed targetId, address indexed debtor, RepaymentSource source, uint256 amount
    );
    /// @notice Of a repayment, `lateFee + principal` went to `holder` of `id`: sent at once, or, when `credited`,
    /// recorded as the holder's claim (frozen holder, or a transfer the token refused).
    event RepaymentAllocated(
        uint256 indexed id, address indexed holder, uint256 lateFee, uint256 principal, bool credited
    );
    /// @notice `id` is paid in full (face value and late fee).
    event ReceivableRepaid(uint256 indexed id);
    /// @notice The invoice `rootId` passed `dueAt + gracePeriod` unpaid; `principalOutstanding` is still owed
    /// over its parts, and the late fee accrues from `overdueSince`.
    event ReceivableOverdue(uint256 indexed rootId, uint256 overdueSince, uint256 principalOutstanding);
    /// @notice `amount` of late fee accrued on `id` up to `until` (recorded when the part is next repaid).
    event LateFeeAccrued(uint256 indexed id, uint256 amount, uint256 until);
    /// @notice The arbiter declared the invoice `rootId` in default with `principalOutstanding` unpaid.
    event ReceivableDefaulted(
        uint256 indexed rootId, address indexed arbiter, bytes32 reason, uint256 principalOutstanding
    );
    /// @notice `amount` owed to `account` for `id` could not be sent and is claimable with {claim}.
    event ClaimCredited(address indexed token, address indexed account, uint256 indexed id, uint256 amount);
    /// @notice `account` received its claimable `amount`.
    event Claimed(address indexed token, address indexed account, uint256 amount);
    /// @notice The signer's `nonce` was used by an action.
    event AuthorizationUsed(address indexed signer, bytes32 indexed nonce);
    /// @notice The signer cancelled `nonce` before it was used.
    event AuthorizationCanceled(address indexed signer, bytes32 indexed nonce);
    event PlatformFeeSet(uint16 feeBps);
    event TreasurySet(address indexed treasury);
    event TokenAllowed(address indexed token, bool allowed);

    // ---------------------------------------------------------------- errors

    /// @notice `id` is in `current`, not one of `allowedStates` (a bit per {ReceivableState}).
    error ReceivableUnexpectedState(uint256 id, ReceivableState current, bytes32 allowedStates);
    error ReceivableZeroFaceValue();
    error ReceivableFaceValueTooLarge(uint256 faceValue);
    /// @notice Issue terms need `now <= acceptBy <= dueAt`.
    error ReceivableInvalidDates(uint48 acceptBy, uint48 dueAt);
    /// @notice Issuer and debtor (or holder and financier) must be two distinct non-zero accounts.
    error ReceivableInvalidParties(address a, address b);
    error ReceivableTokenNotAllowed(address token);
    /// @notice The acceptance window of `id` closed at `acceptBy`.
    error ReceivableAcceptanceExpired(uint256 id, uint48 acceptBy);
    /// @notice `caller` is neither the party nor the operator (nor, for finance, the counterparty).
    error ReceivableUnauthorizedCaller(address caller);
    /// @notice The signature is not `signer`'s over this action.
    error ReceivableInvalidSignature(address signer);
    error ReceivableSignatureExpired(uint256 deadline);
    error ReceivableNonceUsed(address signer, bytes32 nonce);
    /// @notice A split needs 2 .. {MAX_PARTS_PER_SPLIT} parts, one recipient each.
    error ReceivableInvalidPartCount(uint256 count, uint256 max);
    error ReceivableLengthMismatch(uint256 faceValues, uint256 recipients);
    /// @notice Part `index` of a split has face value zero.
    error ReceivableZeroPart(uint256 index);
    /// @notice The parts do not add up to the parent's face value (`sum` is their sum, or the first part that
    /// alone exceeds the face value).
    error ReceivablePartsMismatch(uint256 faceValue, uint256 sum);
    /// @notice The invoice `rootId` would exceed {MAX_PARTS_PER_INVOICE} ids.
    error ReceivableTooManyParts(uint256 rootId, uint256 limit);
    /// @notice `id` has reached its due date: no more splits or financing.
    error ReceivableMatured(uint256 id, uint48 dueAt);
    error ReceivableAlreadyFinanced(uint256 id);
    /// @notice `id` has been partly repaid: it can no longer be split or financed.
    error ReceivablePartlyRepaid(uint256 id);
    error ReceivableOfferExpired(uint256 expiry);
    /// @notice The rate is zero, or discounts the whole face value away.
    error ReceivableInvalidRate(uint16 annualRateBps);
    error ReceivablePriceAboveMax(uint256 price, uint256 maxPrice);
    error ReceivableProceedsBelowMin(uint256 proceeds, uint256 minProceeds);
    error ReceivableZeroAmount();
    /// @notice Nothing is owed on `id` (or on the parts under it).
    error ReceivableNothingDue(uint256 id);
    /// @notice The invoice `rootId` was already marked overdue.
    error ReceivableAlreadyOverdue(uint256 rootId);
    /// @notice The invoice `rootId` is overdue only from `overdueAt`.
    error ReceivableNotOverdue(uint256 rootId, uint256 overdueAt);
    error ReceivableNothingToClaim(address token, address account);
    error ReceivableTokenShortfall(address token, uint256 expected, uint256 received);
    error ReceivableFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error ReceivableZeroAddress();

    // ---------------------------------------------------------------- lifecycle

    /// @notice Issues the invoice `terms` as a Pending receivable minted to the issuer. Called by the issuer
    /// (`issuerSignature` empty) or by the operator with the issuer's EIP-712 signature of `terms`. Checks:
    /// unused id, face value 1..2^128-1, allowlisted token, distinct issuer and debtor, `now <= acceptBy <= dueAt`,
    /// both parties KYC-eligible at Basic.
    /// @return id The root receivable id: `uint256` of the EIP-712 digest of `terms`.
    function issue(InvoiceTerms calldata terms, bytes calldata issuerSignature) external returns (uint256 id);

    /// @notice The debtor acknowledges the Pending invoice `id` (by calling, or by its `Acceptance` signature
    /// relayed by the operator) no later than `acceptBy`; it becomes Accepted and may move. Debtor KYC-eligible.
    function accept(uint256 id, Authorization calldata debtorAuth) external;

    /// @notice The debtor refuses the Pending invoice `id` (`Rejection` signature when relayed). Terminal.
    function reject(uint256 id, bytes32 reason, Authorization calldata debtorAuth) external;

    /// @notice The holder splits the Accepted, unmatured, not partly repaid `id` into parts with `faceValues`
    /// (2..{MAX_PARTS_PER_SPLIT}, none zero, summing exactly to its face value), minted to `recipients` (each
    /// KYC-eligible; the holder may keep parts). The parts keep debtor, token, due date and the financed flag;
    /// `id` becomes Split and its token is burnt. Part `i` has id {partIdOf}(id, i). Holder by calling, or the
    /// operator with the holder's `Split` signature.
    function split(
        uint256 id,
        uint256[] calldata faceValues,
        address[] calldata recipients,
        Authorization calldata holderAuth
    ) external returns (uint256[] memory partIds);

    /// @notice The operator moves `id` to `to` with the holder's `ReceivableTransfer` signature. (The holder
    /// itself uses the ERC-721 transfer functions.) Any transfer needs `id` Accepted or Overdue, the holder
    /// KYC-eligible and not frozen, and `to` KYC-eligible.
    function transferBySig(uint256 id, address to, Authorization calldata holderAuth) external;

    /// @notice Sells `offer.receivableId` to `offer.financier` at a discount:
    /// `days = ceil((dueAt - now) / 1 day)`, `discount = ceil(face * annualRateBps * days / (10_000 * 365))`,
    /// `price = face - discount`, `fee = ceil(price * platformFeeBps / 10_000)`; the financier pays `price - fee`
    /// to the holder and `fee` to the treasury (by allowance), and receives the receivable. Needs the receivable
    /// Accepted, before `dueAt`, never financed, not partly repaid; the offer unexpired; `price <= maxPrice`,
    /// `price - fee >= minProceeds`; the financier KYC Institutional. Sent by the financier (with the holder's
    /// `FinanceAcceptance` in `holderAuth`), by the holder (with `financierSignature`), or by the operator with both.
    /// @return price What the financier paid in total.
    /// @return fee The platform's part of it.
    function finance(
        FinanceOffer calldata offer,
        bytes calldata financierSignature,
        uint256 minProceeds,
        Authorization calldata holderAuth
    ) external returns (uint256 price, uint256 fee);

    /// @notice The debtor pays up to `amount` against `id` (the root invoice, or any part: then only the parts
    /// under it), early or late. What is owed is `min(amount, due)`: pulled from `source`, then allocated over the
    /// open parts under `id` in creation order (the order of {invoiceParts}), each part's late fee before its
    /// principal, each share sent to the part's current holder at once or credited as a claim if it cannot be.
    /// Parts paid in full become Repaid. Past `dueAt + gracePeriod` the invoice is first marked Overdue. Debtor
    /// (not frozen) by calling, or the operator with its `Repayment` signature.
    /// @return paid What was taken from the debtor.
    function repay(uint256 id, uint256 amount, RepaymentSource source, Authorization calldata debtorAuth)
        external
        returns (uint256 paid);

    /// @notice Marks the open parts of the invoice of `id` Overdue once `now >= dueAt + gracePeriod`. Anyone.
    function markOverdue(uint256 id) external;

    /// @notice Declares the invoice of `id` in default: its Overdue parts become Defaulted (they can no longer
    /// move; repayments still reach their holders). Arbiter; only once overdue (marks it first if needed).
    function declareDefault(uint256 id, bytes32 reason) external;

    /// @notice Pays `account` its claimable balance of `token`. The account or the operator; not if frozen.
    function claim(address token, address account) external;

    /// @notice Cancels the caller's unused `nonce`, so no signature carrying it can be used.
    function cancelAuthorization(bytes32 nonce) external;

    // ---------------------------------------------------------------- administration

    /// @notice Sets the platform fee on financing, at most {MAX_PLATFORM_FEE_BPS}. Admin.
    function setPlatformFee(uint16 feeBps) external;

    /// @notice Sets where platform fees go. Admin.
    function setTreasury(address treasury) external;

    /// @notice Allows or disallows `token` for new invoices (existing ones are unaffected). Admin.
    function setTokenAllowed(address token, bool allowed) external;

    // ---------------------------------------------------------------- views

    /// @notice The root id `terms` would get: the EIP-712 digest of `terms`, as a uint256.
    function invoiceId(InvoiceTerms calldata terms) external view returns (uint256);

    /// @notice The id of part `index` of a split of `parentId`: `uint256(keccak256(abi.encode(parentId, index)))`.
    function partIdOf(uint256 parentId, uint256 index) external pure returns (uint256);

    function receivableOf(uint256 id) external view returns (Receivable memory);

    /// @notice Every id of the invoice `rootId` in creation order (root first): the repayment allocation order.
    function invoiceParts(uint256 rootId) external view returns (uint256[] memory);

    /// @notice What is owed now on `id` (or on the open parts under it): principal, and late fee accrued.
    function amountDue(uint256 id) external view returns (uint256 principal, uint256 lateFee);

    /// @notice The finance price of `id` at `annualRateBps` if bought now (see {finance}).
    function quote(uint256 id, uint16 annualRateBps)
        external
        view
        returns (uint256 daysToMaturity, uint256 price, uint256 fee, uint256 proceeds);

    /// @notice What `account` may {claim} in `token`.
    function claimable(address token, address account) external view returns (uint256);

    function nonceUsed(address signer, bytes32 nonce) external view returns (bool);

    function platformFeeBps() external view returns (uint16);

    /// @notice Annual late-fee rate in basis points on the overdue principal (fixed at deployment).
    function lateFeeBps() external view returns (uint16);

    /// @notice Seconds after `dueAt` before an unpaid invoice is overdue (fixed at deployment).
    function gracePeriod() external view returns (uint32);

    function treasury() external view returns (address);

    function isTokenAllowed(address token) external view returns (bool);

    function kycRegistry() external view returns (address);

    function paymentEscrow() external view returns (address);
}

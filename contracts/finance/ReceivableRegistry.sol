// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IKycRegistry, KycTier} from "../interfaces/IKycRegistry.sol";
import {IPaymentEscrow} from "../interfaces/IPaymentEscrow.sol";
import {
    Authorization,
    FinanceOffer,
    IReceivableRegistry,
    InvoiceTerms,
    Receivable,
    ReceivableState,
    RepaymentSource
} from "../interfaces/IReceivableRegistry.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title ReceivableRegistry
/// @notice See {IReceivableRegistry}. Each receivable (the root invoice or a part) is an ERC-721 token.
contract ReceivableRegistry is
    IReceivableRegistry,
    ERC721,
    EIP712,
    ReentrancyGuardTransient,
    AccessControlDefaultAdminRules
{
    using SafeERC20 for IERC20;

    /// @notice The most parts one split may create.
    uint256 public constant MAX_PARTS_PER_SPLIT = 10;
    /// @notice The most ids one invoice may have, root and every part (split or not) included: bounds the
    /// repayment loop (63 leaves at most).
    uint256 public constant MAX_PARTS_PER_INVOICE = 64;
    /// @notice The highest platform fee on financing (10%).
    uint16 public constant MAX_PLATFORM_FEE_BPS = 1_000;
    /// @notice The KYC tier every party (issuer, debtor, holder, recipient) needs.
    KycTier public constant PARTY_TIER = KycTier.Basic;
    /// @notice The KYC tier a financier needs.
    KycTier public constant FINANCIER_TIER = KycTier.Institutional;

    bytes32 public constant INVOICE_TERMS_TYPEHASH = keccak256(
        "InvoiceTerms(address issuer,uint48 dueAt,uint48 acceptBy,address debtor,address token,uint256 faceValue,"
        "bytes32 documentHash,bytes32 invoiceRef)"
    );
    bytes32 public constant ACCEPTANCE_TYPEHASH =
        keccak256("Acceptance(uint256 receivableId,bytes32 nonce,uint256 deadline)");
    bytes32 public constant REJECTION_TYPEHASH =
        keccak256("Rejection(uint256 receivableId,bytes32 reason,bytes32 nonce,uint256 deadline)");
    bytes32 public constant SPLIT_TYPEHASH = keccak256(
        "Split(uint256 receivableId,uint256[] faceValues,address[] recipients,bytes32 nonce,uint256 deadline)"
    );
    bytes32 public constant TRANSFER_TYPEHASH =
        keccak256("ReceivableTransfer(uint256 receivableId,address to,bytes32 nonce,uint256 deadline)");
    bytes32 public constant FINANCE_OFFER_TYPEHASH = keccak256(
        "FinanceOffer(uint256 receivableId,address financier,uint16 annualRateBps,uint256 maxPrice,uint256 expiry,"
        "bytes32 nonce)"
    );
    bytes32 public constant FINANCE_ACCEPTANCE_TYPEHASH = keccak256(
        "FinanceAcceptance(FinanceOffer offer,uint256 minProceeds,bytes32 nonce,uint256 deadline)"
        "FinanceOffer(uint256 receivableId,address financier,uint16 annualRateBps,uint256 maxPrice,uint256 expiry,"
        "bytes32 nonce)"
    );
    bytes32 public constant REPAYMENT_TYPEHASH = keccak256(
        "Repayment(uint256 receivableId,uint256 amount,uint8 source,bytes32 nonce,uint256 deadline)"
    );

    uint256 private constant BPS = 10_000;
    uint256 private constant DAYS_PER_YEAR = 365;

    /// @dev One receivable's own state (3 slots for a part, plus the invoice for a root).
    struct Part {
        uint256 parent;
        uint256 root;
        uint128 faceValue;
        uint128 principalPaid;
        /// Late fee accrued up to `accruedUntil` and not yet paid.
        uint128 lateFeeOwed;
        uint48 accruedUntil;
        bool financed;
        uint8 partCount;
        // Last: solhint sizes an enum as a full slot; solc packs it into the slot above.
        ReceivableState state;
    }

    /// @dev What every part of one invoice shares, stored once under the root id.
    struct Invoice {
        address issuer;
        uint48 issuedAt;
        uint48 dueAt;
        address debtor;
        uint48 acceptBy;
        bool overdueMarked;
        address token;
        bytes32 documentHash;
        /// Every id of the invoice in creation order (root first): the repayment allocation order.
        uint256[] parts;
    }

    IKycRegistry private immutable _kyc;
    IPaymentEscrow private immutable _escrow;
    uint16 private immutable _lateFeeBps;
    uint32 private immutable _gracePeriod;

    address private _treasury;
    uint16 private _platformFeeBps;

    mapping(uint256 id => Part) private _parts;
    mapping(uint256 rootId => Invoice) private _invoices;
    mapping(address token => bool) private _allowedTokens;
    mapping(address token => mapping(address account => uint256)) private _claims;
    mapping(address signer => mapping(bytes32 nonce => bool)) private _usedNonces;

    /// @param lateFeeBps_ Annual late-fee rate on overdue principal, fixed for the registry's life so no change
    /// can reach back into invoices already accepted.
    /// @param gracePeriod_ Seconds after the due date before an unpaid invoice is overdue, fixed likewise.
    constructor(
        address admin,
        uint48 adminTransferDelay,
        IKycRegistry kyc,
        IPaymentEscrow escrow,
        address treasury_,
        uint16 platformFeeBps_,
        uint16 lateFeeBps_,
        uint32 gracePeriod_
    )
        ERC721("Settlement Receivable", "SRCV")
        EIP712("ReceivableRegistry", "1")
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
    {
        if (address(kyc) == address(0) || address(escrow) == address(0) || treasury_ == address(0)) {
            revert ReceivableZeroAddress();
        }
        if (platformFeeBps_ > MAX_PLATFORM_FEE_BPS) revert ReceivableFeeTooHigh(platformFeeBps_, MAX_PLATFORM_FEE_BPS);
        _kyc = kyc;
        _escrow = escrow;
        _lateFeeBps = lateFeeBps_;
        _gracePeriod = gracePeriod_;
        _treasury = treasury_;
        _platformFeeBps = platformFeeBps_;
        emit TreasurySet(treasury_);
        emit PlatformFeeSet(platformFeeBps_);
    }

    // ================================================================ lifecycle

    /// @inheritdoc IReceivableRegistry
    function issue(InvoiceTerms calldata terms, bytes calldata issuerSignature)
        external
        nonReentrant
        returns (uint256 id)
    {
        // 1. a new invoice with sane terms
        bytes32 digest = _hashInvoice(terms);
        id = uint256(digest);
        _requireState(id, _bit(ReceivableState.None));
        _validateTerms(terms);
        // 2. the issuer acts, in person or through the operator with its signature (the id is the nonce)
        if (msg.sender != terms.issuer) {
            _requireOperator();
            _requireSignature(terms.issuer, digest, issuerSignature);
        }
        // 3. both parties pass KYC
        _kyc.requireEligible(terms.issuer, PARTY_TIER);
        _kyc.requireEligible(terms.debtor, PARTY_TIER);
        // 4. record it, Pending, and mint it to the issuer
        Invoice storage inv = _invoices[id];
        (inv.issuer, inv.issuedAt, inv.dueAt) = (terms.issuer, uint48(block.timestamp), terms.dueAt);
        (inv.debtor, inv.acceptBy, inv.token) = (terms.debtor, terms.acceptBy, terms.token);
        inv.documentHash = terms.documentHash;
        inv.parts.push(id);
        Part storage p = _parts[id];
        (p.faceValue, p.state, p.root) = (uint128(terms.faceValue), ReceivableState.Pending, id);
        emit ReceivableIssued(
            id,
            terms.issuer,
            terms.debtor,
            terms.token,
            terms.faceValue,
            terms.dueAt,
            terms.acceptBy,
            terms.documentHash,
            terms.invoiceRef
        );
        _mint(terms.issuer, id);
    }

    /// @inheritdoc IReceivableRegistry
    function accept(uint256 id, Authorization calldata debtorAuth) external nonReentrant {
        // 1. a Pending invoice within its acceptance window
        Part storage p = _requireState(id, _bit(ReceivableState.Pending));
        Invoice storage inv = _invoices[id];
        if (block.timestamp > inv.acceptBy) revert ReceivableAcceptanceExpired(id, inv.acceptBy);
        // 2. the debtor acknowledges it and passes KYC
        address debtor = inv.debtor;
        bytes32 structHash = keccak256(abi.encode(ACCEPTANCE_TYPEHASH, id, debtorAuth.nonce, debtorAuth.deadline));
        _actAs(debtor, structHash, debtorAuth);
        _kyc.requireEligible(debtor, PARTY_TIER);
        // 3. it may move now
        p.state = ReceivableState.Accepted;
        emit ReceivableAccepted(id, debtor);
    }

    /// @inheritdoc IReceivableRegistry
    function reject(uint256 id, bytes32 reason, Authorization calldata debtorAuth) external nonReentrant {
        // 1. a Pending invoice (even past its window: refusing a dead invoice is harmless and explicit)
        Part storage p = _requireState(id, _bit(ReceivableState.Pending));
        // 2. the debtor refuses it
        address debtor = _invoices[id].debtor;
        _actAs(
            debtor,
            keccak256(abi.encode(REJECTION_TYPEHASH, id, reason, debtorAuth.nonce, debtorAuth.deadline)),
            debtorAuth
        );
        // 3. terminal
        p.state = ReceivableState.Rejected;
        emit ReceivableRejected(id, debtor, reason);
    }

    /// @inheritdoc IReceivableRegistry
    function split(
        uint256 id,
        uint256[] calldata faceValues,
        address[] calldata recipients,
        Authorization calldata holderAuth
    ) external nonReentrant returns (uint256[] memory partIds) {
        // 1. an Accepted, unmatured, untouched receivable; 2..10 non-zero parts summing to its face value
        Part storage p = _requireState(id, _bit(ReceivableState.Accepted));
        _checkSplit(id, p, faceValues, recipients.length);
        // 2. the holder splits, in person or by signature, and passes KYC
        address holder = _ownerOf(id);
        _actAs(holder, _hashSplit(id, faceValues, recipients, holderAuth), holderAuth);
        _kyc.requireEligible(holder, PARTY_TIER);
        // 3. retire the parent; record the parts (same invoice, inherited financed flag)
        uint256 count = faceValues.length;
        (p.state, p.partCount) = (ReceivableState.Split, uint8(count));
        partIds = _recordParts(id, p, faceValues);
        emit ReceivableSplit(id, p.root, partIds, faceValues, recipients);
        // 4. burn the parent's token, mint the parts (each recipient must pass KYC)
        _burn(id);
        for (uint256 i; i < count; ++i) {
            _mint(recipients[i], partIds[i]);
        }
    }

    /// @inheritdoc IReceivableRegistry
    function transferBySig(uint256 id, address to, Authorization calldata holderAuth) external nonReentrant {
        // 1. a movable receivable
        _requireState(id, _movable());
        // 2. the holder moves it, in person or by signature (the transfer checks KYC of both)
        address holder = _ownerOf(id);
        _actAs(
            holder,
            keccak256(abi.encode(TRANSFER_TYPEHASH, id, to, holderAuth.nonce, holderAuth.deadline)),
            holderAuth
        );
        _transfer(holder, to, id);
    }

    /// @inheritdoc IReceivableRegistry
    function finance(
        FinanceOffer calldata offer,
        bytes calldata financierSignature,
        uint256 minProceeds,
        Authorization calldata holderAuth
    ) external nonReentrant returns (uint256 price, uint256 fee) {
        // 1. an Accepted receivable, never financed, untouched, unmatured; a live offer to someone else
        uint256 id = offer.receivableId;
        Part storage p = _requireState(id, _bit(ReceivableState.Accepted));
        if (p.financed) revert ReceivableAlreadyFinanced(id);
        if (p.principalPaid != 0) revert ReceivablePartlyRepaid(id);
        uint48 dueAt = _invoices[p.root].dueAt;
        if (block.timestamp >= dueAt) revert ReceivableMatured(id, dueAt);
        if (block.timestamp > offer.expiry) revert ReceivableOfferExpired(offer.expiry);
        address holder = _ownerOf(id);
        if (offer.financier == holder || offer.financier == address(0)) {
            revert ReceivableInvalidParties(holder, offer.financier);
        }
        // 2. both agree, each in person or by signature; a third sender must be the operator
        _requireFinanceAgreement(offer, financierSignature, minProceeds, holderAuth, holder);
        _kyc.requireEligible(offer.financier, FINANCIER_TIER);
        // 3-5. priced within both bounds, financed, moved and paid
        (price, fee) = _buy(p, offer, minProceeds, holder);
    }

    /// @inheritdoc IReceivableRegistry
    function repay(uint256 id, uint256 amount, RepaymentSource source, Authorization calldata debtorAuth)
        external
        nonReentrant
        returns (uint256 paid)
    {
        // 1. an accepted invoice or a part of one; a positive amount
        Part storage target = _requireState(id, _repayable());
        if (amount == 0) revert ReceivableZeroAmount();
        uint256 root = target.root;
        Invoice storage inv = _invoices[root];
        // 2. the debtor pays, in person or by signature, and is not frozen
        address debtor = inv.debtor;
        _actAs(
            debtor,
            keccak256(
                abi.encode(REPAYMENT_TYPEHASH, id, amount, uint8(source), debtorAuth.nonce, debtorAuth.deadline)
            ),
            debtorAuth
        );
        _kyc.requireNotFrozen(debtor);
        // 3. past the grace period the invoice is overdue first (an event for auditors)
        if (!inv.overdueMarked && block.timestamp >= _overdueAt(inv)) _markOverdue(root, inv);
        // 4. take what is due under `id`, at most `amount`
        (uint256 principal, uint256 lateFee) = _due(id, root, inv);
        uint256 due = principal + lateFee;
        if (due == 0) revert ReceivableNothingDue(id);
        paid = Math.min(amount, due);
        _collect(inv.token, debtor, paid, source);
        emit RepaymentReceived(root, id, debtor, source, paid);
        // 5. hand it out over the open parts in creation order
        _allocate(id, root, inv, paid);
    }

    /// @inheritdoc IReceivableRegistry
    function markOverdue(uint256 id) external nonReentrant {
        // 1. an accepted invoice not marked yet, past its grace period, with something unpaid
        (uint256 root, Invoice storage inv) =
            _invoiceOf(id, _bit(ReceivableState.Accepted) | _bit(ReceivableState.Split));
        if (inv.overdueMarked) revert ReceivableAlreadyOverdue(root);
        uint256 overdueAt = _overdueAt(inv);
        if (block.timestamp < overdueAt) revert ReceivableNotOverdue(root, overdueAt);
        // 2. mark its open parts
        if (_markOverdue(root, inv) == 0) revert ReceivableNothingDue(root);
    }

    /// @inheritdoc IReceivableRegistry
    function declareDefault(uint256 id, bytes32 reason) external nonReentrant onlyRole(Roles.ARBITER) {
        // 1. an accepted invoice past its grace period (marked overdue now if nobody did)
        (uint256 root, Invoice storage inv) = _invoiceOf(
            id, _bit(ReceivableState.Accepted) | _bit(ReceivableState.Split) | _bit(ReceivableState.Overdue)
        );
        uint256 overdueAt = _overdueAt(inv);
        if (block.timestamp < overdueAt) revert ReceivableNotOverdue(root, overdueAt);
        if (!inv.overdueMarked) _markOverdue(root, inv);
        // 2. its overdue parts default; there must be some
        uint256 outstanding;
        uint256[] storage ids = inv.parts;
        for (uint256 i; i < ids.length; ++i) {
            Part storage q = _parts[ids[i]];
            if (q.state == ReceivableState.Overdue) {
                q.state = ReceivableState.Defaulted;
                outstanding += q.faceValue - q.principalPaid;
            }
        }
        if (outstanding == 0) revert ReceivableNothingDue(root);
        emit ReceivableDefaulted(root, msg.sender, reason, outstanding);
    }

    /// @inheritdoc IReceivableRegistry
    function claim(address token, address account) external nonReentrant {
        if (msg.sender != account) _requireOperator();
        // 1. something to claim, and the account is not frozen
        uint256 amount = _claims[token][account];
        if (amount == 0) revert ReceivableNothingToClaim(token, account);
        _kyc.requireNotFrozen(account);
        // 2. cleared, then paid
        _claims[token][account] = 0;
        emit Claimed(token, account, amount);
        IERC20(token).safeTransfer(account, amount);
    }

    /// @inheritdoc IReceivableRegistry
    function cancelAuthorization(bytes32 nonce) external {
        if (_usedNonces[msg.sender][nonce]) revert ReceivableNonceUsed(msg.sender, nonce);
        _usedNonces[msg.sender][nonce] = true;
        emit AuthorizationCanceled(msg.sender, nonce);
    }

    // ================================================================ administration

    /// @inheritdoc IReceivableRegistry
    function setPlatformFee(uint16 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (feeBps > MAX_PLATFORM_FEE_BPS) revert ReceivableFeeTooHigh(feeBps, MAX_PLATFORM_FEE_BPS);
        _platformFeeBps = feeBps;
        emit PlatformFeeSet(feeBps);
    }

    /// @inheritdoc IReceivableRegistry
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ReceivableZeroAddress();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc IReceivableRegistry
    function setTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert ReceivableZeroAddress();
        _allowedTokens[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    // ================================================================ views

    /// @inheritdoc IReceivableRegistry
    function invoiceId(InvoiceTerms calldata terms) external view returns (uint256) {
        return uint256(_hashInvoice(terms));
    }

    /// @inheritdoc IReceivableRegistry
    function partIdOf(uint256 parentId, uint256 index) external pure returns (uint256) {
        return _partId(parentId, index);
    }

    /// @inheritdoc IReceivableRegistry
    function receivableOf(uint256 id) external view returns (Receivable memory r) {
        Part storage p = _parts[id];
        Invoice storage inv = _invoices[p.root];
        (r.issuer, r.issuedAt, r.dueAt) = (inv.issuer, inv.issuedAt, inv.dueAt);
        (r.debtor, r.acceptBy, r.token, r.documentHash) = (inv.debtor, inv.acceptBy, inv.token, inv.documentHash);
        (r.state, r.financed, r.partCount) = (p.state, p.financed, p.partCount);
        (r.faceValue, r.parent, r.root, r.principalPaid) = (p.faceValue, p.parent, p.root, p.principalPaid);
        r.holder = _ownerOf(id);
        if (_isOpen(p.state)) r.lateFeeDue = p.lateFeeOwed + _accruedSince(p, _overdueAt(inv));
    }

    /// @inheritdoc IReceivableRegistry
    function invoiceParts(uint256 rootId) external view returns (uint256[] memory) {
        return _invoices[rootId].parts;
    }

    /// @inheritdoc IReceivableRegistry
    function amountDue(uint256 id) external view returns (uint256 principal, uint256 lateFee) {
        uint256 root = _parts[id].root;
        if (root != 0) (principal, lateFee) = _due(id, root, _invoices[root]);
    }

    /// @inheritdoc IReceivableRegistry
    function quote(uint256 id, uint16 annualRateBps)
        external
        view
        returns (uint256 daysToMaturity, uint256 price, uint256 fee, uint256 proceeds)
    {
        Part storage p = _parts[id];
        uint48 dueAt = _invoices[p.root].dueAt;
        if (block.timestamp >= dueAt) revert ReceivableMatured(id, dueAt);
        (daysToMaturity, price, fee) = _quote(p.faceValue, dueAt, annualRateBps);
        proceeds = price - fee;
    }

    /// @inheritdoc IReceivableRegistry
    function claimable(address token, address account) external view returns (uint256) {
        return _claims[token][account];
    }

    /// @inheritdoc IReceivableRegistry
    function nonceUsed(address signer, bytes32 nonce) external view returns (bool) {
        return _usedNonces[signer][nonce];
    }

    /// @inheritdoc IReceivableRegistry
    function platformFeeBps() external view returns (uint16) {
        return _platformFeeBps;
    }

    /// @inheritdoc IReceivableRegistry
    function lateFeeBps() external view returns (uint16) {
        return _lateFeeBps;
    }

    /// @inheritdoc IReceivableRegistry
    function gracePeriod() external view returns (uint32) {
        return _gracePeriod;
    }

    /// @inheritdoc IReceivableRegistry
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IReceivableRegistry
    function isTokenAllowed(address token) external view returns (bool) {
        return _allowedTokens[token];
    }

    /// @inheritdoc IReceivableRegistry
    function kycRegistry() external view returns (address) {
        return address(_kyc);
    }

    /// @inheritdoc IReceivableRegistry
    function paymentEscrow() external view returns (address) {
        return address(_escrow);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, AccessControlDefaultAdminRules)
        returns (bool)
    {
        return ERC721.supportsInterface(interfaceId) || AccessControlDefaultAdminRules.supportsInterface(interfaceId);
    }

    // ================================================================ internals: token movements

    /// @dev The one path of every mint, transfer and burn. A transfer needs a movable receivable and both sides
    /// KYC-eligible (so not frozen); a mint needs the recipient eligible.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        address from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0)) {
            _requireState(tokenId, _movable());
            _kyc.requireEligible(from, PARTY_TIER);
        }
        if (to != address(0)) _kyc.requireEligible(to, PARTY_TIER);
        return super._update(to, tokenId, auth);
    }

    /// @dev Records the parts of `parentId` (Accepted, same invoice, the parent's financed flag) in creation order.
    function _recordParts(uint256 parentId, Part storage parent, uint256[] calldata faceValues)
        private
        returns (uint256[] memory partIds)
    {
        (uint256 root, bool financed) = (parent.root, parent.financed);
        uint256[] storage invoiceIds = _invoices[root].parts;
        partIds = new uint256[](faceValues.length);
        for (uint256 i; i < faceValues.length; ++i) {
            uint256 partId = _partId(parentId, i);
            Part storage part = _parts[partId];
            // faceValues[i] <= the parent's face value < 2^128 (checked by _checkSplit)
            (part.faceValue, part.state, part.financed) = (uint128(faceValues[i]), ReceivableState.Accepted, financed);
            (part.parent, part.root) = (parentId, root);
            invoiceIds.push(partId);
            partIds[i] = partId;
        }
    }

    /// @dev Prices `offer` now, checks both parties' bounds, marks the receivable financed for good, moves it to
    /// the financier (the transfer checks KYC of both) and has the financier pay the holder and the treasury.
    function _buy(Part storage p, FinanceOffer calldata offer, uint256 minProceeds, address holder)
        private
        returns (uint256 price, uint256 fee)
    {
        Invoice storage inv = _invoices[p.root];
        uint256 daysToMaturity;
        (daysToMaturity, price, fee) = _quote(p.faceValue, inv.dueAt, offer.annualRateBps);
        if (price > offer.maxPrice) revert ReceivablePriceAboveMax(price, offer.maxPrice);
        uint256 proceeds = price - fee;
        if (proceeds < minProceeds) revert ReceivableProceedsBelowMin(proceeds, minProceeds);
        p.financed = true;
        emit ReceivableFinanced(
            offer.receivableId, holder, offer.financier, offer.annualRateBps, daysToMaturity, price, fee
        );
        _transfer(holder, offer.financier, offer.receivableId);
        IERC20 token = IERC20(inv.token);
        token.safeTransferFrom(offer.financier, holder, proceeds);
        if (fee != 0) token.safeTransferFrom(offer.financier, _treasury, fee);
    }

    /// @dev Pulls exactly `amount` from the debtor's wallet or its escrow balance.
    function _collect(address token, address debtor, uint256 amount, RepaymentSource source) private {
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        if (source == RepaymentSource.Wallet) {
            IERC20(token).safeTransferFrom(debtor, address(this), amount);
        } else {
            _escrow.collectBalance(token, debtor, amount);
        }
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert ReceivableTokenShortfall(token, amount, received);
    }

    /// @dev Allocates `amount` over the open parts under `id` in creation order, late fee before principal.
    /// `amount` never exceeds what is due (the caller capped it), so every unit finds a holder.
    function _allocate(uint256 id, uint256 root, Invoice storage inv, uint256 amount) private {
        uint256 overdueAt = _overdueAt(inv);
        address token = inv.token;
        uint256[] storage ids = inv.parts;
        for (uint256 i; i < ids.length && amount != 0; ++i) {
            uint256 partId = ids[i];
            Part storage q = _parts[partId];
            if (!_isOpen(q.state) || !_isUnder(partId, id, root)) continue;
            // 1. accrue the late fee up to now
            uint256 accrued = _accruedSince(q, overdueAt);
            if (accrued != 0) {
                q.accruedUntil = uint48(block.timestamp);
                emit LateFeeAccrued(partId, accrued, block.timestamp);
            }
            uint256 feeOwed = q.lateFeeOwed + accrued;
            uint256 principalOwed = q.faceValue - q.principalPaid;
            // 2. late fee first, then principal
            uint256 feePart = Math.min(amount, feeOwed);
            uint256 principalPart = Math.min(amount - feePart, principalOwed);
            amount -= feePart + principalPart;
            // Both fit: feeOwed and principalPaid + principalPart <= faceValue are below 2^128.
            q.lateFeeOwed = uint128(feeOwed - feePart);
            q.principalPaid += uint128(principalPart);
            bool settled = feePart == feeOwed && principalPart == principalOwed;
            if (settled) q.state = ReceivableState.Repaid;
            // 3. the holder is paid now, or credited
            address holder = _ownerOf(partId);
            bool credited = _payOrCredit(token, holder, partId, feePart + principalPart);
            emit RepaymentAllocated(partId, holder, feePart, principalPart, credited);
            if (settled) emit ReceivableRepaid(partId);
        }
    }

    /// @dev Sends `amount` to `holder`; if it is frozen or the token refuses, records it as a claim instead.
    function _payOrCredit(address token, address holder, uint256 id, uint256 amount) private returns (bool credited) {
        if (amount == 0) return false;
        if (!_kyc.isFrozen(holder) && IERC20(token).trySafeTransfer(holder, amount)) return false;
        _claims[token][holder] += amount;
        emit ClaimCredited(token, holder, id, amount);
        return true;
    }

    /// @dev Moves the invoice's Accepted parts to Overdue; returns the principal they still owe.
    function _markOverdue(uint256 root, Invoice storage inv) private returns (uint256 outstanding) {
        inv.overdueMarked = true;
        uint256[] storage ids = inv.parts;
        for (uint256 i; i < ids.length; ++i) {
            Part storage q = _parts[ids[i]];
            if (q.state == ReceivableState.Accepted) {
                q.state = ReceivableState.Overdue;
                outstanding += q.faceValue - q.principalPaid;
            }
        }
        emit ReceivableOverdue(root, _overdueAt(inv), outstanding);
    }

    // ================================================================ internals: amounts

    /// @dev Principal and late fee owed now over the open parts under `id`.
    function _due(uint256 id, uint256 root, Invoice storage inv)
        private
        view
        returns (uint256 principal, uint256 lateFee)
    {
        uint256 overdueAt = _overdueAt(inv);
        uint256[] storage ids = inv.parts;
        for (uint256 i; i < ids.length; ++i) {
            uint256 partId = ids[i];
            Part storage q = _parts[partId];
            if (!_isOpen(q.state) || !_isUnder(partId, id, root)) continue;
            principal += q.faceValue - q.principalPaid;
            lateFee += q.lateFeeOwed + _accruedSince(q, overdueAt);
        }
    }

    /// @dev Late fee accrued on the unpaid principal since the later of the overdue time and the last accrual:
    /// `principal * lateFeeBps * seconds / (10_000 * 365 days)`, rounded down.
    function _accruedSince(Part storage q, uint256 overdueAt) private view returns (uint256) {
        uint256 from = Math.max(q.accruedUntil, overdueAt);
        if (block.timestamp <= from) return 0;
        uint256 principal = q.faceValue - q.principalPaid;
        return principal * _lateFeeBps * (block.timestamp - from) / (BPS * DAYS_PER_YEAR * 1 days);
    }

    /// @dev The finance price of `face` due at `dueAt` (in the future), rounded against the holder and for the
    /// platform: whole days rounded up, discount rounded up, fee rounded up.
    function _quote(uint256 face, uint48 dueAt, uint16 annualRateBps)
        private
        view
        returns (uint256 daysToMaturity, uint256 price, uint256 fee)
    {
        if (annualRateBps == 0) revert ReceivableInvalidRate(annualRateBps);
        daysToMaturity = Math.ceilDiv(dueAt - block.timestamp, 1 days);
        uint256 discount = Math.ceilDiv(face * annualRateBps * daysToMaturity, BPS * DAYS_PER_YEAR);
        if (discount >= face) revert ReceivableInvalidRate(annualRateBps);
        price = face - discount;
        fee = Math.ceilDiv(price * _platformFeeBps, BPS);
    }

    function _overdueAt(Invoice storage inv) private view returns (uint256) {
        return uint256(inv.dueAt) + _gracePeriod;
    }

    // ================================================================ internals: checks

    function _validateTerms(InvoiceTerms calldata terms) private view {
        if (terms.faceValue == 0) revert ReceivableZeroFaceValue();
        if (terms.faceValue > type(uint128).max) revert ReceivableFaceValueTooLarge(terms.faceValue);
        if (terms.issuer == terms.debtor || terms.issuer == address(0) || terms.debtor == address(0)) {
            revert ReceivableInvalidParties(terms.issuer, terms.debtor);
        }
        if (!_allowedTokens[terms.token]) revert ReceivableTokenNotAllowed(terms.token);
        if (block.timestamp > terms.acceptBy || terms.acceptBy > terms.dueAt) {
            revert ReceivableInvalidDates(terms.acceptBy, terms.dueAt);
        }
    }

    /// @dev A split of `id` needs it unmatured and untouched, room in the invoice, and well-formed parts.
    function _checkSplit(uint256 id, Part storage p, uint256[] calldata faceValues, uint256 recipients)
        private
        view
    {
        uint256 root = p.root;
        Invoice storage inv = _invoices[root];
        if (block.timestamp >= inv.dueAt) revert ReceivableMatured(id, inv.dueAt);
        if (p.principalPaid != 0) revert ReceivablePartlyRepaid(id);
        uint256 count = faceValues.length;
        if (count < 2 || count > MAX_PARTS_PER_SPLIT) revert ReceivableInvalidPartCount(count, MAX_PARTS_PER_SPLIT);
        if (recipients != count) revert ReceivableLengthMismatch(count, recipients);
        if (inv.parts.length + count > MAX_PARTS_PER_INVOICE) {
            revert ReceivableTooManyParts(root, MAX_PARTS_PER_INVOICE);
        }
        uint256 face = p.faceValue;
        uint256 sum;
        for (uint256 i; i < count; ++i) {
            uint256 value = faceValues[i];
            if (value == 0) revert ReceivableZeroPart(i);
            // Each part is at most the face value (< 2^128), so the sum of at most 10 cannot overflow.
            if (value > face) revert ReceivablePartsMismatch(face, value);
            sum += value;
        }
        if (sum != face) revert ReceivablePartsMismatch(face, sum);
    }

    /// @dev The financier's offer and the holder's acceptance: each party sent the transaction or signed.
    function _requireFinanceAgreement(
        FinanceOffer calldata offer,
        bytes calldata financierSignature,
        uint256 minProceeds,
        Authorization calldata holderAuth,
        address holder
    ) private {
        address financier = offer.financier;
        if (msg.sender != holder && msg.sender != financier) _requireOperator();
        bytes32 offerHash = keccak256(abi.encode(FINANCE_OFFER_TYPEHASH, offer));
        if (msg.sender != financier) {
            _useSignature(financier, offerHash, offer.nonce, offer.expiry, financierSignature);
        }
        if (msg.sender != holder) {
            bytes32 acceptance = keccak256(
                abi.encode(FINANCE_ACCEPTANCE_TYPEHASH, offerHash, minProceeds, holderAuth.nonce, holderAuth.deadline)
            );
            _useSignature(holder, acceptance, holderAuth.nonce, holderAuth.deadline, holderAuth.signature);
        }
    }

    /// @dev The party acts: it sent the transaction, or the operator carries its signature over `structHash`.
    function _actAs(address party, bytes32 structHash, Authorization calldata auth) private {
        if (msg.sender == party) return;
        _requireOperator();
        _useSignature(party, structHash, auth.nonce, auth.deadline, auth.signature);
    }

    /// @dev Checks `signer`'s signature of `structHash` (deadline, unused nonce) and spends the nonce.
    function _useSignature(address signer, bytes32 structHash, bytes32 nonce, uint256 deadline, bytes calldata sig)
        private
    {
        if (block.timestamp > deadline) revert ReceivableSignatureExpired(deadline);
        if (_usedNonces[signer][nonce]) revert ReceivableNonceUsed(signer, nonce);
        _requireSignature(signer, _hashTypedDataV4(structHash), sig);
        _usedNonces[signer][nonce] = true;
        emit AuthorizationUsed(signer, nonce);
    }

    function _requireSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert ReceivableInvalidSignature(signer);
        }
    }

    function _requireOperator() private view {
        if (!hasRole(Roles.OPERATOR, msg.sender)) revert ReceivableUnauthorizedCaller(msg.sender);
    }

    /// @dev The invoice of `id`, whose root must be in `allowed`.
    function _invoiceOf(uint256 id, bytes32 allowed) private view returns (uint256 root, Invoice storage inv) {
        root = _parts[id].root;
        _requireState(root == 0 ? id : root, allowed);
        inv = _invoices[root];
    }

    /// @dev Whether `partId` is `id` or lies under it (walks up the parents; depth < MAX_PARTS_PER_INVOICE).
    function _isUnder(uint256 partId, uint256 id, uint256 root) private view returns (bool) {
        if (id == root) return true;
        while (partId != id && partId != root) partId = _parts[partId].parent;
        return partId == id;
    }

    // ================================================================ internals: state

    /// @dev The one guard of the lifecycle: `id` must be in one of `allowed` (a bit per state).
    function _requireState(uint256 id, bytes32 allowed) private view returns (Part storage p) {
        p = _parts[id];
        if (allowed & _bit(p.state) == 0) revert ReceivableUnexpectedState(id, p.state, allowed);
    }

    /// @dev A leaf that still carries a claim on the debtor.
    function _isOpen(ReceivableState state) private pure returns (bool) {
        return state == ReceivableState.Accepted || state == ReceivableState.Overdue
            || state == ReceivableState.Defaulted;
    }

    function _movable() private pure returns (bytes32) {
        return _bit(ReceivableState.Accepted) | _bit(ReceivableState.Overdue);
    }

    function _repayable() private pure returns (bytes32) {
        return _bit(ReceivableState.Accepted) | _bit(ReceivableState.Split) | _bit(ReceivableState.Overdue)
            | _bit(ReceivableState.Defaulted);
    }

    function _bit(ReceivableState state) private pure returns (bytes32) {
        return bytes32(uint256(1) << uint8(state));
    }

    function _hashInvoice(InvoiceTerms calldata terms) private view returns (bytes32) {
        // Every field is a static type, so the ABI encoding of the struct is exactly its EIP-712 encodeData.
        return _hashTypedDataV4(keccak256(abi.encode(INVOICE_TERMS_TYPEHASH, terms)));
    }

    function _hashSplit(
        uint256 id,
        uint256[] calldata faceValues,
        address[] calldata recipients,
        Authorization calldata auth
    ) private pure returns (bytes32) {
        // EIP-712 arrays: keccak256 of the concatenated 32-byte encodings (encodePacked pads array elements).
        return keccak256(
            abi.encode(
                SPLIT_TYPEHASH,
                id,
                keccak256(abi.encodePacked(faceValues)),
                keccak256(abi.encodePacked(recipients)),
                auth.nonce,
                auth.deadline
            )
        );
    }

    function _partId(uint256 parentId, uint256 index) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(parentId, index)));
    }
}

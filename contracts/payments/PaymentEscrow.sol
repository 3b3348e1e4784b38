// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IKycRegistry, KycTier} from "../interfaces/IKycRegistry.sol";
import {
    AuthorizeRequest,
    CaptureRequest,
    FundingMethod,
    IPaymentEscrow,
    MerchantConfig,
    PaymentState,
    PaymentStatus,
    PaymentTerms,
    RiskLimits,
    TokenConfig
} from "../interfaces/IPaymentEscrow.sol";
import {FeeMath} from "../libraries/FeeMath.sol";
import {Roles} from "../libraries/Roles.sol";
import {RollingVolume, VolumeBuckets} from "../libraries/RollingVolume.sol";

/// @title PaymentEscrow
/// @notice See {IPaymentEscrow}.
contract PaymentEscrow is IPaymentEscrow, EIP712, Pausable, ReentrancyGuardTransient, AccessControlDefaultAdminRules {
    using SafeERC20 for IERC20;
    using RollingVolume for VolumeBuckets;

    /// @notice The highest platform fee a merchant can be configured with (10%).
    uint16 public constant MAX_FEE_BPS = 1_000;

    bytes32 public constant PAYMENT_TERMS_TYPEHASH = keccak256(
        "PaymentTerms(address merchant,address buyer,address token,uint256 amount,uint48 preApprovalExpiry,"
        "uint48 authorizationExpiry,uint48 refundExpiry,uint32 confirmationWindow,uint8 kycTier,uint16 feeBps,"
        "address partner,uint16 partnerShareBps,bytes32 orderRef)"
    );
    bytes32 public constant RECEIPT_CONFIRMATION_TYPEHASH =
        keccak256("ReceiptConfirmation(bytes32 paymentId,uint256 deadline)");
    bytes32 public constant DISPUTE_REQUEST_TYPEHASH = keccak256("DisputeRequest(bytes32 paymentId,bytes32 reason)");

    IKycRegistry private immutable _kyc;
    address private _treasury;

    mapping(bytes32 paymentId => PaymentState) private _payments;
    mapping(address token => mapping(address account => uint256)) private _balances;
    mapping(address merchant => MerchantConfig) private _merchants;
    mapping(address token => TokenConfig) private _tokens;
    mapping(address token => mapping(KycTier tier => RiskLimits)) private _limits;
    mapping(address buyer => mapping(address token => VolumeBuckets)) private _volumes;
    mapping(bytes32 digest => bool) private _usedConfirmations;

    constructor(address admin, uint48 adminTransferDelay, IKycRegistry kyc, address treasury_)
        EIP712("PaymentEscrow", "1")
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
    {
        if (address(kyc) == address(0) || treasury_ == address(0)) revert EscrowZeroAddress();
        _kyc = kyc;
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    // ================================================================ payment lifecycle

    /// @inheritdoc IPaymentEscrow
    function authorize(PaymentTerms calldata terms, FundingMethod method, bytes calldata funding)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 id)
    {
        bool byBuyer = _requireOperatorOrBuyer(terms.buyer);
        id = _authorize(terms, method, funding, byBuyer, false);
    }

    /// @inheritdoc IPaymentEscrow
    function capture(PaymentTerms calldata terms, uint256 amount) external nonReentrant whenNotPaused {
        _checkRole(Roles.OPERATOR);
        _capture(terms, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function charge(PaymentTerms calldata terms, FundingMethod method, bytes calldata funding)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 id)
    {
        bool byBuyer = _requireOperatorOrBuyer(terms.buyer);
        id = _authorize(terms, method, funding, byBuyer, true);
    }

    /// @inheritdoc IPaymentEscrow
    function void(PaymentTerms calldata terms) external nonReentrant {
        _checkRole(Roles.OPERATOR);
        // 1. the payment is open and something is still capturable
        bytes32 id = _hashTerms(terms);
        PaymentState storage p = _requireStatus(id, _open());
        uint96 amount = p.capturable;
        if (amount == 0) revert EscrowNothingToReturn(id);
        // 2. nothing is capturable any more
        p.capturable = 0;
        _updateStatus(p, false);
        emit PaymentVoided(id, amount);
        // 3. the buyer gets it back
        IERC20(terms.token).safeTransfer(terms.buyer, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function reclaim(PaymentTerms calldata terms) external nonReentrant {
        // Deliberately neither paused nor KYC-gated: a buyer can always take back what was never captured.
        if (msg.sender != terms.buyer) _checkRole(Roles.OPERATOR);
        // 1. the payment is open, the authorization expired, and something is left
        bytes32 id = _hashTerms(terms);
        PaymentState storage p = _requireStatus(id, _open());
        if (block.timestamp < terms.authorizationExpiry) {
            revert EscrowAuthorizationNotExpired(id, terms.authorizationExpiry);
        }
        uint96 amount = p.capturable;
        if (amount == 0) revert EscrowNothingToReturn(id);
        // 2. nothing is capturable any more
        p.capturable = 0;
        _updateStatus(p, false);
        emit PaymentReclaimed(id, amount);
        // 3. the buyer gets it back
        IERC20(terms.token).safeTransfer(terms.buyer, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function release(PaymentTerms calldata terms) external nonReentrant {
        _releaseAfterWindow(terms);
    }

    /// @inheritdoc IPaymentEscrow
    function confirmReceipt(PaymentTerms calldata terms, uint256 deadline, bytes calldata signature)
        external
        nonReentrant
    {
        bytes32 id = _hashTerms(terms);
        // 1. the buyer confirms, in person or by a fresh signature
        if (msg.sender != terms.buyer) {
            if (block.timestamp > deadline) revert EscrowSignatureExpired(deadline);
            bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(RECEIPT_CONFIRMATION_TYPEHASH, id, deadline)));
            if (_usedConfirmations[digest]) revert EscrowSignatureUsed();
            _requireSignature(terms.buyer, digest, signature);
            _usedConfirmations[digest] = true;
        }
        // 2. there are held funds and no dispute
        PaymentState storage p = _requireStatus(id, _bit(PaymentStatus.Captured));
        if (p.held == 0) revert EscrowNothingHeld(id);
        emit ReceiptConfirmed(id);
        // 3. release them now
        _release(id, terms, p, p.held);
    }

    /// @inheritdoc IPaymentEscrow
    function refund(PaymentTerms calldata terms, uint256 amount) external nonReentrant {
        _checkRole(Roles.OPERATOR);
        // 1. a captured payment, not disputed, before the refund expiry, within what was captured
        bytes32 id = _hashTerms(terms);
        PaymentState storage p =
            _requireStatus(id, _bit(PaymentStatus.Captured) | _bit(PaymentStatus.Released));
        if (block.timestamp >= terms.refundExpiry) revert EscrowRefundWindowClosed(id, terms.refundExpiry);
        if (amount == 0) revert EscrowZeroAmount();
        uint256 fromHeld = amount < p.held ? amount : p.held;
        uint256 fromMerchant = amount - fromHeld;
        // 2. take it from held funds first, then from the merchant's balance
        if (fromMerchant > 0) {
            uint256 refundableReleased = p.released - p.refundedAfterRelease;
            if (fromMerchant > refundableReleased) {
                revert EscrowRefundExceedsCaptured(id, p.held + refundableReleased, amount);
            }
            uint256 merchantBalance = _balances[terms.token][terms.merchant];
            if (merchantBalance < fromMerchant) {
                revert EscrowInsufficientMerchantBalance(terms.merchant, merchantBalance, fromMerchant);
            }
            unchecked {
                // fromMerchant <= merchantBalance (checked above), and <= released - refundedAfterRelease
                _balances[terms.token][terms.merchant] = merchantBalance - fromMerchant;
                p.refundedAfterRelease += uint96(fromMerchant);
            }
        }
        unchecked {
            // fromHeld <= held by construction
            p.held -= uint96(fromHeld);
        }
        _updateStatus(p, true);
        emit PaymentRefunded(id, amount, fromHeld, fromMerchant);
        // 3. the buyer gets it
        IERC20(terms.token).safeTransfer(terms.buyer, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function openDispute(PaymentTerms calldata terms, bytes32 reason, bytes calldata signature)
        external
        nonReentrant
    {
        bytes32 id = _hashTerms(terms);
        // 1. the buyer disputes, in person or by signature (a dispute can be opened once, so no replay)
        if (msg.sender != terms.buyer) {
            bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(DISPUTE_REQUEST_TYPEHASH, id, reason)));
            _requireSignature(terms.buyer, digest, signature);
        }
        // 2. funds are held, the window is open, no dispute before
        PaymentState storage p = _requireStatus(id, _bit(PaymentStatus.Captured));
        if (p.held == 0) revert EscrowNothingHeld(id);
        if (p.disputeUsed) revert EscrowDisputeAlreadyUsed(id);
        uint256 deadline = uint256(p.heldSince) + terms.confirmationWindow;
        if (block.timestamp >= deadline) revert EscrowDisputeWindowClosed(id, deadline);
        // 3. freeze
        p.disputeUsed = true;
        p.status = PaymentStatus.Disputed;
        emit DisputeOpened(id, reason);
    }

    /// @inheritdoc IPaymentEscrow
    function resolveDispute(PaymentTerms calldata terms, uint256 buyerAmount) external nonReentrant {
        _checkRole(Roles.ARBITER);
        // 1. a disputed payment; the buyer's part is within the held funds
        bytes32 id = _hashTerms(terms);
        PaymentState storage p = _requireStatus(id, _bit(PaymentStatus.Disputed));
        uint96 held = p.held;
        if (buyerAmount > held) revert EscrowSplitExceedsHeld(id, held, buyerAmount);
        uint256 merchantAmount = held - buyerAmount;
        // 2. unfreeze; the buyer's part leaves the held funds
        p.status = PaymentStatus.Captured;
        p.held = held - uint96(buyerAmount);
        emit DisputeResolved(id, buyerAmount, merchantAmount);
        if (buyerAmount > 0) emit PaymentRefunded(id, buyerAmount, buyerAmount, 0);
        // 3. the merchant's part is released (this also settles the status), the buyer is paid
        if (merchantAmount > 0) _release(id, terms, p, merchantAmount);
        else _updateStatus(p, true);
        if (buyerAmount > 0) IERC20(terms.token).safeTransfer(terms.buyer, buyerAmount);
    }

    // ================================================================ batches

    /// @inheritdoc IPaymentEscrow
    function authorizeMany(AuthorizeRequest[] calldata requests)
        external
        nonReentrant
        whenNotPaused
        returns (bool[] memory ok)
    {
        _checkRole(Roles.OPERATOR);
        ok = new bool[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            try this.batchAuthorizeItem(requests[i]) {
                ok[i] = true;
            } catch (bytes memory reason) {
                emit BatchItemFailed(i, _hashTerms(requests[i].terms), reason);
            }
        }
    }

    /// @inheritdoc IPaymentEscrow
    function captureMany(CaptureRequest[] calldata requests)
        external
        nonReentrant
        whenNotPaused
        returns (bool[] memory ok)
    {
        _checkRole(Roles.OPERATOR);
        ok = new bool[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            try this.batchCaptureItem(requests[i]) {
                ok[i] = true;
            } catch (bytes memory reason) {
                emit BatchItemFailed(i, _hashTerms(requests[i].terms), reason);
            }
        }
    }

    /// @inheritdoc IPaymentEscrow
    function releaseMany(PaymentTerms[] calldata terms) external nonReentrant returns (bool[] memory ok) {
        ok = new bool[](terms.length);
        for (uint256 i; i < terms.length; ++i) {
            try this.batchReleaseItem(terms[i]) {
                ok[i] = true;
            } catch (bytes memory reason) {
                emit BatchItemFailed(i, _hashTerms(terms[i]), reason);
            }
        }
    }

    /// @notice One item of {authorizeMany}; callable only by this contract, inside the batch's lock.
    function batchAuthorizeItem(AuthorizeRequest calldata request) external {
        _onlySelf();
        _authorize(request.terms, request.method, request.funding, false, false);
    }

    /// @notice One item of {captureMany}; callable only by this contract, inside the batch's lock.
    function batchCaptureItem(CaptureRequest calldata request) external {
        _onlySelf();
        _capture(request.terms, request.amount);
    }

    /// @notice One item of {releaseMany}; callable only by this contract, inside the batch's lock.
    function batchReleaseItem(PaymentTerms calldata terms) external {
        _onlySelf();
        _releaseAfterWindow(terms);
    }

    // ================================================================ settlement

    /// @inheritdoc IPaymentEscrow
    function payout(address token, address account) external nonReentrant {
        if (msg.sender != account) _checkRole(Roles.OPERATOR);
        (address to, uint256 amount) = _payoutTarget(token, account);
        if (amount == 0) revert EscrowNothingToPay(token, account);
        _kyc.requireNotFrozen(account);
        _kyc.requireNotFrozen(to);
        _balances[token][account] = 0;
        if (!IERC20(token).trySafeTransfer(to, amount)) revert EscrowPayoutFailed(token, account, to);
        emit PayoutSent(token, account, to, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function payoutMany(address token, address[] calldata accounts) external nonReentrant {
        _checkRole(Roles.OPERATOR);
        for (uint256 i; i < accounts.length; ++i) {
            address account = accounts[i];
            (address to, uint256 amount) = _payoutTarget(token, account);
            if (amount == 0) continue;
            if (_kyc.isFrozen(account) || _kyc.isFrozen(to)) {
                emit PayoutFailed(token, account, to, amount);
                continue;
            }
            _balances[token][account] = 0;
            if (IERC20(token).trySafeTransfer(to, amount)) {
                emit PayoutSent(token, account, to, amount);
            } else {
                // Pull over push: the balance stays claimable.
                _balances[token][account] = amount;
                emit PayoutFailed(token, account, to, amount);
            }
        }
    }

    /// @inheritdoc IPaymentEscrow
    function collectBalance(address token, address merchant, uint256 amount) external nonReentrant {
        _checkRole(Roles.COLLECTOR);
        // 1. a positive amount within the merchant's balance; the merchant is not frozen
        if (amount == 0) revert EscrowZeroAmount();
        _kyc.requireNotFrozen(merchant);
        uint256 balance = _balances[token][merchant];
        if (balance < amount) revert EscrowInsufficientMerchantBalance(merchant, balance, amount);
        // 2. debit it
        unchecked {
            // amount <= balance (checked above)
            _balances[token][merchant] = balance - amount;
        }
        emit BalanceCollected(token, merchant, msg.sender, amount);
        // 3. hand it to the collector
        IERC20(token).safeTransfer(msg.sender, amount);
    }

    // ================================================================ administration

    /// @inheritdoc IPaymentEscrow
    function setMerchant(address merchant, MerchantConfig calldata config) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (merchant == address(0) || config.settlementAddress == address(0)) revert EscrowZeroAddress();
        if (config.feeBps > MAX_FEE_BPS) revert EscrowFeeTooHigh(config.feeBps, MAX_FEE_BPS);
        if (
            config.partnerShareBps > FeeMath.BPS || (config.partner == address(0) && config.partnerShareBps != 0)
                || config.partner == merchant
        ) revert EscrowInvalidPartnerTerms(config.partner, config.partnerShareBps);
        _merchants[merchant] = config;
        emit MerchantConfigured(
            merchant, config.settlementAddress, config.feeBps, config.partner, config.partnerShareBps, config.active
        );
    }

    /// @inheritdoc IPaymentEscrow
    function setToken(address token, TokenConfig calldata config) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert EscrowZeroAddress();
        _tokens[token] = config;
        emit TokenConfigured(token, config.allowed, config.largeTransactionThreshold);
    }

    /// @inheritdoc IPaymentEscrow
    function setRiskLimits(address token, KycTier tier, RiskLimits calldata limits)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _limits[token][tier] = limits;
        emit RiskLimitsSet(token, tier, limits.perPayment, limits.perDay);
    }

    /// @inheritdoc IPaymentEscrow
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert EscrowZeroAddress();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc IPaymentEscrow
    function pause() external onlyRole(Roles.PAUSER) {
        _pause();
    }

    /// @inheritdoc IPaymentEscrow
    function unpause() external onlyRole(Roles.PAUSER) {
        _unpause();
    }

    // ================================================================ views

    /// @inheritdoc IPaymentEscrow
    function paymentId(PaymentTerms calldata terms) external view returns (bytes32) {
        return _hashTerms(terms);
    }

    /// @inheritdoc IPaymentEscrow
    function paymentState(bytes32 id) external view returns (PaymentState memory) {
        return _payments[id];
    }

    /// @inheritdoc IPaymentEscrow
    function balanceOf(address token, address account) external view returns (uint256) {
        return _balances[token][account];
    }

    /// @inheritdoc IPaymentEscrow
    function merchantConfig(address merchant) external view returns (MerchantConfig memory) {
        return _merchants[merchant];
    }

    /// @inheritdoc IPaymentEscrow
    function tokenConfig(address token) external view returns (TokenConfig memory) {
        return _tokens[token];
    }

    /// @inheritdoc IPaymentEscrow
    function riskLimits(address token, KycTier tier) external view returns (RiskLimits memory) {
        return _limits[token][tier];
    }

    /// @inheritdoc IPaymentEscrow
    function rollingVolume(address buyer, address token) external view returns (uint256) {
        return _volumes[buyer][token].current(block.timestamp);
    }

    /// @inheritdoc IPaymentEscrow
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IPaymentEscrow
    function kycRegistry() external view returns (address) {
        return address(_kyc);
    }

    // ================================================================ internals: transitions

    function _authorize(
        PaymentTerms calldata terms,
        FundingMethod method,
        bytes calldata funding,
        bool byBuyer,
        bool captureAll
    ) private returns (bytes32 id) {
        // 1. a new payment with sane terms
        id = _hashTerms(terms);
        PaymentState storage p = _requireStatus(id, _bit(PaymentStatus.None));
        uint96 amount = _validateTerms(terms);
        // 2. both parties pass KYC at the payment's tier; the buyer is within its tier's limits
        KycTier buyerTier = _kyc.requireEligible(terms.buyer, KycTier(terms.kycTier));
        _kyc.requireEligible(terms.merchant, KycTier(terms.kycTier));
        _enforceLimits(terms.buyer, terms.token, buyerTier, amount);
        // 3. record the payment (captured at once for a charge)
        if (captureAll) {
            (p.held, p.heldSince, p.status) = (amount, uint40(block.timestamp), PaymentStatus.Captured);
        } else {
            (p.capturable, p.status) = (amount, PaymentStatus.Authorized);
        }
        emit PaymentAuthorized(id, terms.merchant, terms.buyer, terms.token, amount, terms.orderRef, method);
        if (captureAll) emit PaymentCaptured(id, amount);
        uint128 threshold = _tokens[terms.token].largeTransactionThreshold;
        if (threshold != 0 && amount >= threshold) {
            emit LargeTransactionReported(id, terms.buyer, terms.merchant, terms.token, amount);
        }
        // 4. pull the funds and check the token delivered all of them
        _collect(id, terms, amount, method, funding, byBuyer);
    }

    function _capture(PaymentTerms calldata terms, uint256 amount) private {
        // 1. an open, undisputed payment, before the authorization expiry, within what is capturable
        bytes32 id = _hashTerms(terms);
        PaymentState storage p = _requireStatus(id, _bit(PaymentStatus.Authorized) | _bit(PaymentStatus.Captured));
        if (block.timestamp >= terms.authorizationExpiry) {
            revert EscrowAuthorizationExpired(id, terms.authorizationExpiry);
        }
        if (amount == 0) revert EscrowZeroAmount();
        uint96 capturable = p.capturable;
        if (amount > capturable) revert EscrowCaptureExceedsAuthorization(id, capturable, amount);
        // 2. neither party is frozen (a frozen buyer cannot pay; it can still reclaim)
        _kyc.requireNotFrozen(terms.buyer);
        _kyc.requireNotFrozen(terms.merchant);
        // 3. move it from capturable to held; the confirmation window restarts
        unchecked {
            // amount <= capturable (checked above); held + amount <= original amount < 2^96
            p.capturable = capturable - uint96(amount);
            p.held += uint96(amount);
        }
        p.heldSince = uint40(block.timestamp);
        p.status = PaymentStatus.Captured;
        emit PaymentCaptured(id, amount);
    }

    function _releaseAfterWindow(PaymentTerms calldata terms) private {
        // 1. held funds, no dispute, and the confirmation window has passed
        bytes32 id = _hashTerms(terms);
        PaymentState storage p = _requireStatus(id, _bit(PaymentStatus.Captured));
        if (p.held == 0) revert EscrowNothingHeld(id);
        uint256 releasableAt = uint256(p.heldSince) + terms.confirmationWindow;
        if (block.timestamp < releasableAt) revert EscrowConfirmationWindowOpen(id, releasableAt);
        // 2. release them
        _release(id, terms, p, p.held);
    }

    /// @dev The one path by which held funds become balances. Fees are computed on the running total released.
    function _release(bytes32 id, PaymentTerms calldata terms, PaymentState storage p, uint256 gross) private {
        uint256 releasedBefore = p.released;
        uint256 fee = FeeMath.incrementalShareDown(releasedBefore, gross, terms.feeBps);
        uint256 partnerFee = terms.partner == address(0)
            ? 0
            : FeeMath.incrementalShareDown(
                releasedBefore * terms.feeBps / FeeMath.BPS, fee, terms.partnerShareBps
            );
        uint256 net = gross - fee;
        unchecked {
            // gross <= held, and released + held <= the payment's amount < 2^96
            p.held -= uint96(gross);
            p.released = uint96(releasedBefore + gross);
        }
        _updateStatus(p, true);
        mapping(address => uint256) storage balances = _balances[terms.token];
        balances[terms.merchant] += net;
        if (fee != partnerFee) balances[_treasury] += fee - partnerFee;
        if (partnerFee != 0) balances[terms.partner] += partnerFee;
        emit PaymentReleased(id, gross, fee, partnerFee, net);
    }

    // ================================================================ internals: checks

    function _validateTerms(PaymentTerms calldata terms) private view returns (uint96) {
        if (terms.amount == 0) revert EscrowZeroAmount();
        if (terms.amount > type(uint96).max) revert EscrowAmountTooLarge(terms.amount);
        if (
            terms.preApprovalExpiry > terms.authorizationExpiry || terms.authorizationExpiry > terms.refundExpiry
        ) revert EscrowInvalidExpiries(terms.preApprovalExpiry, terms.authorizationExpiry, terms.refundExpiry);
        if (block.timestamp >= terms.preApprovalExpiry) revert EscrowPreApprovalExpired(terms.preApprovalExpiry);
        if (terms.kycTier == 0 || terms.kycTier > uint8(type(KycTier).max)) revert EscrowInvalidKycTier(terms.kycTier);
        if (!_tokens[terms.token].allowed) revert EscrowTokenNotAllowed(terms.token);
        MerchantConfig storage m = _merchants[terms.merchant];
        if (!m.active) revert EscrowMerchantNotActive(terms.merchant);
        if (m.feeBps != terms.feeBps || m.partner != terms.partner || m.partnerShareBps != terms.partnerShareBps) {
            revert EscrowFeeTermsMismatch(terms.merchant);
        }
        return uint96(terms.amount);
    }

    function _enforceLimits(address buyer, address token, KycTier tier, uint96 amount) private {
        RiskLimits storage limits = _limits[token][tier];
        uint256 perPayment = limits.perPayment;
        if (amount > perPayment) revert EscrowPaymentLimitExceeded(amount, perPayment);
        uint256 volume = _volumes[buyer][token].add(block.timestamp, amount);
        uint256 perDay = limits.perDay;
        if (volume > perDay) revert EscrowDailyLimitExceeded(buyer, volume, perDay);
    }

    function _collect(
        bytes32 id,
        PaymentTerms calldata terms,
        uint96 amount,
        FundingMethod method,
        bytes calldata funding,
        bool byBuyer
    ) private {
        IERC20 token = IERC20(terms.token);
        uint256 balanceBefore = token.balanceOf(address(this));
        if (method == FundingMethod.Erc3009) {
            // The buyer's one signature: EIP-3009 with the payment id as nonce binds every term.
            IERC3009Receive(address(token)).receiveWithAuthorization(
                terms.buyer, address(this), amount, 0, terms.preApprovalExpiry, id, funding
            );
        } else {
            bytes memory buyerSignature =
                method == FundingMethod.Permit ? _permit(terms.buyer, token, amount, funding) : funding;
            if (!byBuyer) _requireSignature(terms.buyer, id, buyerSignature);
            token.safeTransferFrom(terms.buyer, address(this), amount);
        }
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert EscrowTokenShortfall(address(token), amount, received);
    }

    /// @dev Applies the buyer's EIP-2612 permit from `funding`; returns the buyer's payment signature packed with it.
    function _permit(address buyer, IERC20 token, uint96 amount, bytes calldata funding)
        private
        returns (bytes memory buyerSignature)
    {
        (uint256 deadline, uint8 v, bytes32 r, bytes32 s, bytes memory sig) =
            abi.decode(funding, (uint256, uint8, bytes32, bytes32, bytes));
        // A permit front-run by someone else is harmless: the transfer below needs only the allowance.
        try IERC20Permit(address(token)).permit(buyer, address(this), amount, deadline, v, r, s) {} catch {}
        buyerSignature = sig;
    }

    function _payoutTarget(address token, address account) private view returns (address to, uint256 amount) {
        address settlement = _merchants[account].settlementAddress;
        to = settlement == address(0) ? account : settlement;
        amount = _balances[token][account];
    }

    function _requireOperatorOrBuyer(address buyer) private view returns (bool byBuyer) {
        byBuyer = msg.sender == buyer;
        if (!byBuyer) _checkRole(Roles.OPERATOR);
    }

    function _requireSignature(address signer, bytes32 digest, bytes memory signature) private view {
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) revert EscrowInvalidSignature(signer);
    }

    function _onlySelf() private view {
        if (msg.sender != address(this)) revert EscrowOnlySelf();
    }

    // ================================================================ internals: state

    /// @dev The one guard of the lifecycle: the payment must be in one of `allowed` (a bit per status).
    function _requireStatus(bytes32 id, bytes32 allowed) private view returns (PaymentState storage p) {
        p = _payments[id];
        if (allowed & _bit(p.status) == 0) revert EscrowUnexpectedStatus(id, p.status, allowed);
    }

    /// @dev Derives the status from the amounts after a transition. `everCaptured` is false only for
    /// transitions that cannot follow a capture's absence (void and reclaim pass whether one happened).
    function _updateStatus(PaymentState storage p, bool everCaptured) private {
        PaymentStatus current = p.status;
        everCaptured = everCaptured || current != PaymentStatus.Authorized;
        PaymentStatus next;
        if (p.capturable != 0 || p.held != 0) {
            next = everCaptured ? PaymentStatus.Captured : PaymentStatus.Authorized;
            if (current == PaymentStatus.Disputed && p.held != 0) next = PaymentStatus.Disputed;
        } else if (p.released != p.refundedAfterRelease) {
            next = PaymentStatus.Released;
        } else {
            next = everCaptured ? PaymentStatus.Refunded : PaymentStatus.Voided;
        }
        if (next != current) p.status = next;
    }

    function _hashTerms(PaymentTerms calldata terms) private view returns (bytes32) {
        // Every field is a static type, so the ABI encoding of the struct is exactly its EIP-712 encodeData.
        return _hashTypedDataV4(keccak256(abi.encode(PAYMENT_TERMS_TYPEHASH, terms)));
    }

    function _open() private pure returns (bytes32) {
        return _bit(PaymentStatus.Authorized) | _bit(PaymentStatus.Captured) | _bit(PaymentStatus.Disputed);
    }

    function _bit(PaymentStatus status) private pure returns (bytes32) {
        return bytes32(uint256(1) << uint8(status));
    }
}

/// @dev The EIP-3009 entry point the escrow calls, with a bytes signature (EOA or ERC-1271).
interface IERC3009Receive {
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

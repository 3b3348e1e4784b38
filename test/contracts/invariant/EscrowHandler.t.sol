// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

import {KycTier} from "../../../contracts/interfaces/IKycRegistry.sol";
import {
    FundingMethod,
    IPaymentEscrow,
    PaymentState,
    PaymentStatus,
    PaymentTerms
} from "../../../contracts/interfaces/IPaymentEscrow.sol";
import {PaymentEscrow} from "../../../contracts/payments/PaymentEscrow.sol";
import {SettlementToken} from "../../../contracts/token/SettlementToken.sol";
import {Signing} from "../utils/EscrowDeployment.sol";

/// @notice Who the handler acts as, and whom it pays.
struct Actors {
    address operator;
    address arbiter;
    address pauser;
    address[] buyers;
    uint256[] buyerKeys;
    address[] merchants;
    uint16[] feeBps;
    address[] partners;
    uint16[] partnerShareBps;
}

/// @notice Drives random sequences of payment lifecycles over several buyers and merchants. Every call's
/// outcome is predicted from the escrow's state beforehand: a call that must succeed and does not is recorded
/// as a failure (checked by the invariants), and events are summed into ghost variables.
contract EscrowHandler is CommonBase, StdCheats, StdUtils {
    uint256 private constant MAX_AMOUNT = 1_000_000 * 1e6;

    PaymentEscrow public immutable escrow;
    SettlementToken public immutable token;
    Actors private actors;

    // ---------------------------------------------------------------- tracked sets
    PaymentTerms[] private _payments;
    bytes32[] public ids;
    address[] public accounts;
    mapping(address => bool) private _isAccount;

    // ---------------------------------------------------------------- ghosts
    /// Sums over every PaymentReleased event.
    uint256 public ghostGross;
    uint256 public ghostFee;
    uint256 public ghostNet;
    uint256 public ghostPartnerFee;
    /// Releases whose fee + net != gross or whose partner fee exceeds the fee.
    uint256 public ghostBadReleases;
    /// Token flows into and out of the escrow, from events.
    uint256 public ghostIn;
    uint256 public ghostOut;
    uint256 public ghostRefundedFromMerchants;
    uint256 public ghostPaidOut;
    /// The terminal status a payment first reached (None while not terminal), and how often one was entered.
    mapping(bytes32 => PaymentStatus) public ghostTerminal;
    mapping(bytes32 => uint256) public ghostTerminalEntries;
    uint256 public ghostTerminalViolations;
    /// Reclaims past the expiry, with something capturable, that did not succeed.
    uint256 public ghostFailedReclaims;
    uint256 public ghostReclaimsWhilePaused;
    /// Other calls that the state said must succeed (or must fail) and did not.
    uint256 public ghostUnexpected;
    string public lastUnexpected;

    mapping(bytes32 => uint256) public calls;

    constructor(PaymentEscrow escrow_, SettlementToken token_, Actors memory actors_) {
        escrow = escrow_;
        token = token_;
        actors = actors_;
        _track(escrow_.treasury());
    }

    modifier observed(bytes32 name) {
        calls[name]++;
        calls["total"]++;
        vm.recordLogs();
        _;
        _afterAction();
    }

    // ================================================================ views for the invariants

    function paymentCount() external view returns (uint256) {
        return ids.length;
    }

    function accountCount() external view returns (uint256) {
        return accounts.length;
    }

    function terms(uint256 i) external view returns (PaymentTerms memory) {
        return _payments[i];
    }

    // ================================================================ actions: authorization

    /// @notice The operator authorizes with the buyer's EIP-3009 signature or a signed prior allowance.
    function authorizeSigned(uint256 buyerSeed, uint256 merchantSeed, uint256 amount, uint256 timing, bool erc3009)
        external
        observed("authorizeSigned")
    {
        (PaymentTerms memory t, uint256 key) = _newTerms(buyerSeed, merchantSeed, amount, timing);
        bytes memory funding;
        if (erc3009) {
            funding = Signing.fundErc3009(key, token, escrow, t);
        } else {
            vm.prank(t.buyer);
            token.approve(address(escrow), t.amount);
            funding = Signing.sign(key, escrow.paymentId(t));
        }
        vm.prank(actors.operator);
        try escrow.authorize(t, erc3009 ? FundingMethod.Erc3009 : FundingMethod.Allowance, funding) returns (bytes32 id) {
            _expect(!escrow.paused(), "authorize succeeded while paused");
            _addPayment(t, id);
        } catch {
            _expect(escrow.paused(), "authorizeSigned failed");
        }
    }

    /// @notice The buyer authorizes (or charges) in person from an allowance.
    function authorizeByBuyer(uint256 buyerSeed, uint256 merchantSeed, uint256 amount, uint256 timing, bool chargeAll)
        external
        observed("authorizeByBuyer")
    {
        (PaymentTerms memory t,) = _newTerms(buyerSeed, merchantSeed, amount, timing);
        vm.startPrank(t.buyer);
        token.approve(address(escrow), t.amount);
        bool ok;
        bytes32 id;
        if (chargeAll) {
            try escrow.charge(t, FundingMethod.Allowance, "") returns (bytes32 id_) {
                (ok, id) = (true, id_);
            } catch {}
        } else {
            try escrow.authorize(t, FundingMethod.Allowance, "") returns (bytes32 id_) {
                (ok, id) = (true, id_);
            } catch {}
        }
        vm.stopPrank();
        _expect(ok != escrow.paused(), ok ? "authorize succeeded while paused" : "authorizeByBuyer failed");
        if (ok) _addPayment(t, id);
    }

    // ================================================================ actions: lifecycle

    function capture(uint256 seed, uint256 amount) external observed("capture") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        bool must = (s.status == PaymentStatus.Authorized || s.status == PaymentStatus.Captured)
            && block.timestamp < t.authorizationExpiry && s.capturable > 0 && !escrow.paused();
        amount = s.capturable > 0 ? bound(amount, 1, s.capturable) : bound(amount, 1, t.amount);
        vm.prank(actors.operator);
        try escrow.capture(t, amount) {
            _expect(must, "capture succeeded against the rules");
        } catch {
            _expect(!must, "capture failed");
        }
    }

    function voidPayment(uint256 seed) external observed("void") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        bool must = _isOpen(s.status) && s.capturable > 0;
        vm.prank(actors.operator);
        try escrow.void(t) {
            _expect(must, "void succeeded against the rules");
        } catch {
            _expect(!must, "void failed");
        }
    }

    /// @notice Past the authorization expiry (warping there if needed), the buyer or the operator reclaims,
    /// possibly with the escrow paused for the call. It must succeed whenever something is capturable.
    function reclaim(uint256 seed, uint256 lateBy, bool byOperator, uint8 pauseSeed) external observed("reclaim") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        uint256 at = uint256(t.authorizationExpiry) + bound(lateBy, 0, 2 days);
        if (block.timestamp < at) vm.warp(at);
        bool pausedHere = pauseSeed % 3 == 0 && !escrow.paused();
        if (pausedHere) {
            vm.prank(actors.pauser);
            escrow.pause();
        }
        bool must = _isOpen(s.status) && s.capturable > 0;
        if (must && escrow.paused()) ghostReclaimsWhilePaused++;
        vm.prank(byOperator ? actors.operator : t.buyer);
        try escrow.reclaim(t) {
            _expect(must, "reclaim succeeded against the rules");
        } catch {
            if (must) ghostFailedReclaims++;
        }
        if (pausedHere) {
            vm.prank(actors.pauser);
            escrow.unpause();
        }
    }

    /// @notice Anyone releases after the confirmation window (warping to its end when `wait`).
    function release(uint256 seed, bool wait) external observed("release") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        uint256 releasableAt = uint256(s.heldSince) + t.confirmationWindow;
        if (wait && block.timestamp < releasableAt) vm.warp(releasableAt);
        bool must = s.status == PaymentStatus.Captured && s.held > 0 && block.timestamp >= releasableAt;
        try escrow.release(t) {
            _expect(must, "release succeeded against the rules");
        } catch {
            _expect(!must, "release failed");
        }
    }

    function confirmReceipt(uint256 seed) external observed("confirmReceipt") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        bool must = s.status == PaymentStatus.Captured && s.held > 0;
        vm.prank(t.buyer);
        try escrow.confirmReceipt(t, 0, "") {
            _expect(must, "confirmReceipt succeeded against the rules");
        } catch {
            _expect(!must, "confirmReceipt failed");
        }
    }

    function refund(uint256 seed, uint256 amount) external observed("refund") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        uint256 refundable = uint256(s.held) + s.released - s.refundedAfterRelease;
        amount = bound(amount, 1, refundable > 0 ? refundable : 1);
        uint256 fromMerchant = amount > s.held ? amount - s.held : 0;
        bool must = (s.status == PaymentStatus.Captured || s.status == PaymentStatus.Released)
            && block.timestamp < t.refundExpiry && amount <= refundable
            && fromMerchant <= escrow.balanceOf(t.token, t.merchant);
        vm.prank(actors.operator);
        try escrow.refund(t, amount) {
            _expect(must, "refund succeeded against the rules");
        } catch {
            _expect(!must, "refund failed");
        }
    }

    function openDispute(uint256 seed, bytes32 reason) external observed("openDispute") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        bool must = s.status == PaymentStatus.Captured && s.held > 0 && !s.disputeUsed
            && block.timestamp < uint256(s.heldSince) + t.confirmationWindow;
        vm.prank(t.buyer);
        try escrow.openDispute(t, reason, "") {
            _expect(must, "openDispute succeeded against the rules");
        } catch {
            _expect(!must, "openDispute failed");
        }
    }

    function resolveDispute(uint256 seed, uint256 buyerAmount) external observed("resolveDispute") {
        if (ids.length == 0) return;
        (PaymentTerms memory t,, PaymentState memory s) = _pick(seed);
        buyerAmount = bound(buyerAmount, 0, s.held);
        bool must = s.status == PaymentStatus.Disputed;
        vm.prank(actors.arbiter);
        try escrow.resolveDispute(t, buyerAmount) {
            _expect(must, "resolveDispute succeeded against the rules");
        } catch {
            _expect(!must, "resolveDispute failed");
        }
    }

    // ================================================================ actions: settlement and operations

    function payout(uint256 accountSeed, bool byOperator) external observed("payout") {
        address account = accounts[accountSeed % accounts.length];
        bool must = escrow.balanceOf(address(token), account) > 0;
        vm.prank(byOperator ? actors.operator : account);
        try escrow.payout(address(token), account) {
            _expect(must, "payout succeeded with nothing to pay");
        } catch {
            _expect(!must, "payout failed");
        }
    }

    function togglePause() external observed("togglePause") {
        vm.startPrank(actors.pauser);
        if (escrow.paused()) escrow.unpause();
        else escrow.pause();
        vm.stopPrank();
    }

    function warp(uint256 secondsAhead) external observed("warp") {
        vm.warp(block.timestamp + bound(secondsAhead, 1, 4 days));
    }

    // ================================================================ internals

    function _newTerms(uint256 buyerSeed, uint256 merchantSeed, uint256 amount, uint256 timing)
        private
        returns (PaymentTerms memory t, uint256 key)
    {
        uint256 b = buyerSeed % actors.buyers.length;
        uint256 m = merchantSeed % actors.merchants.length;
        key = actors.buyerKeys[b];
        // Small amounts half the time, so rounding of fees is exercised.
        amount = timing % 2 == 0 ? bound(amount, 1, 1_000) : bound(amount, 1, MAX_AMOUNT);
        uint48 nowTime = uint48(block.timestamp);
        uint48 authorizationExpiry = nowTime + uint48(bound(timing >> 8, 1 hours, 7 days));
        t = PaymentTerms({
            merchant: actors.merchants[m],
            buyer: actors.buyers[b],
            token: address(token),
            amount: amount,
            preApprovalExpiry: nowTime + 1 hours,
            authorizationExpiry: authorizationExpiry,
            refundExpiry: authorizationExpiry + uint48((timing >> 64) % 30 days),
            confirmationWindow: uint32(1 hours + (timing >> 128) % 3 days),
            kycTier: uint8(KycTier.Institutional),
            feeBps: actors.feeBps[m],
            partner: actors.partners[m],
            partnerShareBps: actors.partnerShareBps[m],
            orderRef: keccak256(abi.encode("order", ids.length, block.timestamp))
        });
    }

    function _addPayment(PaymentTerms memory t, bytes32 id) private {
        _payments.push(t);
        ids.push(id);
        _track(t.merchant);
        if (t.partner != address(0)) _track(t.partner);
    }

    function _track(address account) private {
        if (!_isAccount[account]) {
            _isAccount[account] = true;
            accounts.push(account);
        }
    }

    function _pick(uint256 seed)
        private
        view
        returns (PaymentTerms memory t, bytes32 id, PaymentState memory s)
    {
        uint256 i = seed % ids.length;
        (t, id) = (_payments[i], ids[i]);
        s = escrow.paymentState(id);
    }

    function _isOpen(PaymentStatus status) private pure returns (bool) {
        return status == PaymentStatus.Authorized || status == PaymentStatus.Captured
            || status == PaymentStatus.Disputed;
    }

    function _expect(bool condition, string memory what) private {
        if (!condition) {
            ghostUnexpected++;
            lastUnexpected = what;
        }
    }

    /// @dev Folds the action's events into the ghosts and checks every payment's terminal status.
    function _afterAction() private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(escrow)) continue;
            bytes32 topic = log.topics[0];
            if (topic == IPaymentEscrow.PaymentReleased.selector) {
                (uint256 gross, uint256 fee, uint256 partnerFee, uint256 net) =
                    abi.decode(log.data, (uint256, uint256, uint256, uint256));
                if (fee + net != gross || partnerFee > fee) ghostBadReleases++;
                ghostGross += gross;
                ghostFee += fee;
                ghostNet += net;
                ghostPartnerFee += partnerFee;
            } else if (topic == IPaymentEscrow.PaymentAuthorized.selector) {
                (, uint256 amount,,) = abi.decode(log.data, (address, uint256, bytes32, FundingMethod));
                ghostIn += amount;
            } else if (topic == IPaymentEscrow.PaymentVoided.selector || topic == IPaymentEscrow.PaymentReclaimed.selector) {
                ghostOut += abi.decode(log.data, (uint256));
            } else if (topic == IPaymentEscrow.PaymentRefunded.selector) {
                (uint256 amount,, uint256 fromMerchant) = abi.decode(log.data, (uint256, uint256, uint256));
                ghostOut += amount;
                ghostRefundedFromMerchants += fromMerchant;
            } else if (topic == IPaymentEscrow.PayoutSent.selector) {
                (, uint256 amount) = abi.decode(log.data, (address, uint256));
                ghostOut += amount;
                ghostPaidOut += amount;
            }
        }
        for (uint256 i; i < ids.length; ++i) {
            bytes32 id = ids[i];
            PaymentStatus status = escrow.paymentState(id).status;
            PaymentStatus terminal = ghostTerminal[id];
            if (terminal != PaymentStatus.None) {
                if (status != terminal) ghostTerminalViolations++;
            } else if (status == PaymentStatus.Voided || status == PaymentStatus.Refunded) {
                ghostTerminal[id] = status;
                ghostTerminalEntries[id]++;
            }
        }
    }
}

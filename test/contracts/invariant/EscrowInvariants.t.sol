// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {PaymentState, PaymentStatus} from "../../../contracts/interfaces/IPaymentEscrow.sol";
import {EscrowDeployment} from "../utils/EscrowDeployment.sol";
import {Actors, EscrowHandler} from "./EscrowHandler.t.sol";

/// @notice System invariants of the escrow under random lifecycles of many payments (see {EscrowHandler}).
/// @dev To run this file alone, name the handler's file too (EDR needs its artifact, built only for root files):
/// `npx hardhat test solidity test/contracts/invariant/EscrowInvariants.t.sol test/contracts/invariant/EscrowHandler.t.sol`.
contract EscrowInvariantTest is Test, EscrowDeployment {
    EscrowHandler private handler;

    function setUp() public {
        vm.warp(1_750_000_000);
        _deploySystem(3);

        address[] memory merchants = new address[](2);
        (merchants[0], merchants[1]) = (merchant, merchant2);
        uint16[] memory fees = new uint16[](2);
        (fees[0], fees[1]) = (MERCHANT_FEE_BPS, MERCHANT2_FEE_BPS);
        address[] memory partners = new address[](2);
        partners[0] = partner;
        uint16[] memory shares = new uint16[](2);
        shares[0] = PARTNER_SHARE_BPS;
        handler = new EscrowHandler(
            escrow,
            token,
            Actors({
                operator: operator,
                arbiter: arbiter,
                pauser: pauser,
                buyers: buyers,
                buyerKeys: buyerKeys,
                merchants: merchants,
                feeBps: fees,
                partners: partners,
                partnerShareBps: shares
            })
        );

        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = EscrowHandler.authorizeSigned.selector;
        selectors[1] = EscrowHandler.authorizeByBuyer.selector;
        selectors[2] = EscrowHandler.capture.selector;
        selectors[3] = EscrowHandler.voidPayment.selector;
        selectors[4] = EscrowHandler.reclaim.selector;
        selectors[5] = EscrowHandler.release.selector;
        selectors[6] = EscrowHandler.confirmReceipt.selector;
        selectors[7] = EscrowHandler.refund.selector;
        selectors[8] = EscrowHandler.openDispute.selector;
        selectors[9] = EscrowHandler.resolveDispute.selector;
        selectors[10] = EscrowHandler.payout.selector;
        selectors[11] = EscrowHandler.togglePause.selector;
        selectors[12] = EscrowHandler.warp.selector;
        // Authorizations weigh double, so sequences have payments to work on.
        selectors[13] = EscrowHandler.authorizeSigned.selector;
        targetContract(address(handler));
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// (1) For the token, the escrow holds exactly the capturable and held amounts of all payments plus every
    /// account's claimable balance.
    function invariant_EscrowBalanceEqualsCapturablePlusHeldPlusBalances() public view {
        uint256 owed;
        uint256 n = handler.paymentCount();
        for (uint256 i; i < n; ++i) {
            PaymentState memory s = escrow.paymentState(handler.ids(i));
            owed += uint256(s.capturable) + s.held;
        }
        uint256 m = handler.accountCount();
        for (uint256 i; i < m; ++i) {
            owed += escrow.balanceOf(address(token), handler.accounts(i));
        }
        assertEq(token.balanceOf(address(escrow)), owed);
    }

    /// (1b) The same balance follows from the token flows the escrow reported.
    function invariant_EscrowBalanceEqualsReportedInflowsMinusOutflows() public view {
        assertEq(token.balanceOf(address(escrow)), handler.ghostIn() - handler.ghostOut());
    }

    /// (2) Every release splits its gross into fee and net; balances are exactly what releases credited minus
    /// refunds taken from merchants and payouts; payments' released totals match the releases.
    function invariant_EveryReleaseSplitsGrossIntoFeeAndNet() public view {
        assertEq(handler.ghostBadReleases(), 0, "a release with fee + net != gross");
        assertEq(handler.ghostFee() + handler.ghostNet(), handler.ghostGross());
        assertLe(handler.ghostPartnerFee(), handler.ghostFee());

        uint256 released;
        uint256 n = handler.paymentCount();
        for (uint256 i; i < n; ++i) {
            released += escrow.paymentState(handler.ids(i)).released;
        }
        assertEq(released, handler.ghostGross(), "released totals differ from the releases");

        uint256 balances;
        uint256 m = handler.accountCount();
        for (uint256 i; i < m; ++i) {
            balances += escrow.balanceOf(address(token), handler.accounts(i));
        }
        assertEq(balances, handler.ghostGross() - handler.ghostRefundedFromMerchants() - handler.ghostPaidOut());
    }

    /// (3) A payment reaches Voided or Refunded at most once and never leaves it; terminal payments hold nothing.
    function invariant_TerminalStatesAreFinal() public view {
        assertEq(handler.ghostTerminalViolations(), 0, "a payment left a terminal status");
        uint256 n = handler.paymentCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.ids(i);
            PaymentState memory s = escrow.paymentState(id);
            PaymentStatus terminal = handler.ghostTerminal(id);
            assertLe(handler.ghostTerminalEntries(id), 1);
            if (terminal == PaymentStatus.None) {
                assertTrue(s.status != PaymentStatus.Voided && s.status != PaymentStatus.Refunded);
            } else {
                assertEq(uint8(s.status), uint8(terminal));
                assertEq(s.capturable, 0);
                assertEq(s.held, 0);
                assertEq(s.released, s.refundedAfterRelease);
            }
        }
    }

    /// (4) After the authorization expiry a buyer can always reclaim what is capturable, even while paused.
    function invariant_ExpiredAuthorizationsCanAlwaysBeReclaimed() public view {
        assertEq(handler.ghostFailedReclaims(), 0);
    }

    /// Every call the state said must succeed did, and every call it said must fail did.
    function invariant_EveryCallBehavedAsTheStatePredicted() public view {
        assertEq(handler.ghostUnexpected(), 0, handler.lastUnexpected());
    }
}

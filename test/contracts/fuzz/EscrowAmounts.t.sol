// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";

import {
    FundingMethod,
    IPaymentEscrow,
    MerchantConfig,
    PaymentState,
    PaymentStatus,
    PaymentTerms
} from "../../../contracts/interfaces/IPaymentEscrow.sol";
import {EscrowDeployment, Signing} from "../utils/EscrowDeployment.sol";

/// @notice Amounts of authorizations, captures, refunds, releases and dispute splits stay within their bounds.
contract EscrowAmountsFuzzTest is Test, EscrowDeployment {
    address private buyer;
    uint256 private buyerKey;

    function setUp() public {
        vm.warp(1_750_000_000);
        _deploySystem(1);
        buyer = buyers[0];
        buyerKey = buyerKeys[0];
    }

    function _authorize(uint256 amount) private returns (PaymentTerms memory t, bytes32 id) {
        t = _terms(buyer, merchant, amount, keccak256(abi.encode(amount, block.timestamp)));
        bytes memory funding = Signing.fundErc3009(buyerKey, token, escrow, t);
        vm.prank(operator);
        id = escrow.authorize(t, FundingMethod.Erc3009, funding);
    }

    function _state(bytes32 id) private view returns (PaymentState memory) {
        return escrow.paymentState(id);
    }

    function testFuzz_AuthorizeMovesExactlyTheAmountIntoEscrow(uint256 amount) public {
        amount = bound(amount, 1, PER_PAYMENT);
        uint256 buyerBefore = token.balanceOf(buyer);
        (, bytes32 id) = _authorize(amount);
        assertEq(token.balanceOf(address(escrow)), amount);
        assertEq(token.balanceOf(buyer), buyerBefore - amount);
        assertEq(_state(id).capturable, amount);
        assertEq(uint8(_state(id).status), uint8(PaymentStatus.Authorized));
    }

    function testFuzz_AuthorizeAbovePerPaymentLimitReverts(uint256 amount) public {
        amount = bound(amount, uint256(PER_PAYMENT) + 1, type(uint96).max);
        PaymentTerms memory t = _terms(buyer, merchant, amount, bytes32("over"));
        bytes memory funding = Signing.fundErc3009(buyerKey, token, escrow, t);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.EscrowPaymentLimitExceeded.selector, amount, PER_PAYMENT));
        vm.prank(operator);
        escrow.authorize(t, FundingMethod.Erc3009, funding);
    }

    function testFuzz_PartialCapturesNeverExceedTheAuthorization(uint256 amount, uint256 first, uint256 second)
        public
    {
        amount = bound(amount, 1, PER_PAYMENT);
        first = bound(first, 1, amount);
        second = bound(second, 1, type(uint96).max);
        (PaymentTerms memory t, bytes32 id) = _authorize(amount);

        vm.prank(operator);
        escrow.capture(t, first);
        uint256 left = amount - first;
        if (second > left) {
            vm.expectRevert(
                abi.encodeWithSelector(IPaymentEscrow.EscrowCaptureExceedsAuthorization.selector, id, left, second)
            );
        }
        vm.prank(operator);
        escrow.capture(t, second);

        PaymentState memory s = _state(id);
        uint256 captured = second > left ? first : first + second;
        assertEq(s.held, captured);
        assertEq(s.capturable, amount - captured);
        assertEq(uint256(s.held) + s.capturable, amount, "capturable + held is the authorization");
        assertEq(token.balanceOf(address(escrow)), amount);
    }

    function testFuzz_VoidReturnsExactlyWhatIsStillCapturable(uint256 amount, uint256 captured) public {
        amount = bound(amount, 1, PER_PAYMENT);
        captured = bound(captured, 0, amount - 1);
        (PaymentTerms memory t, bytes32 id) = _authorize(amount);
        if (captured > 0) {
            vm.prank(operator);
            escrow.capture(t, captured);
        }
        uint256 buyerBefore = token.balanceOf(buyer);
        vm.prank(operator);
        escrow.void(t);
        assertEq(token.balanceOf(buyer), buyerBefore + amount - captured);
        assertEq(_state(id).capturable, 0);
        assertEq(_state(id).held, captured);
        assertEq(token.balanceOf(address(escrow)), captured);
    }

    function testFuzz_ReclaimAfterExpiryReturnsWhatWasNeverCaptured(uint256 amount, uint256 captured, uint256 late)
        public
    {
        amount = bound(amount, 1, PER_PAYMENT);
        captured = bound(captured, 0, amount - 1);
        late = bound(late, 0, 365 days);
        (PaymentTerms memory t, bytes32 id) = _authorize(amount);
        if (captured > 0) {
            vm.prank(operator);
            escrow.capture(t, captured);
        }
        vm.warp(t.authorizationExpiry + late);
        uint256 buyerBefore = token.balanceOf(buyer);
        vm.prank(buyer);
        escrow.reclaim(t);
        assertEq(token.balanceOf(buyer), buyerBefore + amount - captured);
        assertEq(_state(id).capturable, 0);
    }

    function testFuzz_ReleaseSplitsGrossIntoFeeAndNet(uint256 amount, uint16 feeBps, uint16 shareBps, bool withPartner)
        public
    {
        amount = bound(amount, 1, PER_PAYMENT);
        feeBps = uint16(bound(feeBps, 0, escrow.MAX_FEE_BPS()));
        shareBps = withPartner ? uint16(bound(shareBps, 0, 10_000)) : 0;
        address p = withPartner ? partner : address(0);
        vm.prank(admin);
        escrow.setMerchant(
            merchant,
            MerchantConfig({settlementAddress: settlement, feeBps: feeBps, partnerShareBps: shareBps, active: true, partner: p})
        );
        PaymentTerms memory t = _terms(buyer, merchant, amount, bytes32("fees"));
        (t.feeBps, t.partner, t.partnerShareBps) = (feeBps, p, shareBps);
        bytes memory funding = Signing.fundErc3009(buyerKey, token, escrow, t);
        vm.prank(operator);
        escrow.charge(t, FundingMethod.Erc3009, funding);

        vm.warp(block.timestamp + t.confirmationWindow);
        escrow.release(t);

        uint256 fee = amount * feeBps / 10_000;
        uint256 partnerFee = fee * shareBps / 10_000;
        assertEq(escrow.balanceOf(address(token), merchant), amount - fee, "net");
        assertEq(escrow.balanceOf(address(token), treasury), fee - partnerFee, "treasury");
        if (withPartner) assertEq(escrow.balanceOf(address(token), partner), partnerFee, "partner");
        assertEq(
            escrow.balanceOf(address(token), merchant) + escrow.balanceOf(address(token), treasury)
                + escrow.balanceOf(address(token), partner),
            amount,
            "fee + net == gross"
        );
    }

    function testFuzz_RefundsStayWithinWhatWasCaptured(uint256 amount, uint256 captured, uint256 refunded, bool released)
        public
    {
        amount = bound(amount, 1, PER_PAYMENT);
        captured = bound(captured, 1, amount);
        refunded = bound(refunded, 1, type(uint96).max);
        (PaymentTerms memory t, bytes32 id) = _authorize(amount);
        vm.prank(operator);
        escrow.capture(t, captured);
        if (released) {
            vm.warp(block.timestamp + t.confirmationWindow);
            escrow.release(t);
        }
        uint256 buyerBefore = token.balanceOf(buyer);
        // The merchant bears the fee: refunding the whole release needs more than its net balance.
        uint256 merchantBalance = escrow.balanceOf(address(token), merchant);
        bool fits = refunded <= captured && (!released || refunded <= merchantBalance);
        if (refunded > captured) {
            vm.expectRevert(
                abi.encodeWithSelector(IPaymentEscrow.EscrowRefundExceedsCaptured.selector, id, captured, refunded)
            );
        } else if (!fits) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IPaymentEscrow.EscrowInsufficientMerchantBalance.selector, merchant, merchantBalance, refunded
                )
            );
        }
        vm.prank(operator);
        escrow.refund(t, refunded);

        uint256 got = fits ? refunded : 0;
        assertEq(token.balanceOf(buyer), buyerBefore + got);
        PaymentState memory s = _state(id);
        assertEq(uint256(s.held) + s.released - s.refundedAfterRelease + got, captured, "captured is conserved");
    }

    function testFuzz_DisputeSplitPaysBuyerAndReleasesTheRestNetOfFees(uint256 amount, uint256 buyerPart) public {
        amount = bound(amount, 1, PER_PAYMENT);
        buyerPart = bound(buyerPart, 0, type(uint96).max);
        (PaymentTerms memory t, bytes32 id) = _authorize(amount);
        vm.prank(operator);
        escrow.capture(t, amount);
        vm.prank(buyer);
        escrow.openDispute(t, bytes32("not delivered"), "");

        uint256 buyerBefore = token.balanceOf(buyer);
        if (buyerPart > amount) {
            vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.EscrowSplitExceedsHeld.selector, id, amount, buyerPart));
            vm.prank(arbiter);
            escrow.resolveDispute(t, buyerPart);
            return;
        }
        vm.prank(arbiter);
        escrow.resolveDispute(t, buyerPart);

        uint256 merchantPart = amount - buyerPart;
        uint256 fee = merchantPart * MERCHANT_FEE_BPS / 10_000;
        assertEq(token.balanceOf(buyer), buyerBefore + buyerPart);
        assertEq(escrow.balanceOf(address(token), merchant), merchantPart - fee);
        assertEq(
            escrow.balanceOf(address(token), treasury) + escrow.balanceOf(address(token), partner), fee, "fees"
        );
        assertEq(_state(id).held, 0);
        PaymentStatus expected = merchantPart > 0 ? PaymentStatus.Released : PaymentStatus.Refunded;
        assertEq(uint8(_state(id).status), uint8(expected));
    }
}

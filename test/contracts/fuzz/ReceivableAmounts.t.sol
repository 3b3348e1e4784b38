// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";

import {
    FinanceOffer, IReceivableRegistry, Receivable, ReceivableState, RepaymentSource
} from "../../../contracts/interfaces/IReceivableRegistry.sol";
import {ReceivableDeployment} from "../utils/ReceivableDeployment.sol";

/// @notice Amount properties of the receivable registry over random face values, splits, rates and repayments.
contract ReceivableAmountsFuzzTest is Test, ReceivableDeployment {
    uint256 private constant MAX_FACE = 1e12 * 1e6;

    function setUp() public {
        vm.warp(1_750_000_000);
        _deployRegistry();
    }

    function testFuzz_split_partsSumToTheFaceValueAndTraceToTheInvoice(uint256 face, uint256 count, uint256 seed)
        public
    {
        count = bound(count, 2, registry.MAX_PARTS_PER_SPLIT());
        face = bound(face, count, MAX_FACE);
        uint256 id = _issueAccepted(face, 90 days, bytes32(seed));
        uint256[] memory faces = _parts(face, count, seed);
        address[] memory to = new address[](count);
        for (uint256 i; i < count; ++i) {
            to[i] = i % 2 == 0 ? supplier : tier2;
        }
        vm.prank(supplier);
        uint256[] memory ids = registry.split(id, faces, to, _self());
        uint256 sum;
        for (uint256 i; i < count; ++i) {
            Receivable memory r = registry.receivableOf(ids[i]);
            sum += r.faceValue;
            assertEq(r.parent, id);
            assertEq(r.root, id);
            assertEq(r.holder, to[i]);
        }
        assertEq(sum, face);
        (uint256 principal,) = registry.amountDue(id);
        assertEq(principal, face);
    }

    function testFuzz_split_revertsUnlessThePartsSumExactly(uint256 face, uint256 a, uint256 b) public {
        face = bound(face, 2, MAX_FACE);
        a = bound(a, 1, face);
        b = bound(b, 1, face);
        vm.assume(a + b != face);
        uint256 id = _issueAccepted(face, 90 days, bytes32(face));
        uint256[] memory faces = new uint256[](2);
        (faces[0], faces[1]) = (a, b);
        address[] memory to = new address[](2);
        (to[0], to[1]) = (supplier, tier2);
        vm.prank(supplier);
        vm.expectRevert(abi.encodeWithSelector(IReceivableRegistry.ReceivablePartsMismatch.selector, face, a + b));
        registry.split(id, faces, to, _self());
    }

    function testFuzz_finance_paysTheFormulaAndFeePlusProceedsIsThePrice(
        uint256 face,
        uint16 rate,
        uint256 secondsToMaturity,
        uint256 seed
    ) public {
        face = bound(face, 1e6, MAX_FACE);
        rate = uint16(bound(rate, 1, 3_000));
        secondsToMaturity = bound(secondsToMaturity, 1, 365 days);
        uint256 id = _issueAccepted(face, secondsToMaturity, bytes32(face ^ secondsToMaturity));
        uint256 days_ = (secondsToMaturity + 1 days - 1) / 1 days;
        uint256 discount = (face * rate * days_ + 3_650_000 - 1) / 3_650_000;
        uint256 price = face - discount;
        uint256 fee = (price * PLATFORM_FEE_BPS + 9_999) / 10_000;
        uint256 supplierBefore = token.balanceOf(supplier);
        uint256 financierBefore = token.balanceOf(financier);
        uint256 treasuryBefore = token.balanceOf(treasury);
        FinanceOffer memory offer = FinanceOffer({
            receivableId: id,
            financier: financier,
            annualRateBps: rate,
            maxPrice: type(uint256).max,
            expiry: block.timestamp,
            nonce: bytes32(seed)
        });
        // the holder sends it, carrying the financier's signed offer
        bytes memory financierSig = _signOffer(FINANCIER_KEY, offer);
        vm.prank(supplier);
        (uint256 paid, uint256 platformFee) = registry.finance(offer, financierSig, price - fee, _self());
        assertEq(paid, price);
        assertEq(platformFee, fee);
        assertEq(token.balanceOf(supplier) - supplierBefore, price - fee);
        assertEq(financierBefore - token.balanceOf(financier), price);
        assertEq(token.balanceOf(treasury) - treasuryBefore, fee);
        assertEq(registry.ownerOf(id), financier);
        assertTrue(registry.receivableOf(id).financed);
    }

    function testFuzz_repay_inAnyInstalmentsPaysExactlyTheFaceValueAcrossHolders(
        uint256 face,
        uint256 count,
        uint256 seed,
        uint256[4] memory instalments
    ) public {
        count = bound(count, 2, registry.MAX_PARTS_PER_SPLIT());
        face = bound(face, count, MAX_FACE);
        uint256 id = _issueAccepted(face, 90 days, bytes32(seed));
        address[] memory to = new address[](count);
        for (uint256 i; i < count; ++i) {
            to[i] = i % 3 == 0 ? supplier : (i % 3 == 1 ? tier2 : tier3);
        }
        vm.prank(supplier);
        registry.split(id, _parts(face, count, seed), to, _self());
        uint256 received = token.balanceOf(supplier) + token.balanceOf(tier2) + token.balanceOf(tier3);
        uint256 debtorBefore = token.balanceOf(debtor);
        for (uint256 i; i < instalments.length; ++i) {
            (uint256 due,) = registry.amountDue(id);
            if (due == 0) break;
            uint256 amount = i == instalments.length - 1 ? due : bound(instalments[i], 1, due);
            vm.prank(debtor);
            assertEq(registry.repay(id, amount, RepaymentSource.Wallet, _self()), amount);
        }
        received = token.balanceOf(supplier) + token.balanceOf(tier2) + token.balanceOf(tier3) - received;
        assertEq(received, face);
        assertEq(debtorBefore - token.balanceOf(debtor), face);
        assertEq(token.balanceOf(address(registry)), 0);
        uint256[] memory all = registry.invoiceParts(id);
        for (uint256 i = 1; i < all.length; ++i) {
            assertEq(uint8(registry.receivableOf(all[i]).state), uint8(ReceivableState.Repaid));
        }
    }
}

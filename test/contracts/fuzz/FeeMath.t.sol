// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";

import {FeeMath} from "../../../contracts/libraries/FeeMath.sol";

/// @notice Properties of fees computed on running totals (see {FeeMath}).
contract FeeMathFuzzTest is Test {
    uint256 private constant MAX_AMOUNT = type(uint96).max;
    uint256 private constant MAX_FEE_BPS = 1_000;

    function _fee(uint256 before, uint256 amount, uint256 bps) private pure returns (uint256) {
        return FeeMath.incrementalShareDown(before, amount, bps);
    }

    function testFuzz_FeeOfWholeAmountIsFloorOfAmountTimesBps(uint256 amount, uint256 bps) public pure {
        amount = bound(amount, 0, MAX_AMOUNT);
        bps = bound(bps, 0, FeeMath.BPS);
        assertEq(_fee(0, amount, bps), amount * bps / FeeMath.BPS);
    }

    function testFuzz_FeePlusNetEqualsGrossForAnyRunningTotal(uint256 before, uint256 gross, uint256 bps)
        public
        pure
    {
        before = bound(before, 0, MAX_AMOUNT);
        gross = bound(gross, 0, MAX_AMOUNT - before);
        bps = bound(bps, 0, FeeMath.BPS);
        uint256 fee = _fee(before, gross, bps);
        // The fee never exceeds the amount it is taken from, so the net never underflows ...
        assertLe(fee, gross, "fee exceeds gross");
        uint256 net = gross - fee;
        // ... and the parts add up to the whole.
        assertEq(fee + net, gross);
        // At the platform's highest configured fee, the fee is at most 10% rounded up by one minor unit.
        if (bps <= MAX_FEE_BPS) assertLe(fee, gross / 10 + 1);
    }

    /// @dev Splits `amount` into `k` parts at pseudo-random cut points derived from `seed`.
    function _split(uint256 amount, uint256 k, uint256 seed) private pure returns (uint256[] memory parts) {
        parts = new uint256[](k);
        uint256 left = amount;
        for (uint256 i; i + 1 < k; ++i) {
            uint256 part = left == 0 ? 0 : uint256(keccak256(abi.encode(seed, i))) % (left + 1);
            parts[i] = part;
            left -= part;
        }
        parts[k - 1] = left;
    }

    function testFuzz_SplittingAnAmountInKPartsGivesTheSameTotalFee(
        uint256 amount,
        uint256 bps,
        uint256 k,
        uint256 seed
    ) public pure {
        amount = bound(amount, 0, MAX_AMOUNT);
        bps = bound(bps, 0, FeeMath.BPS);
        k = bound(k, 1, 24);
        uint256[] memory parts = _split(amount, k, seed);

        uint256 released;
        uint256 totalFee;
        for (uint256 i; i < k; ++i) {
            uint256 fee = _fee(released, parts[i], bps);
            assertLe(fee, parts[i], "a part's fee exceeds the part");
            totalFee += fee;
            released += parts[i];
        }
        assertEq(released, amount);
        assertEq(totalFee, _fee(0, amount, bps), "split fees differ from the fee of the whole");
    }

    /// @dev The escrow derives the partner's share from the running fee total in the same way, so the partner's
    /// total is also independent of the split.
    function testFuzz_PartnerShareOfSplitFeesEqualsShareOfTotalFee(
        uint256 amount,
        uint256 bps,
        uint256 share,
        uint256 k,
        uint256 seed
    ) public pure {
        amount = bound(amount, 0, MAX_AMOUNT);
        bps = bound(bps, 0, MAX_FEE_BPS);
        share = bound(share, 0, FeeMath.BPS);
        k = bound(k, 1, 24);
        uint256[] memory parts = _split(amount, k, seed);

        uint256 released;
        uint256 totalPartnerFee;
        for (uint256 i; i < k; ++i) {
            uint256 fee = _fee(released, parts[i], bps);
            uint256 partnerFee = _fee(released * bps / FeeMath.BPS, fee, share);
            assertLe(partnerFee, fee, "partner fee exceeds the fee");
            totalPartnerFee += partnerFee;
            released += parts[i];
        }
        uint256 wholeFee = _fee(0, amount, bps);
        assertEq(totalPartnerFee, wholeFee * share / FeeMath.BPS);
    }

    function testFuzz_FeeIsMonotoneInTheRunningTotal(uint256 a, uint256 b, uint256 bps) public pure {
        a = bound(a, 0, MAX_AMOUNT);
        b = bound(b, a, MAX_AMOUNT);
        bps = bound(bps, 0, FeeMath.BPS);
        assertLe(_fee(0, a, bps), _fee(0, b, bps));
    }
}

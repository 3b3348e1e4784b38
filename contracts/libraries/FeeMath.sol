// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title FeeMath
/// @notice Fees are computed on running totals, never per part: the fee of a release is
/// `floor((before + amount) * bps / 10_000) - floor(before * bps / 10_000)`, so however a payment is split
/// into captures and releases, the fees add up to exactly the fee of the whole. Rounding is down, in the
/// payee's favour, once, on the total.
library FeeMath {
    uint256 internal constant BPS = 10_000;

    /// @notice The part of `floor(total * bps / BPS)` that `amount` adds on top of `before`.
    function incrementalShareDown(uint256 before, uint256 amount, uint256 bps) internal pure returns (uint256) {
        return (before + amount) * bps / BPS - before * bps / BPS;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";

import {RollingVolume, VolumeBuckets} from "../../../contracts/libraries/RollingVolume.sol";

/// @dev Exposes the library on one set of buckets.
contract RollingVolumeHarness {
    using RollingVolume for VolumeBuckets;

    VolumeBuckets private _buckets;

    function add(uint256 nowTime, uint96 amount) external returns (uint256) {
        return _buckets.add(nowTime, amount);
    }

    function current(uint256 nowTime) external view returns (uint256) {
        return _buckets.current(nowTime);
    }
}

/// @notice The rolling window never counts less than the last 24 hours and forgets a payment after 32 hours.
contract RollingVolumeFuzzTest is Test {
    uint256 private constant BUCKET = 8 hours;
    uint256 private constant START = 1_750_000_000; // mid-2025
    uint256 private constant MAX_STEPS = 24;

    RollingVolumeHarness private harness;

    // The reference model: every addition with its time.
    uint256[] private times;
    uint256[] private amounts;

    function setUp() public {
        harness = new RollingVolumeHarness();
    }

    function _sumSince(uint256 fromTime, uint256 toTime) private view returns (uint256 sum) {
        for (uint256 i; i < times.length; ++i) {
            if (times[i] > fromTime && times[i] <= toTime) sum += amounts[i];
        }
    }

    function _sumLiveAt(uint256 t) private view returns (uint256 sum) {
        uint256 epoch = t / BUCKET;
        for (uint256 i; i < times.length; ++i) {
            if (times[i] / BUCKET + 3 >= epoch && times[i] <= t) sum += amounts[i];
        }
    }

    /// @dev Random additions at non-decreasing times, each gap up to two days.
    function _play(uint256 seed, uint256 steps) private returns (uint256 t) {
        t = START + seed % BUCKET;
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // Mostly short gaps, sometimes long ones, so buckets are both reused and overwritten.
            uint256 gap = r % 4 == 0 ? (r >> 8) % 2 days : (r >> 8) % 3 hours;
            t += gap;
            uint96 amount = uint96((r >> 128) % 1e15);
            uint256 expected = _sumLiveAt(t) + amount;
            times.push(t);
            amounts.push(amount);
            assertEq(harness.add(t, amount), expected, "add returns the window including the addition");
        }
    }

    function testFuzz_NeverCountsLessThanTheLast24Hours(uint256 seed, uint256 steps, uint256 lookAhead) public {
        steps = bound(steps, 1, MAX_STEPS);
        lookAhead = bound(lookAhead, 0, 3 days);
        uint256 t = _play(seed, steps) + lookAhead;
        uint256 counted = harness.current(t);
        assertGe(counted, _sumSince(t - 24 hours, t), "less than the last 24 hours");
        assertLe(counted, _sumSince(t - 32 hours, t), "more than the last 32 hours");
    }

    function testFuzz_CountsExactlyTheCurrentAndThreePreviousBuckets(uint256 seed, uint256 steps, uint256 lookAhead)
        public
    {
        steps = bound(steps, 1, MAX_STEPS);
        lookAhead = bound(lookAhead, 0, 3 days);
        uint256 t = _play(seed, steps) + lookAhead;
        assertEq(harness.current(t), _sumLiveAt(t));
    }

    function testFuzz_APaymentStillCountsFor24HoursAndIsDroppedAfter32Hours(
        uint256 t0,
        uint96 amount,
        uint256 within
    ) public {
        t0 = bound(t0, START, START + 365 days);
        amount = uint96(bound(amount, 1, type(uint96).max));
        within = bound(within, 0, 24 hours - 1);
        harness.add(t0, amount);
        assertEq(harness.current(t0 + within), amount, "dropped within 24 hours");
        assertEq(harness.current(t0 + 32 hours), 0, "still counted after 32 hours");
    }

    function testFuzz_AddingInTheSameBucketAccumulates(uint256 t0, uint96 a, uint96 b, uint256 later) public {
        t0 = bound(t0, START, START + 365 days);
        a = uint96(bound(a, 0, type(uint96).max / 2));
        b = uint96(bound(b, 0, type(uint96).max / 2));
        later = bound(later, t0, (t0 / BUCKET + 1) * BUCKET - 1);
        harness.add(t0, a);
        assertEq(harness.add(later, b), uint256(a) + b);
        assertEq(harness.current(later), uint256(a) + b);
    }
}

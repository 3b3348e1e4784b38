// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Four 8-hour buckets in a ring, two per storage slot.
struct VolumeBuckets {
    uint32 epoch0;
    uint96 amount0;
    uint32 epoch1;
    uint96 amount1;
    uint32 epoch2;
    uint96 amount2;
    uint32 epoch3;
    uint96 amount3;
}

/// @title RollingVolume
/// @notice A rolling 24-hour volume at 8-hour granularity. The volume counted at time t is everything in the
/// current bucket and the three before it, i.e. paid within the last 24 to 32 hours: the window never
/// counts less than the last 24 hours, so a daily limit is never exceeded over any 24 hours.
library RollingVolume {
    uint256 internal constant BUCKET_SECONDS = 8 hours;

    /// @notice The volume within the window at `nowTime`.
    function current(VolumeBuckets storage self, uint256 nowTime) internal view returns (uint256 volume) {
        uint256 epoch = nowTime / BUCKET_SECONDS;
        volume = _live(self.epoch0, self.amount0, epoch) + _live(self.epoch1, self.amount1, epoch)
            + _live(self.epoch2, self.amount2, epoch) + _live(self.epoch3, self.amount3, epoch);
    }

    /// @notice Adds `amount` to the bucket of `nowTime`, returning the window's volume including it.
    function add(VolumeBuckets storage self, uint256 nowTime, uint96 amount) internal returns (uint256 volume) {
        volume = current(self, nowTime) + amount;
        uint32 epoch = uint32(nowTime / BUCKET_SECONDS);
        uint256 slot = epoch % 4;
        if (slot == 0) (self.epoch0, self.amount0) = _bump(self.epoch0, self.amount0, epoch, amount);
        else if (slot == 1) (self.epoch1, self.amount1) = _bump(self.epoch1, self.amount1, epoch, amount);
        else if (slot == 2) (self.epoch2, self.amount2) = _bump(self.epoch2, self.amount2, epoch, amount);
        else (self.epoch3, self.amount3) = _bump(self.epoch3, self.amount3, epoch, amount);
    }

    function _live(uint32 bucketEpoch, uint96 amount, uint256 epoch) private pure returns (uint256) {
        // A bucket counts if it is the current one or one of the three before it.
        return bucketEpoch + 3 >= epoch ? amount : 0;
    }

    function _bump(uint32 bucketEpoch, uint96 amount, uint32 epoch, uint96 added)
        private
        pure
        returns (uint32, uint96)
    {
        return bucketEpoch == epoch ? (epoch, amount + added) : (epoch, added);
    }
}

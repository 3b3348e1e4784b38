// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantEscrowToken
/// @notice TEST DOUBLE. An ERC-20 that, once armed, calls back into a target (the escrow) from inside
/// `transfer` or `transferFrom`, before moving any balance, and records whether that reentry was blocked.
/// Mintable by anyone.
contract ReentrantEscrowToken is ERC20 {
    enum Hook {
        None,
        Transfer,
        TransferFrom
    }

    event ReentryAttempted(bool blocked, bytes returnData);

    address public reentryTarget;
    bytes public attackCall;
    /// The hook the next callback fires on; reset after one attempt, so the callback runs once.
    Hook public armedOn;
    uint256 public attempts;
    bool public lastReentryBlocked;
    bytes public lastReentryReturnData;

    constructor() ERC20("Reentrant Token", "REENT") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice On the next `on` call, `target.call(data)` runs before the balances move.
    function arm(address target_, Hook on, bytes calldata data) external {
        reentryTarget = target_;
        armedOn = on;
        attackCall = data;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        _reenter(Hook.Transfer);
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _reenter(Hook.TransferFrom);
        return super.transferFrom(from, to, value);
    }

    function _reenter(Hook hook) private {
        if (armedOn != hook) return;
        armedOn = Hook.None;
        ++attempts;
        (bool ok, bytes memory returnData) = reentryTarget.call(attackCall);
        lastReentryBlocked = !ok;
        lastReentryReturnData = returnData;
        emit ReentryAttempted(!ok, returnData);
    }
}

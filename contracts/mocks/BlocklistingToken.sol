// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BlocklistingToken
/// @notice TEST DOUBLE. Transfers to a blocklisted recipient revert. Anyone may mint and blocklist.
contract BlocklistingToken is ERC20 {
    error RecipientBlocked(address recipient);

    mapping(address => bool) public blocked;

    constructor() ERC20("Blocklisting Token", "BLOCK") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert RecipientBlocked(to);
        super._update(from, to, value);
    }
}

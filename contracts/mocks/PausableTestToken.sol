// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";

/// @title PausableTestToken
/// @notice TEST DOUBLE. An ERC-20 that anyone can pause and unpause, to stop transfers mid-flow.
/// Mintable by anyone.
contract PausableTestToken is ERC20Pausable {
    constructor() ERC20("Pausable Token", "PAUSE") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function pause() external {
        _pause();
    }

    function unpause() external {
        _unpause();
    }
}

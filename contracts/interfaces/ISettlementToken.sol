// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Settlement stablecoin of the network
/// @notice A 6-decimal fiat-backed token. Every mint and burn names the fiat reference (bank transfer,
/// reserve movement) behind it, so the customer reserve stays 1:1 and auditable from events alone.
/// Supports EIP-2612 permit and EIP-3009 signed transfers, a compliance blocklist and pause.
interface ISettlementToken is IERC20 {
    /// @notice `amount` was minted to `to` against the fiat deposit `fiatReference`.
    event Minted(address indexed issuer, address indexed to, uint256 amount, bytes32 indexed fiatReference);
    /// @notice `amount` was burned from the issuer's balance against the fiat redemption `fiatReference`.
    event Burned(address indexed issuer, uint256 amount, bytes32 indexed fiatReference);
    /// @notice `account` may no longer send, receive or be approved.
    event Blocklisted(address indexed account, bytes32 reason);
    /// @notice `account` may transact again.
    event Unblocklisted(address indexed account, bytes32 reason);
    /// @notice The EIP-3009 authorization `nonce` of `authorizer` was used.
    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);
    /// @notice The EIP-3009 authorization `nonce` of `authorizer` was cancelled before use.
    event AuthorizationCanceled(address indexed authorizer, bytes32 indexed nonce);

    /// @notice The account is blocklisted.
    error TokenAccountBlocklisted(address account);
    /// @notice A mint or burn of zero, or without a fiat reference.
    error TokenInvalidIssuance(uint256 amount, bytes32 fiatReference);
    /// @notice The authorization is not yet valid (`now <= validAfter`).
    error TokenAuthorizationNotYetValid(uint256 validAfter, uint256 nowTime);
    /// @notice The authorization has expired (`now >= validBefore`).
    error TokenAuthorizationExpired(uint256 validBefore, uint256 nowTime);
    /// @notice The authorization nonce was already used or cancelled.
    error TokenAuthorizationUsed(address authorizer, bytes32 nonce);
    /// @notice The signature does not come from the authorizer.
    error TokenInvalidSignature(address authorizer);
    /// @notice `receiveWithAuthorization` must be called by the payee.
    error TokenCallerNotPayee(address caller, address payee);

    /// @notice Mints `amount` to `to` against the fiat deposit `fiatReference`. Issuer role.
    function mint(address to, uint256 amount, bytes32 fiatReference) external;

    /// @notice Burns `amount` from the caller's (issuer's) balance against the fiat redemption `fiatReference`.
    function burn(uint256 amount, bytes32 fiatReference) external;

    /// @notice Total ever minted; `totalSupply() == totalMinted() - totalBurned()` always.
    function totalMinted() external view returns (uint256);

    /// @notice Total ever burned.
    function totalBurned() external view returns (uint256);

    /// @notice Blocklists `account`. Compliance role.
    function blocklist(address account, bytes32 reason) external;

    /// @notice Removes `account` from the blocklist. Compliance role.
    function unblocklist(address account, bytes32 reason) external;

    /// @notice Whether `account` is blocklisted.
    function isBlocklisted(address account) external view returns (bool);

    /// @notice Stops every transfer, mint and burn. Pauser role.
    function pause() external;

    /// @notice Resumes transfers. Pauser role.
    function unpause() external;

    /// @notice EIP-3009: whether the authorization `nonce` of `authorizer` was used or cancelled.
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool);

    /// @notice EIP-3009: executes a transfer signed by `from`; anyone may submit it.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;

    /// @notice EIP-3009: executes a transfer signed by `from`; only the payee `to` may submit it,
    /// which prevents front-running the payee's own call.
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;

    /// @notice EIP-3009: cancels an unused authorization.
    function cancelAuthorization(address authorizer, bytes32 nonce, bytes calldata signature) external;
}

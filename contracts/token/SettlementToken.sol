// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title SettlementToken
/// @notice See {ISettlementToken}.
contract SettlementToken is ISettlementToken, ERC20Permit, ERC20Pausable, AccessControlDefaultAdminRules {
    bytes32 public constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 public constant RECEIVE_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 public constant CANCEL_AUTHORIZATION_TYPEHASH =
        keccak256("CancelAuthorization(address authorizer,bytes32 nonce)");

    mapping(address account => bool) private _blocklisted;
    mapping(address authorizer => mapping(bytes32 nonce => bool)) private _authorizationUsed;
    uint256 private _totalMinted;
    uint256 private _totalBurned;

    constructor(string memory name_, string memory symbol_, address admin, uint48 adminTransferDelay)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
    {}

    /// @notice 6 decimals, like USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    // ---------------------------------------------------------------- issuance

    /// @inheritdoc ISettlementToken
    function mint(address to, uint256 amount, bytes32 fiatReference) external onlyRole(Roles.ISSUER) {
        if (amount == 0 || fiatReference == bytes32(0)) revert TokenInvalidIssuance(amount, fiatReference);
        _totalMinted += amount;
        _mint(to, amount);
        emit Minted(msg.sender, to, amount, fiatReference);
    }

    /// @inheritdoc ISettlementToken
    function burn(uint256 amount, bytes32 fiatReference) external onlyRole(Roles.ISSUER) {
        if (amount == 0 || fiatReference == bytes32(0)) revert TokenInvalidIssuance(amount, fiatReference);
        _totalBurned += amount;
        _burn(msg.sender, amount);
        emit Burned(msg.sender, amount, fiatReference);
    }

    /// @inheritdoc ISettlementToken
    function totalMinted() external view returns (uint256) {
        return _totalMinted;
    }

    /// @inheritdoc ISettlementToken
    function totalBurned() external view returns (uint256) {
        return _totalBurned;
    }

    // ---------------------------------------------------------------- compliance

    /// @inheritdoc ISettlementToken
    function blocklist(address account, bytes32 reason) external onlyRole(Roles.COMPLIANCE) {
        _blocklisted[account] = true;
        emit Blocklisted(account, reason);
    }

    /// @inheritdoc ISettlementToken
    function unblocklist(address account, bytes32 reason) external onlyRole(Roles.COMPLIANCE) {
        _blocklisted[account] = false;
        emit Unblocklisted(account, reason);
    }

    /// @inheritdoc ISettlementToken
    function isBlocklisted(address account) external view returns (bool) {
        return _blocklisted[account];
    }

    /// @inheritdoc ISettlementToken
    function pause() external onlyRole(Roles.PAUSER) {
        _pause();
    }

    /// @inheritdoc ISettlementToken
    function unpause() external onlyRole(Roles.PAUSER) {
        _unpause();
    }

    // ---------------------------------------------------------------- EIP-3009

    /// @inheritdoc ISettlementToken
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool) {
        return _authorizationUsed[authorizer][nonce];
    }

    /// @inheritdoc ISettlementToken
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        _useAuthorization(
            TRANSFER_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce, signature
        );
        _transfer(from, to, value);
    }

    /// @inheritdoc ISettlementToken
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        if (msg.sender != to) revert TokenCallerNotPayee(msg.sender, to);
        _useAuthorization(
            RECEIVE_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce, signature
        );
        _transfer(from, to, value);
    }

    /// @inheritdoc ISettlementToken
    function cancelAuthorization(address authorizer, bytes32 nonce, bytes calldata signature) external {
        if (_authorizationUsed[authorizer][nonce]) revert TokenAuthorizationUsed(authorizer, nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(CANCEL_AUTHORIZATION_TYPEHASH, authorizer, nonce)));
        if (!SignatureChecker.isValidSignatureNowCalldata(authorizer, digest, signature)) {
            revert TokenInvalidSignature(authorizer);
        }
        _authorizationUsed[authorizer][nonce] = true;
        emit AuthorizationCanceled(authorizer, nonce);
    }

    /// @dev Checks the validity window, the nonce and the signature (EOA or ERC-1271, low-s only), then
    /// marks the nonce used.
    function _useAuthorization(
        bytes32 typehash,
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) private {
        if (block.timestamp <= validAfter) revert TokenAuthorizationNotYetValid(validAfter, block.timestamp);
        if (block.timestamp >= validBefore) revert TokenAuthorizationExpired(validBefore, block.timestamp);
        if (_authorizationUsed[from][nonce]) revert TokenAuthorizationUsed(from, nonce);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(typehash, from, to, value, validAfter, validBefore, nonce)));
        if (!SignatureChecker.isValidSignatureNowCalldata(from, digest, signature)) {
            revert TokenInvalidSignature(from);
        }
        _authorizationUsed[from][nonce] = true;
        emit AuthorizationUsed(from, nonce);
    }

    // ---------------------------------------------------------------- hooks

    /// @dev Every balance movement passes here: the blocklist and pause apply to all of them.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        if (_blocklisted[from]) revert TokenAccountBlocklisted(from);
        if (_blocklisted[to]) revert TokenAccountBlocklisted(to);
        super._update(from, to, value);
    }

    /// @dev Blocklisted accounts can neither approve nor be approved.
    function _approve(address owner, address spender, uint256 value, bool emitEvent) internal override {
        if (_blocklisted[owner]) revert TokenAccountBlocklisted(owner);
        if (_blocklisted[spender]) revert TokenAccountBlocklisted(spender);
        super._approve(owner, spender, value, emitEvent);
    }

    /// @dev A blocklisted spender cannot use an allowance either (an unlimited one skips {_approve}).
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        if (_blocklisted[spender]) revert TokenAccountBlocklisted(spender);
        super._spendAllowance(owner, spender, value);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

import {IKycRegistry, KycRecord, KycTier} from "../interfaces/IKycRegistry.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title KycRegistry
/// @notice See {IKycRegistry}.
contract KycRegistry is IKycRegistry, AccessControlDefaultAdminRules {
    mapping(address account => KycRecord) private _records;
    mapping(bytes2 country => bool) private _blockedJurisdictions;

    constructor(address admin, uint48 adminTransferDelay) AccessControlDefaultAdminRules(adminTransferDelay, admin) {}

    // ---------------------------------------------------------------- compliance

    /// @inheritdoc IKycRegistry
    function setRecord(
        address account,
        KycTier tier,
        bytes2 country,
        uint40 expiresAt,
        bytes32 dossierHash,
        bytes32 reason
    ) external onlyRole(Roles.COMPLIANCE) {
        _setRecord(account, tier, country, expiresAt, dossierHash, reason);
    }

    /// @inheritdoc IKycRegistry
    function setRecords(
        address[] calldata accounts,
        KycTier[] calldata tiers,
        bytes2[] calldata countries,
        uint40[] calldata expiries,
        bytes32[] calldata dossierHashes,
        bytes32 reason
    ) external onlyRole(Roles.COMPLIANCE) {
        uint256 n = accounts.length;
        if (tiers.length != n || countries.length != n || expiries.length != n || dossierHashes.length != n) {
            revert KycLengthMismatch();
        }
        for (uint256 i; i < n; ++i) {
            _setRecord(accounts[i], tiers[i], countries[i], expiries[i], dossierHashes[i], reason);
        }
    }

    /// @inheritdoc IKycRegistry
    function revoke(address account, bytes32 reason) external onlyRole(Roles.COMPLIANCE) {
        KycRecord storage record = _records[account];
        if (record.tier == KycTier.None) revert KycTierTooLow(account, KycTier.None, KycTier.Basic);
        bool frozen = record.frozen;
        delete _records[account];
        record.frozen = frozen;
        emit KycRecordSet(account, KycTier.None, bytes2(0), 0, bytes32(0), reason);
    }

    /// @inheritdoc IKycRegistry
    function freeze(address account, bytes32 reason) external onlyRole(Roles.COMPLIANCE) {
        KycRecord storage record = _records[account];
        if (record.frozen) revert KycFreezeUnchanged(account, true);
        record.frozen = true;
        emit AccountFrozen(account, reason);
    }

    /// @inheritdoc IKycRegistry
    function unfreeze(address account, bytes32 reason) external onlyRole(Roles.COMPLIANCE) {
        KycRecord storage record = _records[account];
        if (!record.frozen) revert KycFreezeUnchanged(account, false);
        record.frozen = false;
        emit AccountUnfrozen(account, reason);
    }

    /// @inheritdoc IKycRegistry
    function setJurisdictionBlocked(bytes2 country, bool blocked, bytes32 reason) external onlyRole(Roles.COMPLIANCE) {
        _blockedJurisdictions[country] = blocked;
        emit JurisdictionBlockSet(country, blocked, reason);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IKycRegistry
    function recordOf(address account) external view returns (KycRecord memory) {
        return _records[account];
    }

    /// @inheritdoc IKycRegistry
    function isJurisdictionBlocked(bytes2 country) external view returns (bool) {
        return _blockedJurisdictions[country];
    }

    /// @inheritdoc IKycRegistry
    function isEligible(address account, KycTier required) external view returns (bool) {
        KycRecord storage record = _records[account];
        return record.tier >= required && record.tier != KycTier.None && !record.frozen
            && record.expiresAt > block.timestamp && !_blockedJurisdictions[record.country];
    }

    /// @inheritdoc IKycRegistry
    function requireEligible(address account, KycTier required) external view returns (KycTier) {
        return _requireEligible(account, required);
    }

    /// @inheritdoc IKycRegistry
    function requireAllEligible(address[] calldata accounts, KycTier required)
        external
        view
        returns (KycTier[] memory tiers)
    {
        tiers = new KycTier[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            tiers[i] = _requireEligible(accounts[i], required);
        }
    }

    /// @inheritdoc IKycRegistry
    function isFrozen(address account) external view returns (bool) {
        return _records[account].frozen;
    }

    /// @inheritdoc IKycRegistry
    function requireNotFrozen(address account) external view {
        if (_records[account].frozen) revert KycFrozen(account);
    }

    // ---------------------------------------------------------------- internals

    function _requireEligible(address account, KycTier required) private view returns (KycTier tier) {
        KycRecord storage record = _records[account];
        tier = record.tier;
        if (record.frozen) revert KycFrozen(account);
        if (tier < required || tier == KycTier.None) revert KycTierTooLow(account, tier, required);
        if (record.expiresAt <= block.timestamp) revert KycExpired(account, record.expiresAt);
        if (_blockedJurisdictions[record.country]) revert KycJurisdictionBlocked(account, record.country);
    }

    function _setRecord(
        address account,
        KycTier tier,
        bytes2 country,
        uint40 expiresAt,
        bytes32 dossierHash,
        bytes32 reason
    ) private {
        if (
            account == address(0) || tier == KycTier.None || country == bytes2(0) || expiresAt <= block.timestamp
                || dossierHash == bytes32(0)
        ) revert KycInvalidRecord(account);
        KycRecord storage record = _records[account];
        record.tier = tier;
        record.country = country;
        record.expiresAt = expiresAt;
        record.dossierHash = dossierHash;
        emit KycRecordSet(account, tier, country, expiresAt, dossierHash, reason);
    }
}

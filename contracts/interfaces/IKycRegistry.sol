// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice KYC tiers, lowest to highest. A check for tier T passes for any tier >= T.
enum KycTier {
    None,
    Basic,
    Enhanced,
    Institutional
}

/// @notice One account's KYC record. No personal data: only the hash of the off-chain dossier.
struct KycRecord {
    KycTier tier;
    /// ISO-3166-1 alpha-2 country code, e.g. "CN", "SG".
    bytes2 country;
    /// Unix time after which the record no longer counts.
    uint40 expiresAt;
    bool frozen;
    /// Hash of the off-chain KYC dossier held by the compliance officer.
    bytes32 dossierHash;
}

/// @title KYC registry
/// @notice Per-address KYC tier, jurisdiction, expiry, freeze flag and dossier hash, set by compliance
/// officers. Other contracts ask it whether an address may act at a given tier; every change is an event
/// with a reason code so auditors can rebuild the compliance log from the chain.
interface IKycRegistry {
    /// @notice The record of `account` was created or replaced.
    event KycRecordSet(
        address indexed account,
        KycTier tier,
        bytes2 country,
        uint40 expiresAt,
        bytes32 dossierHash,
        bytes32 indexed reason
    );
    /// @notice `account` was frozen: it can neither pay nor be paid out.
    event AccountFrozen(address indexed account, bytes32 indexed reason);
    /// @notice `account` was unfrozen.
    event AccountUnfrozen(address indexed account, bytes32 indexed reason);
    /// @notice Accounts of `country` are refused (`blocked`) or allowed again.
    event JurisdictionBlockSet(bytes2 indexed country, bool blocked, bytes32 indexed reason);

    /// @notice `account` has no KYC record or a tier below `required`.
    error KycTierTooLow(address account, KycTier tier, KycTier required);
    /// @notice The KYC record of `account` expired at `expiresAt`.
    error KycExpired(address account, uint40 expiresAt);
    /// @notice `account` is frozen.
    error KycFrozen(address account);
    /// @notice `account` belongs to the blocked jurisdiction `country`.
    error KycJurisdictionBlocked(address account, bytes2 country);
    /// @notice A record with tier None, no country, a past expiry, a zero account or zero dossier hash.
    error KycInvalidRecord(address account);
    /// @notice A freeze of a frozen account, or an unfreeze of an unfrozen one.
    error KycFreezeUnchanged(address account, bool frozen);
    /// @notice Array arguments of different lengths.
    error KycLengthMismatch();

    /// @notice Creates or replaces the record of `account` (the frozen flag is kept). Compliance role.
    function setRecord(
        address account,
        KycTier tier,
        bytes2 country,
        uint40 expiresAt,
        bytes32 dossierHash,
        bytes32 reason
    ) external;

    /// @notice Batch form of {setRecord}; all or nothing.
    function setRecords(
        address[] calldata accounts,
        KycTier[] calldata tiers,
        bytes2[] calldata countries,
        uint40[] calldata expiries,
        bytes32[] calldata dossierHashes,
        bytes32 reason
    ) external;

    /// @notice Removes the record of `account` (tier None). Compliance role.
    function revoke(address account, bytes32 reason) external;

    /// @notice Freezes `account`. Compliance role.
    function freeze(address account, bytes32 reason) external;

    /// @notice Unfreezes `account`. Compliance role.
    function unfreeze(address account, bytes32 reason) external;

    /// @notice Blocks or unblocks a jurisdiction. Compliance role.
    function setJurisdictionBlocked(bytes2 country, bool blocked, bytes32 reason) external;

    /// @notice The stored record of `account`.
    function recordOf(address account) external view returns (KycRecord memory);

    /// @notice Whether `country` is blocked.
    function isJurisdictionBlocked(bytes2 country) external view returns (bool);

    /// @notice Whether `account` may act at `required` tier now (not frozen, not expired, not blocked).
    function isEligible(address account, KycTier required) external view returns (bool);

    /// @notice Reverts with the reason `account` may not act at `required` tier; returns its tier otherwise.
    function requireEligible(address account, KycTier required) external view returns (KycTier);

    /// @notice {requireEligible} for each of `accounts`, in one call: reverts with the reason of the first account
    /// that may not act at `required` tier (each reason names its account); returns their tiers otherwise.
    function requireAllEligible(address[] calldata accounts, KycTier required) external view returns (KycTier[] memory);

    /// @notice Whether `account` is frozen.
    function isFrozen(address account) external view returns (bool);

    /// @notice Reverts only if `account` is frozen. Used where KYC expiry must not lock funds in.
    function requireNotFrozen(address account) external view;
}

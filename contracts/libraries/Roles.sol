// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Roles
/// @notice The least-privilege roles of the network. `DEFAULT_ADMIN_ROLE` (two-step transfer with a delay)
/// grants them and configures the contracts; it cannot move payment funds.
library Roles {
    /// @notice The relayer's key: submits authorizations, captures, voids, releases and payouts as payments say,
    /// and receivable actions carrying the parties' signatures.
    bytes32 internal constant OPERATOR = keccak256("OPERATOR_ROLE");
    /// @notice Compliance officers: KYC records, freezes, blocked jurisdictions, the token blocklist.
    bytes32 internal constant COMPLIANCE = keccak256("COMPLIANCE_ROLE");
    /// @notice Resolves disputes with a split between buyer and merchant; declares receivables in default.
    bytes32 internal constant ARBITER = keccak256("ARBITER_ROLE");
    /// @notice Pauses new authorizations and captures (escrow) or transfers (token).
    bytes32 internal constant PAUSER = keccak256("PAUSER_ROLE");
    /// @notice Mints and burns the settlement token against fiat movements.
    bytes32 internal constant ISSUER = keccak256("ISSUER_ROLE");
    /// @notice Takes a merchant's escrow balance to repay the merchant's receivables: held by the receivable
    /// registry on the escrow, which uses it only on the merchant's own call or signature.
    bytes32 internal constant COLLECTOR = keccak256("COLLECTOR_ROLE");
}

// Role ids as the contracts define them (contracts/libraries/Roles.sol): keccak256 of the role name.
import { id, ZeroHash } from "ethers";

export const ROLE_IDS = {
  ADMIN: ZeroHash,
  OPERATOR: id("OPERATOR_ROLE"),
  COMPLIANCE: id("COMPLIANCE_ROLE"),
  ARBITER: id("ARBITER_ROLE"),
  PAUSER: id("PAUSER_ROLE"),
  ISSUER: id("ISSUER_ROLE"),
  COLLECTOR: id("COLLECTOR_ROLE"),
} as const;

export type RoleName = "admin" | "operator" | "compliance" | "arbiter" | "pauser" | "issuer" | "treasury" | "receivables";
export type RoleAccounts = Record<RoleName, string>;

/** Dev-mnemonic account of the receivables operator on the local chain (0-14 are the other roles and demo accounts). */
export const LOCAL_RECEIVABLES_ACCOUNT = 15;

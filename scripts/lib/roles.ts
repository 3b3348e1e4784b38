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

export type RoleName = "admin" | "operator" | "compliance" | "arbiter" | "pauser" | "issuer" | "treasury";
export type RoleAccounts = Record<RoleName, string>;

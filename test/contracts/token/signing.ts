// EIP-3009 / EIP-2612 signing helpers for the SettlementToken tests.
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { concat, getBytes, hexlify, Signature, toBeHex, zeroPadValue } from "ethers";

import {
  CancelAuthorizationTypes,
  ReceiveWithAuthorizationTypes,
  tokenDomain,
  TransferWithAuthorizationTypes,
  type TypedDataDomain,
} from "../../../relayer/chain/typed-data.js";
import { TOKEN_NAME, UNIT, type System } from "../fixtures.js";

/** The secp256k1 group order. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export type AuthorizationKind = "transfer" | "receive";

export interface Authorization {
  from: string;
  to: string;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: string;
}

/** The timestamp of the latest block. */
export async function latestTimestamp(ethers: HardhatEthers): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** The domain of `sys.token`, optionally with another chain id or verifying contract. */
export function domainOf(sys: System, overrides: Partial<TypedDataDomain> = {}): TypedDataDomain {
  return { ...tokenDomain(TOKEN_NAME, sys.chainId, sys.tokenAddress), ...overrides };
}

/** An authorization from `sys.buyer` to `sys.merchant` of 100 tokens, valid for an hour, with a fresh nonce. */
export async function makeAuthorization(sys: System, overrides: Partial<Authorization> = {}): Promise<Authorization> {
  const now = await latestTimestamp(sys.ethers);
  return {
    from: sys.buyer.address,
    to: sys.merchant.address,
    value: 100n * UNIT,
    validAfter: 0n,
    validBefore: now + 3_600n,
    nonce: sys.ethers.hexlify(sys.ethers.randomBytes(32)),
    ...overrides,
  };
}

/** `signer`'s 65-byte EIP-712 signature of a TransferWithAuthorization or ReceiveWithAuthorization. */
export async function signAuthorization(
  signer: HardhatEthersSigner,
  kind: AuthorizationKind,
  auth: Authorization,
  domain: TypedDataDomain,
): Promise<string> {
  const types = kind === "transfer" ? TransferWithAuthorizationTypes : ReceiveWithAuthorizationTypes;
  return signer.signTypedData(domain, types, auth);
}

/** `signer`'s signature of a CancelAuthorization. */
export async function signCancel(
  signer: HardhatEthersSigner,
  authorizer: string,
  nonce: string,
  domain: TypedDataDomain,
): Promise<string> {
  return signer.signTypedData(domain, CancelAuthorizationTypes, { authorizer, nonce });
}

/**
 * The malleable twin of a 65-byte signature: s' = n - s and the other v. It recovers the same address,
 * so only an explicit low-s rule rejects it.
 */
export function highSTwin(signature: string): string {
  const sig = Signature.from(signature);
  const highS = SECP256K1_N - BigInt(sig.s);
  const v = sig.v === 27 ? 28 : 27;
  return hexlify(concat([sig.r, zeroPadValue(toBeHex(highS), 32), getBytes(toBeHex(v))]));
}

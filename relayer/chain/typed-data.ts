// EIP-712 definitions shared by the relayer, the scripts and the tests: one source for what buyers sign.

export const KycTier = { None: 0, Basic: 1, Enhanced: 2, Institutional: 3 } as const;
export type KycTier = (typeof KycTier)[keyof typeof KycTier];

export const FundingMethod = { Erc3009: 0, Permit: 1, Allowance: 2 } as const;
export type FundingMethod = (typeof FundingMethod)[keyof typeof FundingMethod];

export const PaymentStatus = {
  None: 0,
  Authorized: 1,
  Captured: 2,
  Disputed: 3,
  Released: 4,
  Voided: 5,
  Refunded: 6,
} as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

/** The immutable terms of a payment, as the escrow hashes them (field order matters). */
export interface PaymentTerms {
  merchant: string;
  buyer: string;
  token: string;
  amount: bigint;
  preApprovalExpiry: bigint;
  authorizationExpiry: bigint;
  refundExpiry: bigint;
  confirmationWindow: bigint;
  kycTier: number;
  feeBps: number;
  partner: string;
  partnerShareBps: number;
  orderRef: string;
}

export interface TypedDataDomain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

export const escrowDomain = (chainId: bigint, escrow: string): TypedDataDomain => ({
  name: "PaymentEscrow",
  version: "1",
  chainId,
  verifyingContract: escrow,
});

/** The token's domain: its EIP-2612 / EIP-3009 name, version "1". */
export const tokenDomain = (name: string, chainId: bigint, token: string): TypedDataDomain => ({
  name,
  version: "1",
  chainId,
  verifyingContract: token,
});

export const PaymentTermsTypes = {
  PaymentTerms: [
    { name: "merchant", type: "address" },
    { name: "buyer", type: "address" },
    { name: "token", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "preApprovalExpiry", type: "uint48" },
    { name: "authorizationExpiry", type: "uint48" },
    { name: "refundExpiry", type: "uint48" },
    { name: "confirmationWindow", type: "uint32" },
    { name: "kycTier", type: "uint8" },
    { name: "feeBps", type: "uint16" },
    { name: "partner", type: "address" },
    { name: "partnerShareBps", type: "uint16" },
    { name: "orderRef", type: "bytes32" },
  ],
};

export const ReceiveWithAuthorizationTypes = {
  ReceiveWithAuthorization: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "validAfter", type: "uint256" },
    { name: "validBefore", type: "uint256" },
    { name: "nonce", type: "bytes32" },
  ],
};

export const TransferWithAuthorizationTypes = {
  TransferWithAuthorization: ReceiveWithAuthorizationTypes.ReceiveWithAuthorization,
};

export const CancelAuthorizationTypes = {
  CancelAuthorization: [
    { name: "authorizer", type: "address" },
    { name: "nonce", type: "bytes32" },
  ],
};

export const PermitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const ReceiptConfirmationTypes = {
  ReceiptConfirmation: [
    { name: "paymentId", type: "bytes32" },
    { name: "deadline", type: "uint256" },
  ],
};

export const DisputeRequestTypes = {
  DisputeRequest: [
    { name: "paymentId", type: "bytes32" },
    { name: "reason", type: "bytes32" },
  ],
};

/**
 * The EIP-3009 message a buyer signs to fund a payment: the payment id is the nonce, so this one
 * signature binds every term of the payment.
 */
export const erc3009FundingMessage = (terms: PaymentTerms, escrow: string, paymentId: string) => ({
  from: terms.buyer,
  to: escrow,
  value: terms.amount,
  validAfter: 0n,
  validBefore: terms.preApprovalExpiry,
  nonce: paymentId,
});

/** An ISO-3166-1 alpha-2 country code ("SG") as the registry's bytes2 ("0x5347"). */
export function countryCode(iso: string): string {
  if (!/^[A-Z]{2}$/.test(iso)) throw new Error(`not an ISO-3166-1 alpha-2 code: ${iso}`);
  return "0x" + Buffer.from(iso, "ascii").toString("hex");
}

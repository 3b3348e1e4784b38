// EIP-712 definitions of the ReceivableRegistry (contracts/interfaces/IReceivableRegistry.sol): one source for
// what suppliers, debtors, holders and financiers sign, shared by the relayer, the scripts and the tests.

export const ReceivableState = {
  None: 0,
  Pending: 1,
  Accepted: 2,
  Rejected: 3,
  Split: 4,
  Repaid: 5,
  Overdue: 6,
  Defaulted: 7,
} as const;
export type ReceivableState = (typeof ReceivableState)[keyof typeof ReceivableState];

export const RepaymentSource = { Wallet: 0, EscrowBalance: 1 } as const;
export type RepaymentSource = (typeof RepaymentSource)[keyof typeof RepaymentSource];

/** The immutable terms of an invoice; their EIP-712 digest is the root receivable id. */
export interface InvoiceTerms {
  issuer: string;
  dueAt: bigint;
  acceptBy: bigint;
  debtor: string;
  token: string;
  faceValue: bigint;
  documentHash: string;
  invoiceRef: string;
}

export interface FinanceOffer {
  receivableId: bigint;
  financier: string;
  annualRateBps: number;
  maxPrice: bigint;
  expiry: bigint;
  nonce: string;
}

/** A party's relayed authorization; pass {@link SELF} when the party sends the transaction itself. */
export interface Authorization {
  nonce: string;
  deadline: bigint;
  signature: string;
}

export const SELF: Authorization = {
  nonce: "0x0000000000000000000000000000000000000000000000000000000000000000",
  deadline: 0n,
  signature: "0x",
};

export const registryDomain = (chainId: bigint, registry: string) => ({
  name: "ReceivableRegistry",
  version: "1",
  chainId,
  verifyingContract: registry,
});

const nonceAndDeadline = [
  { name: "nonce", type: "bytes32" },
  { name: "deadline", type: "uint256" },
];

export const InvoiceTermsTypes = {
  InvoiceTerms: [
    { name: "issuer", type: "address" },
    { name: "dueAt", type: "uint48" },
    { name: "acceptBy", type: "uint48" },
    { name: "debtor", type: "address" },
    { name: "token", type: "address" },
    { name: "faceValue", type: "uint256" },
    { name: "documentHash", type: "bytes32" },
    { name: "invoiceRef", type: "bytes32" },
  ],
};

export const AcceptanceTypes = {
  Acceptance: [{ name: "receivableId", type: "uint256" }, ...nonceAndDeadline],
};

export const RejectionTypes = {
  Rejection: [{ name: "receivableId", type: "uint256" }, { name: "reason", type: "bytes32" }, ...nonceAndDeadline],
};

export const SplitTypes = {
  Split: [
    { name: "receivableId", type: "uint256" },
    { name: "faceValues", type: "uint256[]" },
    { name: "recipients", type: "address[]" },
    ...nonceAndDeadline,
  ],
};

export const ReceivableTransferTypes = {
  ReceivableTransfer: [{ name: "receivableId", type: "uint256" }, { name: "to", type: "address" }, ...nonceAndDeadline],
};

export const FinanceOfferTypes = {
  FinanceOffer: [
    { name: "receivableId", type: "uint256" },
    { name: "financier", type: "address" },
    { name: "annualRateBps", type: "uint16" },
    { name: "maxPrice", type: "uint256" },
    { name: "expiry", type: "uint256" },
    { name: "nonce", type: "bytes32" },
  ],
};

/** The holder's acceptance of an offer (nested struct: the offer's own type is included). */
export const FinanceAcceptanceTypes = {
  FinanceAcceptance: [
    { name: "offer", type: "FinanceOffer" },
    { name: "minProceeds", type: "uint256" },
    ...nonceAndDeadline,
  ],
  ...FinanceOfferTypes,
};

export const RepaymentTypes = {
  Repayment: [
    { name: "receivableId", type: "uint256" },
    { name: "amount", type: "uint256" },
    { name: "source", type: "uint8" },
    ...nonceAndDeadline,
  ],
};

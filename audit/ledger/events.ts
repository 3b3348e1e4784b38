// The decoded on-chain events the ledger is built from. Pure types: audit/chain decodes logs into these; the ledger
// never sees a raw log. Addresses are checksummed, amounts are bigints, bytes32 values lower-case 0x hex.

export type ContractName = "escrow" | "token" | "kyc";

export interface EventPosition {
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

/** The escrow's events the ledger uses (IPaymentEscrow). */
export interface EscrowEventArgs {
  PaymentAuthorized: { paymentId: string; merchant: string; buyer: string; token: string; amount: bigint; orderRef: string; method: number };
  PaymentCaptured: { paymentId: string; amount: bigint };
  PaymentVoided: { paymentId: string; amount: bigint };
  PaymentReclaimed: { paymentId: string; amount: bigint };
  PaymentReleased: { paymentId: string; gross: bigint; fee: bigint; partnerFee: bigint; net: bigint };
  ReceiptConfirmed: { paymentId: string };
  PaymentRefunded: { paymentId: string; amount: bigint; fromHeld: bigint; fromMerchant: bigint };
  DisputeOpened: { paymentId: string; reason: string };
  DisputeResolved: { paymentId: string; buyerAmount: bigint; merchantAmount: bigint };
  LargeTransactionReported: { paymentId: string; buyer: string; merchant: string; token: string; amount: bigint };
  PayoutSent: { token: string; account: string; to: string; amount: bigint };
  PayoutFailed: { token: string; account: string; to: string; amount: bigint };
  MerchantConfigured: { merchant: string; settlementAddress: string; feeBps: number; partner: string; partnerShareBps: number; active: boolean };
  TokenConfigured: { token: string; allowed: boolean; largeTransactionThreshold: bigint };
  TreasurySet: { treasury: string };
}

/** The settlement token's events the ledger uses (ISettlementToken, IERC20). */
export interface TokenEventArgs {
  Transfer: { from: string; to: string; value: bigint };
  Minted: { issuer: string; to: string; amount: bigint; fiatReference: string };
  Burned: { issuer: string; amount: bigint; fiatReference: string };
  Blocklisted: { account: string; reason: string };
  Unblocklisted: { account: string; reason: string };
}

/** The KYC registry's events (IKycRegistry). */
export interface KycEventArgs {
  KycRecordSet: { account: string; tier: number; country: string; expiresAt: number; dossierHash: string; reason: string };
  AccountFrozen: { account: string; reason: string };
  AccountUnfrozen: { account: string; reason: string };
  JurisdictionBlockSet: { country: string; blocked: boolean; reason: string };
}

type EventsOf<C extends ContractName, A> = { [N in keyof A & string]: EventPosition & { contract: C; kind: `${C}.${N}`; name: N; args: A[N] } }[keyof A & string];

export type LedgerEvent = EventsOf<"escrow", EscrowEventArgs> | EventsOf<"token", TokenEventArgs> | EventsOf<"kyc", KycEventArgs>;
export type LedgerEventKind = LedgerEvent["kind"];

/** The immutable terms of a payment, recovered from the calldata of the transaction that authorized it. */
export interface PaymentTermsRecord {
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

/** Orders events as the chain did. */
export const byChainOrder = (a: EventPosition, b: EventPosition) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;

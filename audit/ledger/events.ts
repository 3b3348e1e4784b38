// The decoded on-chain events the ledger is built from. Pure types: audit/chain decodes logs into these; the ledger
// never sees a raw log. Addresses are checksummed, amounts are bigints, bytes32 values lower-case 0x hex.

import type { PaymentTerms } from "../../relayer/chain/typed-data.js";

export type ContractName = "escrow" | "token" | "kyc" | "receivables";

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
  BalanceCollected: { token: string; merchant: string; collector: string; amount: bigint };
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

/** The receivable registry's events (IReceivableRegistry, and ERC-721 Transfer for holders). Ids are uint256. */
export interface ReceivableEventArgs {
  ReceivableIssued: { id: bigint; issuer: string; debtor: string; token: string; faceValue: bigint; dueAt: number; acceptBy: number; documentHash: string; invoiceRef: string };
  ReceivableAccepted: { id: bigint; debtor: string };
  ReceivableRejected: { id: bigint; debtor: string; reason: string };
  ReceivableSplit: { parentId: bigint; rootId: bigint; partIds: bigint[]; faceValues: bigint[]; recipients: string[] };
  ReceivableFinanced: { id: bigint; holder: string; financier: string; annualRateBps: number; daysToMaturity: bigint; price: bigint; fee: bigint };
  RepaymentReceived: { rootId: bigint; targetId: bigint; debtor: string; source: number; amount: bigint };
  RepaymentAllocated: { id: bigint; holder: string; lateFee: bigint; principal: bigint; credited: boolean };
  ReceivableRepaid: { id: bigint };
  ReceivableOverdue: { rootId: bigint; overdueSince: bigint; principalOutstanding: bigint };
  LateFeeAccrued: { id: bigint; amount: bigint; until: bigint };
  ReceivableDefaulted: { rootId: bigint; arbiter: string; reason: string; principalOutstanding: bigint };
  ClaimCredited: { token: string; account: string; id: bigint; amount: bigint };
  Claimed: { token: string; account: string; amount: bigint };
  Transfer: { from: string; to: string; tokenId: bigint };
}

type EventsOf<C extends ContractName, A> = { [N in keyof A & string]: EventPosition & { contract: C; kind: `${C}.${N}`; name: N; args: A[N] } }[keyof A & string];

export type LedgerEvent =
  | EventsOf<"escrow", EscrowEventArgs>
  | EventsOf<"token", TokenEventArgs>
  | EventsOf<"kyc", KycEventArgs>
  | EventsOf<"receivables", ReceivableEventArgs>;
export type LedgerEventKind = LedgerEvent["kind"];

/** The immutable terms of a payment, recovered from the calldata of the transaction that authorized it. */
export type PaymentTermsRecord = PaymentTerms;

/** Orders events as the chain did. */
export const byChainOrder = (a: EventPosition, b: EventPosition) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;

// The audit library's public API: rebuild the ledger from the chain alone, check its invariants, reconcile it with
// the relayer's records. The CLI (audit/cli.ts) and the relayer's auditor console use exactly these.
export { rebuildFromChain, AuditSetupError, type AuditedDeployment, type Rebuild, type RebuildOptions, type RebuildProgress } from "./chain/rebuild.js";
export { RpcConnectionError, RpcError } from "./chain/rpc.js";
export { buildLedger, LedgerBuilder, type Ledger, type LedgerPayment, type LedgerBalance } from "./ledger/ledger.js";
export type { LedgerEvent, PaymentTermsRecord } from "./ledger/events.js";
export { applyEscrowEvent, type AppliedEvent, type Movement, type PaymentAmounts, type PaymentEvent } from "./ledger/payment-event.js";
export { checkInvariants, owedByEscrow, INVARIANTS, type ChainState, type InvariantName, type Violation } from "./ledger/invariants.js";
export { reconcile, chainViewOf, COMPARED_FIELDS, CHAIN_STATUSES, type AuditPayment, type ChainPaymentView, type ChainStatus, type Difference, type ReconcileOptions, type Reconciliation } from "./reconcile.js";
export { reconcileReceivables, chainReceivableViewOf, RECEIVABLE_COMPARED_FIELDS, type AuditReceivable, type ChainReceivableView, type ReceivableDifference, type ReceivablesReconciliation } from "./reconcile.js";
export { fetchRelayerPayments, fetchRelayerReceivables, RelayerApiError } from "./relayer/client.js";

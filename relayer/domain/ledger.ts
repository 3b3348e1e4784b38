// The auditor's ledger, projected from the escrow's logs alone: each log moves a payment through the escrow's
// lifecycle and becomes zero or more ledger entries (one per account whose money moved). Pure: no I/O.
//
// Buckets of what the escrow owes, per token: `capturable` and `held` (per payment), and `balance` (per account:
// merchants, the treasury, partners, until paid out). The escrow is solvent when its token balance equals their sum.

// How each escrow event moves a payment and whose balance it changes is the audit library's (one implementation for
// the chain-only CLI and this projection); this file turns its movements into ledger entries.
import {
  applyEscrowEvent,
  MOVEMENT_KINDS,
  PAYMENT_EVENTS,
  UNAUTHORIZED,
  type Movement,
  type PaymentAmounts,
  type PaymentEvent,
  type PaymentEventName,
} from "../../audit/ledger/payment-event.js";
import { CHAIN_STATUSES, type ChainStatus } from "../../audit/reconcile.js";

export { CHAIN_STATUSES };
export type ChainStatusName = ChainStatus;

/**
 * The escrow's movements of a payment's money, payouts of account balances, and collections (a debtor's balance
 * taken by the receivable registry to repay its invoices: IPaymentEscrow.BalanceCollected).
 */
export const LEDGER_KINDS = [...MOVEMENT_KINDS, "payout", "collection"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** A payment as the chain's logs tell it (the escrow's PaymentState and status, plus its terms' parties). */
export interface ChainPayment extends PaymentAmounts {
  paymentId: string;
  merchant: string;
  buyer: string;
  token: string;
  /** The terms' partner, known from the merchant's configuration at authorization (the escrow requires equality). */
  partner: string | null;
  amount: bigint;
  /** The terms' orderRef: keccak256 of the merchant's order reference. */
  orderRef: string;
  authorizedBlock: number;
  authorizedAt: number;
  updatedBlock: number;
}

/** One decoded escrow log, with the time of its block (Unix seconds). */
export interface LedgerLog {
  blockNumber: number;
  logIndex: number;
  txHash: string;
  blockTime: number;
  event: string;
  paymentId: string | null;
  args: Record<string, string>;
}

export interface LedgerEntry {
  blockNumber: number;
  logIndex: number;
  /** Position among the entries of one log. */
  leg: number;
  blockTime: number;
  txHash: string;
  kind: LedgerKind;
  paymentId: string | null;
  token: string;
  merchant: string | null;
  buyer: string | null;
  /** Whose escrow balance moved (merchant, treasury, partner), or who received funds back (buyer). */
  account: string | null;
  /** What `account` received or paid, always positive. */
  amount: bigint;
  capturableDelta: bigint;
  heldDelta: bigint;
  /** Change of `account`'s balance in the escrow. */
  balanceDelta: bigint;
}

/** What the projection needs besides the payment: who receives fees, which addresses are merchants. */
export interface LedgerContext {
  treasury: string | null;
  /** The partner configured for a merchant (MerchantConfigured), null if none or unknown. */
  partnerOf(merchant: string): string | null;
  isMerchant(account: string): boolean;
}

export interface Projected {
  /** The payment after the log, when the log concerns one. */
  payment?: ChainPayment;
  entries: LedgerEntry[];
}

export class LedgerProjectionError extends Error {
  override name = "LedgerProjectionError";
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

const big = (log: LedgerLog, name: string): bigint => {
  const value = log.args[name];
  if (value === undefined || !/^\d+$/.test(value)) throw new LedgerProjectionError(`${log.event} at ${log.blockNumber}/${log.logIndex}: argument ${name} is ${String(value)}`);
  return BigInt(value);
};

/** A release's legs keep fixed numbers (release 0, fee 1, partner fee 2): an entry's key does not depend on its siblings. */
const LEG_OF: Partial<Record<Movement["kind"], number>> = { fee: 1, partner_fee: 2 };

const isPaymentEvent = (log: LedgerLog): log is LedgerLog & { event: PaymentEventName } => (PAYMENT_EVENTS as readonly string[]).includes(log.event);

/** The log as the event the escrow's rules take, its amounts parsed. */
function paymentEventOf(log: LedgerLog & { event: PaymentEventName }): PaymentEvent {
  switch (log.event) {
    case "PaymentAuthorized":
    case "PaymentCaptured":
    case "PaymentVoided":
    case "PaymentReclaimed":
      return { name: log.event, args: { amount: big(log, "amount") } };
    case "PaymentReleased":
      return { name: log.event, args: { gross: big(log, "gross"), fee: big(log, "fee"), partnerFee: big(log, "partnerFee"), net: big(log, "net") } };
    case "PaymentRefunded":
      return { name: log.event, args: { amount: big(log, "amount"), fromHeld: big(log, "fromHeld"), fromMerchant: big(log, "fromMerchant") } };
    default:
      return { name: log.event };
  }
}

/** The address of a movement's party: the payment's buyer or merchant, the treasury, or the terms' partner. */
function accountOf(party: Movement["party"], payment: ChainPayment, context: LedgerContext): string | null {
  switch (party) {
    case "buyer":
      return payment.buyer;
    case "merchant":
      return payment.merchant;
    case "treasury":
      return context.treasury ?? ZERO_ADDRESS;
    case "partner":
      return payment.partner ?? ZERO_ADDRESS;
    default:
      return null;
  }
}

/**
 * Applies one log to the payment it concerns (`payment` undefined before its authorization) and returns the
 * payment afterwards and the ledger entries it makes. Logs that move no money (ReceiptConfirmed, DisputeOpened,
 * configuration) make no entries.
 * @throws LedgerProjectionError if a payment log arrives for a payment never authorized, or an amount is not a number
 */
export function projectLog(payment: ChainPayment | undefined, log: LedgerLog, context: LedgerContext): Projected {
  // Both take money out of an account's balance, outside any payment.
  if (log.event === "PayoutSent" || log.event === "BalanceCollected") {
    const account = (log.event === "PayoutSent" ? log.args.account : log.args.merchant) ?? "";
    const amount = big(log, "amount");
    return {
      entries: [
        {
          blockNumber: log.blockNumber,
          logIndex: log.logIndex,
          leg: 0,
          blockTime: log.blockTime,
          txHash: log.txHash,
          kind: log.event === "PayoutSent" ? "payout" : "collection",
          paymentId: log.paymentId,
          token: log.args.token ?? "",
          merchant: context.isMerchant(account) ? account : null,
          buyer: null,
          account,
          amount,
          capturableDelta: 0n,
          heldDelta: 0n,
          balanceDelta: -amount,
        },
      ],
    };
  }
  if (!isPaymentEvent(log)) return { entries: [] };

  let before: ChainPayment;
  if (log.event === "PaymentAuthorized") {
    const merchant = log.args.merchant ?? "";
    before = {
      paymentId: log.paymentId!,
      merchant,
      buyer: log.args.buyer ?? "",
      token: log.args.token ?? "",
      partner: context.partnerOf(merchant),
      amount: big(log, "amount"),
      orderRef: log.args.orderRef ?? "",
      ...UNAUTHORIZED,
      authorizedBlock: log.blockNumber,
      authorizedAt: log.blockTime,
      updatedBlock: log.blockNumber,
    };
  } else {
    if (!payment) throw new LedgerProjectionError(`${log.event} at ${log.blockNumber}/${log.logIndex} for payment ${log.paymentId} that was never authorized`);
    before = { ...payment, updatedBlock: log.blockNumber };
  }

  const { payment: after, movements } = applyEscrowEvent(before, paymentEventOf(log));
  const entries = movements.map(
    (m): LedgerEntry => ({
      blockNumber: log.blockNumber,
      logIndex: log.logIndex,
      leg: LEG_OF[m.kind] ?? 0,
      blockTime: log.blockTime,
      txHash: log.txHash,
      kind: m.kind,
      paymentId: log.paymentId,
      token: after.token,
      merchant: after.merchant,
      buyer: after.buyer,
      account: accountOf(m.party, after, context),
      amount: m.amount,
      capturableDelta: m.capturableDelta,
      heldDelta: m.heldDelta,
      balanceDelta: m.balanceDelta,
    }),
  );
  return { payment: after, entries };
}

/** A ledger entry's share of the daily chart buckets of its token. */
export interface DailyDelta {
  authorized: bigint;
  captured: bigint;
  released: bigint;
  refunded: bigint;
  fees: bigint;
  payments: number;
}

export function dailyDelta(entry: LedgerEntry): DailyDelta {
  const d: DailyDelta = { authorized: 0n, captured: 0n, released: 0n, refunded: 0n, fees: 0n, payments: 0 };
  switch (entry.kind) {
    case "authorize":
      d.authorized = entry.amount;
      d.payments = 1;
      break;
    case "capture":
      d.captured = entry.amount;
      break;
    case "release":
      d.released = -entry.heldDelta;
      break;
    case "fee":
    case "partner_fee":
      d.fees = entry.amount;
      break;
    case "refund":
      d.refunded = entry.amount;
      break;
    default:
      break;
  }
  return d;
}

/** The UTC day (YYYY-MM-DD) of a block time. */
export const dayOf = (blockTime: number): string => new Date(blockTime * 1000).toISOString().slice(0, 10);

// The auditor's ledger, projected from the escrow's logs alone: each log moves a payment through the escrow's
// lifecycle and becomes zero or more ledger entries (one per account whose money moved). Pure: no I/O.
//
// Buckets of what the escrow owes, per token: `capturable` and `held` (per payment), and `balance` (per account:
// merchants, the treasury, partners, until paid out). The escrow is solvent when its token balance equals their sum.

// The escrow's lifecycle (statuses and PaymentEscrow._updateStatus) is the audit library's, one implementation for
// the chain-only CLI and this projection.
import { nextStatus } from "../../audit/ledger/status.js";
import { CHAIN_STATUSES, type ChainStatus } from "../../audit/reconcile.js";

export { CHAIN_STATUSES };
export type ChainStatusName = ChainStatus;

export const LEDGER_KINDS = ["authorize", "capture", "void", "reclaim", "release", "fee", "partner_fee", "refund", "payout"] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** A payment as the chain's logs tell it (the escrow's PaymentState, plus its terms' parties). */
export interface ChainPayment {
  paymentId: string;
  merchant: string;
  buyer: string;
  token: string;
  /** The terms' partner, known from the merchant's configuration at authorization (the escrow requires equality). */
  partner: string | null;
  amount: bigint;
  /** The terms' orderRef: keccak256 of the merchant's order reference. */
  orderRef: string;
  status: ChainStatusName;
  capturable: bigint;
  held: bigint;
  /** Gross ever released (the escrow's PaymentState.released). */
  released: bigint;
  refundedAfterRelease: bigint;
  /** Everything refunded to the buyer, from held funds or the merchant's balance. */
  refunded: bigint;
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

/**
 * Applies one log to the payment it concerns (`payment` undefined before its authorization) and returns the
 * payment afterwards and the ledger entries it makes. Logs that move no money (ReceiptConfirmed, DisputeOpened,
 * configuration) make no entries.
 * @throws LedgerProjectionError if a payment log arrives for a payment never authorized
 */
export function projectLog(payment: ChainPayment | undefined, log: LedgerLog, context: LedgerContext): Projected {
  const entry = (leg: number, kind: LedgerKind, fields: Partial<LedgerEntry> & { token: string; amount: bigint }): LedgerEntry => ({
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    leg,
    blockTime: log.blockTime,
    txHash: log.txHash,
    kind,
    paymentId: log.paymentId,
    merchant: payment?.merchant ?? null,
    buyer: payment?.buyer ?? null,
    account: null,
    capturableDelta: 0n,
    heldDelta: 0n,
    balanceDelta: 0n,
    ...fields,
  });

  if (log.event === "PaymentAuthorized") {
    const amount = big(log, "amount");
    const merchant = log.args.merchant ?? "";
    const created: ChainPayment = {
      paymentId: log.paymentId!,
      merchant,
      buyer: log.args.buyer ?? "",
      token: log.args.token ?? "",
      partner: context.partnerOf(merchant),
      amount,
      orderRef: log.args.orderRef ?? "",
      status: "authorized",
      capturable: amount,
      held: 0n,
      released: 0n,
      refundedAfterRelease: 0n,
      refunded: 0n,
      authorizedBlock: log.blockNumber,
      authorizedAt: log.blockTime,
      updatedBlock: log.blockNumber,
    };
    return {
      payment: created,
      entries: [entry(0, "authorize", { token: created.token, merchant, buyer: created.buyer, account: created.buyer, amount, capturableDelta: amount })],
    };
  }

  if (log.event === "PayoutSent") {
    const account = log.args.account ?? "";
    const amount = big(log, "amount");
    return {
      entries: [
        entry(0, "payout", {
          token: log.args.token ?? "",
          merchant: context.isMerchant(account) ? account : null,
          buyer: null,
          account,
          amount,
          balanceDelta: -amount,
        }),
      ],
    };
  }

  const PAYMENT_EVENTS = ["PaymentCaptured", "PaymentVoided", "PaymentReclaimed", "PaymentReleased", "PaymentRefunded", "DisputeOpened", "DisputeResolved", "ReceiptConfirmed"];
  if (!PAYMENT_EVENTS.includes(log.event)) return { entries: [] };
  if (!payment) throw new LedgerProjectionError(`${log.event} at ${log.blockNumber}/${log.logIndex} for payment ${log.paymentId} that was never authorized`);
  const p: ChainPayment = { ...payment, updatedBlock: log.blockNumber };
  const token = p.token;

  switch (log.event) {
    case "PaymentCaptured": {
      const amount = big(log, "amount");
      p.capturable -= amount;
      p.held += amount;
      p.status = "captured";
      return { payment: p, entries: [entry(0, "capture", { token, amount, capturableDelta: -amount, heldDelta: amount })] };
    }
    case "PaymentVoided":
    case "PaymentReclaimed": {
      const amount = big(log, "amount");
      p.capturable -= amount;
      p.status = nextStatus(p.status, p, false);
      const kind = log.event === "PaymentVoided" ? "void" : "reclaim";
      return { payment: p, entries: [entry(0, kind, { token, account: p.buyer, amount, capturableDelta: -amount })] };
    }
    case "PaymentReleased": {
      const gross = big(log, "gross");
      const fee = big(log, "fee");
      const partnerFee = big(log, "partnerFee");
      const net = big(log, "net");
      p.held -= gross;
      p.released += gross;
      p.status = nextStatus(p.status, p, true);
      const entries = [entry(0, "release", { token, account: p.merchant, amount: net, heldDelta: -gross, balanceDelta: net })];
      if (fee !== partnerFee) {
        entries.push(entry(1, "fee", { token, account: context.treasury ?? ZERO_ADDRESS, amount: fee - partnerFee, balanceDelta: fee - partnerFee }));
      }
      if (partnerFee !== 0n) {
        entries.push(entry(2, "partner_fee", { token, account: p.partner ?? ZERO_ADDRESS, amount: partnerFee, balanceDelta: partnerFee }));
      }
      return { payment: p, entries };
    }
    case "PaymentRefunded": {
      const amount = big(log, "amount");
      const fromHeld = big(log, "fromHeld");
      const fromMerchant = big(log, "fromMerchant");
      p.held -= fromHeld;
      p.refundedAfterRelease += fromMerchant;
      p.refunded += amount;
      p.status = nextStatus(p.status, p, true);
      return {
        payment: p,
        entries: [entry(0, "refund", { token, account: p.merchant, amount, heldDelta: -fromHeld, balanceDelta: -fromMerchant })],
      };
    }
    case "DisputeOpened":
      p.status = "disputed";
      return { payment: p, entries: [] };
    case "DisputeResolved":
      // The buyer's part follows as PaymentRefunded, the merchant's as PaymentReleased; they move the money.
      p.status = "captured";
      return { payment: p, entries: [] };
    default: // ReceiptConfirmed: the release that follows moves the money
      return { payment: p, entries: [] };
  }
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

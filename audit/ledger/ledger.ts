// The ledger rebuilt from the chain's events alone. Pure: decoded events (and the payment terms recovered from
// calldata) in, ledger out. It applies each event as the contracts do and records what it could not apply
// (an anomaly); audit/ledger/invariants.ts checks the result.
import type { ChainStatus } from "../reconcile.js";
import { byChainOrder, type EscrowEventArgs, type EventPosition, type KycEventArgs, type LedgerEvent, type PaymentTermsRecord } from "./events.js";
import type { FeeTerms } from "./fees.js";
import { applyEscrowEvent, UNAUTHORIZED, type Movement, type PaymentAmounts, type PaymentEventName } from "./payment-event.js";
import { ReceivablesBuilder, type ReceivablesLedger } from "./receivables.js";
import { ALLOWED_BEFORE } from "./status.js";

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** One event in a payment's history, with what the ledger knew just before it (for the invariant checks). */
export interface PaymentHistoryEntry extends EventPosition {
  event: keyof EscrowEventArgs;
  args: Record<string, string>;
  statusBefore: ChainStatus;
  statusAfter: ChainStatus;
  /** Held funds just before the event (a dispute resolution splits exactly these). */
  heldBefore: bigint;
  /** Gross released just before the event (fees are computed on this running total). */
  releasedBefore: bigint;
}

/** A payment as its events tell it: the escrow's amounts and status (PaymentAmounts), its parties and running totals. */
export interface LedgerPayment extends PaymentAmounts {
  paymentId: string;
  merchant: string;
  buyer: string;
  token: string;
  amount: bigint;
  orderRef: string;
  /** 0 EIP-3009, 1 permit, 2 allowance. */
  fundingMethod: number;
  authorized: EventPosition;
  captured: bigint;
  voided: bigint;
  reclaimed: bigint;
  refundedFromHeld: bigint;
  fee: bigint;
  partnerFee: bigint;
  net: bigint;
  disputeUsed: boolean;
  receiptConfirmed: boolean;
  /** The fee terms the releases must follow: from the calldata's terms, else the merchant's configuration then. */
  feeTerms: (FeeTerms & { source: "terms" | "merchant_config" }) | null;
  /** The full terms, when the authorizing transaction's calldata could be decoded. */
  terms: PaymentTermsRecord | null;
  history: PaymentHistoryEntry[];
}

export type AccountRole = "merchant" | "treasury" | "partner";

/** What the escrow owes one account in one token (its claimable balance) and how it came about. */
export interface LedgerBalance {
  token: string;
  account: string;
  roles: Set<AccountRole>;
  /** Net proceeds of releases (merchants). */
  creditedNet: bigint;
  /** Platform fees (treasury). */
  creditedFees: bigint;
  /** Partner shares of fees. */
  creditedPartnerFees: bigint;
  /** Refunds taken from this merchant's balance. */
  debitedRefunds: bigint;
  /** Taken by the collector (the receivable registry) to repay the merchant's debts. */
  collected: bigint;
  paidOut: bigint;
  payouts: number;
  failedPayouts: number;
  balance: bigint;
}

export interface PayoutRecord extends EventPosition {
  token: string;
  account: string;
  to: string;
  amount: bigint;
  sent: boolean;
  /** The account's balance in the ledger just before (a payout sends the whole balance). */
  balanceBefore: bigint;
}

export interface IssuanceRecord extends EventPosition {
  kind: "mint" | "burn";
  issuer: string;
  /** The recipient of a mint; the issuer for a burn. */
  account: string;
  amount: bigint;
  fiatReference: string;
}

export interface StablecoinLedger {
  address: string;
  issuance: IssuanceRecord[];
  totalMinted: bigint;
  totalBurned: bigint;
  /** Σ Transfer from the zero address, Σ Transfer to the zero address. */
  transferMinted: bigint;
  transferBurned: bigint;
  /** Balances from Transfer events. */
  holders: Map<string, bigint>;
  blocklist: Array<EventPosition & { account: string; blocklisted: boolean; reason: string }>;
}

export type KycChange = EventPosition &
  (
    | ({ kind: "record_set" } & KycEventArgs["KycRecordSet"])
    | ({ kind: "frozen" | "unfrozen" } & KycEventArgs["AccountFrozen"])
    | ({ kind: "jurisdiction" } & KycEventArgs["JurisdictionBlockSet"])
  );

export type LargeTransactionReport = EventPosition & EscrowEventArgs["LargeTransactionReported"];

export interface Anomaly extends EventPosition {
  /** A payment id, or a token/account pair. */
  subject: string;
  event: string;
  message: string;
}

export interface TokenSettings {
  allowed: boolean;
  largeTransactionThreshold: bigint;
}

export interface Ledger {
  payments: Map<string, LedgerPayment>;
  /** token -> account -> balance. */
  balances: Map<string, Map<string, LedgerBalance>>;
  payouts: PayoutRecord[];
  stablecoin: StablecoinLedger;
  kycChanges: KycChange[];
  largeTransactions: LargeTransactionReport[];
  /** Current token settings of the escrow. */
  tokens: Map<string, TokenSettings>;
  merchants: Map<string, EscrowEventArgs["MerchantConfigured"]>;
  treasury: string | null;
  /** The large-transaction threshold of each payment's token when it was authorized (0 = none). */
  thresholdAtAuthorization: Map<string, bigint>;
  /** The receivables register, when the deployment has a registry. */
  receivables: ReceivablesLedger | null;
  /** BalanceCollected events (merchant balances moved to the collector). */
  collections: Array<EventPosition & { token: string; merchant: string; collector: string; amount: bigint }>;
  anomalies: Anomaly[];
  events: number;
}

export interface LedgerSources {
  /** The settlement token (the stablecoin whose supply is audited). */
  stablecoin: string;
  /** The receivable registry, if deployed. */
  receivables?: string;
}

/** Builds the ledger from events in chain order (they are sorted first) and the terms found in calldata. */
export function buildLedger(events: Iterable<LedgerEvent>, terms: ReadonlyMap<string, PaymentTermsRecord>, sources: LedgerSources): Ledger {
  const builder = new LedgerBuilder(terms, sources);
  for (const event of [...events].sort(byChainOrder)) builder.apply(event);
  return builder.ledger;
}

/** Applies events one at a time, in chain order. */
export class LedgerBuilder {
  readonly ledger: Ledger;
  readonly #receivables: ReceivablesBuilder | null;

  constructor(
    private readonly terms: ReadonlyMap<string, PaymentTermsRecord>,
    sources: LedgerSources,
  ) {
    this.#receivables = sources.receivables ? new ReceivablesBuilder(sources.receivables) : null;
    this.ledger = {
      payments: new Map(),
      balances: new Map(),
      payouts: [],
      stablecoin: {
        address: sources.stablecoin,
        issuance: [],
        totalMinted: 0n,
        totalBurned: 0n,
        transferMinted: 0n,
        transferBurned: 0n,
        holders: new Map(),
        blocklist: [],
      },
      kycChanges: [],
      largeTransactions: [],
      tokens: new Map(),
      merchants: new Map(),
      treasury: null,
      thresholdAtAuthorization: new Map(),
      receivables: this.#receivables?.register ?? null,
      collections: [],
      anomalies: [],
      events: 0,
    };
  }

  apply(event: LedgerEvent): void {
    this.ledger.events++;
    const at: EventPosition = { blockNumber: event.blockNumber, logIndex: event.logIndex, txHash: event.txHash };
    switch (event.kind) {
      case "escrow.PaymentAuthorized":
      case "escrow.PaymentCaptured":
      case "escrow.PaymentVoided":
      case "escrow.PaymentReclaimed":
      case "escrow.PaymentReleased":
      case "escrow.ReceiptConfirmed":
      case "escrow.PaymentRefunded":
      case "escrow.DisputeOpened":
      case "escrow.DisputeResolved":
        return this.#paymentEvent(event, at);
      case "escrow.LargeTransactionReported":
        this.ledger.largeTransactions.push({ ...at, ...event.args });
        return;
      case "escrow.PayoutSent":
      case "escrow.PayoutFailed": {
        const { token, account, to, amount } = event.args;
        const b = this.#balance(token, account);
        const sent = event.name === "PayoutSent";
        this.ledger.payouts.push({ ...at, token, account, to, amount, sent, balanceBefore: b.balance });
        if (sent) {
          b.paidOut += amount;
          b.payouts++;
          b.balance -= amount;
          if (b.balance < 0n) this.#anomaly(at, `${token}/${account}`, event.name, `payout of ${amount} exceeds the balance the ledger knows`);
        } else {
          b.failedPayouts++;
        }
        return;
      }
      case "escrow.BalanceCollected": {
        const { token, merchant, collector, amount } = event.args;
        this.ledger.collections.push({ ...at, token, merchant, collector, amount });
        const b = this.#balance(token, merchant);
        b.collected += amount;
        b.balance -= amount;
        if (b.balance < 0n) this.#anomaly(at, `${token}/${merchant}`, event.name, `collects ${amount}, more than the balance the ledger knows`);
        return;
      }
      case "escrow.MerchantConfigured":
        this.ledger.merchants.set(event.args.merchant, event.args);
        return;
      case "escrow.TokenConfigured":
        this.ledger.tokens.set(event.args.token, { allowed: event.args.allowed, largeTransactionThreshold: event.args.largeTransactionThreshold });
        return;
      case "escrow.TreasurySet":
        this.ledger.treasury = event.args.treasury;
        return;
      case "token.Transfer":
        return this.#transfer(event.args.from, event.args.to, event.args.value);
      case "token.Minted": {
        const { issuer, to, amount, fiatReference } = event.args;
        this.ledger.stablecoin.issuance.push({ ...at, kind: "mint", issuer, account: to, amount, fiatReference });
        this.ledger.stablecoin.totalMinted += amount;
        return;
      }
      case "token.Burned": {
        const { issuer, amount, fiatReference } = event.args;
        this.ledger.stablecoin.issuance.push({ ...at, kind: "burn", issuer, account: issuer, amount, fiatReference });
        this.ledger.stablecoin.totalBurned += amount;
        return;
      }
      case "token.Blocklisted":
      case "token.Unblocklisted":
        this.ledger.stablecoin.blocklist.push({ ...at, account: event.args.account, blocklisted: event.name === "Blocklisted", reason: event.args.reason });
        return;
      case "kyc.KycRecordSet":
        this.ledger.kycChanges.push({ ...at, kind: "record_set", ...event.args });
        return;
      case "kyc.AccountFrozen":
      case "kyc.AccountUnfrozen":
        this.ledger.kycChanges.push({ ...at, kind: event.name === "AccountFrozen" ? "frozen" : "unfrozen", ...event.args });
        return;
      case "kyc.JurisdictionBlockSet":
        this.ledger.kycChanges.push({ ...at, kind: "jurisdiction", ...event.args });
        return;
      default:
        if (event.contract === "receivables") this.#receivables?.apply(event);
    }
  }

  #transfer(from: string, to: string, value: bigint): void {
    const s = this.ledger.stablecoin;
    if (from === ZERO_ADDRESS) s.transferMinted += value;
    else s.holders.set(from, (s.holders.get(from) ?? 0n) - value);
    if (to === ZERO_ADDRESS) s.transferBurned += value;
    else s.holders.set(to, (s.holders.get(to) ?? 0n) + value);
  }

  #paymentEvent(event: Extract<LedgerEvent, { kind: `escrow.${PaymentEventName}` }>, at: EventPosition): void {
    const id = event.args.paymentId;
    let p = this.ledger.payments.get(id);
    if (event.name === "PaymentAuthorized") {
      if (p) return this.#anomaly(at, id, event.name, "authorized twice");
      p = this.#newPayment(event.args, at);
    }
    if (!p) return this.#anomaly(at, id, event.name, "event for a payment that was never authorized");

    const statusBefore = p.status;
    const entry: PaymentHistoryEntry = {
      ...at,
      event: event.name,
      args: stringArgs(event.args),
      statusBefore,
      statusAfter: statusBefore,
      heldBefore: p.held,
      releasedBefore: p.released,
    };
    const allowed = ALLOWED_BEFORE[event.name];
    if (event.name !== "PaymentAuthorized" && allowed && !allowed.includes(statusBefore)) {
      this.#anomaly(at, id, event.name, `not allowed while the payment is ${statusBefore}`);
    }
    switch (event.name) {
      case "PaymentVoided":
      case "PaymentReclaimed":
        if (event.args.amount !== p.capturable) this.#anomaly(at, id, event.name, `returns ${event.args.amount} but ${p.capturable} was capturable`);
        break;
      case "ReceiptConfirmed":
        p.receiptConfirmed = true;
        break;
      case "DisputeOpened":
        if (p.disputeUsed) this.#anomaly(at, id, event.name, "a second dispute");
        p.disputeUsed = true;
        break;
      default:
        break;
    }

    const applied = applyEscrowEvent(p, event);
    p = applied.payment;
    this.ledger.payments.set(id, p);
    for (const movement of applied.movements) {
      this.#addToTotals(p, movement);
      this.#post(p, at, event.name, movement);
    }
    entry.statusAfter = p.status;
    p.history.push(entry);
  }

  #newPayment(a: EscrowEventArgs["PaymentAuthorized"], at: EventPosition): LedgerPayment {
    const terms = this.terms.get(a.paymentId) ?? null;
    const config = this.ledger.merchants.get(a.merchant);
    const feeTerms: LedgerPayment["feeTerms"] = terms
      ? { feeBps: terms.feeBps, partner: terms.partner, partnerShareBps: terms.partnerShareBps, source: "terms" }
      : config
        ? { feeBps: config.feeBps, partner: config.partner, partnerShareBps: config.partnerShareBps, source: "merchant_config" }
        : null;
    this.ledger.thresholdAtAuthorization.set(a.paymentId, this.ledger.tokens.get(a.token)?.largeTransactionThreshold ?? 0n);
    return {
      paymentId: a.paymentId,
      merchant: a.merchant,
      buyer: a.buyer,
      token: a.token,
      amount: a.amount,
      orderRef: a.orderRef,
      fundingMethod: a.method,
      authorized: at,
      ...UNAUTHORIZED,
      captured: 0n,
      voided: 0n,
      reclaimed: 0n,
      refundedFromHeld: 0n,
      fee: 0n,
      partnerFee: 0n,
      net: 0n,
      disputeUsed: false,
      receiptConfirmed: false,
      feeTerms,
      terms,
      history: [],
    };
  }

  /** The payment's running totals, by kind of movement (the fee charged is the treasury's part plus the partner's). */
  #addToTotals(p: LedgerPayment, m: Movement): void {
    switch (m.kind) {
      case "capture":
        p.captured += m.amount;
        break;
      case "void":
        p.voided += m.amount;
        break;
      case "reclaim":
        p.reclaimed += m.amount;
        break;
      case "release":
        p.net += m.amount;
        break;
      case "fee":
        p.fee += m.amount;
        break;
      case "partner_fee":
        p.fee += m.amount;
        p.partnerFee += m.amount;
        break;
      case "refund":
        p.refundedFromHeld -= m.heldDelta;
        break;
      case "authorize":
        break;
    }
  }

  /**
   * Posts a movement to the balance of its party: a release credits the merchant's net, the treasury's fee less the
   * partner's share, and the partner's share; a refund debits what it takes from the merchant's balance.
   */
  #post(p: LedgerPayment, at: EventPosition, event: PaymentEventName, m: Movement): void {
    switch (m.kind) {
      case "release": {
        const merchant = this.#balance(p.token, p.merchant, "merchant");
        merchant.creditedNet += m.balanceDelta;
        merchant.balance += m.balanceDelta;
        break;
      }
      case "fee": {
        if (!this.ledger.treasury) return this.#anomaly(at, p.paymentId, event, "a fee was credited before any TreasurySet event");
        const treasury = this.#balance(p.token, this.ledger.treasury, "treasury");
        treasury.creditedFees += m.balanceDelta;
        treasury.balance += m.balanceDelta;
        break;
      }
      case "partner_fee": {
        const partner = p.feeTerms?.partner;
        if (!partner || partner === ZERO_ADDRESS) return this.#anomaly(at, p.paymentId, event, "a partner fee without a partner in the payment's terms");
        const b = this.#balance(p.token, partner, "partner");
        b.creditedPartnerFees += m.balanceDelta;
        b.balance += m.balanceDelta;
        break;
      }
      case "refund": {
        if (m.balanceDelta === 0n) break;
        const merchant = this.#balance(p.token, p.merchant);
        merchant.debitedRefunds -= m.balanceDelta;
        merchant.balance += m.balanceDelta;
        if (merchant.balance < 0n) this.#anomaly(at, p.paymentId, event, `refund takes ${-m.balanceDelta} from a merchant balance the ledger puts below it`);
        break;
      }
      default:
        break;
    }
  }

  #balance(token: string, account: string, role?: AccountRole): LedgerBalance {
    let byAccount = this.ledger.balances.get(token);
    if (!byAccount) this.ledger.balances.set(token, (byAccount = new Map()));
    let b = byAccount.get(account);
    if (!b) {
      b = { token, account, roles: new Set(), creditedNet: 0n, creditedFees: 0n, creditedPartnerFees: 0n, debitedRefunds: 0n, collected: 0n, paidOut: 0n, payouts: 0, failedPayouts: 0, balance: 0n };
      byAccount.set(account, b);
    }
    if (role) b.roles.add(role);
    return b;
  }

  #anomaly(at: EventPosition, subject: string, event: string, message: string): void {
    this.ledger.anomalies.push({ ...at, subject, event, message });
  }
}

function stringArgs(args: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(args)) out[k] = String(v);
  return out;
}

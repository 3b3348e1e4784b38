// How one escrow event moves one payment (PaymentEscrow's PaymentState and status) and whose balance in the escrow it
// credits or debits. Pure, and the one copy of these rules: the chain-only audit's ledger (./ledger.ts) turns the
// movements into account balances, the relayer's ledger projection (relayer/domain/ledger.ts) into ledger entries.
// Each side names the parties' addresses itself (the treasury and a partner come from configuration it tracks).
import type { ChainStatus } from "../reconcile.js";
import type { EscrowEventArgs } from "./events.js";
import { nextStatus } from "./status.js";

/** What the escrow keeps per payment (PaymentState and its status), plus everything refunded to the buyer. */
export interface PaymentAmounts {
  status: ChainStatus;
  /** Authorized and not yet captured, voided or reclaimed. */
  capturable: bigint;
  /** Captured and still in escrow. */
  held: bigint;
  /** Gross ever released to the merchant. */
  released: bigint;
  /** The part of `released` refunded to the buyer from the merchant's balance. */
  refundedAfterRelease: bigint;
  /** Everything refunded to the buyer: from held funds or from the merchant's balance. */
  refunded: bigint;
}

/** A payment before its PaymentAuthorized event. */
export const UNAUTHORIZED: Readonly<PaymentAmounts> = { status: "none", capturable: 0n, held: 0n, released: 0n, refundedAfterRelease: 0n, refunded: 0n };

export const PAYMENT_EVENTS = [
  "PaymentAuthorized",
  "PaymentCaptured",
  "PaymentVoided",
  "PaymentReclaimed",
  "PaymentReleased",
  "ReceiptConfirmed",
  "PaymentRefunded",
  "DisputeOpened",
  "DisputeResolved",
] as const satisfies ReadonlyArray<keyof EscrowEventArgs>;
export type PaymentEventName = (typeof PAYMENT_EVENTS)[number];

type ArgsOf<N extends PaymentEventName, K extends keyof EscrowEventArgs[N]> = Pick<EscrowEventArgs[N], K>;

/** An escrow event about one payment, with the arguments these rules read. */
export type PaymentEvent =
  | { name: "PaymentAuthorized"; args: ArgsOf<"PaymentAuthorized", "amount"> }
  | { name: "PaymentCaptured" | "PaymentVoided" | "PaymentReclaimed"; args: ArgsOf<"PaymentCaptured", "amount"> }
  | { name: "PaymentReleased"; args: ArgsOf<"PaymentReleased", "gross" | "fee" | "partnerFee" | "net"> }
  | { name: "PaymentRefunded"; args: ArgsOf<"PaymentRefunded", "amount" | "fromHeld" | "fromMerchant"> }
  | { name: "ReceiptConfirmed" | "DisputeOpened" | "DisputeResolved" };

export const MOVEMENT_KINDS = ["authorize", "capture", "void", "reclaim", "release", "fee", "partner_fee", "refund"] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

/**
 * Whose money moved: the buyer (authorized, or given back), the merchant (credited, or paying a refund), the
 * treasury (platform fee) or the merchant's partner (its share of the fee).
 */
export type MovementParty = "buyer" | "merchant" | "treasury" | "partner";

/** One party's share of an event: what it received or paid and how the escrow's buckets changed. */
export interface Movement {
  kind: MovementKind;
  /** Null for a capture, which moves money inside the escrow only (capturable to held). */
  party: MovementParty | null;
  /** What the party received or paid (positive for every event the escrow can emit). */
  amount: bigint;
  capturableDelta: bigint;
  heldDelta: bigint;
  /** Change of the party's claimable balance in the escrow. */
  balanceDelta: bigint;
}

export interface AppliedEvent<P extends PaymentAmounts> {
  /** A copy of the payment with the event applied. */
  payment: P;
  /** In a fixed order; none for events that move no money (ReceiptConfirmed, DisputeOpened, DisputeResolved). */
  movements: Movement[];
}

const movement = (kind: MovementKind, party: MovementParty | null, amount: bigint, deltas: Partial<Pick<Movement, "capturableDelta" | "heldDelta" | "balanceDelta">>): Movement => ({
  kind,
  party,
  amount,
  capturableDelta: 0n,
  heldDelta: 0n,
  balanceDelta: 0n,
  ...deltas,
});

/**
 * Applies one event to its payment as PaymentEscrow does. It checks nothing (an event the contract would not have
 * emitted in the payment's status is still applied): the audit judges events, the relayer trusts its chain.
 */
export function applyEscrowEvent<P extends PaymentAmounts>(payment: P, event: PaymentEvent): AppliedEvent<P> {
  const p: P = { ...payment };
  switch (event.name) {
    case "PaymentAuthorized": {
      const { amount } = event.args;
      p.capturable += amount;
      p.status = "authorized";
      return { payment: p, movements: [movement("authorize", "buyer", amount, { capturableDelta: amount })] };
    }
    case "PaymentCaptured": {
      const { amount } = event.args;
      p.capturable -= amount;
      p.held += amount;
      p.status = "captured";
      return { payment: p, movements: [movement("capture", null, amount, { capturableDelta: -amount, heldDelta: amount })] };
    }
    case "PaymentVoided":
    case "PaymentReclaimed": {
      // Both return everything capturable to the buyer; captured funds stay held.
      const { amount } = event.args;
      p.capturable -= amount;
      p.status = nextStatus(p.status, p, false);
      const kind = event.name === "PaymentVoided" ? "void" : "reclaim";
      return { payment: p, movements: [movement(kind, "buyer", amount, { capturableDelta: -amount })] };
    }
    case "PaymentReleased": {
      // The merchant is credited the net, the treasury the fee less the partner's share, the partner its share.
      const { gross, fee, partnerFee, net } = event.args;
      p.held -= gross;
      p.released += gross;
      p.status = nextStatus(p.status, p, true);
      const movements = [movement("release", "merchant", net, { heldDelta: -gross, balanceDelta: net })];
      if (fee !== partnerFee) movements.push(movement("fee", "treasury", fee - partnerFee, { balanceDelta: fee - partnerFee }));
      if (partnerFee !== 0n) movements.push(movement("partner_fee", "partner", partnerFee, { balanceDelta: partnerFee }));
      return { payment: p, movements };
    }
    case "PaymentRefunded": {
      // A refund comes from held funds first, the rest from the merchant's balance (after a release).
      const { amount, fromHeld, fromMerchant } = event.args;
      p.held -= fromHeld;
      p.refundedAfterRelease += fromMerchant;
      p.refunded += amount;
      p.status = nextStatus(p.status, p, true);
      return { payment: p, movements: [movement("refund", "merchant", amount, { heldDelta: -fromHeld, balanceDelta: -fromMerchant })] };
    }
    case "DisputeOpened":
      p.status = "disputed";
      return { payment: p, movements: [] };
    case "DisputeResolved":
      // The buyer's part follows as PaymentRefunded, the merchant's as PaymentReleased; they move the money.
      p.status = "captured";
      return { payment: p, movements: [] };
    case "ReceiptConfirmed":
      // The release that follows moves the money.
      return { payment: p, movements: [] };
  }
}

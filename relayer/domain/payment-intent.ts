// A payment intent: what a merchant asked for, and where its payment stands on chain. Pure: no I/O.
import { PaymentStatus, type PaymentTerms } from "../chain/typed-data.js";
import { conflict } from "./errors.js";

export type CaptureMethod = "automatic" | "manual";

/** What the API shows. `processing` overlays any state while an operation is on its way to the chain. */
export type IntentStatus =
  | "requires_authorization"
  | "processing"
  | "requires_capture"
  | "captured"
  | "disputed"
  | "released"
  | "canceled"
  | "refunded"
  | "failed";

/** The on-chain work an intent can ask for; each becomes one outbox operation. */
export type OperationKind = "authorize" | "charge" | "capture" | "void" | "refund" | "release" | "confirm_receipt" | "open_dispute" | "resolve_dispute";

export interface OnChainAmounts {
  capturable: bigint;
  held: bigint;
  released: bigint;
  refunded: bigint;
  /** The part of the released funds refunded from the merchant's balance since (the escrow's refundedAfterRelease). */
  refundedAfterRelease: bigint;
}

export interface PaymentIntent {
  id: string;
  merchantId: string;
  paymentId: string;
  /** The merchant's order reference; the terms carry its keccak256 hash. */
  orderRef: string;
  terms: PaymentTerms;
  captureMethod: CaptureMethod;
  metadata: Record<string, string>;
  /** The escrow's lifecycle status of the payment, as last confirmed. */
  chainStatus: PaymentStatus;
  amounts: OnChainAmounts;
  /** Unix seconds of the latest capture (0 before any): the confirmation window runs from it. */
  heldSince: number;
  /** Operations accepted but not yet confirmed or failed. */
  pendingOperations: OperationKind[];
  failure?: { code: string; message: string };
  createdAt: number;
  updatedAt: number;
}

/** The status the API shows, derived from the chain state and what is in flight. */
export function intentStatus(intent: Pick<PaymentIntent, "chainStatus" | "amounts" | "pendingOperations" | "failure">): IntentStatus {
  if (intent.pendingOperations.length > 0) return "processing";
  switch (intent.chainStatus) {
    case PaymentStatus.None:
      return intent.failure ? "failed" : "requires_authorization";
    case PaymentStatus.Authorized:
      return "requires_capture";
    case PaymentStatus.Captured:
      return intent.amounts.held > 0n ? "captured" : "requires_capture";
    case PaymentStatus.Disputed:
      return "disputed";
    case PaymentStatus.Released:
      return "released";
    case PaymentStatus.Voided:
      return "canceled";
    case PaymentStatus.Refunded:
      return "refunded";
    default:
      throw new Error(`unknown chain status ${String(intent.chainStatus)}`);
  }
}

/** Checks that `kind` may be requested now; throws a 409 naming the state otherwise. */
export function assertCanRequest(intent: PaymentIntent, kind: OperationKind, amount?: bigint): void {
  const status = intentStatus(intent);
  const refuse = (why: string) => {
    throw conflict("intent_unexpected_state", `Cannot ${kind} payment intent ${intent.id} in status ${status}: ${why}`);
  };
  if (status === "processing") refuse(`an earlier ${intent.pendingOperations.join(", ")} is still being confirmed`);
  switch (kind) {
    case "authorize":
    case "charge":
      if (status !== "requires_authorization") refuse("it was already confirmed");
      return;
    case "capture":
    case "void":
      if (intent.amounts.capturable === 0n) refuse("nothing is left to capture");
      if (kind === "capture" && amount !== undefined && amount > intent.amounts.capturable) {
        throw conflict("amount_exceeds_capturable", `Capture of ${amount} exceeds the capturable ${intent.amounts.capturable}`);
      }
      return;
    case "refund": {
      const refundable = intent.amounts.held + intent.amounts.released;
      if (status === "disputed") refuse("the payment is disputed");
      if (refundable === 0n) refuse("nothing captured is left to refund");
      if (amount !== undefined && amount > refundable) {
        throw conflict("amount_exceeds_refundable", `Refund of ${amount} exceeds the refundable ${refundable}`);
      }
      return;
    }
    case "resolve_dispute":
      if (status !== "disputed") refuse("it is not disputed");
      if (amount !== undefined && amount > intent.amounts.held) {
        throw conflict("amount_exceeds_held", `The buyer's part ${amount} exceeds the disputed ${intent.amounts.held}`);
      }
      return;
    case "release":
    case "confirm_receipt":
    case "open_dispute":
      if (status !== "captured") refuse("no captured funds are held");
      return;
  }
}

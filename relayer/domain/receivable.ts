// A receivable (an invoice of a supplier against a core enterprise, or a part of one) and the rules the
// ReceivableRegistry applies to it, mirrored so the relayer refuses what the contract would refuse before
// anything is written or sent. Pure: no I/O. One implementation of the state guard and of the finance price.
import { ReceivableState } from "../chain/receivable-typed-data.js";
import { conflict, invalid } from "./errors.js";

/** The registry's limits (ReceivableRegistry MAX_PARTS_PER_SPLIT / MAX_PARTS_PER_INVOICE); a test checks them. */
export const MAX_PARTS_PER_SPLIT = 10;
export const MAX_PARTS_PER_INVOICE = 64;
const BPS = 10_000n;
const DAYS_PER_YEAR = 365n;
const DAY = 86_400n;

/** What a party can ask the registry to do with a receivable; each becomes one outbox operation. */
export type ReceivableAction = "issue" | "accept" | "reject" | "split" | "transfer" | "finance" | "repay";

/** What the API shows. `processing` overlays any state while an action is on its way to the chain. */
export type ReceivableStatus =
  | "processing"
  | "failed"
  | "pending_acceptance"
  | "accepted"
  | "rejected"
  | "split"
  | "repaid"
  | "overdue"
  | "defaulted";

export interface Receivable {
  id: string;
  /** The ERC-721 token id (decimal): the root's is the EIP-712 digest of the invoice terms. */
  tokenId: string;
  /** The receivable ids of the immediate parent and of the root invoice (the root's root is itself). */
  parentId: string | null;
  rootId: string;
  issuer: string;
  debtor: string;
  token: string;
  /** The current holder (the zero address once split). */
  holder: string;
  faceValue: bigint;
  /** Unix seconds. */
  issuedAt: number;
  dueAt: number;
  acceptBy: number;
  documentHash: string;
  invoiceRef: string | null;
  chainState: ReceivableState;
  financed: boolean;
  principalPaid: bigint;
  lateFeeDue: bigint;
  /** Actions accepted by the API but not yet confirmed or failed. */
  pendingActions: ReceivableAction[];
  failure?: { code: string; message: string };
  createdAt: number;
  updatedAt: number;
}

/** The chain's view of one receivable, as the reader returns it. */
export interface ChainReceivable {
  tokenId: bigint;
  parent: bigint;
  root: bigint;
  issuer: string;
  debtor: string;
  token: string;
  holder: string;
  faceValue: bigint;
  issuedAt: number;
  dueAt: number;
  acceptBy: number;
  state: ReceivableState;
  financed: boolean;
  principalPaid: bigint;
  lateFeeDue: bigint;
  documentHash: string;
}

const STATUS: Record<ReceivableState, ReceivableStatus> = {
  [ReceivableState.None]: "processing",
  [ReceivableState.Pending]: "pending_acceptance",
  [ReceivableState.Accepted]: "accepted",
  [ReceivableState.Rejected]: "rejected",
  [ReceivableState.Split]: "split",
  [ReceivableState.Repaid]: "repaid",
  [ReceivableState.Overdue]: "overdue",
  [ReceivableState.Defaulted]: "defaulted",
};

export function receivableStatus(r: Pick<Receivable, "chainState" | "pendingActions" | "failure">): ReceivableStatus {
  if (r.pendingActions.length > 0) return "processing";
  if (r.chainState === ReceivableState.None) return r.failure ? "failed" : "processing";
  return STATUS[r.chainState];
}

/** The states each action needs (the contract's `_requireState` for it), with the code the API refuses with. */
const GUARD: Record<Exclude<ReceivableAction, "issue">, { states: ReceivableState[]; code: string; needs: string }> = {
  accept: { states: [ReceivableState.Pending], code: "receivable_not_pending", needs: "awaiting acceptance" },
  reject: { states: [ReceivableState.Pending], code: "receivable_not_pending", needs: "awaiting acceptance" },
  split: { states: [ReceivableState.Accepted], code: "receivable_not_accepted", needs: "accepted" },
  transfer: { states: [ReceivableState.Accepted, ReceivableState.Overdue], code: "receivable_not_accepted", needs: "accepted (or overdue)" },
  finance: { states: [ReceivableState.Accepted], code: "receivable_not_accepted", needs: "accepted" },
  // A split invoice is repaid through its root: the registry allocates over the open parts under it.
  repay: {
    states: [ReceivableState.Accepted, ReceivableState.Split, ReceivableState.Overdue, ReceivableState.Defaulted],
    code: "receivable_not_repayable",
    needs: "accepted, split, overdue or defaulted",
  },
};

/**
 * The one guard: refuses `action` on `r` at chain time `nowSeconds` unless the registry would take it. Time
 * rules are the contract's: acceptance until `acceptBy` inclusive; no split or finance from `dueAt` on.
 */
export function assertCanRequest(r: Receivable, action: Exclude<ReceivableAction, "issue">, nowSeconds: number): void {
  if (r.pendingActions.length > 0) {
    throw conflict("receivable_processing", `Receivable ${r.id} has a ${r.pendingActions[0]} on its way to the chain; retry once it is confirmed`);
  }
  const guard = GUARD[action];
  if (!guard.states.includes(r.chainState)) {
    throw conflict(guard.code, `Receivable ${r.id} is ${receivableStatus(r)}; ${action} needs it ${guard.needs}`);
  }
  if (action === "accept" && nowSeconds > r.acceptBy) {
    throw conflict("acceptance_expired", `The acceptance window of receivable ${r.id} closed at ${r.acceptBy}`);
  }
  if (action === "split" || action === "finance") {
    if (nowSeconds >= r.dueAt) throw conflict("receivable_matured", `Receivable ${r.id} matured at ${r.dueAt}: it can no longer be ${action === "split" ? "split" : "financed"}`);
    if (r.principalPaid > 0n) throw conflict("receivable_partly_repaid", `Receivable ${r.id} has been partly repaid`);
  }
  if (action === "finance" && r.financed) {
    throw conflict("receivable_already_financed", `Receivable ${r.id} has already been financed (or split from one that was)`);
  }
}

/** Checks a split of `r` into `faceValues` (already positive integers) when its invoice has `invoiceParts` ids. */
export function checkSplit(r: Pick<Receivable, "faceValue">, faceValues: bigint[], invoiceParts: number): void {
  if (faceValues.length < 2) throw invalid("split_parts_count", "A split needs at least 2 parts", "parts");
  if (faceValues.length > MAX_PARTS_PER_SPLIT) {
    throw invalid("split_too_many_parts", `A split makes at most ${MAX_PARTS_PER_SPLIT} parts, got ${faceValues.length}`, "parts");
  }
  if (invoiceParts + faceValues.length > MAX_PARTS_PER_INVOICE) {
    throw invalid("invoice_parts_limit", `An invoice has at most ${MAX_PARTS_PER_INVOICE} receivables; this one has ${invoiceParts}`, "parts");
  }
  const zero = faceValues.findIndex((v) => v <= 0n);
  if (zero >= 0) throw invalid("split_part_zero", `Part ${zero} must have a positive face value`, `parts.${zero}.face_value`);
  const sum = faceValues.reduce((a, b) => a + b, 0n);
  if (sum !== r.faceValue) {
    throw invalid("split_parts_mismatch", `The parts sum to ${sum}, not to the face value ${r.faceValue}`, "parts");
  }
}

export interface FinanceQuote {
  daysToMaturity: bigint;
  discount: bigint;
  /** What the financier pays in total. */
  price: bigint;
  /** The platform's part of the price. */
  fee: bigint;
  /** What the holder receives: price - fee. */
  proceeds: bigint;
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/**
 * The registry's finance price (`_quote`), rounded against the holder and for the platform: whole days to
 * maturity rounded up, `discount = ceil(face * rate * days / (10_000 * 365))`, `fee = ceil(price * feeBps / 10_000)`.
 */
export function financeQuote(faceValue: bigint, dueAt: number, nowSeconds: number, annualRateBps: number, platformFeeBps: number): FinanceQuote {
  if (nowSeconds >= dueAt) throw conflict("receivable_matured", `The receivable matured at ${dueAt}`);
  if (annualRateBps <= 0) throw invalid("annual_rate_invalid", "annual_rate_bps must be positive", "annual_rate_bps");
  const daysToMaturity = ceilDiv(BigInt(dueAt - nowSeconds), DAY);
  const discount = ceilDiv(faceValue * BigInt(annualRateBps) * daysToMaturity, BPS * DAYS_PER_YEAR);
  if (discount >= faceValue) throw invalid("annual_rate_invalid", `A rate of ${annualRateBps} bps discounts the whole face value away`, "annual_rate_bps");
  const price = faceValue - discount;
  const fee = ceilDiv(price * BigInt(platformFeeBps), BPS);
  return { daysToMaturity, discount, price, fee, proceeds: price - fee };
}

/** The late fee on `principal` from `fromSeconds` to `nowSeconds` (`_accruedSince`): rounded down. */
export function lateFeeAccrued(principal: bigint, lateFeeBps: number, fromSeconds: number, nowSeconds: number): bigint {
  if (nowSeconds <= fromSeconds) return 0n;
  return (principal * BigInt(lateFeeBps) * BigInt(nowSeconds - fromSeconds)) / (BPS * DAYS_PER_YEAR * DAY);
}

/** Whether `r` still carries a claim (the holder will be paid): the registry's open states. */
export const isOpen = (r: Pick<Receivable, "chainState">): boolean =>
  r.chainState === ReceivableState.Accepted || r.chainState === ReceivableState.Overdue || r.chainState === ReceivableState.Defaulted;

/**
 * What the holder of `r` will receive and when: the unpaid principal at maturity (or now, if already due), plus
 * the late fee the registry counts as due now (`amountDue`, read from the chain: it accrues by the second).
 */
export function expectedPayment(r: Receivable, due: { principal: bigint; lateFee: bigint }, nowSeconds: number, gracePeriod: number) {
  return {
    principal: due.principal,
    lateFee: due.lateFee,
    total: due.principal + due.lateFee,
    dueAt: r.dueAt,
    overdue: nowSeconds >= r.dueAt + gracePeriod,
  };
}

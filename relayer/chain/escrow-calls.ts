// Calldata for the escrow operations the relayer submits, single or batched. Pure: no I/O.
import { Interface, type Result } from "ethers";

import { PaymentEscrow__factory } from "../../typechain-types/index.js";
import { functionEncoder } from "./abi-encoding.js";
import { logParser } from "./log-parser.js";
import type { FundingMethod, PaymentTerms } from "./typed-data.js";

export const escrowInterface: Interface = PaymentEscrow__factory.createInterface() as unknown as Interface;

/** Calldata of the escrow's functions (plain values as hex words, anything else by ethers). */
const encode = functionEncoder(escrowInterface);

/** Parses one of the escrow's logs; null for anything else (another contract's event, or data that does not decode). */
export const parseEscrowLog = logParser([escrowInterface]);

export type EscrowCall =
  | { kind: "authorize" | "charge"; terms: PaymentTerms; method: FundingMethod; funding: string }
  | { kind: "capture" | "refund"; terms: PaymentTerms; amount: bigint }
  | { kind: "void" | "release"; terms: PaymentTerms }
  | { kind: "payout"; token: string; account: string }
  | { kind: "confirm_receipt"; terms: PaymentTerms; deadline: bigint; signature: string }
  | { kind: "open_dispute"; terms: PaymentTerms; reason: string; signature: string }
  | { kind: "resolve_dispute"; terms: PaymentTerms; buyerAmount: bigint };

/** Kinds the escrow has a batch entry point for, where each item succeeds or fails on its own. */
export const BATCHABLE = new Set<EscrowCall["kind"]>(["authorize", "capture", "release", "payout"]);

/** Calldata for one call, or for a batch of calls of one batchable kind. */
export function encodeCalls(calls: EscrowCall[]): string {
  const [first] = calls;
  if (!first) throw new Error("no calls to encode");
  if (calls.length === 1) return encodeOne(first);
  if (!BATCHABLE.has(first.kind) || calls.some((c) => c.kind !== first.kind)) {
    throw new Error(`calls of kind ${first.kind} cannot be batched together`);
  }
  switch (first.kind) {
    case "authorize":
      return encode("authorizeMany", [
        calls.map((c) => {
          const a = c as { terms: PaymentTerms; method: FundingMethod; funding: string };
          return { terms: a.terms, method: a.method, funding: a.funding };
        }),
      ]);
    case "capture":
      return encode("captureMany", [
        calls.map((c) => {
          const a = c as { terms: PaymentTerms; amount: bigint };
          return { terms: a.terms, amount: a.amount };
        }),
      ]);
    case "payout": {
      const payouts = calls as { token: string; account: string }[];
      if (payouts.some((p) => p.token.toLowerCase() !== payouts[0]!.token.toLowerCase())) {
        throw new Error("payouts of different tokens cannot share a batch");
      }
      return encode("payoutMany", [payouts[0]!.token, payouts.map((p) => p.account)]);
    }
    default:
      return encode("releaseMany", [calls.map((c) => (c as { terms: PaymentTerms }).terms)]);
  }
}

function encodeOne(call: EscrowCall): string {
  switch (call.kind) {
    case "authorize":
    case "charge":
      return encode(call.kind, [call.terms, call.method, call.funding]);
    case "capture":
    case "refund":
      return encode(call.kind, [call.terms, call.amount]);
    case "void":
    case "release":
      return encode(call.kind, [call.terms]);
    case "payout":
      return encode("payout", [call.token, call.account]);
    case "confirm_receipt":
      return encode("confirmReceipt", [call.terms, call.deadline, call.signature]);
    case "open_dispute":
      return encode("openDispute", [call.terms, call.reason, call.signature]);
    case "resolve_dispute":
      return encode("resolveDispute", [call.terms, call.buyerAmount]);
  }
}

export interface DecodedError {
  name: string;
  args: Result | unknown[];
}

/** Decodes revert data from the escrow, or from the registry and token it calls (their errors bubble up). */
export function decodeRevert(data: string | undefined | null, extra: Interface[] = []): DecodedError | undefined {
  if (!data || data === "0x") return undefined;
  for (const iface of [escrowInterface, ...extra]) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return { name: parsed.name, args: parsed.args };
    } catch {
      // not this contract's error
    }
  }
  return undefined;
}

// Calldata for the ReceivableRegistry calls the relayer submits with the parties' signatures, and their outbox
// payloads (JSON, bigints as decimal strings) and back. Pure: no I/O.
import { Interface } from "ethers";

import { IReceivableRegistry__factory } from "../../typechain-types/index.js";
import { logParser } from "./log-parser.js";
import type { Authorization, FinanceOffer, InvoiceTerms, RepaymentSource } from "./receivable-typed-data.js";

export const registryInterface: Interface = IReceivableRegistry__factory.createInterface() as unknown as Interface;

/** The registry's ERC-721 events (not in IReceivableRegistry): a holder's own transfers, and the mints and burns. */
export const registryTokenInterface = new Interface([
  "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
  "event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)",
  "event ApprovalForAll(address indexed owner, address indexed operator, bool approved)",
]);

/** Decodes every event the registry emits, by topic (the indexer follows the registry with it). */
export const parseRegistryLog = logParser([registryInterface, registryTokenInterface]);

export type ReceivableCall =
  | { kind: "rcv_issue"; terms: InvoiceTerms; signature: string }
  | { kind: "rcv_accept"; receivableId: bigint; auth: Authorization }
  | { kind: "rcv_reject"; receivableId: bigint; reason: string; auth: Authorization }
  | { kind: "rcv_split"; receivableId: bigint; faceValues: bigint[]; recipients: string[]; auth: Authorization }
  | { kind: "rcv_transfer"; receivableId: bigint; to: string; auth: Authorization }
  | { kind: "rcv_finance"; offer: FinanceOffer; financierSignature: string; minProceeds: bigint; auth: Authorization }
  | { kind: "rcv_repay"; receivableId: bigint; amount: bigint; source: RepaymentSource; auth: Authorization };

export const RECEIVABLE_KINDS = ["rcv_issue", "rcv_accept", "rcv_reject", "rcv_split", "rcv_transfer", "rcv_finance", "rcv_repay"] as const;
export type ReceivableKind = (typeof RECEIVABLE_KINDS)[number];

export const isReceivableKind = (kind: string): kind is ReceivableKind => (RECEIVABLE_KINDS as readonly string[]).includes(kind);

export function encodeReceivableCall(call: ReceivableCall): string {
  switch (call.kind) {
    case "rcv_issue":
      return registryInterface.encodeFunctionData("issue", [call.terms, call.signature]);
    case "rcv_accept":
      return registryInterface.encodeFunctionData("accept", [call.receivableId, call.auth]);
    case "rcv_reject":
      return registryInterface.encodeFunctionData("reject", [call.receivableId, call.reason, call.auth]);
    case "rcv_split":
      return registryInterface.encodeFunctionData("split", [call.receivableId, call.faceValues, call.recipients, call.auth]);
    case "rcv_transfer":
      return registryInterface.encodeFunctionData("transferBySig", [call.receivableId, call.to, call.auth]);
    case "rcv_finance":
      return registryInterface.encodeFunctionData("finance", [call.offer, call.financierSignature, call.minProceeds, call.auth]);
    case "rcv_repay":
      return registryInterface.encodeFunctionData("repay", [call.receivableId, call.amount, call.source, call.auth]);
  }
}

/** The call as stored in the outbox: bigints as decimal strings, tagged with its kind. */
export const serializeReceivableCall = (call: ReceivableCall): Record<string, unknown> =>
  JSON.parse(JSON.stringify(call, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))) as Record<string, unknown>;

const big = (v: unknown) => BigInt(String(v));
const auth = (a: unknown): Authorization => {
  const r = a as Record<string, unknown>;
  return { nonce: String(r.nonce), deadline: big(r.deadline), signature: String(r.signature) };
};

export function deserializeReceivableCall(kind: string, payload: string): ReceivableCall {
  const raw = JSON.parse(payload) as Record<string, any>;
  if (raw.kind !== kind) throw new Error(`operation payload of kind ${String(raw.kind)} stored as ${kind}`);
  switch (kind) {
    case "rcv_issue": {
      const t = raw.terms as Record<string, unknown>;
      return {
        kind,
        terms: {
          issuer: String(t.issuer), dueAt: big(t.dueAt), acceptBy: big(t.acceptBy), debtor: String(t.debtor), token: String(t.token),
          faceValue: big(t.faceValue), documentHash: String(t.documentHash), invoiceRef: String(t.invoiceRef),
        },
        signature: String(raw.signature),
      };
    }
    case "rcv_accept":
      return { kind, receivableId: big(raw.receivableId), auth: auth(raw.auth) };
    case "rcv_reject":
      return { kind, receivableId: big(raw.receivableId), reason: String(raw.reason), auth: auth(raw.auth) };
    case "rcv_split":
      return {
        kind, receivableId: big(raw.receivableId), faceValues: (raw.faceValues as unknown[]).map(big),
        recipients: (raw.recipients as unknown[]).map(String), auth: auth(raw.auth),
      };
    case "rcv_transfer":
      return { kind, receivableId: big(raw.receivableId), to: String(raw.to), auth: auth(raw.auth) };
    case "rcv_finance": {
      const o = raw.offer as Record<string, unknown>;
      return {
        kind,
        offer: {
          receivableId: big(o.receivableId), financier: String(o.financier), annualRateBps: Number(o.annualRateBps), maxPrice: big(o.maxPrice),
          expiry: big(o.expiry), nonce: String(o.nonce),
        },
        financierSignature: String(raw.financierSignature),
        minProceeds: big(raw.minProceeds),
        auth: auth(raw.auth),
      };
    }
    case "rcv_repay":
      return { kind, receivableId: big(raw.receivableId), amount: big(raw.amount), source: Number(raw.source) as RepaymentSource, auth: auth(raw.auth) };
    default:
      throw new Error(`unknown receivable operation kind ${kind}`);
  }
}

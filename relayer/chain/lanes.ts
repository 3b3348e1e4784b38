// A lane is one signer key's stream of work: which operation kinds it submits, to which contract, and how they
// are encoded. The operator key drives the escrow lane; a compliance key drives the KYC lane; a receivables key
// drives the receivable registry's lane. Each lane has its
// own submitter and confirmer, so each key keeps its own strict nonce order.
import { Interface } from "ethers";

import { KycRegistry__factory } from "../../typechain-types/index.js";
import type { OperationRow } from "../persistence/chain-store.js";
import { functionEncoder } from "./abi-encoding.js";
import { BATCHABLE, encodeCalls, type EscrowCall } from "./escrow-calls.js";
import { deserializeCall } from "./operation-codec.js";
import { deserializeReceivableCall, encodeReceivableCall, RECEIVABLE_KINDS } from "./receivable-calls.js";

export interface Lane {
  name: string;
  kinds: readonly string[];
  to: string;
  batchable(kind: string): boolean;
  /** Calldata for operations of one kind (several only when batchable). */
  encode(ops: OperationRow[]): string;
}

export const ESCROW_KINDS = [
  "authorize", "charge", "capture", "void", "refund", "release", "payout", "confirm_receipt", "open_dispute",
] as const;

export const escrowLane = (escrow: string): Lane => ({
  name: "escrow",
  kinds: ESCROW_KINDS,
  to: escrow,
  batchable: (kind) => BATCHABLE.has(kind as EscrowCall["kind"]),
  encode: (ops) => encodeCalls(ops.map((op) => deserializeCall(op.kind, op.payload))),
});

/** The arbiter's key resolves disputes, and does nothing else. */
export const arbiterLane = (escrow: string): Lane => ({
  name: "arbiter",
  kinds: ["resolve_dispute"],
  to: escrow,
  batchable: () => false,
  encode: ([op]) => {
    if (!op) throw new Error("no operation to encode");
    return encodeCalls([deserializeCall(op.kind, op.payload)]);
  },
});

export const KYC_KINDS = ["kyc_set", "kyc_freeze", "kyc_unfreeze"] as const;
export type KycKind = (typeof KYC_KINDS)[number];

export interface KycSetPayload {
  account: string;
  tier: number;
  country: string;
  expiresAt: number;
  dossierHash: string;
  reason: string;
}

export interface KycFreezePayload {
  account: string;
  reason: string;
}

export const kycInterface: Interface = KycRegistry__factory.createInterface() as unknown as Interface;

const encodeKyc = functionEncoder(kycInterface);

export const kycLane = (registry: string): Lane => ({
  name: "kyc",
  kinds: KYC_KINDS,
  to: registry,
  batchable: () => false, // setRecords is all-or-nothing: one refused record must not fail the others
  encode: ([op]) => {
    if (!op) throw new Error("no operation to encode");
    if (op.kind === "kyc_set") {
      const p = JSON.parse(op.payload) as KycSetPayload;
      return encodeKyc("setRecord", [p.account, p.tier, p.country, p.expiresAt, p.dossierHash, p.reason]);
    }
    const p = JSON.parse(op.payload) as KycFreezePayload;
    return encodeKyc(op.kind === "kyc_freeze" ? "freeze" : "unfreeze", [p.account, p.reason]);
  },
});

/**
 * The receivables key holds only the registry's OPERATOR role: it carries the parties' signed actions (issue,
 * accept, split, transfer, finance, repay), one transaction each, in its own strict nonce order.
 */
export const receivablesLane = (registry: string): Lane => ({
  name: "receivables",
  kinds: RECEIVABLE_KINDS,
  to: registry,
  batchable: () => false, // the registry has no batch entry point: each party action succeeds or fails alone
  encode: ([op]) => {
    if (!op) throw new Error("no operation to encode");
    return encodeReceivableCall(deserializeReceivableCall(op.kind, op.payload));
  },
});

// The EIP-712 typed data each party signs for a receivable action, built in ONE place: the API hands it out
// (POST /v1/receivables/typed_data), the use cases rebuild it to recover the signer before anything is written,
// and the tests sign it. Types come from receivable-typed-data.ts (the registry's definitions). Pure: no I/O.

import {
  AcceptanceTypes,
  FinanceAcceptanceTypes,
  FinanceOfferTypes,
  InvoiceTermsTypes,
  ReceivableTransferTypes,
  registryDomain,
  RejectionTypes,
  RepaymentTypes,
  SplitTypes,
  type FinanceOffer,
  type InvoiceTerms,
  type RepaymentSource,
} from "./receivable-typed-data.js";
import { typedDataDigest } from "./signatures.js";
import type { TypedDataDomain } from "./typed-data.js";

export interface ReceivableTypedData {
  domain: TypedDataDomain;
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

/** One signed action: what it is about, and the signer's one-time nonce and deadline. */
export type SignedAction =
  | { action: "issue"; terms: InvoiceTerms }
  | { action: "accept"; receivableId: bigint; nonce: string; deadline: bigint }
  | { action: "reject"; receivableId: bigint; reason: string; nonce: string; deadline: bigint }
  | { action: "split"; receivableId: bigint; faceValues: bigint[]; recipients: string[]; nonce: string; deadline: bigint }
  | { action: "transfer"; receivableId: bigint; to: string; nonce: string; deadline: bigint }
  | { action: "offer"; offer: FinanceOffer }
  | { action: "accept_offer"; offer: FinanceOffer; minProceeds: bigint; nonce: string; deadline: bigint }
  | { action: "repay"; receivableId: bigint; amount: bigint; source: RepaymentSource; nonce: string; deadline: bigint };

export function receivableTypedData(chainId: bigint, registry: string, a: SignedAction): ReceivableTypedData {
  const domain = registryDomain(chainId, registry);
  switch (a.action) {
    case "issue":
      return { domain, types: InvoiceTermsTypes, primaryType: "InvoiceTerms", message: { ...a.terms } };
    case "accept":
      return { domain, types: AcceptanceTypes, primaryType: "Acceptance", message: { receivableId: a.receivableId, nonce: a.nonce, deadline: a.deadline } };
    case "reject":
      return {
        domain, types: RejectionTypes, primaryType: "Rejection",
        message: { receivableId: a.receivableId, reason: a.reason, nonce: a.nonce, deadline: a.deadline },
      };
    case "split":
      return {
        domain, types: SplitTypes, primaryType: "Split",
        message: { receivableId: a.receivableId, faceValues: a.faceValues, recipients: a.recipients, nonce: a.nonce, deadline: a.deadline },
      };
    case "transfer":
      return {
        domain, types: ReceivableTransferTypes, primaryType: "ReceivableTransfer",
        message: { receivableId: a.receivableId, to: a.to, nonce: a.nonce, deadline: a.deadline },
      };
    case "offer":
      return { domain, types: FinanceOfferTypes, primaryType: "FinanceOffer", message: { ...a.offer } };
    case "accept_offer":
      return {
        domain, types: FinanceAcceptanceTypes, primaryType: "FinanceAcceptance",
        message: { offer: { ...a.offer }, minProceeds: a.minProceeds, nonce: a.nonce, deadline: a.deadline },
      };
    case "repay":
      return {
        domain, types: RepaymentTypes, primaryType: "Repayment",
        message: { receivableId: a.receivableId, amount: a.amount, source: a.source, nonce: a.nonce, deadline: a.deadline },
      };
  }
}

/** The root receivable id the registry gives `terms`: their EIP-712 digest as a uint256. */
export const invoiceTokenId = (chainId: bigint, registry: string, terms: InvoiceTerms): bigint =>
  BigInt(typedDataDigest(registryDomain(chainId, registry), InvoiceTermsTypes, terms));

/** Typed data for JSON: bigints as decimal strings. */
export const typedDataJson = (typed: ReceivableTypedData): unknown =>
  JSON.parse(JSON.stringify(typed, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));

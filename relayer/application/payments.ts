// Payment intent use cases: validate, then write the domain rows, the event, the outbox operation and the
// idempotent response in ONE database transaction. The chain is only read here, never written.
import { id } from "ethers";

import type { EscrowCall } from "../chain/escrow-calls.js";
import { serializeCall } from "../chain/operation-codec.js";
import { typedDataDigest } from "../chain/signatures.js";
import {
  erc3009FundingMessage,
  escrowDomain,
  FundingMethod,
  KycTier,
  PaymentStatus,
  PaymentTermsTypes,
  DisputeRequestTypes,
  ReceiptConfirmationTypes,
  ReceiveWithAuthorizationTypes,
  tokenDomain,
  type TypedDataDomain,
  type PaymentTerms,
} from "../chain/typed-data.js";
import { invalid, notFound } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { assertCanRequest, type CaptureMethod, type OperationKind, type PaymentIntent } from "../domain/payment-intent.js";
import { operations } from "../persistence/chain-store.js";
import type { Sql } from "../persistence/database.js";
import { intents } from "../persistence/intents.js";
import { recordEvent } from "./events.js";
import type { Merchant } from "../persistence/merchants.js";
import type { ChainContext, ChainReader, SignatureRecovery } from "./ports.js";

export interface PaymentWindows {
  /** How long the buyer has to sign and the authorization to reach the chain. */
  preApprovalSeconds: number;
  /** How long the merchant may capture. */
  authorizationSeconds: number;
  /** How long refunds stay possible. */
  refundSeconds: number;
  defaultConfirmationWindowSeconds: number;
}

export const DEFAULT_WINDOWS: PaymentWindows = {
  preApprovalSeconds: 3_600,
  authorizationSeconds: 7 * 86_400,
  refundSeconds: 30 * 86_400,
  defaultConfirmationWindowSeconds: 3 * 86_400,
};

export interface TypedData {
  domain: TypedDataDomain;
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

export interface CreateIntentInput {
  amount: bigint;
  token: string;
  buyer: string;
  orderRef: string;
  captureMethod: CaptureMethod;
  confirmationWindowSeconds?: number;
  kycTier?: number;
  metadata: Record<string, string>;
}

export class PaymentsService {
  constructor(
    private readonly chain: ChainContext,
    private readonly reader: ChainReader,
    private readonly signatures: SignatureRecovery,
    private readonly windows: PaymentWindows = DEFAULT_WINDOWS,
  ) {}

  /** Builds the intent and its immutable terms; persist it with {@link insertIntent}. */
  newIntent(merchant: Merchant, input: CreateIntentInput, now: number): PaymentIntent {
    if (input.token.toLowerCase() !== this.chain.token.address.toLowerCase()) {
      throw invalid("token_not_supported", `Token ${input.token} is not settled by this network; use ${this.chain.token.address}`, "token");
    }
    if (input.buyer.toLowerCase() === merchant.address.toLowerCase()) {
      throw invalid("buyer_is_merchant", "The buyer cannot be the merchant itself", "buyer");
    }
    const seconds = BigInt(Math.floor(now / 1000));
    const terms: PaymentTerms = {
      merchant: merchant.address,
      buyer: input.buyer,
      token: this.chain.token.address,
      amount: input.amount,
      preApprovalExpiry: seconds + BigInt(this.windows.preApprovalSeconds),
      authorizationExpiry: seconds + BigInt(this.windows.authorizationSeconds),
      refundExpiry: seconds + BigInt(this.windows.refundSeconds),
      confirmationWindow: BigInt(input.confirmationWindowSeconds ?? this.windows.defaultConfirmationWindowSeconds),
      kycTier: input.kycTier ?? KycTier.Basic,
      feeBps: merchant.feeBps,
      partner: merchant.partner,
      partnerShareBps: merchant.partnerShareBps,
      orderRef: id(input.orderRef),
    };
    return {
      id: newId("pi"),
      merchantId: merchant.id,
      orderRef: input.orderRef,
      paymentId: typedDataDigest(escrowDomain(this.chain.chainId, this.chain.escrow), PaymentTermsTypes, terms),
      terms,
      captureMethod: input.captureMethod,
      metadata: input.metadata,
      chainStatus: PaymentStatus.None,
      amounts: { capturable: 0n, held: 0n, released: 0n, refunded: 0n, refundedAfterRelease: 0n },
      heldSince: 0,
      pendingOperations: [],
      createdAt: now,
      updatedAt: now,
    };
  }

  async insertIntent(sql: Sql, intent: PaymentIntent): Promise<void> {
    if (await intents.getByOrderRef(sql, intent.merchantId, intent.orderRef)) {
      throw invalid("order_ref_duplicate", `An intent with order_ref ${intent.orderRef} already exists`, "order_ref");
    }
    await intents.insert(sql, intent);
    await this.recordEvent(sql, intent, "payment_intent.created", intent.createdAt);
  }

  /** The EIP-712 message the buyer signs: EIP-3009 `ReceiveWithAuthorization` with the payment id as nonce. */
  fundingTypedData(intent: PaymentIntent) {
    return {
      domain: tokenDomain(this.chain.token.name, this.chain.chainId, this.chain.token.address),
      types: ReceiveWithAuthorizationTypes,
      primaryType: "ReceiveWithAuthorization" as const,
      message: erc3009FundingMessage(intent.terms, this.chain.escrow, intent.paymentId),
    };
  }

  /** What the buyer signs to confirm receipt (releasing held funds at once) or to dispute them. */
  buyerActionTypedData(intent: PaymentIntent, action: "confirm_receipt", deadline: bigint): TypedData;
  buyerActionTypedData(intent: PaymentIntent, action: "open_dispute", reason: string): TypedData;
  buyerActionTypedData(intent: PaymentIntent, action: "confirm_receipt" | "open_dispute", value: bigint | string): TypedData {
    const domain = escrowDomain(this.chain.chainId, this.chain.escrow);
    return action === "confirm_receipt"
      ? { domain, types: ReceiptConfirmationTypes, primaryType: "ReceiptConfirmation", message: { paymentId: intent.paymentId, deadline: value } }
      : { domain, types: DisputeRequestTypes, primaryType: "DisputeRequest", message: { paymentId: intent.paymentId, reason: value } };
  }

  /** Checks a buyer action's signature off chain, so a wrong one is refused before anything is sent. */
  async checkBuyerSignature(intent: PaymentIntent, typed: TypedData, signature: string): Promise<void> {
    const signer = await this.signatures.recover(typedDataDigest(typed.domain, typed.types, typed.message), signature);
    if (signer === undefined) throw invalid("signature_invalid", "The signature is malformed", "signature");
    if (signer.toLowerCase() !== intent.terms.buyer.toLowerCase()) {
      throw invalid("signature_invalid", "The signature is not the buyer's", "signature");
    }
  }

  /**
   * Checks the buyer's signature and both parties' eligibility before anything is sent: a wrong signer, an
   * expired authorization or a party the registry refuses gets a clear error and changes nothing.
   */
  async checkConfirmation(intent: PaymentIntent, signature: string, now: number): Promise<void> {
    assertCanRequest(intent, "authorize");
    if (BigInt(Math.floor(now / 1000)) >= intent.terms.preApprovalExpiry) {
      throw invalid("authorization_expired", `The buyer's authorization window closed at ${intent.terms.preApprovalExpiry}`, "signature");
    }
    await this.checkBuyerSignature(intent, this.fundingTypedData(intent), signature);
    const check = await this.reader.kycCheck([intent.terms.buyer, intent.terms.merchant], intent.terms.kycTier);
    if (!check.ok) {
      const param = check.account === intent.terms.buyer ? "buyer" : "merchant";
      throw invalid(check.code, `The ${param} cannot pay at this KYC tier: ${check.message}`, param);
    }
  }

  /** Queues the on-chain work for an intent, inside the caller's transaction (after re-checking its state). */
  async enqueue(sql: Sql, intent: PaymentIntent, call: EscrowCall, now: number): Promise<void> {
    assertCanRequest(intent, call.kind as OperationKind, "amount" in call ? call.amount : "buyerAmount" in call ? call.buyerAmount : undefined);
    const payload = JSON.parse(serializeCall(call)) as Record<string, unknown>;
    // A refund is an object of its own for the merchant (GET /v1/payment_intents/:id/refunds).
    if (call.kind === "refund") payload.refundId = newId("re");
    await operations.insert(sql, { kind: call.kind, intentId: intent.id, payload }, now);
  }

  confirmCall(intent: PaymentIntent, signature: string): EscrowCall {
    return {
      kind: intent.captureMethod === "automatic" ? "charge" : "authorize",
      terms: intent.terms,
      method: FundingMethod.Erc3009,
      funding: signature,
    };
  }

  /** Records an event about `intent` (and its webhook deliveries), in the caller's transaction. */
  async recordEvent(sql: Sql, intent: PaymentIntent, type: string, now: number, extra: Record<string, unknown> = {}): Promise<void> {
    await recordEvent(sql, { merchantId: intent.merchantId, type, objectId: intent.id, data: { object: { id: intent.id, payment_id: intent.paymentId }, ...extra } }, now);
  }

  async getIntent(sql: Sql, merchantId: string, id: string): Promise<PaymentIntent> {
    const intent = await intents.getForMerchant(sql, merchantId, id);
    if (!intent) throw notFound("payment_intent", id, "id");
    return intent;
  }
}

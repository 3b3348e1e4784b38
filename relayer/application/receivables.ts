// Receivable use cases (supply-chain finance): each action is checked against the registry's state and the
// party's EIP-712 signature before anything is written; then the receivable's action row, its outbox operation
// and its events are written in ONE database transaction (the caller's), like a payment intent's. The receivables
// lane submits the operation with its own key; the confirmer settles it here from the chain's state.
import { encodeBytes32String, getAddress, hexlify, randomBytes } from "ethers";

import type { SettledOperation, SettlementHandler } from "../chain/confirmer.js";
import {
  deserializeReceivableCall,
  isReceivableKind,
  serializeReceivableCall,
  type ReceivableCall,
} from "../chain/receivable-calls.js";
import { invoiceTokenId, receivableTypedData, type SignedAction } from "../chain/receivable-signing.js";
import { typedDataDigest } from "../chain/signatures.js";
import { ReceivableState, RepaymentSource, type FinanceOffer, type InvoiceTerms } from "../chain/receivable-typed-data.js";
import { KycTier } from "../chain/typed-data.js";
import { ApiError, conflict, invalid } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import {
  assertCanRequest,
  checkSplit,
  financeQuote,
  type ChainReceivable,
  type FinanceQuote,
  type Receivable,
  type ReceivableAction,
} from "../domain/receivable.js";
import { operations } from "../persistence/chain-store.js";
import type { Database, Sql } from "../persistence/database.js";
import { merchants, type Merchant } from "../persistence/merchants.js";
import { financingOffers, receivableActions, receivables, type FinancingOffer } from "../persistence/receivables.js";
import { recordEvent } from "./events.js";
import { applyInvoice, readInvoices, type InvoiceViews } from "./receivable-mirror.js";
import type { ChainReader, ReceivableChainReader, SignatureRecovery } from "./ports.js";

export interface ReceivablesContext {
  chainId: bigint;
  registry: string;
  /** The settlement token invoices are issued in. */
  token: string;
}

/** A party's authorization of one action, as the API takes it. */
export interface PartyAuthorization {
  nonce: string;
  deadline: number;
  signature: string;
}

/** How long a signature handed out by the API stays valid, in seconds of chain time. */
export const SIGNATURE_VALIDITY_SECONDS = 3_600;
const MAX_FACE_VALUE = (1n << 128n) - 1n;

export interface IssueInput {
  debtor: string;
  faceValue: bigint;
  dueAt: number;
  acceptBy: number;
  documentHash: string;
  invoiceRef: string;
}

/** A decided action: the call to send and the row it concerns. */
export interface Decision {
  receivable: Receivable;
  call: ReceivableCall;
  details?: Record<string, unknown>;
}

/** The event recorded when an action succeeds on chain (ours through the confirmer, others' through the indexer). */
export const SUCCEEDED_EVENT: Record<ReceivableAction, string> = {
  issue: "receivable.issued",
  accept: "receivable.accepted",
  reject: "receivable.rejected",
  split: "receivable.split",
  transfer: "receivable.transferred",
  finance: "receivable.financed",
  repay: "receivable.repayment_received",
};

const ACTION_OF_KIND: Record<ReceivableCall["kind"], ReceivableAction> = {
  rcv_issue: "issue",
  rcv_accept: "accept",
  rcv_reject: "reject",
  rcv_split: "split",
  rcv_transfer: "transfer",
  rcv_finance: "finance",
  rcv_repay: "repay",
};

export const receivableJsonRef = (r: Pick<Receivable, "id" | "tokenId">) => ({ id: r.id, token_id: r.tokenId });

export class ReceivablesService {
  constructor(
    readonly chain: ReceivablesContext,
    readonly reader: ReceivableChainReader,
    private readonly kyc: Pick<ChainReader, "kycCheck" | "escrowBalance">,
    private readonly signatures: SignatureRecovery,
  ) {}

  /** The typed data of `action`, from the one builder (chain/receivable-signing.ts). */
  typedData(action: SignedAction) {
    return receivableTypedData(this.chain.chainId, this.chain.registry, action);
  }

  /** A fresh one-time nonce and a deadline an hour of chain time away, for the typed data the API hands out. */
  async freshAuthorization(): Promise<{ nonce: string; deadline: number }> {
    return { nonce: hexlify(randomBytes(32)), deadline: (await this.reader.chainTime()) + SIGNATURE_VALIDITY_SECONDS };
  }

  // ------------------------------------------------------------------ checks before anything is written

  /** Recovers who signed `action` and refuses anyone but `party` (the account the registry will check). */
  async checkSignature(action: SignedAction, signature: string, party: string, role: string): Promise<void> {
    const typed = this.typedData(action);
    const signer = await this.signatures.recover(typedDataDigest(typed.domain, typed.types, typed.message), signature);
    if (signer === undefined) throw invalid("signature_invalid", "The signature is malformed: no signer can be recovered", "signature");
    if (signer.toLowerCase() !== party.toLowerCase()) {
      throw invalid("signature_invalid", `The signature is not the ${role}'s (${party}) over this action`, "signature");
    }
  }

  /** The deadline is still ahead on the chain's clock, and the nonce is unused. */
  async checkFreshness(signer: string, nonce: string, deadline: number, nowSeconds: number): Promise<void> {
    if (deadline <= nowSeconds) throw invalid("signature_expired", `The signed deadline ${deadline} has passed (chain time ${nowSeconds})`, "deadline");
    if (await this.reader.nonceUsed(signer, nonce)) {
      throw conflict("signature_already_used", `The nonce ${nonce} of ${signer} has already been used on chain`);
    }
  }

  async checkKyc(parties: [address: string, param: string][], tier: number): Promise<void> {
    const check = await this.kyc.kycCheck(parties.map(([address]) => address), tier);
    if (!check.ok) {
      const [address, param] = parties.find(([party]) => party === check.account)!;
      throw invalid(check.code, `${address} cannot take part: ${check.message}`, param);
    }
  }

  /** Refuses unless `account` is the party the registry checks for this action. */
  requireParty(account: Merchant, party: string, role: string, r: Receivable): void {
    if (account.address.toLowerCase() !== party.toLowerCase()) {
      throw new ApiError("permission_error", "not_receivable_party", `Only the ${role} of receivable ${r.id} (${party}) can do this`);
    }
  }

  // ------------------------------------------------------------------ decisions (read the chain, write nothing)

  async decideIssue(account: Merchant, input: IssueInput, signature: string): Promise<{ terms: InvoiceTerms; tokenId: bigint; call: ReceivableCall }> {
    const now = await this.reader.chainTime();
    if (getAddress(input.debtor) === account.address) throw invalid("parties_invalid", "The debtor cannot be the issuer itself", "debtor");
    if (input.faceValue > MAX_FACE_VALUE) throw invalid("amount_too_large", `face_value exceeds 2^128 - 1`, "face_value");
    if (input.acceptBy <= now) throw invalid("accept_by_in_past", `accept_by must be after the chain's time ${now}`, "accept_by");
    if (input.acceptBy > input.dueAt) throw invalid("dates_invalid", "accept_by must not be after due_at", "accept_by");
    if (!(await this.reader.isTokenAllowed(this.chain.token))) {
      throw invalid("token_not_allowed", `The registry does not take ${this.chain.token}`, "token");
    }
    const terms: InvoiceTerms = {
      issuer: account.address,
      dueAt: BigInt(input.dueAt),
      acceptBy: BigInt(input.acceptBy),
      debtor: getAddress(input.debtor),
      token: this.chain.token,
      faceValue: input.faceValue,
      documentHash: input.documentHash,
      invoiceRef: invoiceRefBytes(input.invoiceRef),
    };
    await this.checkSignature({ action: "issue", terms }, signature, account.address, "issuer");
    const tokenId = invoiceTokenId(this.chain.chainId, this.chain.registry, terms);
    if (await this.reader.receivable(tokenId)) throw conflict("receivable_exists", "An invoice with these terms was already issued");
    await this.checkKyc([[account.address, "issuer"], [terms.debtor, "debtor"]], KycTier.Basic);
    return { terms, tokenId, call: { kind: "rcv_issue", terms, signature } };
  }

  async decideAccept(account: Merchant, r: Receivable, auth: PartyAuthorization): Promise<Decision> {
    const now = await this.reader.chainTime();
    this.requireParty(account, r.debtor, "debtor", r);
    assertCanRequest(r, "accept", now);
    const receivableId = BigInt(r.tokenId);
    const deadline = BigInt(auth.deadline);
    await this.checkSignature({ action: "accept", receivableId, nonce: auth.nonce, deadline }, auth.signature, r.debtor, "debtor");
    await this.checkFreshness(r.debtor, auth.nonce, auth.deadline, now);
    await this.checkKyc([[r.debtor, "debtor"]], KycTier.Basic);
    return { receivable: r, call: { kind: "rcv_accept", receivableId, auth: { ...auth, deadline } } };
  }

  async decideReject(account: Merchant, r: Receivable, reason: string, auth: PartyAuthorization): Promise<Decision> {
    const now = await this.reader.chainTime();
    this.requireParty(account, r.debtor, "debtor", r);
    assertCanRequest(r, "reject", now);
    const receivableId = BigInt(r.tokenId);
    const deadline = BigInt(auth.deadline);
    const reasonBytes = encodeBytes32String(reason);
    await this.checkSignature({ action: "reject", receivableId, reason: reasonBytes, nonce: auth.nonce, deadline }, auth.signature, r.debtor, "debtor");
    await this.checkFreshness(r.debtor, auth.nonce, auth.deadline, now);
    return { receivable: r, call: { kind: "rcv_reject", receivableId, reason: reasonBytes, auth: { ...auth, deadline } }, details: { reason } };
  }

  async decideSplit(account: Merchant, r: Receivable, parts: { faceValue: bigint; recipient: string }[], auth: PartyAuthorization): Promise<Decision> {
    const now = await this.reader.chainTime();
    this.requireParty(account, r.holder, "holder", r);
    assertCanRequest(r, "split", now);
    const rootTokenId = await this.rootTokenId(r);
    checkSplit(r, parts.map((p) => p.faceValue), (await this.reader.invoiceParts(rootTokenId)).length);
    const receivableId = BigInt(r.tokenId);
    const deadline = BigInt(auth.deadline);
    const faceValues = parts.map((p) => p.faceValue);
    const recipients = parts.map((p) => p.recipient);
    await this.checkSignature({ action: "split", receivableId, faceValues, recipients, nonce: auth.nonce, deadline }, auth.signature, r.holder, "holder");
    await this.checkFreshness(r.holder, auth.nonce, auth.deadline, now);
    await this.checkKyc([[r.holder, "holder"], ...recipients.map((to, i) => [to, `parts.${i}.recipient`] as [string, string])], KycTier.Basic);
    return {
      receivable: r,
      call: { kind: "rcv_split", receivableId, faceValues, recipients, auth: { ...auth, deadline } },
      details: { parts: parts.map((p) => ({ face_value: p.faceValue.toString(), recipient: p.recipient })) },
    };
  }

  async decideTransfer(account: Merchant, r: Receivable, to: string, auth: PartyAuthorization): Promise<Decision> {
    const now = await this.reader.chainTime();
    this.requireParty(account, r.holder, "holder", r);
    assertCanRequest(r, "transfer", now);
    if (to.toLowerCase() === r.holder.toLowerCase()) throw invalid("transfer_to_holder", "The receivable already belongs to this account", "to");
    const receivableId = BigInt(r.tokenId);
    const deadline = BigInt(auth.deadline);
    await this.checkSignature({ action: "transfer", receivableId, to, nonce: auth.nonce, deadline }, auth.signature, r.holder, "holder");
    await this.checkFreshness(r.holder, auth.nonce, auth.deadline, now);
    await this.checkKyc([[r.holder, "holder"], [to, "to"]], KycTier.Basic);
    return { receivable: r, call: { kind: "rcv_transfer", receivableId, to, auth: { ...auth, deadline } }, details: { to } };
  }

  async decideRepay(account: Merchant, r: Receivable, amount: bigint, source: "wallet" | "escrow_balance", auth: PartyAuthorization): Promise<Decision> {
    const now = await this.reader.chainTime();
    this.requireParty(account, r.debtor, "debtor", r);
    assertCanRequest(r, "repay", now);
    const receivableId = BigInt(r.tokenId);
    const due = await this.reader.amountDue(receivableId);
    const owed = due.principal + due.lateFee;
    if (owed === 0n) throw conflict("nothing_due", `Nothing is owed on receivable ${r.id}`);
    const taken = amount < owed ? amount : owed;
    if (source === "escrow_balance") {
      const balance = await this.kyc.escrowBalance(r.token, r.debtor);
      if (balance < taken) throw invalid("escrow_balance_insufficient", `The debtor's escrow balance ${balance} is below the ${taken} to repay`, "amount");
    } else {
      const funds = await this.reader.funds(r.token, r.debtor);
      if (funds.balance < taken) throw invalid("insufficient_funds", `The debtor's wallet holds ${funds.balance}, below the ${taken} to repay`, "amount");
      if (funds.allowance < taken) {
        throw invalid("insufficient_allowance", `The debtor allows the registry ${funds.allowance}, below the ${taken} to repay`, "amount");
      }
    }
    const deadline = BigInt(auth.deadline);
    const sourceCode = source === "wallet" ? RepaymentSource.Wallet : RepaymentSource.EscrowBalance;
    await this.checkSignature({ action: "repay", receivableId, amount, source: sourceCode, nonce: auth.nonce, deadline }, auth.signature, r.debtor, "debtor");
    await this.checkFreshness(r.debtor, auth.nonce, auth.deadline, now);
    return {
      receivable: r,
      call: { kind: "rcv_repay", receivableId, amount, source: sourceCode, auth: { ...auth, deadline } },
      details: { amount: amount.toString(), source, expected: taken.toString() },
    };
  }

  /** A financier's signed offer, checked and ready to store (no chain operation until the holder accepts it). */
  async decideOffer(
    account: Merchant,
    r: Receivable,
    input: { annualRateBps: number; maxPrice: bigint; expiry: number; nonce: string; signature: string },
    now: number,
  ): Promise<{ offer: FinancingOffer; quote: FinanceQuote }> {
    const chainNow = await this.reader.chainTime();
    if (account.address.toLowerCase() === r.holder.toLowerCase()) throw invalid("parties_invalid", "The holder cannot finance its own receivable", "receivable");
    assertCanRequest({ ...r, pendingActions: [] }, "finance", chainNow);
    if (input.expiry <= chainNow) throw invalid("offer_expired", `expiry must be after the chain's time ${chainNow}`, "expiry");
    const quote = financeQuote(r.faceValue, r.dueAt, chainNow, input.annualRateBps, (await this.reader.terms()).platformFeeBps);
    if (quote.price > input.maxPrice) throw invalid("price_above_max", `At ${input.annualRateBps} bps the price now is ${quote.price}, above max_price`, "max_price");
    const offer = this.offerTerms(r, account.address, input);
    await this.checkSignature({ action: "offer", offer }, input.signature, account.address, "financier");
    await this.checkFreshness(account.address, input.nonce, input.expiry, chainNow);
    await this.checkKyc([[account.address, "financier"]], KycTier.Institutional);
    return {
      offer: {
        id: newId("ofr"),
        receivableId: r.id,
        financier: account.address,
        accountId: account.id,
        annualRateBps: input.annualRateBps,
        maxPrice: input.maxPrice,
        expiry: input.expiry,
        nonce: input.nonce,
        signature: input.signature,
        status: "open",
        price: null,
        fee: null,
        daysToMaturity: null,
        transactionHash: null,
        failure: null,
        createdAt: now,
        updatedAt: now,
      },
      quote,
    };
  }

  offerTerms(r: Receivable, financier: string, input: { annualRateBps: number; maxPrice: bigint; expiry: number; nonce: string }): FinanceOffer {
    return {
      receivableId: BigInt(r.tokenId),
      financier,
      annualRateBps: input.annualRateBps,
      maxPrice: input.maxPrice,
      expiry: BigInt(input.expiry),
      nonce: input.nonce,
    };
  }

  async decideAcceptOffer(account: Merchant, r: Receivable, o: FinancingOffer, minProceeds: bigint, auth: PartyAuthorization): Promise<Decision> {
    const now = await this.reader.chainTime();
    this.requireParty(account, r.holder, "holder", r);
    if (o.status !== "open") throw conflict("offer_not_open", `Offer ${o.id} is ${o.status}`);
    assertCanRequest(r, "finance", now);
    if (o.expiry < now) throw conflict("offer_expired", `Offer ${o.id} expired at ${o.expiry}`);
    const quote = financeQuote(r.faceValue, r.dueAt, now, o.annualRateBps, (await this.reader.terms()).platformFeeBps);
    if (quote.price > o.maxPrice) throw conflict("price_above_max", `The price now (${quote.price}) is above the offer's max_price ${o.maxPrice}`);
    if (quote.proceeds < minProceeds) throw invalid("proceeds_below_min", `The proceeds now are ${quote.proceeds}, below min_proceeds`, "min_proceeds");
    const funds = await this.reader.funds(r.token, o.financier);
    if (funds.balance < quote.price || funds.allowance < quote.price) {
      throw conflict("financier_funds_insufficient", `The financier's balance or allowance to the registry is below the price ${quote.price}`);
    }
    const offer = this.offerTerms(r, o.financier, o);
    const deadline = BigInt(auth.deadline);
    await this.checkSignature({ action: "accept_offer", offer, minProceeds, nonce: auth.nonce, deadline }, auth.signature, r.holder, "holder");
    await this.checkFreshness(r.holder, auth.nonce, auth.deadline, now);
    if (await this.reader.nonceUsed(o.financier, o.nonce)) throw conflict("offer_nonce_used", `The financier's offer nonce was used or cancelled on chain`);
    await this.checkKyc([[r.holder, "holder"]], KycTier.Basic);
    await this.checkKyc([[o.financier, "financier"]], KycTier.Institutional);
    return {
      receivable: r,
      call: { kind: "rcv_finance", offer, financierSignature: o.signature, minProceeds, auth: { ...auth, deadline } },
      details: { offer: o.id, expected_price: quote.price.toString(), expected_fee: quote.fee.toString(), days_to_maturity: Number(quote.daysToMaturity) },
    };
  }

  async rootTokenId(r: Receivable): Promise<bigint> {
    const root = await this.reader.receivable(BigInt(r.tokenId));
    return root ? root.root : BigInt(r.tokenId);
  }

  // ------------------------------------------------------------------ writes (inside the caller's transaction)

  /** A new invoice row (not yet on chain) with its issue queued. */
  async insertIssued(sql: Sql, account: Merchant, terms: InvoiceTerms, tokenId: bigint, invoiceRef: string, call: ReceivableCall, now: number): Promise<Receivable> {
    if (await receivables.getByTokenId(sql, tokenId)) throw conflict("receivable_exists", "An invoice with these terms was already issued");
    const id = newId("rcv");
    await receivables.insert(sql, {
      id,
      tokenId: tokenId.toString(),
      parentId: null,
      rootId: id,
      issuer: terms.issuer,
      debtor: terms.debtor,
      token: terms.token,
      holder: terms.issuer,
      faceValue: terms.faceValue,
      issuedAt: 0,
      dueAt: Number(terms.dueAt),
      acceptBy: Number(terms.acceptBy),
      documentHash: terms.documentHash,
      invoiceRef,
      chainState: ReceivableState.None,
      financed: false,
      principalPaid: 0n,
      lateFeeDue: 0n,
      pendingActions: [],
      createdAt: now,
      updatedAt: now,
    });
    await receivables.addHolder(sql, id, terms.issuer, now, null);
    const r = (await receivables.get(sql, id))!;
    await this.enqueue(sql, account, { receivable: r, call }, now);
    return (await receivables.get(sql, id))!;
  }

  /** Queues `decision` after re-checking the receivable's state (it may have moved since the decision was made). */
  async enqueue(sql: Sql, account: Merchant, decision: Decision & { offerId?: string }, now: number): Promise<void> {
    const action = ACTION_OF_KIND[decision.call.kind];
    const r = (await receivables.get(sql, decision.receivable.id))!;
    // Re-checks state and in-flight actions only: the time rules were checked on the chain's clock by the decision.
    if (action !== "issue") assertCanRequest(r, action, 0);
    const operationId = await operations.insert(sql, { kind: decision.call.kind, intentId: null, payload: serializeReceivableCall(decision.call) }, now);
    await receivableActions.insert(sql, {
      id: newId("rca"),
      receivableId: r.id,
      offerId: decision.offerId ?? null,
      action,
      operationId,
      requestedBy: account.id,
      details: decision.details ?? {},
      createdAt: now,
    });
    if (decision.offerId) await financingOffers.setStatus(sql, decision.offerId, "processing", now);
    await this.notify(sql, r, `receivable.${action}_requested`, now, { requested_by: account.address, ...(decision.details ?? {}) });
  }

  /**
   * Records `type` about `r` once for every account that may see it (issuer, debtor, every holder, and `extra`
   * addresses such as a split's recipients), each with its webhooks, in the caller's transaction.
   */
  async notify(sql: Sql, r: Receivable, type: string, now: number, data: Record<string, unknown> = {}, extra: string[] = []): Promise<void> {
    const holders = (await receivables.holders(sql, r.id)).map((h) => h.address);
    const addresses = new Set([r.issuer, r.debtor, ...holders, ...extra].map((a) => getAddress(a)));
    for (const address of addresses) {
      const account = await merchants.getByAddress(sql, address);
      if (!account?.capabilities.includes("receivables")) continue;
      await recordEvent(sql, { merchantId: account.id, type, objectId: r.id, data: { object: receivableJsonRef(r), ...data } }, now);
    }
  }

  async notifyOffer(sql: Sql, o: FinancingOffer, r: Receivable, type: string, now: number, data: Record<string, unknown> = {}): Promise<void> {
    const ids = new Set([o.accountId, (await merchants.getByAddress(sql, r.holder))?.id].filter((id): id is string => id !== undefined));
    for (const merchantId of ids) {
      await recordEvent(sql, { merchantId, type, objectId: o.id, data: { object: { id: o.id, receivable: r.id }, ...data } }, now);
    }
  }
}

/** A short invoice reference as the registry's bytes32 (a string of up to 31 bytes). */
export const invoiceRefBytes = (ref: string): string => encodeBytes32String(ref);

// ------------------------------------------------------------------ settlement: the confirmer's handler

/**
 * Settles confirmed receivable operations: reads every touched invoice's parts from the registry (outside any
 * transaction), then, inside the confirmer's transaction, takes the chain's view into the rows (new parts of a
 * split included), settles the action and offer rows and records the events.
 */
export function receivableSettlementHandler(db: Database, reader: ReceivableChainReader, service: ReceivablesService, now: () => number): SettlementHandler {
  return async (settled: SettledOperation[]) => {
    const ours = settled.filter((s) => isReceivableKind(s.operation.kind));
    const roots = await db.read(async (sql) => {
      const tokenIds = new Set<string>();
      for (const s of ours) {
        const action = await receivableActions.byOperation(sql, s.operation.id);
        const r = action && await receivables.get(sql, action.receivableId);
        const root = r && await receivables.get(sql, r.rootId);
        if (root) tokenIds.add(root.tokenId);
      }
      return [...tokenIds];
    });
    const views = await readInvoices(reader, roots);
    return async (sql) => {
      for (const s of ours) await settleOne(sql, s, views, service, now());
    };
  };
}

async function settleOne(sql: Sql, s: SettledOperation, views: InvoiceViews, service: ReceivablesService, now: number): Promise<void> {
  const action = await receivableActions.byOperation(sql, s.operation.id);
  if (!action) return;
  const before = (await receivables.get(sql, action.receivableId))!;
  const failure = s.outcome.ok ? null : { code: s.outcome.code, message: s.outcome.message };
  await receivableActions.settle(sql, action.id, { ok: s.outcome.ok, transactionHash: s.txHash, failure }, now);
  // The chain's view of every part of the invoice: holders, states, repayments, new parts.
  const { newParts, becameRepaid } = await applyInvoice(sql, before.rootId, views, s.txHash, now);
  const after = (await receivables.get(sql, before.id))!;
  const call = deserializeReceivableCall(s.operation.kind, s.operation.payload);
  const base = { transaction_hash: s.txHash, block_number: s.blockNumber };
  if (!s.outcome.ok) {
    if (action.action === "issue") await receivables.fail(sql, after.id, failure!, now);
    await service.notify(sql, after, `receivable.${action.action}_failed`, now, { ...base, failure });
    if (action.offerId) {
      await financingOffers.settle(sql, action.offerId, { ok: false, failure: failure!, transactionHash: s.txHash }, now);
      await service.notifyOffer(sql, (await financingOffers.get(sql, action.offerId))!, after, "financing_offer.failed", now, { ...base, failure });
    }
    return;
  }
  const financed = s.events.find((e) => e.name === "ReceivableFinanced");
  const extra: Record<string, unknown> = { ...base, ...action.details };
  if (call.kind === "rcv_split") extra.parts = newParts.map((p) => ({ id: p.id, token_id: p.tokenId, face_value: p.faceValue.toString(), holder: p.holder }));
  if (call.kind === "rcv_repay") {
    const received = s.events.find((e) => e.name === "RepaymentReceived");
    if (received) extra.amount_paid = received.args.amount;
  }
  if (financed) Object.assign(extra, { price: financed.args.price, fee: financed.args.fee, days_to_maturity: Number(financed.args.daysToMaturity) });
  await service.notify(sql, after, SUCCEEDED_EVENT[action.action], now, extra, newParts.map((p) => p.holder));
  for (const part of becameRepaid) await service.notify(sql, (await receivables.get(sql, part.id))!, "receivable.repaid", now, base);
  if (action.offerId && financed) {
    await financingOffers.settle(
      sql,
      action.offerId,
      { ok: true, price: BigInt(financed.args.price!), fee: BigInt(financed.args.fee!), daysToMaturity: Number(financed.args.daysToMaturity), transactionHash: s.txHash },
      now,
    );
    await service.notifyOffer(sql, (await financingOffers.get(sql, action.offerId))!, after, "financing_offer.accepted", now, { ...base, price: financed.args.price, fee: financed.args.fee });
  }
}

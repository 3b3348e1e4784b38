// /v1/receivables: supply-chain finance for supplier, debtor and financier accounts (merchant-like accounts with
// the receivables capability; the party of an action is the account whose on-chain address the registry checks).
// Every action is signed by the party's own wallet over the typed data POST /v1/receivables/typed_data hands
// out; mutations answer 202 with the receivable in `processing`; the receivables lane carries the work.
import { encodeBytes32String } from "ethers";
import type { Response, Router } from "express";
import type { z } from "zod";

import { invoiceRefBytes, type Decision, type ReceivablesService } from "../../application/receivables.js";
import { invoiceTokenId, typedDataJson, type SignedAction } from "../../chain/receivable-signing.js";
import { ReceivableState, RepaymentSource } from "../../chain/receivable-typed-data.js";
import { ApiError, notFound } from "../../domain/errors.js";
import { expectedPayment, isOpen, receivableStatus, type Receivable } from "../../domain/receivable.js";
import { mapInOrder, type Database, type Sql } from "../../persistence/database.js";
import { merchants, type Merchant } from "../../persistence/merchants.js";
import { financingOffers, receivableActions, receivables } from "../../persistence/receivables.js";
import { principalOf, requireScope } from "../auth.js";
import { completeIdempotency } from "../idempotency.js";
import type { RouteRegistry } from "../openapi.js";
import { listOf } from "../schemas/common.js";
import {
  acceptBody,
  expectedPaymentsSchema,
  issueBody,
  listReceivablesQuery,
  receivableParams,
  receivableSchema,
  rejectBody,
  repayBody,
  splitBody,
  transferBody,
  typedDataBody,
  typedDataResponse,
} from "../schemas/receivables.js";
import { parseBody, parseParams, parseQuery } from "../validate.js";

export interface ReceivableRouteDeps {
  db: Database;
  /** Absent when the deployment has no registry or the relayer no receivables key: the endpoints answer 503. */
  receivables?: ReceivablesService;
  now: () => number;
}

const TAGS = ["Receivables"];

/** The calling account, which must have the receivables capability. */
export async function accountOf(sql: Sql, res: Response): Promise<Merchant> {
  const account = await merchants.get(sql, principalOf(res).merchantId!);
  if (!account) throw new ApiError("permission_error", "account_missing", "The key's account no longer exists");
  if (!account.capabilities.includes("receivables")) {
    throw new ApiError("permission_error", "capability_missing", "This account is not enabled for receivables (supply-chain finance)");
  }
  return account;
}

export function serviceOf(deps: { receivables?: ReceivablesService }): ReceivablesService {
  if (!deps.receivables) {
    throw new ApiError("api_error", "receivables_not_configured", "This relayer has no receivable registry or no receivables key", undefined, 503);
  }
  return deps.receivables;
}

/** The receivable if the account may see it (issuer, debtor, or a holder now or before); 404 otherwise. */
export async function visibleReceivable(sql: Sql, account: Merchant, id: string, param = "id"): Promise<Receivable> {
  const r = await receivables.getVisible(sql, id, account.address);
  if (!r) throw notFound("receivable", id, param);
  return r;
}

const STATUS_STATES: Partial<Record<string, number[]>> = {
  failed: [ReceivableState.None],
  pending_acceptance: [ReceivableState.Pending],
  accepted: [ReceivableState.Accepted],
  rejected: [ReceivableState.Rejected],
  split: [ReceivableState.Split],
  repaid: [ReceivableState.Repaid],
  overdue: [ReceivableState.Overdue],
  defaulted: [ReceivableState.Defaulted],
};

export async function receivableJson(sql: Sql, r: Receivable): Promise<z.input<typeof receivableSchema>> {
  const summary = (x: Receivable) => ({ id: x.id, token_id: x.tokenId, face_value: x.faceValue.toString(), holder: x.holder, status: receivableStatus(x) });
  return {
    id: r.id,
    object: "receivable",
    token_id: r.tokenId,
    status: receivableStatus(r),
    issuer: r.issuer,
    debtor: r.debtor,
    holder: r.holder,
    token: r.token,
    face_value: r.faceValue.toString(),
    principal_paid: r.principalPaid.toString(),
    late_fee_due: r.lateFeeDue.toString(),
    financed: r.financed,
    issued_at: r.issuedAt,
    due_at: r.dueAt,
    accept_by: r.acceptBy,
    document_hash: r.documentHash,
    invoice_ref: r.invoiceRef,
    lineage: {
      root: r.rootId,
      parent: r.parentId,
      children: (await receivables.children(sql, r.id)).map(summary),
      holders: (await receivables.holders(sql, r.id)).map((h) => ({ address: h.address, since: Math.floor(h.since / 1000), transaction_hash: h.transactionHash })),
    },
    actions: (await receivableActions.ofReceivable(sql, r.id)).map((a) => ({
      id: a.id,
      action: a.action,
      status: a.status,
      transaction_hash: a.transactionHash,
      failure: a.failure,
      created: Math.floor(a.createdAt / 1000),
    })),
    last_error: r.failure ?? null,
    created: Math.floor(r.createdAt / 1000),
    updated: Math.floor(r.updatedAt / 1000),
  };
}

export function receivableRoutes(router: Router, registry: RouteRegistry, deps: ReceivableRouteDeps): void {
  const { db, now } = deps;
  const merchantOnly = requireScope("merchant");

  // ---- the typed data a party signs, for any action
  registry.add({
    method: "post", path: "/v1/receivables/typed_data", operationId: "receivableTypedData", tags: TAGS,
    summary: "The EIP-712 typed data the calling account signs for an action", scope: ["merchant"], body: typedDataBody,
    response: typedDataResponse,
    description: "Sign typed_data with the account's wallet (eth_signTypedData_v4), then send the signature with the nonce and deadline to the action's endpoint. Nothing is stored.",
  });
  router.post("/v1/receivables/typed_data", merchantOnly, async (req, res) => {
    const service = serviceOf(deps);
    const body = parseBody(req, typedDataBody);
    const { account, r, offer } = await db.read(async (sql) => {
      const account = await accountOf(sql, res);
      if (body.action === "issue") return { account, r: undefined, offer: undefined };
      if (body.action === "accept_offer") {
        const offer = await financingOffers.get(sql, body.offer);
        const r = offer && await receivables.getVisible(sql, offer.receivableId, account.address);
        if (!offer || !r || (r.holder !== account.address && offer.accountId !== account.id)) throw notFound("financing_offer", body.offer, "offer");
        return { account, r, offer };
      }
      if (body.action === "offer") {
        // A financier offers on a receivable the holder told it about: it need not be a party yet (see POST /v1/financing_offers).
        const r = await receivables.get(sql, body.receivable);
        if (!r) throw notFound("receivable", body.receivable, "receivable");
        return { account, r, offer: undefined };
      }
      return { account, r: await visibleReceivable(sql, account, body.receivable, "receivable"), offer: undefined };
    });
    const { nonce, deadline } = await service.freshAuthorization();
    const big = (v: number) => BigInt(v);
    let action: SignedAction;
    let tokenId: string | null = null;
    let shownDeadline = deadline;
    let shownNonce: string | null = nonce;
    switch (body.action) {
      case "issue": {
        const terms = {
          issuer: account.address, dueAt: big(body.due_at), acceptBy: big(body.accept_by), debtor: body.debtor, token: service.chain.token,
          faceValue: body.face_value, documentHash: body.document_hash, invoiceRef: invoiceRefBytes(body.invoice_ref),
        };
        action = { action: "issue", terms };
        tokenId = invoiceTokenId(service.chain.chainId, service.chain.registry, terms).toString();
        shownDeadline = body.accept_by;
        shownNonce = null;
        break;
      }
      case "accept":
        action = { action: "accept", receivableId: BigInt(r!.tokenId), nonce, deadline: big(deadline) };
        break;
      case "reject":
        action = { action: "reject", receivableId: BigInt(r!.tokenId), reason: encodeBytes32String(body.reason), nonce, deadline: big(deadline) };
        break;
      case "split":
        action = {
          action: "split", receivableId: BigInt(r!.tokenId), faceValues: body.parts.map((p) => p.face_value), recipients: body.parts.map((p) => p.recipient),
          nonce, deadline: big(deadline),
        };
        break;
      case "transfer":
        action = { action: "transfer", receivableId: BigInt(r!.tokenId), to: body.to, nonce, deadline: big(deadline) };
        break;
      case "repay":
        action = {
          action: "repay", receivableId: BigInt(r!.tokenId), amount: body.amount,
          source: body.source === "wallet" ? RepaymentSource.Wallet : RepaymentSource.EscrowBalance, nonce, deadline: big(deadline),
        };
        break;
      case "offer":
        action = { action: "offer", offer: service.offerTerms(r!, account.address, { annualRateBps: body.annual_rate_bps, maxPrice: body.max_price, expiry: body.expiry, nonce }) };
        shownDeadline = body.expiry;
        break;
      case "accept_offer":
        action = { action: "accept_offer", offer: service.offerTerms(r!, offer!.financier, offer!), minProceeds: body.min_proceeds, nonce, deadline: big(deadline) };
        break;
    }
    res.json({
      object: "typed_data",
      action: body.action,
      signer: account.address,
      nonce: shownNonce,
      deadline: shownDeadline,
      token_id: tokenId,
      typed_data: typedDataJson(service.typedData(action)),
    });
  });

  // ---- issue (the supplier)
  registry.add({
    method: "post", path: "/v1/receivables", operationId: "issueReceivable", tags: TAGS,
    summary: "Issue an invoice against a debtor, with the supplier's signature of its terms", scope: ["merchant"], body: issueBody,
    response: receivableSchema, status: 202,
    description: "The calling account is the supplier (issuer). Answers 202 with the receivable in processing; receivable.issued follows.",
  });
  router.post("/v1/receivables", merchantOnly, async (req, res) => {
    const service = serviceOf(deps);
    const body = parseBody(req, issueBody);
    const account = await db.read((sql) => accountOf(sql, res));
    const { terms, tokenId, call } = await service.decideIssue(
      account,
      { debtor: body.debtor, faceValue: body.face_value, dueAt: body.due_at, acceptBy: body.accept_by, documentHash: body.document_hash, invoiceRef: body.invoice_ref },
      body.signature,
    );
    const json = await db.transaction(async (sql) => {
      const r = await service.insertIssued(sql, account, terms, tokenId, body.invoice_ref, call, now());
      const fresh = await receivableJson(sql, r);
      await completeIdempotency(sql, res.locals.idempotency, 202, fresh);
      return fresh;
    });
    res.status(202).json(json);
  });

  // ---- read and list
  registry.add({
    method: "get", path: "/v1/receivables/expected_payments", operationId: "expectedPayments", tags: TAGS,
    summary: "What the caller will receive as a holder, and when (soonest first)", scope: ["merchant"], response: expectedPaymentsSchema,
    description: "Open receivables the caller holds: unpaid principal at maturity plus the late fee due now, read from the registry.",
  });
  router.get("/v1/receivables/expected_payments", merchantOnly, async (_req, res) => {
    const service = serviceOf(deps);
    const held = await db.read(async (sql) => {
      const account = await accountOf(sql, res);
      return await receivables.heldOpen(sql, account.address, [ReceivableState.Accepted, ReceivableState.Overdue, ReceivableState.Defaulted]);
    });
    const [nowSeconds, terms, dues] = await Promise.all([
      service.reader.chainTime(),
      service.reader.terms(),
      Promise.all(held.map((r) => service.reader.amountDue(BigInt(r.tokenId)))),
    ]);
    const data = held
      .filter(isOpen)
      .map((r, i) => ({ r, p: expectedPayment(r, dues[i]!, nowSeconds, terms.gracePeriod) }))
      .filter(({ p }) => p.total > 0n)
      .map(({ r, p }) => ({
        receivable: r.id, token_id: r.tokenId, debtor: r.debtor, token: r.token, principal: p.principal.toString(), late_fee: p.lateFee.toString(),
        total: p.total.toString(), due_at: p.dueAt, overdue: p.overdue,
      }));
    res.json({ object: "list", data, total: data.reduce((sum, d) => sum + BigInt(d.total), 0n).toString(), has_more: false });
  });

  registry.add({
    method: "get", path: "/v1/receivables/:id", operationId: "getReceivable", tags: TAGS,
    summary: "Retrieve a receivable with its lineage (root, parent, children, holders)", scope: ["merchant"], params: receivableParams,
    response: receivableSchema,
  });
  router.get("/v1/receivables/:id", merchantOnly, async (req, res) => {
    serviceOf(deps);
    const { id } = parseParams(req, receivableParams);
    res.json(await db.read(async (sql) => receivableJson(sql, await visibleReceivable(sql, await accountOf(sql, res), id))));
  });

  registry.add({
    method: "get", path: "/v1/receivables", operationId: "listReceivables", tags: TAGS,
    summary: "List the receivables the caller issued, owes or holds (or held), newest first", scope: ["merchant"],
    query: listReceivablesQuery, response: listOf(receivableSchema),
  });
  router.get("/v1/receivables", merchantOnly, async (req, res) => {
    serviceOf(deps);
    const query = parseQuery(req, listReceivablesQuery);
    const page = await db.read(async (sql) => {
      const account = await accountOf(sql, res);
      const states = query.status ? STATUS_STATES[query.status] : undefined;
      const { data, hasMore } = await receivables.list(
        sql,
        account.address,
        { ...(states ? { status: { states } } : {}), ...(query.role ? { role: query.role } : {}), ...(query.root ? { rootId: query.root } : {}) },
        { limit: query.limit, ...(query.starting_after ? { startingAfter: query.starting_after } : {}) },
      );
      const items = (await mapInOrder(data, (r) => receivableJson(sql, r))).filter((r) => !query.status || r.status === query.status);
      return { object: "list" as const, data: items, has_more: hasMore };
    });
    res.json(page);
  });

  // ---- actions that go to the chain
  const mutation = <S extends z.ZodType>(
    name: string,
    operationId: string,
    summary: string,
    schema: S,
    decide: (service: ReceivablesService, account: Merchant, r: Receivable, body: z.output<S>) => Promise<Decision>,
  ) => {
    const path = `/v1/receivables/:id/${name}`;
    registry.add({
      method: "post", path, operationId, tags: TAGS, summary, scope: ["merchant"], params: receivableParams, body: schema,
      response: receivableSchema, status: 202,
      description: "Answers 202 with the receivable in status processing; the outcome arrives as an event and a webhook.",
    });
    router.post(path, merchantOnly, async (req, res) => {
      const service = serviceOf(deps);
      const { id } = parseParams(req, receivableParams);
      const body = parseBody(req, schema);
      const { account, r } = await db.read(async (sql) => {
        const account = await accountOf(sql, res);
        return { account, r: await visibleReceivable(sql, account, id) };
      });
      const decision = await decide(service, account, r, body); // reads the chain: outside the transaction
      const json = await db.transaction(async (sql) => {
        await service.enqueue(sql, account, decision, now());
        const fresh = await receivableJson(sql, (await receivables.get(sql, id))!);
        await completeIdempotency(sql, res.locals.idempotency, 202, fresh);
        return fresh;
      });
      res.status(202).json(json);
    });
  };

  const auth = (b: { nonce: string; deadline: number; signature: string }) => ({ nonce: b.nonce, deadline: b.deadline, signature: b.signature });
  mutation("accept", "acceptReceivable", "The debtor acknowledges the invoice (its signature): it may then move", acceptBody,
    (s, account, r, body) => s.decideAccept(account, r, auth(body)));
  mutation("reject", "rejectReceivable", "The debtor refuses the invoice (its signature)", rejectBody,
    (s, account, r, body) => s.decideReject(account, r, body.reason, auth(body)));
  mutation("split", "splitReceivable", "The holder splits the receivable into parts for itself and its suppliers", splitBody,
    (s, account, r, body) => s.decideSplit(account, r, body.parts.map((p) => ({ faceValue: p.face_value, recipient: p.recipient })), auth(body)));
  mutation("transfer", "transferReceivable", "The holder transfers the receivable to another account", transferBody,
    (s, account, r, body) => s.decideTransfer(account, r, body.to, auth(body)));
  mutation("repay", "repayReceivable", "The debtor repays (from its wallet or its escrow balance), allocated over the open parts", repayBody,
    (s, account, r, body) => s.decideRepay(account, r, body.amount, body.source, auth(body)));
}

// /v1/kyc_records and /v1/kyc_changes (compliance scope): KYC decisions go to the registry through the compliance
// key; the API answers 202 with the change pending and reports it confirmed once the registry's transaction is.
import type { Router } from "express";
import { z } from "zod";

import type { KycReader, KycRequest, KycService } from "../../application/kyc.js";
import { ApiError, notFound } from "../../domain/errors.js";
import type { Database } from "../../persistence/database.js";
import { kycChanges, type KycChange } from "../../persistence/kyc-changes.js";
import { principalOf, requireScope } from "../auth.js";
import { completeIdempotency } from "../idempotency.js";
import type { RouteRegistry } from "../openapi.js";
import { address, bytes32, listOf, objectId } from "../schemas/common.js";
import { parseBody, parseParams, parseQuery } from "../validate.js";

export interface KycRouteDeps {
  db: Database;
  now: () => number;
  /** Absent when the relayer runs without a compliance key: the routes then answer 503. */
  kyc?: { service: KycService; reader: KycReader };
}

const TIERS = { basic: 1, enhanced: 2, institutional: 3 } as const;
const TIER_NAMES = ["none", "basic", "enhanced", "institutional"] as const;
const reasonCode = z.string().regex(/^[a-z0-9_:-]{1,31}$/, "must be a reason code: 1 to 31 of a-z, 0-9, _ : -");

const setRecordBody = z.strictObject({
  address,
  tier: z.enum(["basic", "enhanced", "institutional"]),
  country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO-3166-1 alpha-2 code such as SG"),
  expires_at: z.number().int().positive().meta({ description: "Unix seconds" }),
  dossier_hash: bytes32.meta({ description: "Hash of the off-chain KYC dossier (no personal data on chain)" }),
  reason: reasonCode,
});
const freezeBody = z.strictObject({ reason: reasonCode });
const addressParams = z.strictObject({ address });
const changeParams = z.strictObject({ id: objectId("kyc") });
const listChangesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: objectId("kyc").optional(),
  address: address.optional(),
});

export const changeSchema = z
  .object({
    id: z.string(),
    object: z.literal("kyc_change"),
    address: z.string(),
    action: z.enum(["set", "freeze", "unfreeze"]),
    tier: z.string().nullable(),
    country: z.string().nullable(),
    expires_at: z.number().nullable(),
    dossier_hash: z.string().nullable(),
    reason: z.string(),
    status: z.enum(["pending", "confirmed", "failed"]),
    transaction_hash: z.string().nullable(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
    created: z.number(),
    updated: z.number(),
  })
  .meta({ id: "KycChange" });

const recordSchema = z
  .object({
    object: z.literal("kyc_record"),
    address: z.string(),
    tier: z.enum(TIER_NAMES),
    country: z.string(),
    expires_at: z.number(),
    frozen: z.boolean(),
    dossier_hash: z.string(),
    jurisdiction_blocked: z.boolean(),
    pending_change: changeSchema.nullable(),
  })
  .meta({ id: "KycRecord", description: "The registry's current record (the chain is the truth)" });

export const changeJson = (c: KycChange) => ({
  id: c.id,
  object: "kyc_change" as const,
  address: c.address,
  action: c.action,
  tier: c.tier === null ? null : TIER_NAMES[c.tier] ?? null,
  country: c.country,
  expires_at: c.expiresAt,
  dossier_hash: c.dossierHash,
  reason: c.reason,
  status: c.status,
  transaction_hash: c.transactionHash,
  failure: c.failure,
  created: Math.floor(c.createdAt / 1000),
  updated: Math.floor(c.updatedAt / 1000),
});

export function kycRoutes(router: Router, registry: RouteRegistry, deps: KycRouteDeps): void {
  const { db, now } = deps;
  const officers = requireScope("compliance");
  const kyc = () => {
    if (!deps.kyc) {
      throw new ApiError("api_error", "compliance_signer_not_configured", "This relayer has no compliance key: KYC changes cannot be sent", undefined, 503);
    }
    return deps.kyc;
  };
  const submit = async (request: KycRequest, res: import("express").Response) => {
    const { service } = kyc();
    await service.check(request, Math.floor(now() / 1000)); // reads the registry: outside the transaction
    const json = await db.transaction(async (sql) => {
      const change = changeJson(await service.request(sql, request, principalOf(res).keyId, now()));
      await completeIdempotency(sql, res.locals.idempotency, 202, change);
      return change;
    });
    res.status(202).json(json);
  };

  registry.add({
    method: "post", path: "/v1/kyc_records", operationId: "setKycRecord", tags: ["KYC"], scope: ["compliance"],
    summary: "Create or replace an address's KYC record on chain", body: setRecordBody, response: changeSchema, status: 202,
  });
  router.post("/v1/kyc_records", officers, async (req, res) => {
    const body = parseBody(req, setRecordBody);
    await submit(
      { action: "set", address: body.address, tier: TIERS[body.tier], country: body.country, expiresAt: body.expires_at, dossierHash: body.dossier_hash, reason: body.reason },
      res,
    );
  });

  for (const action of ["freeze", "unfreeze"] as const) {
    registry.add({
      method: "post", path: `/v1/kyc_records/:address/${action}`, operationId: `${action}Account`, tags: ["KYC"], scope: ["compliance"],
      summary: action === "freeze" ? "Freeze an account: it can neither pay nor be paid out" : "Unfreeze an account",
      params: addressParams, body: freezeBody, response: changeSchema, status: 202,
    });
    router.post(`/v1/kyc_records/:address/${action}`, officers, async (req, res) => {
      const { address: account } = parseParams(req, addressParams);
      const body = parseBody(req, freezeBody);
      await submit({ action, address: account, reason: body.reason }, res);
    });
  }

  registry.add({
    method: "get", path: "/v1/kyc_records/:address", operationId: "getKycRecord", tags: ["KYC"], scope: ["compliance"],
    summary: "Read an address's KYC record from the registry", params: addressParams, response: recordSchema,
  });
  router.get("/v1/kyc_records/:address", officers, async (req, res) => {
    const { address: account } = parseParams(req, addressParams);
    const { reader } = kyc();
    const record = await reader.record(account);
    const blocked = record.country ? await reader.isJurisdictionBlocked(record.country) : false;
    const pending = await db.read((sql) => kycChanges.pendingFor(sql, account));
    res.json({
      object: "kyc_record",
      address: account,
      tier: TIER_NAMES[record.tier] ?? "none",
      country: record.country,
      expires_at: record.expiresAt,
      frozen: record.frozen,
      dossier_hash: record.dossierHash,
      jurisdiction_blocked: blocked,
      pending_change: pending ? changeJson(pending) : null,
    });
  });

  registry.add({
    method: "get", path: "/v1/kyc_changes", operationId: "listKycChanges", tags: ["KYC"], scope: ["compliance", "auditor"],
    summary: "The KYC change log, newest first", query: listChangesQuery, response: listOf(changeSchema),
  });
  router.get("/v1/kyc_changes", requireScope("compliance", "auditor"), async (req, res) => {
    const query = parseQuery(req, listChangesQuery);
    const page = await db.read((sql) =>
      kycChanges.list(sql, {
        limit: query.limit,
        ...(query.starting_after ? { startingAfter: query.starting_after } : {}),
        ...(query.address ? { address: query.address } : {}),
      }),
    );
    res.json({ object: "list", data: page.data.map(changeJson), has_more: page.hasMore });
  });

  registry.add({
    method: "get", path: "/v1/kyc_changes/:id", operationId: "getKycChange", tags: ["KYC"], scope: ["compliance", "auditor"],
    summary: "One KYC change and whether the registry confirmed it", params: changeParams, response: changeSchema,
  });
  router.get("/v1/kyc_changes/:id", requireScope("compliance", "auditor"), async (req, res) => {
    const { id } = parseParams(req, changeParams);
    const change = await db.read((sql) => kycChanges.get(sql, id));
    if (!change) throw notFound("kyc_change", id, "id");
    res.json(changeJson(change));
  });
}

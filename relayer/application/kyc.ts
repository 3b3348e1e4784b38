// Compliance officers' KYC decisions: checked against the registry's current state first (a freeze of a frozen
// account is refused before anything is sent), then queued for the compliance key's lane in one transaction
// with the change row and its event; confirmed when the registry's transaction is.
import { encodeBytes32String, getAddress } from "ethers";

import type { SettledOperation } from "../chain/confirmer.js";
import type { KycFreezePayload, KycSetPayload } from "../chain/lanes.js";
import { countryCode } from "../chain/typed-data.js";
import { conflict, invalid } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { operations } from "../persistence/chain-store.js";
import type { Sql } from "../persistence/database.js";
import { kycChanges, type KycChange } from "../persistence/kyc-changes.js";
import { recordEvent } from "./events.js";

export interface KycRecordView {
  tier: number;
  country: string;
  expiresAt: number;
  frozen: boolean;
  dossierHash: string;
}

export interface KycReader {
  record(account: string): Promise<KycRecordView>;
  isJurisdictionBlocked(country: string): Promise<boolean>;
}

export type KycRequest =
  | { action: "set"; address: string; tier: number; country: string; expiresAt: number; dossierHash: string; reason: string }
  | { action: "freeze" | "unfreeze"; address: string; reason: string };

export class KycService {
  constructor(private readonly reader: KycReader) {}

  /** Refuses what the registry would refuse, before anything is written or sent. */
  async check(request: KycRequest, nowSeconds: number): Promise<void> {
    const current = await this.reader.record(request.address);
    if (request.action === "set") {
      if (request.expiresAt <= nowSeconds) throw invalid("expiry_in_past", "expires_at must be in the future", "expires_at");
      if (/^0x0{64}$/.test(request.dossierHash)) throw invalid("dossier_hash_zero", "dossier_hash must be the hash of the dossier", "dossier_hash");
    } else if (request.action === "freeze" && current.frozen) {
      throw conflict("account_already_frozen", `${request.address} is already frozen`);
    } else if (request.action === "unfreeze" && !current.frozen) {
      throw conflict("account_not_frozen", `${request.address} is not frozen`);
    }
  }

  /** Queues the change, inside the caller's transaction. */
  async request(sql: Sql, request: KycRequest, requestedBy: string, now: number): Promise<KycChange> {
    const address = getAddress(request.address);
    const pending = await kycChanges.pendingFor(sql, address);
    if (pending) throw conflict("kyc_change_in_progress", `Change ${pending.id} of ${address} is still being confirmed`);
    const reason = encodeBytes32String(request.reason);
    const id = newId("kyc");
    let operationId: number;
    if (request.action === "set") {
      const payload: KycSetPayload & { kind: string } = {
        kind: "kyc_set",
        account: address,
        tier: request.tier,
        country: countryCode(request.country),
        expiresAt: request.expiresAt,
        dossierHash: request.dossierHash,
        reason,
      };
      operationId = await operations.insert(sql, { kind: "kyc_set", intentId: null, payload }, now);
    } else {
      const payload: KycFreezePayload & { kind: string } = { kind: `kyc_${request.action}`, account: address, reason };
      operationId = await operations.insert(sql, { kind: `kyc_${request.action}`, intentId: null, payload }, now);
    }
    await kycChanges.insert(sql, {
      id,
      address,
      action: request.action,
      tier: request.action === "set" ? request.tier : null,
      country: request.action === "set" ? request.country : null,
      expiresAt: request.action === "set" ? request.expiresAt : null,
      dossierHash: request.action === "set" ? request.dossierHash : null,
      reason: request.reason,
      operationId,
      requestedBy,
      createdAt: now,
    });
    await recordEvent(sql, { merchantId: null, type: `kyc.${request.action}_requested`, objectId: id, data: { object: { id, address, reason: request.reason } } }, now);
    return (await kycChanges.get(sql, id))!;
  }

  async settle(sql: Sql, s: SettledOperation, now: number): Promise<void> {
    const change = await kycChanges.byOperation(sql, s.operation.id);
    if (!change) return;
    const failure = s.outcome.ok ? null : { code: s.outcome.code, message: s.outcome.message };
    await kycChanges.settle(sql, change.id, { ok: s.outcome.ok, transactionHash: s.txHash, failure }, now);
    await recordEvent(
      sql,
      {
        merchantId: null,
        type: s.outcome.ok ? `kyc.${change.action}_confirmed` : `kyc.${change.action}_failed`,
        objectId: change.id,
        data: { object: { id: change.id, address: change.address }, transaction_hash: s.txHash, ...(failure ? { failure } : {}) },
      },
      now,
    );
  }
}

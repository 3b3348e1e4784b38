// Stripe's idempotency semantics for POST requests carrying an Idempotency-Key header.
//
// The first request claims (owner, key) in its own transaction (state in_progress), runs, and its response
// is stored (state done). The same request again gets the stored status and body, with
// Idempotent-Replayed: true. The same key with another path or body is a 422. A duplicate that arrives while
// the first is still running waits for it (up to waitMs) and replays, else 409. Responses below 500 are
// stored; a 5xx or a crash releases the key so the client can retry.
//
// Handlers that write domain rows await completeIdempotency(sql, res.locals.idempotency, status, body) inside
// their own transaction: the response is then committed with the rows it describes. When that very answer (the
// same status and body object, sent after the transaction resolved, so committed) goes out, the middleware sends
// it without a transaction of its own; any other answer (an error after the transaction failed) is stored as usual.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import type { NextFunction, Request, Response } from "express";

import { ApiError } from "../domain/errors.js";
import type { Database, Sql } from "../persistence/database.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      idempotency?: IdempotencyContext;
    }
  }
}

export interface IdempotencyContext {
  readonly owner: string;
  readonly key: string;
  /** What completeIdempotency stored in the handler's transaction (the last call, if a transaction was retried). */
  stored?: { status: number; body: unknown };
}

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";
/** Keys are kept at least this long (Stripe: 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim still in progress after this long belongs to a request that died (handlers take well under it). */
export const ABANDONED_CLAIM_MS = 30_000;

export interface IdempotencyOptions {
  /** Clock for key ages (Unix ms). */
  now?: () => number;
  /** How long a duplicate waits for the first request to finish before answering 409. */
  waitMs?: number;
  pollMs?: number;
}

interface Claim {
  owner: string;
  key: string;
  method: string;
  path: string;
  hash: string;
}

type ClaimOutcome =
  | { kind: "claimed" }
  | { kind: "replay"; status: number; body: string }
  | { kind: "mismatch"; samePath: boolean }
  | { kind: "in_progress" };

interface StoredRow {
  path: string;
  request_hash: string;
  state: "in_progress" | "done";
  response_status: number | null;
  response_body: string | null;
  created_at: number;
}

const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** JSON with object keys sorted at every level, so {a,b} and {b,a} hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return "";
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export const requestHash = (method: string, path: string, body: unknown): string =>
  createHash("sha256").update(`${method}\n${path}\n${canonicalJson(body)}`).digest("hex");

async function claim(sql: Sql, c: Claim, now: number): Promise<ClaimOutcome> {
  let row = await sql.get<StoredRow>(
    "SELECT path, request_hash, state, response_status, response_body, created_at FROM idempotency_keys WHERE owner = ? AND key = ?",
    c.owner, c.key,
  );
  // An expired key, or a claim abandoned by a request that died with its process (the handler's own transaction
  // never committed, or it would have completed the row): either is free to be claimed again.
  const abandoned = row !== undefined && row.state === "in_progress" && row.created_at <= now - ABANDONED_CLAIM_MS;
  if (row !== undefined && (row.created_at <= now - IDEMPOTENCY_TTL_MS || abandoned)) {
    await sql.run("DELETE FROM idempotency_keys WHERE owner = ? AND key = ?", c.owner, c.key);
    row = undefined;
  }
  if (row === undefined) {
    await sql.run(
      `INSERT INTO idempotency_keys (owner, key, method, path, request_hash, state, created_at)
       VALUES (?, ?, ?, ?, ?, 'in_progress', ?)`,
      c.owner, c.key, c.method, c.path, c.hash, now,
    );
    return { kind: "claimed" };
  }
  if (row.request_hash !== c.hash) return { kind: "mismatch", samePath: row.path === c.path };
  if (row.state === "done" && row.response_status !== null && row.response_body !== null) {
    return { kind: "replay", status: row.response_status, body: row.response_body };
  }
  return { kind: "in_progress" };
}

/**
 * Stores the response of the request that holds `context`, in the caller's transaction. No-op without a
 * context (the request had no Idempotency-Key) or if the response was already stored.
 */
export async function completeIdempotency(sql: Sql, context: IdempotencyContext | undefined, status: number, body: unknown): Promise<void> {
  if (context === undefined) return;
  await sql.run(
    `UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ?
     WHERE owner = ? AND key = ? AND state = 'in_progress'`,
    status, JSON.stringify(body), context.owner, context.key,
  );
  context.stored = { status, body };
}

/** Forgets an unfinished claim so the client may retry; a stored response is kept. */
async function release(sql: Sql, context: IdempotencyContext): Promise<void> {
  await sql.run("DELETE FROM idempotency_keys WHERE owner = ? AND key = ? AND state = 'in_progress'", context.owner, context.key);
}

/** Deletes keys created at least 24 hours before `now`; returns how many. */
export function purgeExpired(db: Database, now: number): Promise<number> {
  return db.transaction(async (sql) => (await sql.run("DELETE FROM idempotency_keys WHERE created_at <= ?", now - IDEMPOTENCY_TTL_MS)).changes);
}

function replay(res: Response, status: number, body: string): void {
  res.status(status).set(REPLAYED_HEADER, "true").type("application/json").send(body);
}

/** Mount after authentication (the owner is the principal's merchant, else its key). */
export function idempotency(db: Database, options: IdempotencyOptions = {}) {
  const now = options.now ?? Date.now;
  const waitMs = options.waitMs ?? 5_000;
  const pollMs = options.pollMs ?? 50;

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method !== "POST") return next();
    const key = req.get(IDEMPOTENCY_HEADER);
    if (key === undefined) return next();
    if (!VALID_KEY.test(key)) {
      throw new ApiError(
        "invalid_request_error",
        "idempotency_key_invalid",
        "Idempotency-Key must be 1 to 255 printable ASCII characters.",
        IDEMPOTENCY_HEADER,
      );
    }
    const principal = res.locals.principal;
    const owner = principal?.merchantId ?? principal?.keyId ?? "anonymous";
    const path = req.baseUrl + req.path;
    const c: Claim = { owner, key, method: req.method, path, hash: requestHash(req.method, path, req.body) };

    const deadline = performance.now() + waitMs;
    for (;;) {
      const outcome = await db.transaction((sql) => claim(sql, c, now()));
      if (outcome.kind === "claimed") break;
      if (outcome.kind === "replay") return replay(res, outcome.status, outcome.body);
      if (outcome.kind === "mismatch") {
        throw new ApiError(
          "idempotency_error",
          "idempotency_key_reused",
          `Keys for idempotent requests can only be used with the same parameters they were first used with; this key was used with ${outcome.samePath ? "other parameters" : "another path"}. Use a new key for a new request.`,
          IDEMPOTENCY_HEADER,
        );
      }
      if (performance.now() + pollMs > deadline) {
        throw new ApiError(
          "conflict_error",
          "idempotency_request_in_progress",
          "A request with this Idempotency-Key is still being processed. Retry later.",
        );
      }
      await sleep(pollMs);
    }

    const context: IdempotencyContext = { owner, key };
    res.locals.idempotency = context;
    const send = res.json.bind(res);
    let answered = false;
    res.json = (body: unknown) => {
      if (answered) return send(body);
      answered = true;
      const status = res.statusCode;
      // The handler's committed transaction already holds this answer: nothing more to store.
      if (context.stored !== undefined && context.stored.body === body && context.stored.status === status) return send(body);
      // Stripe's rule: a request refused as invalid (400) did not execute, so nothing is saved and the client may
      // fix it and retry with the same key; every other answer below 500 is the request's result and is replayed.
      const keep = status < 500 && status !== 400;
      const store = db.transaction((sql) => (keep ? completeIdempotency(sql, context, status, body) : release(sql, context)));
      // The response waits for the store: a client that got an answer can rely on its replay.
      store.then(
        () => send(body),
        () => void db.transaction((sql) => release(sql, context)).catch(() => undefined).finally(() => send(body)),
      );
      return res;
    };
    // A response not sent as JSON (res.send, res.end) is not stored: free the key once it has gone out.
    res.on("finish", () => {
      if (!answered) void db.transaction((sql) => release(sql, context)).catch(() => undefined);
    });
    next();
  };
}

// Shared by the bad-input catalogue: raw HTTP calls, the error body check, and the "nothing happened" check
// (no row written in the tables a request could touch, no transaction sent by the operator).
import assert from "node:assert/strict";

import { devWallet, RECEIVABLES_SIGNER_INDEX, type TestSystem } from "../support/system.js";

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

/** One HTTP call with exactly the headers and raw body given (no default key, no default content type). */
export async function raw(system: TestSystem, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const response = await fetch(system.relayer.url + path, { method, headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the assertion on the body shape reports it
  }
  return { status: response.status, body, headers: response.headers };
}

export interface Snapshot {
  payment_intents: number;
  operations: number;
  chain_transactions: number;
  events: number;
  receivables: number;
  receivable_actions: number;
  financing_offers: number;
  /** Transactions sent by the operator key and by the receivables key. */
  nonce: number;
  receivablesNonce: number;
}

const TABLES = ["payment_intents", "operations", "chain_transactions", "events", "receivables", "receivable_actions", "financing_offers"] as const;

export async function snapshot(system: TestSystem): Promise<Snapshot> {
  const counts = await system.relayer.db.read(async (sql) => {
    const rows: [string, number][] = [];
    for (const t of TABLES) rows.push([t, (await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`))?.n ?? -1]);
    return Object.fromEntries(rows);
  });
  const [nonce, receivablesNonce] = await Promise.all(
    [devWallet(1), devWallet(RECEIVABLES_SIGNER_INDEX)].map((w) => system.provider.getTransactionCount(w.address, "latest")),
  );
  return { ...(counts as Omit<Snapshot, "nonce" | "receivablesNonce">), nonce: nonce!, receivablesNonce: receivablesNonce! };
}

export interface Expected {
  status: number;
  code: string;
  /** `null` asserts the body's param is null; omitted skips the check. */
  param?: string | null;
  type?: string;
}

/** The one error body: exactly { error: { type, code, message, param, request_id } }, request_id echoing the header. */
export function assertError(reply: Reply, expected: Expected): void {
  const context = JSON.stringify(reply.body);
  assert.equal(reply.status, expected.status, context);
  assert.ok(reply.body !== null && typeof reply.body === "object", `not a JSON object: ${context}`);
  assert.deepEqual(Object.keys(reply.body), ["error"], context);
  const error = reply.body.error;
  assert.deepEqual(Object.keys(error).sort(), ["code", "message", "param", "request_id", "type"], context);
  assert.equal(error.code, expected.code, context);
  assert.equal(typeof error.type, "string");
  if (expected.type !== undefined) assert.equal(error.type, expected.type, context);
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0);
  assert.ok(error.param === null || typeof error.param === "string", context);
  if (expected.param !== undefined) assert.equal(error.param, expected.param, context);
  assert.match(error.request_id, /^req_[0-9a-f]{24}$/);
  assert.equal(reply.headers.get("request-id"), error.request_id);
}

/** Runs `request` and asserts it was refused as `expected` with no row written and no transaction sent. */
export async function assertRefused(system: TestSystem, request: () => Promise<Reply>, expected: Expected): Promise<Reply> {
  const before = await snapshot(system);
  const reply = await request();
  assertError(reply, expected);
  // The worker polls every 25 ms: give anything wrongly queued a chance to reach the chain before comparing.
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(await snapshot(system), before, "a refused request must change nothing");
  return reply;
}

export const randomOrderRef = () => `order-${Math.random().toString(16).slice(2)}`;

export const createBody = (system: TestSystem, overrides: Record<string, unknown> = {}) => ({
  amount: "25000000",
  token: system.credentials.contracts.SettlementToken,
  buyer: system.credentials.buyer.address,
  order_ref: randomOrderRef(),
  ...overrides,
});

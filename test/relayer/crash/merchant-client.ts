// A merchant's HTTP client for chaos runs: every POST carries an Idempotency-Key and is retried with the SAME key
// while the relayer is down (connection refused or reset), answers 5xx, or says the key is still in progress,
// as a careful merchant would. It also notices keys stranded by a dead process (see `stranded`).
import { setTimeout as sleep } from "node:timers/promises";

import { signAuthorization, type TestSystem } from "../support/system.js";

export interface RelayerTarget {
  /** The URL of a running relayer (waits for one to be up). */
  ready(): Promise<string>;
  /** Which process answers now: it changes at every restart. */
  readonly generation: number;
}

export interface ApiResponse {
  status: number;
  body: any;
  /** The Idempotency-Key that finally got the answer. */
  key: string;
  replayed: boolean;
}

export interface StrandedKey {
  key: string;
  path: string;
  /** The process that claimed the key died; a later process answered 409 idempotency_request_in_progress. */
  claimedBy: number;
  seenBy: number;
}

export class MerchantClient {
  networkRetries = 0;
  serverErrorRetries = 0;
  inProgressRetries = 0;
  readonly stranded: StrandedKey[] = [];

  constructor(
    private readonly target: RelayerTarget,
    private readonly apiKey: string,
    private readonly options: { requestTimeoutMs?: number; giveUpAfterMs?: number } = {},
  ) {}

  /**
   * POSTs until a definitive answer (below 500, other than "in progress"). A key whose claim is held by a
   * process that has since died can never be answered; it is recorded in `stranded` and the request goes on
   * under a new key (safe: the stranded request changed nothing, its claim and its work commit separately).
   */
  async post(path: string, body: unknown, idempotencyKey: string): Promise<ApiResponse> {
    const deadline = Date.now() + (this.options.giveUpAfterMs ?? 180_000);
    let key = idempotencyKey;
    let renewals = 0;
    // The latest process that may have received (and claimed) the current key.
    let mayHoldClaim: number | undefined;
    let last = "nothing";
    for (;;) {
      if (Date.now() > deadline) throw new Error(`POST ${path} (key ${key}) got no definitive answer in time; last: ${last}`);
      const url = await this.target.ready();
      const generation = this.target.generation;
      let response: Response;
      let text: string;
      try {
        response = await fetch(url + path, {
          method: "POST",
          headers: { authorization: `Bearer ${this.apiKey}`, "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
        });
        text = await response.text();
      } catch (error) {
        this.networkRetries++;
        last = `generation ${generation}: ${(error as Error).message}`;
        mayHoldClaim = generation;
        await sleep(20 + Math.random() * 80);
        continue;
      }
      const parsed = parse(text);
      last = `generation ${generation}: ${response.status} ${text.slice(0, 300)}`;
      if (response.status >= 500) {
        this.serverErrorRetries++;
        await sleep(50 + Math.random() * 100);
        continue;
      }
      if (response.status === 409 && parsed?.error?.code === "idempotency_request_in_progress") {
        if (mayHoldClaim !== undefined && generation > mayHoldClaim) {
          this.stranded.push({ key, path, claimedBy: mayHoldClaim, seenBy: generation });
          key = `${idempotencyKey}~${++renewals}`;
          mayHoldClaim = undefined;
          continue;
        }
        this.inProgressRetries++;
        continue; // the server already waited for the first request
      }
      return { status: response.status, body: parsed, key, replayed: response.headers.get("idempotent-replayed") === "true" };
    }
  }

  /** GET, retried while the relayer is down. */
  async get(path: string): Promise<{ status: number; body: any }> {
    for (;;) {
      const url = await this.target.ready();
      try {
        const response = await fetch(url + path, {
          headers: { authorization: `Bearer ${this.apiKey}` },
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
        });
        const parsed = parse(await response.text());
        if (response.status < 500) return { status: response.status, body: parsed };
      } catch {
        this.networkRetries++;
      }
      await sleep(50);
    }
  }
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A payment whose confirm the relayer accepted. */
export interface AcceptedPayment {
  intentId: string;
  paymentId: string;
  amount: bigint;
  /** When the confirm was accepted (Date.now()). */
  at: number;
}

/**
 * One payment as a merchant makes it under chaos: creates intent `i` (a random amount, order_ref `<prefix>-i`) for
 * the demo buyer, who signs, then confirms it, both with retried Idempotency-Keys. Returns the accepted payment,
 * or why the relayer refused it.
 */
export async function payOnce(client: MerchantClient, system: TestSystem, prefix: string, i: number): Promise<AcceptedPayment | { refused: string }> {
  const amount = BigInt(1 + Math.floor(Math.random() * 20)) * 1_000_000n + BigInt(i);
  const created = await client.post(
    "/v1/payment_intents",
    {
      amount: amount.toString(),
      token: system.credentials.contracts.SettlementToken,
      buyer: system.credentials.buyer.address,
      order_ref: `${prefix}-${i}`,
      capture_method: "manual",
    },
    `create-${i}`,
  );
  if (created.status !== 201) return { refused: `create ${i}: ${created.status} ${JSON.stringify(created.body)}` };
  const signature = await signAuthorization(system.buyer, created.body);
  const confirmed = await client.post(`/v1/payment_intents/${created.body.id}/confirm`, { signature }, `confirm-${i}`);
  if (confirmed.status !== 202) return { refused: `confirm ${i}: ${confirmed.status} ${JSON.stringify(confirmed.body)}` };
  return { intentId: created.body.id, paymentId: String(created.body.payment_id).toLowerCase(), amount, at: Date.now() };
}

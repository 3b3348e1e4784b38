// A merchant's HTTP client for chaos runs: every POST carries an Idempotency-Key and is retried with the SAME key
// while the relayer is down (connection refused or reset), answers 5xx, or says the key is still in progress,
// as a careful merchant would. It also notices keys stranded by a dead process (see `stranded`).
import { setTimeout as sleep } from "node:timers/promises";

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

// A small JSON-RPC client over fetch: ordered batches, a timeout per request, and retries with backoff for
// transport failures (connection refused, timeouts, HTTP 429/5xx). RPC errors (the node answered with an error)
// are not retried here; the caller decides (e.g. a log range that is too large is split).

export class RpcConnectionError extends Error {
  override name = "RpcConnectionError";
}

export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message} (code ${code})`);
  }
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

export interface RpcOptions {
  timeoutMs?: number;
  retries?: number;
  /** First backoff; doubles each retry. */
  backoffMs?: number;
}

type Answer = { id: number; result?: unknown; error?: { code: number; message: string; data?: unknown } };

export class RpcClient {
  #nextId = 1;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;

  constructor(
    readonly url: string,
    options: RpcOptions = {},
  ) {
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#retries = options.retries ?? 4;
    this.#backoffMs = options.backoffMs ?? 250;
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const [answer] = await this.batch<T>([{ method, params }]);
    if (answer instanceof RpcError) throw answer;
    return answer as T;
  }

  /** One HTTP request carrying `calls`; each answer is a result or an RpcError, in the order of `calls`. */
  async batch<T = unknown>(calls: RpcCall[]): Promise<(T | RpcError)[]> {
    if (calls.length === 0) return [];
    const requests = calls.map((c) => ({ jsonrpc: "2.0", id: this.#nextId++, method: c.method, params: c.params }));
    const body = JSON.stringify(requests.length === 1 ? requests[0] : requests);
    const parsed = await this.#post(body, calls[0]!.method);
    const answers = (Array.isArray(parsed) ? parsed : [parsed]) as Answer[];
    const byId = new Map(answers.map((a) => [a.id, a]));
    return requests.map((r) => {
      const a = byId.get(r.id);
      if (!a) return new RpcError(r.method, -32603, "no answer in the batch");
      if (a.error) return new RpcError(r.method, a.error.code, a.error.message, a.error.data);
      return a.result as T;
    });
  }

  async #post(body: string, what: string): Promise<unknown> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.#backoffMs * 2 ** (attempt - 1)));
      try {
        const response = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        const text = await response.text();
        if (response.status === 429 || response.status >= 500) {
          lastError = new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
          continue;
        }
        try {
          return JSON.parse(text);
        } catch {
          throw new RpcConnectionError(`${this.url} did not answer JSON-RPC to ${what} (HTTP ${response.status}: ${text.slice(0, 200)})`);
        }
      } catch (error) {
        if (error instanceof RpcConnectionError) throw error;
        lastError = error;
      }
    }
    const reason = lastError instanceof Error ? ((lastError.cause as Error | undefined)?.message ?? lastError.message) : String(lastError);
    throw new RpcConnectionError(`${this.url} did not answer ${what} after ${this.#retries + 1} attempts: ${reason}`);
  }
}

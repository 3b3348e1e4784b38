// Reads the relayer's records for reconciliation with an auditor key, every page: GET /v1/audit/payments in
// payment_id order (the agreed contract; see docs/audit.md) and GET /v1/audit/receivables (the register).
import type { AuditPayment, AuditReceivable } from "../reconcile.js";

export class RelayerApiError extends Error {
  override name = "RelayerApiError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface ListPage<T> {
  object: "list";
  data: T[];
  has_more: boolean;
}

type FetchOptions = { limit?: number; timeoutMs?: number };

/** Every payment record the relayer has, fetched page by page (`limit` at most 100). */
export function fetchRelayerPayments(baseUrl: string, key: string, onPage: (records: number) => void = () => undefined, options: FetchOptions = {}): Promise<AuditPayment[]> {
  return fetchEveryPage<AuditPayment>(baseUrl, key, "/v1/audit/payments", (p) => p.payment_id, onPage, options);
}

/** Every receivable in the relayer's register (invoices and parts), fetched page by page. */
export function fetchRelayerReceivables(baseUrl: string, key: string, onPage: (records: number) => void = () => undefined, options: FetchOptions = {}): Promise<AuditReceivable[]> {
  return fetchEveryPage<AuditReceivable>(baseUrl, key, "/v1/audit/receivables", (r) => r.id, onPage, options);
}

async function fetchEveryPage<T>(
  baseUrl: string,
  key: string,
  path: string,
  cursorOf: (row: T) => string,
  onPage: (records: number) => void,
  options: FetchOptions,
): Promise<T[]> {
  const limit = options.limit ?? 100;
  const all: T[] = [];
  let after: string | undefined;
  for (;;) {
    const url = new URL(path, baseUrl);
    url.searchParams.set("limit", String(limit));
    if (after) url.searchParams.set("starting_after", after);
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: "application/json" }, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    } catch (error) {
      const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
      throw new RelayerApiError(`the relayer at ${baseUrl} cannot be reached: ${reason}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RelayerApiError(`the relayer answered ${url.pathname} with HTTP ${response.status} and no JSON: ${text.slice(0, 200)}`, response.status);
    }
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      throw new RelayerApiError(`the relayer refused ${url.pathname}: HTTP ${response.status} ${error?.code ?? ""} ${error?.message ?? ""}`.trim(), response.status, error?.code);
    }
    const page = body as ListPage<T>;
    if (page.object !== "list" || !Array.isArray(page.data) || typeof page.has_more !== "boolean") {
      throw new RelayerApiError(`the relayer's ${url.pathname} answer is not a list page`);
    }
    all.push(...page.data);
    onPage(all.length);
    if (!page.has_more || page.data.length === 0) return all;
    after = cursorOf(page.data[page.data.length - 1]!);
  }
}

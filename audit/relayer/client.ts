// Reads the relayer's records for reconciliation: GET /v1/audit/payments with an auditor key, every page, in
// payment_id order (the agreed contract; see docs/audit.md).
import type { AuditPayment } from "../reconcile.js";

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

interface ListPage {
  object: "list";
  data: AuditPayment[];
  has_more: boolean;
}

/** Every payment record the relayer has, fetched page by page (`limit` at most 100). */
export async function fetchRelayerPayments(
  baseUrl: string,
  key: string,
  onPage: (records: number) => void = () => undefined,
  options: { limit?: number; timeoutMs?: number } = {},
): Promise<AuditPayment[]> {
  const limit = options.limit ?? 100;
  const all: AuditPayment[] = [];
  let after: string | undefined;
  for (;;) {
    const url = new URL("/v1/audit/payments", baseUrl);
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
    const page = body as ListPage;
    if (page.object !== "list" || !Array.isArray(page.data) || typeof page.has_more !== "boolean") {
      throw new RelayerApiError(`the relayer's ${url.pathname} answer is not a list page`);
    }
    all.push(...page.data);
    onPage(all.length);
    if (!page.has_more || page.data.length === 0) return all;
    after = page.data[page.data.length - 1]!.payment_id;
  }
}

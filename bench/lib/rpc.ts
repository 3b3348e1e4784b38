// Raw JSON-RPC over HTTP (fetch), single calls and ordered batches: what the benchmark measures, without a
// client library's batching or caching in the way.

export interface RpcResponse<T = unknown> {
  id: number;
  result?: T;
  error?: { code: number; message: string; data?: unknown };
}

let nextId = 1;

/** Sends `calls` as one JSON-RPC batch request; answers are returned in the order of `calls`. */
export async function rpcBatch<T = unknown>(url: string, calls: { method: string; params: unknown[] }[]): Promise<RpcResponse<T>[]> {
  const requests = calls.map((c) => ({ jsonrpc: "2.0", id: nextId++, method: c.method, params: c.params }));
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(requests) });
  if (!response.ok) throw new Error(`RPC batch answered HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  const answers = (await response.json()) as RpcResponse<T>[];
  const byId = new Map(answers.map((a) => [a.id, a]));
  return requests.map((r) => byId.get(r.id) ?? { id: r.id, error: { code: -1, message: "no answer in the batch" } });
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const [answer] = await rpcBatch<T>(url, [{ method, params }]);
  if (answer?.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer!.result as T;
}

// A JSON-RPC profiler: an HTTP proxy in front of the node that counts each method and the time the node took
// to answer it. Batches are attributed to every method they carry (duration split evenly).
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface MethodStats {
  calls: number;
  requests: number;
  total_ms: number;
}

export interface RpcProfiler {
  url: string;
  stats(): Record<string, MethodStats & { mean_ms: number }>;
  close(): Promise<void>;
}

export async function startRpcProfiler(target: string): Promise<RpcProfiler> {
  const byMethod = new Map<string, MethodStats>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    const forward = async () => {
      const body = Buffer.concat(chunks);
      const start = performance.now();
      try {
        const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        const text = await answer.text();
        const ms = performance.now() - start;
        let methods: string[] = [];
        try {
          const parsed = JSON.parse(body.toString()) as { method: string } | { method: string }[];
          methods = Array.isArray(parsed) ? parsed.map((p) => p.method) : [parsed.method];
        } catch {
          methods = ["(unparsable)"];
        }
        for (const m of methods) {
          const s = byMethod.get(m) ?? { calls: 0, requests: 0, total_ms: 0 };
          s.calls += 1;
          s.total_ms += ms / methods.length;
          byMethod.set(m, s);
        }
        for (const m of new Set(methods)) byMethod.get(m)!.requests += 1;
        res.writeHead(answer.status, { "content-type": "application/json" }).end(text);
      } catch (error) {
        res.writeHead(502).end(String((error as Error).message));
      }
    };
    req.on("end", () => void forward()); // forward answers every failure itself (502)
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      Object.fromEntries(
        [...byMethod.entries()]
          .sort((a, b) => b[1].total_ms - a[1].total_ms)
          .map(([m, s]) => [m, { ...s, total_ms: Math.round(s.total_ms), mean_ms: Math.round((s.total_ms / s.calls) * 100) / 100 }]),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

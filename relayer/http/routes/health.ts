// /healthz (the process answers), /readyz (database, RPC and the signer's balance), /metrics (Prometheus).
import type { Router } from "express";
import { z } from "zod";

import type { RouteRegistry } from "../openapi.js";

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface HealthChecks {
  database(): Promise<ReadinessCheck>;
  rpc(): Promise<ReadinessCheck>;
  signerBalance(): Promise<ReadinessCheck>;
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

const CHECK_TIMEOUT_MS = 2_000;

const readiness = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});

export function healthRoutes(router: Router, registry: RouteRegistry, checks: HealthChecks): void {
  registry.add({
    method: "get", path: "/healthz", operationId: "health", tags: ["Operations"], scope: "public",
    summary: "Liveness: the process answers", response: z.object({ status: z.literal("ok") }),
  });
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  registry.add({
    method: "get", path: "/readyz", operationId: "ready", tags: ["Operations"], scope: "public",
    summary: "Readiness: database, RPC node and the signer's balance (503 if any fails)", response: readiness,
  });
  router.get("/readyz", async (_req, res) => {
    const entries = await Promise.all(
      (["database", "rpc", "signerBalance"] as const).map(async (name) => {
        try {
          // A stalled RPC must make /readyz answer not_ready, not hang: each check gets 2 s.
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("no answer within 2 s")), CHECK_TIMEOUT_MS);
          });
          try {
            return [name, await Promise.race([checks[name](), timeout])] as const;
          } finally {
            clearTimeout(timer);
          }
        } catch (error) {
          return [name, { ok: false, detail: (error as Error).message }] as const;
        }
      }),
    );
    const ok = entries.every(([, check]) => check.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not_ready", checks: Object.fromEntries(entries) });
  });

  router.get("/metrics", async (_req, res) => {
    const { contentType, body } = await checks.metrics();
    res.type(contentType).send(body);
  });
}

// A toy app for the idempotency tests: fake authentication by header, handlers that count their runs.
import { setTimeout as sleep } from "node:timers/promises";

import express from "express";

import { conflict, invalid } from "../../../relayer/domain/errors.js";
import { jsonBody } from "../../../relayer/http/body.js";
import { errorHandler, notFoundHandler } from "../../../relayer/http/errors.js";
import { completeIdempotency, idempotency, type IdempotencyOptions } from "../../../relayer/http/idempotency.js";
import { requestContext } from "../../../relayer/http/request-context.js";
import type { Database } from "../../../relayer/persistence/database.js";

export interface Counters {
  runs: Record<string, number>;
}

export function idempotentApp(db: Database, options: IdempotencyOptions = {}) {
  const counters: Counters = { runs: {} };
  const ran = (name: string) => (counters.runs[name] = (counters.runs[name] ?? 0) + 1);
  const app = express();
  app.use(requestContext());
  app.use(jsonBody());
  app.use((req, res, next) => {
    const merchant = req.get("x-merchant") ?? "mer_a";
    res.locals.principal = { keyId: `key_of_${merchant}`, scope: "merchant", merchantId: merchant };
    next();
  });
  app.use(idempotency(db, options));

  app.post("/v1/things", async (req, res) => {
    const run = ran("things");
    const body = (req.body ?? {}) as { delay_ms?: number };
    await sleep(body.delay_ms ?? 0);
    res.status(201).json({ id: `thing_${run}_${Math.random().toString(16).slice(2)}`, run });
  });
  app.post("/v1/other", (_req, res) => {
    ran("other");
    res.status(201).json({ ok: true });
  });
  app.post("/v1/refused", () => {
    ran("refused");
    throw conflict("intent_unexpected_state", "the intent was already confirmed");
  });
  app.post("/v1/invalid", () => {
    ran("invalid");
    throw invalid("amount_invalid", "amount must be digits", "amount");
  });
  app.post("/v1/crash", () => {
    ran("crash");
    throw new Error("connection reset");
  });
  app.post("/v1/text", (_req, res) => {
    ran("text");
    res.status(200).send("plain");
  });
  // Writes its domain row and its idempotent response in one transaction.
  app.post("/v1/atomic", async (req, res) => {
    const run = ran("atomic");
    const body = { id: `atomic_${run}` };
    const fail = (req.body as { fail?: "crash" | "refused" } | undefined)?.fail;
    await db.transaction(async (sql) => {
      await sql.run("INSERT INTO meta (key, value) VALUES (?, ?)", body.id, "written");
      await completeIdempotency(sql, res.locals.idempotency, 201, body);
      if (fail === "crash") throw new Error("failed after writing");
      if (fail === "refused") throw conflict("intent_unexpected_state", "refused after storing a response");
    });
    res.status(201).json(body);
  });
  app.use(notFoundHandler());
  app.use(errorHandler());
  return { app, counters };
}

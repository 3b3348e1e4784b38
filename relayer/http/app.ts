// The express app, without listen(): tests call it in-process, main.ts wires and starts it.
import express, { Router, type Express } from "express";

import type { Database } from "../persistence/database.js";
import { databaseKeyVerifier } from "../persistence/api-keys.js";
import { authenticate } from "./auth.js";
import { jsonBody } from "./body.js";
import { errorHandler, notFoundHandler } from "./errors.js";
import { idempotency } from "./idempotency.js";
import type { Logger, RequestObserver } from "./logging.js";
import { requestLogger } from "./logging.js";
import { buildOpenApi, docsHandler, openApiHandler, RouteRegistry } from "./openapi.js";
import { rateLimit } from "./rate-limit.js";
import { requestContext } from "./request-context.js";
import { paymentIntentRoutes, type PaymentIntentRouteDeps } from "./routes/payment-intents.js";
import { balancePayoutRoutes, type BalancePayoutDeps } from "./routes/balances-payouts.js";
import { eventRoutes } from "./routes/events.js";
import { kycRoutes, type KycRouteDeps } from "./routes/kyc.js";
import { healthRoutes, type HealthChecks } from "./routes/health.js";
import { financingOfferRoutes } from "./routes/financing-offers.js";
import { receivableRoutes, type ReceivableRouteDeps } from "./routes/receivables.js";
import { webhookRoutes, type WebhookRouteDeps } from "./routes/webhook-endpoints.js";
import { auditRoutes, type AuditRouteDeps } from "./routes/audit.js";
import { consoleRoutes } from "./console.js";

export interface AppDeps extends PaymentIntentRouteDeps, BalancePayoutDeps, WebhookRouteDeps, KycRouteDeps, ReceivableRouteDeps, AuditRouteDeps {
  db: Database;
  logger: Logger;
  health: HealthChecks;
  rateLimit?: { ratePerSecond: number; burst: number };
  bodyLimit?: string;
  /** Told each request's route, status and duration (the relayer's request-duration histogram). */
  observeRequest?: RequestObserver;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestContext(), requestLogger(deps.logger, deps.observeRequest));

  const registry = new RouteRegistry();
  const publicRoutes = Router();
  healthRoutes(publicRoutes, registry, deps.health);
  consoleRoutes(publicRoutes);

  const api = Router();
  api.use(
    authenticate(databaseKeyVerifier(deps.db)),
    rateLimit(deps.rateLimit ?? { ratePerSecond: 100, burst: 200 }),
    ...jsonBody({ limit: deps.bodyLimit ?? "100kb" }),
    idempotency(deps.db, { now: deps.now }),
  );
  paymentIntentRoutes(api, registry, deps);
  eventRoutes(api, registry, deps);
  balancePayoutRoutes(api, registry, deps);
  kycRoutes(api, registry, deps);
  webhookRoutes(api, registry, deps);
  receivableRoutes(api, registry, deps);
  financingOfferRoutes(api, registry, deps);
  auditRoutes(api, registry, deps);

  const document = buildOpenApi(registry, {
    title: "Settlement network relayer API",
    version: "1.0.0",
    description: "Payment intents on an on-chain escrow: authorize by the buyer's signature, capture, refund, settle. Receivables (supply-chain finance): issue, accept, split, transfer, finance and repay by the parties' signatures.",
  });
  app.get("/openapi.json", openApiHandler(document));
  app.get("/docs", docsHandler(document));
  app.use(publicRoutes);
  app.use(api);
  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}

// Sends due webhook deliveries: signed POSTs, retried on the Standard Webhooks (Svix) schedule.
//
// A tick claims due deliveries in one transaction (leasing them so a concurrent or restarted dispatcher leaves
// them alone), sends them with bounded concurrency outside any transaction, then records each attempt and its
// next step in a transaction of its own. At-least-once: a crash between the POST and the record sends again,
// with the same webhook-id, which is what receivers deduplicate on.
import { performance } from "node:perf_hooks";

import type { Database } from "../persistence/database.js";
import { webhooks, type AttemptResult, type DueDelivery, type WebhookEvent } from "../persistence/webhooks.js";
import { decryptSecret } from "./secrets.js";
import { sign, type WebhookHeaders } from "./signing.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Waits after the 1st, 2nd, ... failed attempt of a schedule (the first attempt is immediate). The 8th failure
 * is final: the schedule spans 27 h 35 min 5 s, so a receiver has more than a day to come back.
 */
export const RETRY_DELAYS_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** Jitter adds up to this fraction of a delay (never subtracts: the 24 h span holds). */
export const RETRY_JITTER = 0.1;

/** When the attempt that just failed (the `cycleAttempt`-th of its schedule, from 1) is tried again; null: give up. */
export function nextAttemptAt(failedAt: number, cycleAttempt: number, random: () => number = Math.random): number | null {
  const delay = RETRY_DELAYS_MS[cycleAttempt - 1];
  if (delay === undefined) return null;
  return failedAt + Math.round(delay * (1 + RETRY_JITTER * random()));
}

/** The JSON body a merchant receives. `created_at` is Unix seconds, like every timestamp in the API. */
export function eventPayload(event: WebhookEvent): { id: string; type: string; created_at: number; data: unknown } {
  return { id: event.id, type: event.type, created_at: Math.floor(event.createdAt / 1000), data: JSON.parse(event.data) };
}

export interface AttemptReport {
  deliveryId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** What the delivery became: succeeded, pending (a retry is scheduled) or failed (no retry left). */
  outcome: AttemptResult["status"];
  nextAttemptAt: number | null;
}

/** Callbacks for metrics (e.g. prom-client counters); they must not throw. */
export interface WebhookMetrics {
  /** Every attempt, whatever its outcome. */
  attempt?(report: AttemptReport): void;
  /** An attempt that got no 2xx (a retry may follow). */
  failure?(report: AttemptReport): void;
  /** A delivery that used up its schedule and is now failed. */
  exhausted?(report: AttemptReport): void;
}

/** The slice of a pino logger the dispatcher uses. It is never given a secret, a signature or a body. */
export interface WebhookLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface WebhookDispatcherOptions {
  db: Database;
  /** The 32-byte key the endpoint secrets are encrypted under. */
  masterKey: Uint8Array;
  /** Unix ms; injected so tests can walk the retry schedule. */
  clock?: () => number;
  /** In [0, 1); for jitter. */
  random?: () => number;
  fetch?: typeof globalThis.fetch;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Deliveries claimed per tick (default 100). */
  batchSize?: number;
  /** Requests in flight at once (default 10). */
  concurrency?: number;
  metrics?: WebhookMetrics;
  logger?: WebhookLogger;
  userAgent?: string;
}

export interface TickSummary {
  attempted: number;
  succeeded: number;
  retrying: number;
  failed: number;
}

interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export class WebhookDispatcher {
  readonly #db: Database;
  readonly #masterKey: Uint8Array;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #metrics: WebhookMetrics;
  readonly #logger: WebhookLogger | undefined;
  readonly #userAgent: string;
  #inFlight: Promise<TickSummary> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(options: WebhookDispatcherOptions) {
    this.#db = options.db;
    this.#masterKey = options.masterKey;
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 10 * SECOND;
    this.#batchSize = options.batchSize ?? 100;
    this.#concurrency = Math.max(1, options.concurrency ?? 10);
    this.#metrics = options.metrics ?? {};
    this.#logger = options.logger;
    this.#userAgent = options.userAgent ?? "settlement-relayer-webhooks/1";
  }

  /** Sends what is due now. A tick already running is joined, never doubled. */
  tick(): Promise<TickSummary> {
    this.#inFlight ??= this.#tick().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  /** Ticks every `intervalMs` until stop(). */
  start(intervalMs = SECOND): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = () => {
      this.tick()
        .catch((error: unknown) => this.#logger?.error({ err: error }, "webhook dispatch tick failed"))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, intervalMs);
        });
    };
    loop();
  }

  /** Stops ticking and waits for the tick in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight?.catch(() => undefined);
  }

  async #tick(): Promise<TickSummary> {
    const now = this.#clock();
    // A lease longer than any request: a delivery is not claimed twice while its attempt is in flight.
    const leaseUntil = now + this.#timeoutMs + MINUTE;
    const due = await this.#db.transaction((sql) => webhooks.claimDue(sql, now, this.#batchSize, leaseUntil));
    const summary: TickSummary = { attempted: 0, succeeded: 0, retrying: 0, failed: 0 };
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const item = due[next++]!;
        const report = await this.#deliver(item);
        summary.attempted++;
        if (report.outcome === "succeeded") summary.succeeded++;
        else if (report.outcome === "pending") summary.retrying++;
        else summary.failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, due.length) }, worker));
    return summary;
  }

  async #deliver({ delivery, endpoint, event }: DueDelivery): Promise<AttemptReport> {
    const attemptedAt = this.#clock();
    let sent: SendResult;
    try {
      const secret = decryptSecret(endpoint.secretCiphertext, this.#masterKey, endpoint.id);
      const body = JSON.stringify(eventPayload(event));
      const headers = sign(secret, delivery.id, Math.floor(attemptedAt / 1000), body);
      sent = await this.#post(endpoint.url, body, headers);
    } catch (error) {
      // Decryption or signing failed: nothing was sent; retried on the schedule in case the key is fixed.
      sent = { statusCode: null, error: (error as Error).message, durationMs: 0 };
      this.#logger?.error({ deliveryId: delivery.id, endpointId: endpoint.id, err: sent.error }, "webhook could not be prepared");
    }

    const ok = sent.statusCode !== null && sent.statusCode >= 200 && sent.statusCode < 300;
    const retryAt = ok ? null : nextAttemptAt(attemptedAt, delivery.cycleAttempts + 1, this.#random);
    const result: AttemptResult = ok
      ? { status: "succeeded" }
      : retryAt === null
        ? { status: "failed" }
        : { status: "pending", nextAttemptAt: retryAt };
    await this.#db.transaction((sql) =>
      webhooks.recordAttempt(sql, { deliveryId: delivery.id, attemptedAt, ...sent }, result),
    );

    const report: AttemptReport = {
      deliveryId: delivery.id,
      endpointId: endpoint.id,
      eventId: event.id,
      eventType: event.type,
      ...sent,
      outcome: result.status,
      nextAttemptAt: retryAt,
    };
    this.#notify("attempt", report);
    if (!ok) {
      this.#notify("failure", report);
      this.#logger?.warn(
        { deliveryId: delivery.id, endpointId: endpoint.id, eventId: event.id, statusCode: sent.statusCode, error: sent.error, outcome: result.status },
        result.status === "failed" ? "webhook delivery failed for good" : "webhook attempt failed; retry scheduled",
      );
      if (result.status === "failed") this.#notify("exhausted", report);
    }
    return report;
  }

  async #post(url: string, body: string, headers: WebhookHeaders): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await this.#fetch(url, {
        method: "POST",
        body,
        headers: { ...headers, "content-type": "application/json", "user-agent": this.#userAgent },
        // A redirect is not a delivery: following it could send the payload somewhere the merchant did not register.
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return { statusCode: response.status, error: null, durationMs: elapsed() };
    } catch (error) {
      return { statusCode: null, error: describeFetchError(error, this.#timeoutMs), durationMs: elapsed() };
    }
  }

  #notify(hook: keyof WebhookMetrics, report: AttemptReport): void {
    try {
      this.#metrics[hook]?.(report);
    } catch (error) {
      this.#logger?.error({ err: (error as Error).message, hook }, "webhook metrics hook threw");
    }
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `timed out after ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? "request failed"}: ${cause}` : (e.message ?? String(error));
}

// Structured logs (pino) that never carry secrets: API keys, authorization headers, signatures, private
// keys and webhook secrets are removed by field name (redact paths and a scrubber) and by shape (any string
// that looks like an sk_ key, a 65-byte signature or a raw 32-byte private key is masked wherever it appears).
import type { NextFunction, Request, Response } from "express";
import { type DestinationStream, type Logger, type LoggerOptions as PinoOptions, pino, stdSerializers } from "pino";

export type { Logger } from "pino";

export const MASK = "[Redacted]";

const SECRET_SHAPES: RegExp[] = [
  /sk_[A-Za-z0-9_-]{10,}/g, // API keys
  /0x[0-9a-fA-F]{130}(?![0-9a-fA-F])/g, // 65-byte signatures
  /(?<![0-9a-zA-Z])[0-9a-fA-F]{64}(?![0-9a-fA-F])/g, // raw private keys (0x-prefixed hashes stay readable)
];

/** Field names whose values are never logged, whatever they hold. */
const SECRET_FIELD = /^(authorization|cookie|set-cookie|x-api-key|api_?key|secret|.*_secret|.*Secret|password|private_?key|privateKey|signature|signatures|mnemonic|seed)$/i;

export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "*.authorization",
  "*.apiKey",
  "*.api_key",
  "*.secret",
  "*.privateKey",
  "*.private_key",
  "*.signature",
  "*.webhookSecret",
  "*.webhook_secret",
];

/** Masks every substring shaped like a secret. */
export function maskSecrets(text: string): string {
  return SECRET_SHAPES.reduce((masked, shape) => masked.replace(shape, MASK), text);
}

/** A copy of `value` with secret fields and secret-shaped strings masked (errors become plain objects). */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskSecrets(value);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (value instanceof Error) return scrubSecrets(stdSerializers.err(value), depth + 1);
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? MASK : scrubSecrets(field, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  level?: PinoOptions["level"];
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
  /** Fields on every line, e.g. { service: "relayer" }. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config: PinoOptions = {
    level: options.level ?? "info",
    base: options.base ?? null,
    redact: { paths: REDACT_PATHS, censor: MASK },
    formatters: {
      log: (object) => scrubSecrets(object) as Record<string, unknown>,
      bindings: (bindings) => scrubSecrets(bindings) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args: Parameters<Logger["info"]>, method) {
        const masked = (args as unknown[]).map((arg) => (typeof arg === "string" ? maskSecrets(arg) : arg));
        method.apply(this, masked as Parameters<Logger["info"]>);
      },
    },
  };
  const logger = options.destination === undefined ? pino(config) : pino(config, options.destination);
  // pino serializes a child's bindings once, without formatters.log: scrub them on the way in. `this` keeps
  // grandchildren chained to their own parent.
  type ChildFn = (this: unknown, bindings: Record<string, unknown>, options?: unknown) => unknown;
  const child = logger.child as unknown as ChildFn;
  const scrubbingChild: ChildFn = function (bindings, childOptions) {
    return child.call(this, scrubSecrets(bindings) as Record<string, unknown>, childOptions);
  };
  logger.child = scrubbingChild as unknown as Logger["child"];
  return logger;
}

/** What a finished request is measured by (/metrics): its route's pattern, never its ids. */
export type RequestObserver = (labels: { method: string; route: string; status: number }, seconds: number) => void;

/** The route pattern that answered (`/v1/payment_intents/:id/confirm`), or `unmatched`. */
function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  return typeof route?.path === "string" ? req.baseUrl + route.path : "unmatched";
}

/**
 * One line per request once it is answered: method, path, status, duration, request id. Never bodies. `observe`
 * gets the same duration for the request-duration histogram.
 */
export function requestLogger(logger: Logger, observe?: RequestObserver) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const method = req.method;
    const path = req.originalUrl.split("?")[0] ?? "";
    let logged = false;
    const log = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      const ms = performance.now() - started;
      observe?.({ method, route: routeOf(req), status: res.statusCode }, ms / 1000);
      const line = {
        request_id: res.locals.requestId,
        method,
        path,
        status: res.statusCode,
        duration_ms: Math.round(ms * 10) / 10,
        key_id: res.locals.principal?.keyId,
        ...(aborted ? { aborted: true } : {}),
      };
      if (res.statusCode >= 500) logger.error(line, "request failed");
      else logger.info(line, aborted ? "request aborted" : "request completed");
    };
    res.on("finish", () => log(false));
    res.on("close", () => log(!res.writableFinished));
    next();
  };
}

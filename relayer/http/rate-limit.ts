// A token bucket per principal (per client address before authentication): `burst` requests at once,
// refilled at `ratePerSecond`. An empty bucket answers 429 with Retry-After in whole seconds.
import type { NextFunction, Request, Response } from "express";

import { ApiError } from "../domain/errors.js";

export interface RateLimitOptions {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Bucket size: requests allowed at once after a quiet period. */
  burst: number;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
  /** Buckets kept before full (idle) ones are dropped. */
  maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #maxBuckets: number;

  constructor(options: RateLimitOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new Error("rate limit: ratePerSecond > 0 and burst >= 1");
    this.#rate = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#now = options.now ?? Date.now;
    this.#maxBuckets = options.maxBuckets ?? 10_000;
  }

  /** Takes one token for `client`: 0 if allowed, else the milliseconds until one is available. */
  take(client: string): number {
    const now = this.#now();
    const bucket = this.#refill(this.#buckets.get(client), now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.#store(client, bucket);
      return 0;
    }
    this.#store(client, bucket);
    return Math.ceil((1 - bucket.tokens) / this.#rate);
  }

  #refill(bucket: Bucket | undefined, now: number): Bucket {
    if (bucket === undefined) return { tokens: this.#burst, updatedAt: now };
    const elapsed = Math.max(0, now - bucket.updatedAt);
    return { tokens: Math.min(this.#burst, bucket.tokens + elapsed * this.#rate), updatedAt: now };
  }

  #store(client: string, bucket: Bucket): void {
    this.#buckets.set(client, bucket);
    if (this.#buckets.size <= this.#maxBuckets) return;
    const now = this.#now();
    for (const [id, b] of this.#buckets) {
      if (this.#refill(b, now).tokens >= this.#burst) this.#buckets.delete(id);
    }
  }
}

/** Limits each principal (by key id) or, for unauthenticated requests, each client address. */
export function rateLimit(options: RateLimitOptions) {
  const buckets = new TokenBuckets(options);
  return (req: Request, res: Response, next: NextFunction): void => {
    const client = res.locals.principal?.keyId ?? `ip:${req.ip ?? "unknown"}`;
    const waitMs = buckets.take(client);
    if (waitMs > 0) {
      res.setHeader("Retry-After", String(Math.max(1, Math.ceil(waitMs / 1000))));
      throw new ApiError("rate_limit_error", "rate_limit_exceeded", "Too many requests. Retry after the number of seconds in Retry-After.");
    }
    next();
  };
}

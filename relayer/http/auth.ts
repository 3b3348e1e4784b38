// API key authentication (Authorization: Bearer sk_...) and scope checks.
import type { NextFunction, Request, Response } from "express";

import { ApiError } from "../domain/errors.js";
import type { Principal, Scope } from "../domain/principal.js";

export type { Principal, Scope } from "../domain/principal.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      principal?: Principal;
    }
  }
}

/** Looks a presented secret up; undefined when it is unknown or revoked. */
export interface ApiKeyVerifier {
  verify(secret: string): Promise<Principal | undefined>;
}

// The scheme name is case-insensitive (RFC 9110).
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/i;

const missing = () =>
  new ApiError(
    "authentication_error",
    "api_key_missing",
    "No valid API key provided. Send it as `Authorization: Bearer <key>`.",
  );

/** Authenticates every request it guards; the principal is then `principalOf(res)`. */
export function authenticate(verifier: ApiKeyVerifier) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const match = BEARER.exec(req.get("authorization") ?? "");
    if (match?.[1] === undefined) throw missing();
    const principal = await verifier.verify(match[1]);
    if (principal === undefined) {
      throw new ApiError("authentication_error", "api_key_invalid", "The API key is invalid or has been revoked.");
    }
    res.locals.principal = principal;
    next();
  };
}

/** The authenticated principal; a programming error (500) if authenticate() did not run. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal;
  if (principal === undefined) throw new Error("principalOf: no authenticated principal on this route");
  return principal;
}

/** Lets the request through only for keys of one of `scopes`. */
export function requireScope(...scopes: Scope[]) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = res.locals.principal;
    if (principal === undefined) throw missing();
    if (!scopes.includes(principal.scope)) {
      throw new ApiError(
        "permission_error",
        "insufficient_scope",
        `This API key (scope ${principal.scope}) cannot perform this request; it needs scope ${scopes.join(" or ")}.`,
      );
    }
    next();
  };
}

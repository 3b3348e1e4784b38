// A request id per request: returned as the Request-Id header, logged, and echoed in every error body.
import { randomBytes } from "node:crypto";

import type { NextFunction, Request, Response } from "express";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      requestId?: string;
      startedAt?: number;
    }
  }
}

export const REQUEST_ID_HEADER = "Request-Id";

export const newRequestId = (): string => `req_${randomBytes(12).toString("hex")}`;

/** Mount first: every later middleware, handler and the error handler can read the id. */
export function requestContext() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const id = newRequestId();
    res.locals.requestId = id;
    res.locals.startedAt = performance.now();
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

/** The current request's id; `undefined` only if requestContext() was not mounted. */
export const requestIdOf = (res: Response): string | undefined => res.locals.requestId;

// JSON request bodies only: a body with another content type is refused (415) rather than silently ignored.
import express, { type NextFunction, type Request, type Response } from "express";

import { unsupportedMediaType } from "./errors.js";

export interface JsonBodyOptions {
  /** Maximum body size, bytes or a string such as "100kb" (default). Larger bodies get 413 body_too_large. */
  limit?: number | string;
}

const hasBody = (req: Request) =>
  req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;

/** Rejects a non-JSON body with 415 unsupported_media_type; bodyless requests pass. */
export function requireJsonContentType() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (hasBody(req) && req.is("application/json") === false) {
      next(unsupportedMediaType());
      return;
    }
    next();
  };
}

/** Content-type check plus express.json (objects and arrays only). Errors reach the error handler. */
export function jsonBody(options: JsonBodyOptions = {}) {
  return [requireJsonContentType(), express.json({ limit: options.limit ?? "100kb", strict: true })];
}

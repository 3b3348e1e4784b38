// Every failure becomes the one error body: { "error": { type, code, message, param, request_id } }.
// ApiErrors say what went wrong; body-parser failures are mapped to stable codes; anything else is a 500
// whose cause is logged with the request id and never shown to the caller.
import type { ErrorRequestHandler, Request, Response } from "express";
import type { Logger } from "pino";

import { ApiError, type ErrorType } from "../domain/errors.js";
import { requestIdOf } from "./request-context.js";

export interface ErrorBody {
  error: { type: ErrorType; code: string; message: string; param: string | null; request_id: string | null };
}

export function errorBody(error: ApiError, requestId: string | undefined): ErrorBody {
  return {
    error: {
      type: error.type,
      code: error.code,
      message: error.message,
      param: error.param ?? null,
      request_id: requestId ?? null,
    },
  };
}

/** Writes `error` as the response; used by the error handler and by middleware that answers early. */
export function sendError(res: Response, error: ApiError): void {
  res.status(error.status).json(errorBody(error, requestIdOf(res)));
}

interface BodyParserError {
  type: string;
  status?: number;
  limit?: number;
}

const isBodyParserError = (error: unknown): error is BodyParserError =>
  typeof error === "object" && error !== null && typeof (error as { type?: unknown }).type === "string" &&
  typeof (error as { status?: unknown }).status === "number" && !(error instanceof ApiError);

/** Translates what express and body-parser throw into ApiErrors; undefined for anything unexpected. */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (!isBodyParserError(error)) return undefined;
  switch (error.type) {
    case "entity.parse.failed":
      return new ApiError("invalid_request_error", "invalid_json", "The request body is not valid JSON.");
    case "entity.too.large":
      return new ApiError(
        "invalid_request_error",
        "body_too_large",
        `The request body exceeds the limit of ${error.limit ?? "the configured"} bytes.`,
        undefined,
        413,
      );
    case "encoding.unsupported":
    case "charset.unsupported":
      return unsupportedMediaType();
    default:
      return undefined;
  }
}

export const unsupportedMediaType = () =>
  new ApiError(
    "invalid_request_error",
    "unsupported_media_type",
    "Request bodies must be JSON: send Content-Type: application/json (UTF-8).",
    undefined,
    415,
  );

const internalError = () =>
  new ApiError("api_error", "internal_error", "An unexpected error occurred. Retry later or contact support with the request id.");

/** The last middleware. `logger` receives unexpected errors (with the request id), never the caller. */
export function errorHandler(logger?: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const known = toApiError(error);
    if (known !== undefined && known.status < 500) {
      sendError(res, known);
      return;
    }
    logger?.error(
      { err: error, request_id: requestIdOf(res), method: req.method, path: req.path },
      "request failed with an unexpected error",
    );
    sendError(res, known ?? internalError());
  };
}

/** Mount after every route: unknown paths get the same error body as everything else. */
export function notFoundHandler() {
  return (req: Request, res: Response): void => {
    sendError(
      res,
      new ApiError("not_found_error", "route_not_found", `Unrecognized request URL (${req.method} ${req.path}).`),
    );
  };
}

// Errors the API answers with. `code` is stable: merchants branch on it.

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "idempotency_error"
  | "conflict_error"
  | "rate_limit_error"
  | "chain_error"
  | "api_error";

const STATUS: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  idempotency_error: 422,
  conflict_error: 409,
  rate_limit_error: 429,
  chain_error: 502,
  api_error: 500,
};

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? STATUS[type];
  }
}

export const invalid = (code: string, message: string, param?: string) =>
  new ApiError("invalid_request_error", code, message, param);
export const notFound = (what: string, id: string, param?: string) =>
  new ApiError("not_found_error", "resource_missing", `No such ${what}: '${id}'`, param);
export const conflict = (code: string, message: string) => new ApiError("conflict_error", code, message);

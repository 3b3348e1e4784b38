// Parses request input with a zod schema and turns the first problem into one precise 400:
// unknown field -> parameter_unknown, absent field -> parameter_missing, anything else -> parameter_invalid
// (or the code a schema attached to its issue, e.g. amount_too_large), with `param` the dotted path.
import type { Request } from "express";
import { z } from "zod";

import { ApiError, invalid } from "../domain/errors.js";

type Issue = z.core.$ZodIssue;
type Location = "body" | "query" | "path";

/** Schemas attach a stable API code to a custom issue with `params: { code }`. */
export interface IssueParams {
  code?: string;
}

const dotted = (path: readonly PropertyKey[]) => path.map(String).join(".");

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const articleFor = (location: Location) => (location === "path" ? "path parameter" : "parameter");

/** The ApiError for a failed parse of `input` at `location`. Unknown fields are named first. */
export function issueToError(issues: readonly Issue[], input: unknown, location: Location): ApiError {
  const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
  if (issue === undefined) return invalid("parameter_invalid", "Invalid request.");
  if (issue.code === "unrecognized_keys") {
    const param = dotted([...issue.path, issue.keys[0] ?? ""]);
    return invalid("parameter_unknown", `Received unknown ${articleFor(location)}: ${param}`, param);
  }
  const param = dotted(issue.path);
  const where = param === "" ? `the request ${location}` : param;
  if (issue.code === "invalid_type" && valueAt(input, issue.path) === undefined) {
    return invalid("parameter_missing", `Missing required ${articleFor(location)}: ${where}`, param || undefined);
  }
  const code = issue.code === "custom" ? (issue.params as IssueParams | undefined)?.code : undefined;
  return invalid(code ?? "parameter_invalid", `Invalid ${where}: ${issue.message}`, param || undefined);
}

/** Parses `input` or throws the 400 ApiError for its first problem. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, location: Location): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw issueToError(result.error.issues, input, location);
}

/** The JSON body; a request without one is parsed as `{}` so required fields read as missing. */
export const parseBody = <S extends z.ZodType>(req: Request, schema: S): z.output<S> =>
  parseWith(schema, req.body ?? {}, "body");

export const parseQuery = <S extends z.ZodType>(req: Request, schema: S): z.output<S> =>
  parseWith(schema, { ...req.query }, "query");

export const parseParams = <S extends z.ZodType>(req: Request, schema: S): z.output<S> =>
  parseWith(schema, { ...req.params }, "path");

// Zod schemas shared by every route: one schema validates input, types the code and documents the API.
import { getAddress } from "ethers";
import { z } from "zod";

import { ApiError } from "../../domain/errors.js";
import { MAX_PAYMENT_AMOUNT, parseAmount } from "../../domain/money.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const ZERO_ADDRESS = /^0x0{40}$/;

/** Adds a custom issue carrying a stable API code (see validate.ts). */
function fail(ctx: { issues: z.core.$ZodRawIssue[]; value: unknown }, code: string, message: string): void {
  ctx.issues.push({ code: "custom", message, input: ctx.value, params: { code } });
}

/** A positive integer amount in minor units, as a decimal string; parsed with money.ts to a bigint. */
export const amountString = z
  .string()
  .transform((value, ctx) => {
    try {
      return parseAmount(value, "amount");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // parseAmount names its own param; the path comes from where the schema sits.
      ctx.issues.push({ code: "custom", message: error.message.replace(/^amount /, ""), input: value, params: { code: error.code } });
      return z.NEVER;
    }
  })
  .meta({
    description: `Amount in the token's minor units, digits only, 1 to ${MAX_PAYMENT_AMOUNT}`,
    pattern: "^[1-9][0-9]*$",
    examples: ["1000000"],
  });

/**
 * An Ethereum address: 0x and 40 hex digits. Mixed case must be a valid EIP-55 checksum; the zero address
 * is refused. Output is the checksummed form.
 */
export const address = z
  .string()
  .regex(ADDRESS, "must be 0x followed by 40 hexadecimal digits")
  .check((ctx) => {
    if (!ADDRESS.test(ctx.value)) return; // the regex already reported it
    const hex = ctx.value.slice(2);
    const mixedCase = hex !== hex.toLowerCase() && hex !== hex.toUpperCase();
    if (ZERO_ADDRESS.test(ctx.value)) fail(ctx, "address_zero", "the zero address is not allowed");
    else if (mixedCase && getAddress(ctx.value.toLowerCase()) !== ctx.value) {
      fail(ctx, "address_checksum_invalid", "mixed-case address with an invalid EIP-55 checksum");
    }
  })
  .transform((value) => getAddress(value.toLowerCase()))
  .meta({ description: "Ethereum address (EIP-55 checksum when mixed case)", examples: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"] });

/** 32 bytes as 0x and 64 hex digits, output lowercased. */
export const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hexadecimal digits")
  .transform((value) => value.toLowerCase())
  .meta({ description: "32 bytes, 0x-prefixed hex" });

/** A 65-byte ECDSA signature (r, s, v) as 0x and 130 hex digits. */
export const signature = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature: 0x followed by 130 hexadecimal digits")
  .meta({ description: "65-byte ECDSA signature, 0x-prefixed hex" });

export const METADATA_MAX_KEYS = 20;
export const METADATA_MAX_KEY_LENGTH = 40;
export const METADATA_MAX_VALUE_LENGTH = 500;

/** Merchant-defined key/value strings, Stripe's limits. `__proto__` is refused (it would vanish in parsing). */
export const metadata = z
  .preprocess((value, ctx) => {
    if (value !== null && typeof value === "object" && Object.prototype.hasOwnProperty.call(value, "__proto__")) {
      ctx.issues.push({ code: "custom", message: "the key __proto__ is not allowed", input: value, params: { code: "metadata_key_invalid" } });
    }
    return value;
  }, z.record(
    z.string().min(1).max(METADATA_MAX_KEY_LENGTH),
    z.string().max(METADATA_MAX_VALUE_LENGTH),
  ))
  .check((ctx) => {
    if (Object.keys(ctx.value).length > METADATA_MAX_KEYS) {
      fail(ctx, "metadata_too_many_keys", `at most ${METADATA_MAX_KEYS} keys are allowed`);
    }
  })
  .meta({ description: `Up to ${METADATA_MAX_KEYS} keys (≤ ${METADATA_MAX_KEY_LENGTH} chars) with string values (≤ ${METADATA_MAX_VALUE_LENGTH} chars)` });

/** An object id such as pi_3f9a... (prefix, underscore, 24 lowercase hex digits). */
export const objectId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-f]{24}$`), `must be an id starting with ${prefix}_`);

/** Cursor pagination: `limit` 1..100 (default 20), `starting_after` the last id of the previous page. */
export const paginationQuery = (idPrefix: string) =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    starting_after: objectId(idPrefix).optional(),
  });

/** The list envelope every list endpoint answers with. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal("list"), data: z.array(item), has_more: z.boolean() });

export const errorResponse = z
  .object({
    error: z.object({
      type: z.string(),
      code: z.string(),
      message: z.string(),
      param: z.string().nullable(),
      request_id: z.string().nullable(),
    }),
  })
  .meta({ id: "Error", description: "Every error has this body" });

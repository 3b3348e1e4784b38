// Amounts are integers in the token's minor units, carried as decimal strings in the API and the database.
import { invalid } from "./errors.js";

const UINT256_MAX = (1n << 256n) - 1n;
/** The escrow stores amounts in 96 bits. */
export const MAX_PAYMENT_AMOUNT = (1n << 96n) - 1n;

/**
 * Parses a positive integer amount given as a decimal string: no sign, no decimals, no exponent, no hex,
 * no leading zeros, at most `max`. Anything else is a clear 400 naming `param`.
 */
export function parseAmount(value: unknown, param: string, max: bigint = MAX_PAYMENT_AMOUNT): bigint {
  if (typeof value !== "string") {
    throw invalid("amount_invalid", `${param} must be a string of digits (minor units), e.g. "1000"`, param);
  }
  if (!/^[1-9][0-9]*$/.test(value)) {
    const reason = value === "0" ? "must be greater than zero" : "must be a positive integer in minor units, digits only";
    throw invalid("amount_invalid", `${param} ${reason}: got "${value.slice(0, 80)}"`, param);
  }
  if (value.length > 78 || BigInt(value) > UINT256_MAX) {
    throw invalid("amount_too_large", `${param} exceeds 2^256 - 1`, param);
  }
  const amount = BigInt(value);
  if (amount > max) throw invalid("amount_too_large", `${param} exceeds the maximum of ${max}`, param);
  return amount;
}

export const formatAmount = (amount: bigint): string => amount.toString(10);

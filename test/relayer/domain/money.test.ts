import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ApiError } from "../../../relayer/domain/errors.js";
import { MAX_PAYMENT_AMOUNT, parseAmount } from "../../../relayer/domain/money.js";

const rejects = (value: unknown, code: string) => {
  assert.throws(
    () => parseAmount(value, "amount"),
    (error: unknown) => error instanceof ApiError && error.code === code && error.param === "amount" && error.status === 400,
    `expected ${JSON.stringify(value)} to be refused with ${code}`,
  );
};

describe("parseAmount", () => {
  it("accepts positive integers in minor units up to the escrow's 96-bit maximum", () => {
    assert.equal(parseAmount("1", "amount"), 1n);
    assert.equal(parseAmount("1000000", "amount"), 1_000_000n);
    assert.equal(parseAmount(MAX_PAYMENT_AMOUNT.toString(), "amount"), MAX_PAYMENT_AMOUNT);
  });

  it("refuses decimals, signs, zero, exponents, hex, spaces, leading zeros and empty strings", () => {
    for (const value of ["1.5", "-1", "+1", "0", "1e18", "0x10", " 1", "1 ", "01", "", "１"]) rejects(value, "amount_invalid");
  });

  it("refuses JSON numbers, null, booleans and objects: amounts are strings", () => {
    for (const value of [1, 1.5, null, true, {}, [], undefined]) rejects(value, "amount_invalid");
  });

  it("refuses amounts beyond 2^256 - 1 and beyond the escrow's maximum", () => {
    rejects((1n << 256n).toString(), "amount_too_large");
    rejects("9".repeat(100), "amount_too_large");
    rejects((MAX_PAYMENT_AMOUNT + 1n).toString(), "amount_too_large");
  });
});

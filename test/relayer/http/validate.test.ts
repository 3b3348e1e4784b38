import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { z } from "zod";

import { ApiError } from "../../../relayer/domain/errors.js";
import { parseWith } from "../../../relayer/http/validate.js";
import { address, amountString, metadata } from "../../../relayer/http/schemas/common.js";

const body = z.strictObject({
  amount: amountString,
  buyer: address,
  metadata: z.strictObject({ order: z.string().max(10) }).optional(),
});

function errorFrom(input: unknown, location: "body" | "query" | "path" = "body"): ApiError {
  try {
    parseWith(body, input, location);
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return error;
  }
  assert.fail("expected the parse to fail");
}

const buyer = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

describe("parseWith", () => {
  it("returns the parsed output: amount as bigint, address checksummed", () => {
    const parsed = parseWith(body, { amount: "1000", buyer: buyer.toLowerCase() }, "body");
    assert.deepEqual(parsed, { amount: 1000n, buyer });
  });

  it("names an unknown top-level field with 400 parameter_unknown", () => {
    const error = errorFrom({ amount: "1", buyer, amout: "1" });
    assert.equal(error.status, 400);
    assert.equal(error.code, "parameter_unknown");
    assert.equal(error.param, "amout");
  });

  it("names an unknown nested field by its dotted path", () => {
    const error = errorFrom({ amount: "1", buyer, metadata: { order: "a", extra: "b" } });
    assert.equal(error.code, "parameter_unknown");
    assert.equal(error.param, "metadata.extra");
  });

  it("reports an unknown field before the missing field a typo causes", () => {
    const error = errorFrom({ amout: "1", buyer });
    assert.equal(error.code, "parameter_unknown");
    assert.equal(error.param, "amout");
  });

  it("reports an absent required field as parameter_missing", () => {
    const error = errorFrom({ buyer });
    assert.equal(error.code, "parameter_missing");
    assert.equal(error.param, "amount");
  });

  it("reports a field of the wrong type as parameter_invalid", () => {
    const error = errorFrom({ amount: 1000, buyer });
    assert.equal(error.code, "parameter_invalid");
    assert.equal(error.param, "amount");
  });

  it("reports a nested invalid field by its dotted path", () => {
    const error = errorFrom({ amount: "1", buyer, metadata: { order: "much-too-long-order" } });
    assert.equal(error.code, "parameter_invalid");
    assert.equal(error.param, "metadata.order");
  });

  it("keeps the code a schema attached to its issue (amount_too_large)", () => {
    const error = errorFrom({ amount: (1n << 96n).toString(), buyer });
    assert.equal(error.code, "amount_too_large");
    assert.equal(error.param, "amount");
  });

  it("says a path parameter is missing rather than a body parameter", () => {
    const error = errorFrom({ buyer }, "path");
    assert.match(error.message, /path parameter/);
  });
});

describe("amountString", () => {
  const parse = (value: unknown) => amountString.safeParse(value);

  it("accepts the largest 96-bit amount", () => {
    assert.equal(parse(((1n << 96n) - 1n).toString()).data, (1n << 96n) - 1n);
  });

  for (const bad of ["0", "-1", "1.5", "1e6", "0x10", "007", " 1", ""]) {
    it(`refuses ${JSON.stringify(bad)} with amount_invalid`, () => {
      const issue = parse(bad).error?.issues[0];
      assert.equal((issue as { params?: { code?: string } } | undefined)?.params?.code, "amount_invalid");
    });
  }
});

describe("address", () => {
  const codeOf = (value: string) =>
    (address.safeParse(value).error?.issues[0] as { params?: { code?: string } } | undefined)?.params?.code;

  it("accepts all-lowercase and all-uppercase hex without a checksum", () => {
    assert.equal(address.parse(buyer.toLowerCase()), buyer);
    assert.equal(address.parse(`0x${buyer.slice(2).toUpperCase()}`), buyer);
  });

  it("refuses a mixed-case address whose checksum is wrong with address_checksum_invalid", () => {
    assert.equal(codeOf(buyer.replace("a", "A")), "address_checksum_invalid");
  });

  it("refuses the zero address with address_zero", () => {
    assert.equal(codeOf(`0x${"0".repeat(40)}`), "address_zero");
  });

  it("refuses a malformed address without throwing", () => {
    assert.equal(address.safeParse("0xZZ").success, false);
    assert.equal(address.safeParse(`${buyer}00`).success, false);
  });
});

describe("metadata", () => {
  it("accepts 20 keys and refuses 21 with metadata_too_many_keys", () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    assert.equal(metadata.safeParse(keys(20)).success, true);
    const issue = metadata.safeParse(keys(21)).error?.issues[0] as { params?: { code?: string } } | undefined;
    assert.equal(issue?.params?.code, "metadata_too_many_keys");
  });

  it("refuses the key __proto__ with metadata_key_invalid instead of silently dropping it", () => {
    const issue = metadata.safeParse(JSON.parse('{"__proto__":"x","a":"b"}')).error?.issues[0] as { params?: { code?: string } } | undefined;
    assert.equal(issue?.params?.code, "metadata_key_invalid");
  });

  it("refuses a key over 40 characters, a value over 500 and a non-string value", () => {
    assert.equal(metadata.safeParse({ ["k".repeat(41)]: "v" }).success, false);
    assert.equal(metadata.safeParse({ k: "v".repeat(501) }).success, false);
    assert.equal(metadata.safeParse({ k: 1 }).success, false);
    assert.equal(metadata.safeParse({ ["k".repeat(40)]: "v".repeat(500) }).success, true);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { bytes32, objectId, paginationQuery, signature } from "../../../relayer/http/schemas/common.js";

describe("bytes32 and signature", () => {
  it("accepts 32 bytes of hex and lowercases it", () => {
    assert.equal(bytes32.parse(`0x${"AB".repeat(32)}`), `0x${"ab".repeat(32)}`);
    assert.equal(bytes32.safeParse(`0x${"ab".repeat(31)}`).success, false);
  });

  it("accepts exactly 65 bytes as a signature", () => {
    assert.equal(signature.safeParse(`0x${"1b".repeat(65)}`).success, true);
    assert.equal(signature.safeParse(`0x${"1b".repeat(64)}`).success, false);
    assert.equal(signature.safeParse(`${"1b".repeat(65)}`).success, false);
  });
});

describe("paginationQuery", () => {
  const query = paginationQuery("pi");

  it("defaults limit to 20 and leaves starting_after unset", () => {
    assert.deepEqual(query.parse({}), { limit: 20 });
  });

  it("reads limit from a query string and accepts 1 and 100", () => {
    assert.equal(query.parse({ limit: "1" }).limit, 1);
    assert.equal(query.parse({ limit: "100" }).limit, 100);
  });

  for (const bad of ["0", "101", "2.5", "ten", ""]) {
    it(`refuses limit=${JSON.stringify(bad)}`, () => {
      assert.equal(query.safeParse({ limit: bad }).success, false);
    });
  }

  it("accepts starting_after only as an id with the list's prefix", () => {
    const id = `pi_${"a".repeat(24)}`;
    assert.equal(query.parse({ starting_after: id }).starting_after, id);
    assert.equal(query.safeParse({ starting_after: `mer_${"a".repeat(24)}` }).success, false);
    assert.equal(objectId("mer").safeParse(`mer_${"a".repeat(24)}`).success, true);
  });

  it("refuses an unknown query parameter", () => {
    assert.equal(query.safeParse({ limit: "5", page: "2" }).success, false);
  });
});

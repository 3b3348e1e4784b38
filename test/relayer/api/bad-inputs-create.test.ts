// Bad inputs to POST /v1/payment_intents and GET /v1/payment_intents, through real HTTP against the real
// system: each refusal names the code and the parameter, and writes nothing (no intent, no event, no
// operation, no transaction).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet } from "ethers";

import { startSystem, type TestSystem } from "../support/system.js";
import { assertRefused, createBody, raw, type Expected } from "./bad-inputs-support.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
});
after(async () => {
  await system?.stop();
});

const create = (body: unknown, headers: Record<string, string> = {}) => () => system.api("POST", "/v1/payment_intents", body, headers);

describe("create: fields", () => {
  it("refuses an unknown field with 400 parameter_unknown naming it", async () => {
    await assertRefused(system, create(createBody(system, { colour: "blue" })), { status: 400, code: "parameter_unknown", param: "colour", type: "invalid_request_error" });
  });

  for (const field of ["amount", "token", "buyer", "order_ref"]) {
    it(`refuses a body without ${field} with 400 parameter_missing on ${field}`, async () => {
      const body: Record<string, unknown> = createBody(system);
      delete body[field];
      await assertRefused(system, create(body), { status: 400, code: "parameter_missing", param: field });
    });
  }

  it("refuses an unknown capture_method with 400 parameter_invalid", async () => {
    await assertRefused(system, create(createBody(system, { capture_method: "later" })), { status: 400, code: "parameter_invalid", param: "capture_method" });
  });

  it("refuses a negative confirmation_window with 400 parameter_invalid", async () => {
    await assertRefused(system, create(createBody(system, { confirmation_window: -1 })), { status: 400, code: "parameter_invalid", param: "confirmation_window" });
  });

  it("refuses an order_ref longer than 64 characters", async () => {
    await assertRefused(system, create(createBody(system, { order_ref: "o".repeat(65) })), { status: 400, code: "parameter_invalid", param: "order_ref" });
  });
});

describe("create: amounts", () => {
  const cases: [string, unknown, string][] = [
    ["a decimal", "1.5", "amount_invalid"],
    ["a negative number", "-1", "amount_invalid"],
    ["zero", "0", "amount_invalid"],
    ["an exponent", "1e18", "amount_invalid"],
    ["hex", "0x10", "amount_invalid"],
    ["a leading space", " 1", "amount_invalid"],
    ["a leading zero", "010", "amount_invalid"],
    ["an empty string", "", "amount_invalid"],
    ["2^256 (beyond uint256)", (1n << 256n).toString(), "amount_too_large"],
    ["2^96 (beyond the escrow's uint96)", (1n << 96n).toString(), "amount_too_large"],
    ["a JSON number", 100, "parameter_invalid"],
  ];
  for (const [name, amount, code] of cases) {
    it(`refuses ${name} (${JSON.stringify(amount).slice(0, 24)}) with 400 ${code} on amount`, async () => {
      await assertRefused(system, create(createBody(system, { amount })), { status: 400, code, param: "amount" });
    });
  }

  it("accepts 2^96 - 1, the largest amount the escrow stores (control for the cases above)", async () => {
    const { status, body } = await system.api("POST", "/v1/payment_intents", createBody(system, { amount: ((1n << 96n) - 1n).toString() }));
    assert.equal(status, 201);
    assert.equal(body.amount, ((1n << 96n) - 1n).toString());
  });
});

describe("create: addresses", () => {
  const buyer = () => system.credentials.buyer.address;
  const wrongChecksum = () => {
    // flip the case of the first letter in the checksummed address: still mixed case, no longer EIP-55
    const hex = buyer().slice(2);
    const i = hex.search(/[a-fA-F]/);
    const c = hex[i]!;
    return `0x${hex.slice(0, i)}${c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()}${hex.slice(i + 1)}`;
  };
  const cases: [string, () => Record<string, unknown>, Expected][] = [
    ["a mixed-case buyer with a wrong checksum", () => ({ buyer: wrongChecksum() }), { status: 400, code: "address_checksum_invalid", param: "buyer" }],
    ["the zero address as buyer", () => ({ buyer: `0x${"0".repeat(40)}` }), { status: 400, code: "address_zero", param: "buyer" }],
    ["a short buyer address", () => ({ buyer: buyer().slice(0, 40) }), { status: 400, code: "parameter_invalid", param: "buyer" }],
    ["a buyer without 0x", () => ({ buyer: buyer().slice(2) }), { status: 400, code: "parameter_invalid", param: "buyer" }],
    ["the zero address as token", () => ({ token: `0x${"0".repeat(40)}` }), { status: 400, code: "address_zero", param: "token" }],
    ["a token that is not the settlement token", () => ({ token: HDNodeWallet.createRandom().address }), { status: 400, code: "token_not_supported", param: "token" }],
    ["the merchant itself as buyer", () => ({ buyer: system.credentials.merchant.address }), { status: 400, code: "buyer_is_merchant", param: "buyer" }],
  ];
  for (const [name, overrides, expected] of cases) {
    it(`refuses ${name} with ${expected.status} ${expected.code}`, async () => {
      await assertRefused(system, create(createBody(system, overrides())), expected);
    });
  }

  it("accepts the buyer all lowercase (no checksum to verify) and answers it checksummed", async () => {
    const { status, body } = await system.api("POST", "/v1/payment_intents", createBody(system, { buyer: buyer().toLowerCase() }));
    assert.equal(status, 201);
    assert.equal(body.buyer, buyer());
  });
});

describe("create: uniqueness, metadata, idempotency", () => {
  it("refuses a second intent with the same order_ref with 400 order_ref_duplicate", async () => {
    const first = createBody(system);
    assert.equal((await system.api("POST", "/v1/payment_intents", first)).status, 201);
    await assertRefused(system, create({ ...first, amount: "1" }), { status: 400, code: "order_ref_duplicate", param: "order_ref" });
  });

  it("lets exactly one of 10 concurrent creates with one order_ref through; the others get order_ref_duplicate", async () => {
    const body = createBody(system);
    const replies = await Promise.all(Array.from({ length: 10 }, () => system.api("POST", "/v1/payment_intents", body)));
    assert.equal(replies.filter((r) => r.status === 201).length, 1);
    assert.deepEqual(replies.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body.error.code}`), Array(9).fill("400 order_ref_duplicate"));
    const rows = await system.relayer.db.read((sql) => sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM payment_intents WHERE order_ref = ?", body.order_ref));
    assert.equal(rows?.n, 1);
  });

  it("refuses a metadata key longer than 40 characters", async () => {
    await assertRefused(system, create(createBody(system, { metadata: { ["k".repeat(41)]: "v" } })), { status: 400, code: "parameter_invalid", param: `metadata.${"k".repeat(41)}` });
  });

  it("refuses metadata with 21 keys with 400 metadata_too_many_keys", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]));
    await assertRefused(system, create(createBody(system, { metadata })), { status: 400, code: "metadata_too_many_keys", param: "metadata" });
  });

  it("refuses a metadata value that is not a string", async () => {
    await assertRefused(system, create(createBody(system, { metadata: { n: 1 } })), { status: 400, code: "parameter_invalid", param: "metadata.n" });
  });

  it("refuses an Idempotency-Key longer than 255 characters with 400 idempotency_key_invalid", async () => {
    await assertRefused(system, create(createBody(system), { "idempotency-key": "k".repeat(256) }), { status: 400, code: "idempotency_key_invalid", param: "Idempotency-Key" });
  });

  it("refuses an Idempotency-Key reused with another body with 422 idempotency_key_reused", async () => {
    const key = `reuse-${Math.random()}`;
    const first = await system.api("POST", "/v1/payment_intents", createBody(system), { "idempotency-key": key });
    assert.equal(first.status, 201);
    await assertRefused(system, create(createBody(system), { "idempotency-key": key }), { status: 422, code: "idempotency_key_reused", param: "Idempotency-Key", type: "idempotency_error" });
  });
});

describe("list: query", () => {
  const cases: [string, string, string][] = [
    ["limit=0", "limit=0", "limit"],
    ["limit=101", "limit=101", "limit"],
    ["limit=abc", "limit=abc", "limit"],
    ["a malformed starting_after", "starting_after=pi_123", "starting_after"],
    ["starting_after with another object's prefix", `starting_after=evt_${"0".repeat(24)}`, "starting_after"],
    ["an unknown status", "status=lost", "status"],
  ];
  for (const [name, query, param] of cases) {
    it(`refuses ${name} with 400 parameter_invalid on ${param}`, async () => {
      await assertRefused(system, () => raw(system, "GET", `/v1/payment_intents?${query}`, { headers: { authorization: `Bearer ${system.merchantKey}` } }),
        { status: 400, code: "parameter_invalid", param });
    });
  }

  it("refuses an unknown query parameter with 400 parameter_unknown", async () => {
    await assertRefused(system, () => raw(system, "GET", "/v1/payment_intents?colour=blue", { headers: { authorization: `Bearer ${system.merchantKey}` } }),
      { status: 400, code: "parameter_unknown", param: "colour" });
  });
});

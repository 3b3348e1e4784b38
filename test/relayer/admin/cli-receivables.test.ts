// `npm run admin -- merchant enable-receivables ...` against the database of a running relayer: the account it
// enables (or opens) uses the receivables API at once with a key the CLI issues; refusals change nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { merchants } from "../../../relayer/persistence/merchants.js";
import { devWallet, startSystem, type TestSystem } from "../support/system.js";
import { databaseEnv, jsonError, runAdmin } from "./helpers.js";

let system: TestSystem;
let env: Record<string, string>;

before(async () => {
  system = await startSystem({ LOG_LEVEL: "silent" });
  env = databaseEnv(system);
});
after(async () => {
  await system?.stop();
});

const withKey = (secret: string) => (method: string, path: string, body?: unknown) => system.api(method, path, body, { authorization: `Bearer ${secret}` });
const storedMerchants = () => system.relayer.db.read(async (sql) => (await merchants.list(sql, { limit: 100 })).data);

describe("admin merchant enable-receivables", () => {
  it("enables receivables for a payments merchant by id: its existing key reaches /v1/receivables at once", async () => {
    const before = await system.api("GET", "/v1/receivables");
    assert.equal(before.status, 403);
    assert.equal(before.body.error.code, "capability_missing");

    const result = await runAdmin(["merchant", "enable-receivables", system.merchantId], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Enabled receivables for ${system.merchantId}`));
    assert.match(result.stdout, /\[payments, receivables\]/);
    const after = await system.api("GET", "/v1/receivables");
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.equal((await system.api("GET", "/v1/payment_intents")).status, 200, "it still sees its payments");
  });

  it("refuses an account already enabled: exit 1, code receivables_already_enabled", async () => {
    const result = await runAdmin(["merchant", "enable-receivables", system.merchantId, "--json"], env);
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "receivables_already_enabled");
    assert.match(jsonError(result).message, new RegExp(system.merchantId));
  });

  it("opens a receivables-only account for a new address, printed as JSON; a key issued for it uses receivables, not payments", async () => {
    const party = devWallet(21).address;
    const result = await runAdmin(["merchant", "enable-receivables", "--name", "Tier-3 supplier", "--address", party.toLowerCase(), "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.match(body.id, /^mer_/);
    assert.deepEqual([body.name, body.address, body.capabilities, body.created], ["Tier-3 supplier", party, ["receivables"], true]);

    const issued = await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", body.id, "--json"], env);
    assert.equal(issued.code, 0, issued.stderr);
    const api = withKey(JSON.parse(issued.stdout).secret);
    assert.equal((await api("GET", "/v1/receivables")).status, 200);
    const payments = await api("POST", "/v1/payment_intents", {
      amount: "1000000",
      token: system.credentials.contracts.SettlementToken,
      buyer: system.credentials.buyer.address,
      order_ref: "receivables-only",
      capture_method: "manual",
    });
    assert.equal(payments.status, 403);
    assert.equal(payments.body.error.code, "capability_missing");
  });

  it("refuses an unknown merchant id: exit 1, code merchant_not_found, nothing created", async () => {
    const count = (await storedMerchants()).length;
    const result = await runAdmin(["merchant", "enable-receivables", `mer_${"0".repeat(24)}`, "--json"], env);
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "merchant_not_found");
    assert.equal((await storedMerchants()).length, count);
  });

  for (const [what, args, code] of [
    ["no account at all", [], "missing_argument"],
    ["both an id and an address", ["mer_0123456789abcdef01234567", "--name", "X", "--address", devWallet(22).address], "invalid_arguments"],
    ["a malformed id", ["merchant-7"], "invalid_argument"],
    ["an address without a name", ["--address", devWallet(22).address], "missing_option"],
    ["a malformed address", ["--name", "X", "--address", "0x1234"], "invalid_option"],
  ] as const) {
    it(`refuses ${what}: exit 2, code ${code}, nothing created`, async () => {
      const count = (await storedMerchants()).length;
      const result = await runAdmin(["merchant", "enable-receivables", ...args, "--json"], env);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(jsonError(result).code, code);
      assert.equal((await storedMerchants()).length, count);
    });
  }
});

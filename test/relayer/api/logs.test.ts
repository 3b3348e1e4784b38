// The relayer's logs at debug level, over a whole payment through real HTTP, carry no secret: not the API key,
// not the buyer's signature, not the operator's private key, nothing shaped like an sk_ key.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet } from "ethers";

import { createLogger } from "../../../relayer/http/logging.js";
import { devWallet, signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";
import { createBody } from "./bad-inputs-support.js";

const lines: string[] = [];
let system: TestSystem;
let signature: string;
let strangerSignature: string;
let intentId: string;
const wrongKey = `sk_mer_${"Q".repeat(43)}`;

before(async () => {
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } });
  system = await startSystem({ LOG_LEVEL: "debug" }, { logger });

  const created = await system.api("POST", "/v1/payment_intents", createBody(system, { capture_method: "manual" }), { "idempotency-key": "logs-create" });
  assert.equal(created.status, 201);
  intentId = created.body.id;
  signature = await signAuthorization(system.buyer, created.body);
  // a refused signature (a stranger's) and a refused key: errors are where secrets tend to leak
  strangerSignature = await signAuthorization(HDNodeWallet.createRandom(), created.body);
  assert.equal((await system.api("POST", `/v1/payment_intents/${intentId}/confirm`, { signature: strangerSignature })).status, 400);
  assert.equal((await system.api("GET", `/v1/payment_intents/${intentId}`, undefined, { authorization: `Bearer ${wrongKey}` })).status, 401);
  assert.equal((await system.api("POST", `/v1/payment_intents/${intentId}/confirm`, { signature }, { "idempotency-key": "logs-confirm" })).status, 202);
  assert.equal((await waitForIntent(system, intentId, (i) => i.status !== "processing")).status, "requires_capture");
  assert.equal((await system.api("POST", `/v1/payment_intents/${intentId}/capture`, { amount: "10000000" })).status, 202);
  assert.equal((await waitForIntent(system, intentId, (i) => i.status !== "processing")).status, "captured");
});
after(async () => {
  await system?.stop();
});

const text = () => lines.join("");

describe("logs over a create, confirm and capture", () => {
  it("are JSON lines that record the requests of the flow (so the checks below look at real logs)", () => {
    const parsed = lines.map((line) => JSON.parse(line) as { msg?: string; path?: string; status?: number });
    assert.ok(parsed.some((l) => l.msg === "relayer started"));
    const requests = parsed.filter((l) => l.msg === "request completed");
    assert.ok(requests.some((l) => l.path === "/v1/payment_intents" && l.status === 201));
    assert.ok(requests.some((l) => l.path === `/v1/payment_intents/${intentId}/confirm` && l.status === 202));
    assert.ok(requests.some((l) => l.path === `/v1/payment_intents/${intentId}/capture` && l.status === 202));
    assert.ok(requests.some((l) => l.status === 401));
  });

  it("never contain the merchant's API key, nor the refused one", () => {
    assert.ok(!text().includes(system.merchantKey));
    assert.ok(!text().includes(wrongKey));
  });

  it("never contain the buyer's signature nor the refused one, with or without 0x, in any case", () => {
    const lower = text().toLowerCase();
    assert.ok(!lower.includes(signature.slice(2).toLowerCase()));
    assert.ok(!lower.includes(strangerSignature.slice(2).toLowerCase()));
  });

  it("never contain the operator's private key, with or without 0x", () => {
    assert.ok(!text().toLowerCase().includes(devWallet(1).privateKey.slice(2).toLowerCase()));
  });

  it("contain nothing shaped like an sk_ secret", () => {
    assert.doesNotMatch(text(), /sk_[A-Za-z0-9_-]{8,}/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Webhook } from "standardwebhooks";

import { generateSecret } from "../../../relayer/webhooks/secrets.js";
import { sign } from "../../../relayer/webhooks/signing.js";

const body = JSON.stringify({ id: "evt_1", type: "payment_intent.succeeded", created_at: 1, data: { amount: "5" } });
const now = () => Math.floor(Date.now() / 1000);

describe("Standard Webhooks signing", () => {
  it("produces headers the standardwebhooks package verifies", () => {
    const secret = generateSecret();
    const headers = sign(secret, "msg_1", now(), body);
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  });

  it("matches the package's own signature byte for byte", () => {
    const secret = generateSecret();
    const timestamp = 1_700_000_000;
    const headers = sign(secret, "msg_abc", timestamp, body);
    assert.equal(headers["webhook-signature"], new Webhook(secret).sign("msg_abc", new Date(timestamp * 1000), body));
    assert.equal(headers["webhook-id"], "msg_abc");
    assert.equal(headers["webhook-timestamp"], "1700000000");
    assert.match(headers["webhook-signature"], /^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("is rejected by the package when the body is tampered with", () => {
    const secret = generateSecret();
    const headers = sign(secret, "msg_1", now(), body);
    assert.throws(() => new Webhook(secret).verify(body.replace('"5"', '"500"'), { ...headers }), /No matching signature/);
  });

  it("is rejected by the package when the webhook-id is changed", () => {
    const secret = generateSecret();
    const headers = sign(secret, "msg_1", now(), body);
    assert.throws(() => new Webhook(secret).verify(body, { ...headers, "webhook-id": "msg_2" }), /No matching signature/);
  });

  it("is rejected by the package under another endpoint's secret", () => {
    const headers = sign(generateSecret(), "msg_1", now(), body);
    assert.throws(() => new Webhook(generateSecret()).verify(body, { ...headers }), /No matching signature/);
  });

  it("refuses a timestamp that is not whole seconds", () => {
    assert.throws(() => sign(generateSecret(), "msg_1", 1.5, body), /whole Unix seconds/);
  });
});

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import { Webhook } from "standardwebhooks";

import { webhooks } from "../../../relayer/persistence/webhooks.js";
import {
  decryptSecret,
  encryptSecret,
  generateSecret,
  parseMasterKey,
  WebhookSecretError,
} from "../../../relayer/webhooks/secrets.js";
import { insertMerchant, MASTER_KEY } from "./helpers.js";
import { openTestDatabase } from "../support/database.js";


describe("webhook secrets", () => {
  it("are whsec_ followed by the base64 of 32 random bytes, and the package accepts them", () => {
    const secret = generateSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(secret.slice("whsec_".length), "base64").length, 32);
    assert.doesNotThrow(() => new Webhook(secret));
    assert.notEqual(generateSecret(), secret);
  });

  it("decrypt to the secret that was encrypted", () => {
    const secret = generateSecret();
    assert.equal(decryptSecret(encryptSecret(secret, MASTER_KEY, "we_1"), MASTER_KEY, "we_1"), secret);
  });

  it("encrypt to a different ciphertext each time, none containing the secret", () => {
    const secret = generateSecret();
    const a = encryptSecret(secret, MASTER_KEY);
    const b = encryptSecret(secret, MASTER_KEY);
    assert.notEqual(a, b);
    for (const stored of [a, b]) {
      assert.ok(!stored.includes(secret.slice("whsec_".length, 20)));
    }
  });

  it("fail to decrypt under a wrong master key, with an error that names the key", () => {
    const stored = encryptSecret(generateSecret(), MASTER_KEY, "we_1");
    assert.throws(
      () => decryptSecret(stored, randomBytes(32), "we_1"),
      (error: unknown) =>
        error instanceof WebhookSecretError && /WEBHOOK_MASTER_KEY/.test(error.message) && /could not be decrypted/.test(error.message),
    );
  });

  it("fail to decrypt when copied onto another endpoint", () => {
    const stored = encryptSecret(generateSecret(), MASTER_KEY, "we_1");
    assert.throws(() => decryptSecret(stored, MASTER_KEY, "we_2"), WebhookSecretError);
  });

  it("fail to decrypt when the stored value was altered", () => {
    const stored = encryptSecret(generateSecret(), MASTER_KEY, "we_1");
    const parts = stored.split(".");
    const ciphertext = Buffer.from(parts[3]!, "base64");
    ciphertext[0] = ciphertext[0]! ^ 1;
    parts[3] = ciphertext.toString("base64");
    assert.throws(() => decryptSecret(parts.join("."), MASTER_KEY, "we_1"), WebhookSecretError);
    assert.throws(() => decryptSecret("not-a-ciphertext", MASTER_KEY, "we_1"), /not in a known format/);
  });

  it("are stored encrypted: the endpoint row never holds the plaintext", async () => {
    const db = await openTestDatabase("webhooks");
    const merchantId = await insertMerchant(db);
    const { endpoint, secret } = await db.transaction((sql) =>
      webhooks.createEndpoint(sql, { merchantId, url: "https://shop.example/hooks", enabledEvents: ["*"] }, MASTER_KEY, 1),
    );
    const row = await db.read((sql) => sql.get<Record<string, unknown>>("SELECT * FROM webhook_endpoints WHERE id = ?", endpoint.id));
    const key = secret.slice("whsec_".length);
    for (const value of Object.values(row ?? {})) {
      assert.ok(!String(value).includes(key), "no column holds the secret");
    }
    assert.equal(await db.read((sql) => webhooks.endpointSecret(sql, endpoint.id, MASTER_KEY)), secret);
    await assert.rejects(db.read((sql) => webhooks.endpointSecret(sql, endpoint.id, randomBytes(32))), WebhookSecretError);
    await db.close();
  });
});

describe("the master key", () => {
  const key = randomBytes(32);

  it("is read from 64 hex characters, with or without 0x", () => {
    assert.deepEqual(parseMasterKey(key.toString("hex")), key);
    assert.deepEqual(parseMasterKey(`0x${key.toString("hex")}`), key);
  });

  it("is read from base64, standard or URL-safe", () => {
    assert.deepEqual(parseMasterKey(key.toString("base64")), key);
    assert.deepEqual(parseMasterKey(key.toString("base64url")), key);
  });

  it("is refused when it is not 32 bytes", () => {
    for (const value of ["", "abc", randomBytes(16).toString("hex"), randomBytes(31).toString("base64"), randomBytes(33).toString("base64")]) {
      assert.throws(() => parseMasterKey(value), /WEBHOOK_MASTER_KEY must be 32 bytes/, value);
    }
  });

  it("of the wrong length is refused when encrypting", () => {
    assert.throws(() => encryptSecret(generateSecret(), randomBytes(16)), /must be 32 bytes, got 16/);
  });
});

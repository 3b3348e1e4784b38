import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { apiKeys, databaseKeyVerifier, hashSecret } from "../../../relayer/persistence/api-keys.js";
import { merchants } from "../../../relayer/persistence/merchants.js";
import { openTestDatabase } from "../support/database.js";

async function withMerchant(name: string) {
  const db = await openTestDatabase(name);
  const merchant = await db.transaction((sql) =>
    merchants.create(sql, {
      name: "Shop",
      address: `0x${"1".repeat(40)}`,
      settlementAddress: `0x${"2".repeat(40)}`,
      feeBps: 250,
      partner: `0x${"3".repeat(40)}`,
      partnerShareBps: 2000,
    }, 1),
  );
  return { db, merchant };
}

describe("API keys", () => {
  it("generates sk_<scope prefix>_ secrets of 32 random bytes, different every time", async () => {
    const { db, merchant } = await withMerchant("format");
    const a = await db.transaction((sql) => apiKeys.create(sql, { scope: "merchant", merchantId: merchant.id, label: "a" }, 1));
    const b = await db.transaction((sql) => apiKeys.create(sql, { scope: "admin", label: "b" }, 1));
    assert.match(a.secret, /^sk_mer_[A-Za-z0-9_-]{43}$/);
    assert.match(b.secret, /^sk_adm_[A-Za-z0-9_-]{43}$/);
    assert.match(a.key.id, /^key_[0-9a-f]{24}$/);
    await db.close();
  });

  it("stores only the SHA-256 hash of the secret", async () => {
    const { db } = await withMerchant("hash");
    const { key, secret } = await db.transaction((sql) => apiKeys.create(sql, { scope: "compliance", label: "c" }, 1));
    const rows = await db.read((sql) => sql.all("SELECT * FROM api_keys WHERE id = ?", key.id));
    assert.equal(rows[0]?.secret_hash, hashSecret(secret));
    assert.ok(!JSON.stringify(rows).includes(secret));
    await db.close();
  });

  it("verifies a merchant key to its principal with the merchant id", async () => {
    const { db, merchant } = await withMerchant("verify");
    const { key, secret } = await db.transaction((sql) =>
      apiKeys.create(sql, { scope: "merchant", merchantId: merchant.id, label: "live" }, 1),
    );
    assert.deepEqual(await databaseKeyVerifier(db).verify(secret), { keyId: key.id, scope: "merchant", merchantId: merchant.id });
    await db.close();
  });

  it("verifies a non-merchant key to a principal without a merchant id", async () => {
    const { db } = await withMerchant("verify-auditor");
    const { key, secret } = await db.transaction((sql) => apiKeys.create(sql, { scope: "auditor", label: "audit" }, 1));
    assert.deepEqual(await databaseKeyVerifier(db).verify(secret), { keyId: key.id, scope: "auditor" });
    await db.close();
  });

  it("rejects an unknown secret", async () => {
    const { db } = await withMerchant("unknown");
    assert.equal(await databaseKeyVerifier(db).verify(`sk_adm_${"A".repeat(43)}`), undefined);
    await db.close();
  });

  it("rejects a revoked key, and revoking twice reports false", async () => {
    const { db } = await withMerchant("revoke");
    const { key, secret } = await db.transaction((sql) => apiKeys.create(sql, { scope: "admin", label: "ops" }, 1));
    assert.equal(await db.transaction((sql) => apiKeys.revoke(sql, key.id, 5)), true);
    assert.equal(await db.transaction((sql) => apiKeys.revoke(sql, key.id, 6)), false);
    assert.equal(await databaseKeyVerifier(db).verify(secret), undefined);
    assert.equal((await db.read((sql) => apiKeys.get(sql, key.id)))?.revokedAt, 5);
    await db.close();
  });

  it("refuses a merchant key for a merchant that does not exist", async () => {
    const { db } = await withMerchant("fk");
    await assert.rejects(
      db.transaction((sql) => apiKeys.create(sql, { scope: "merchant", merchantId: "mer_nope", label: "x" }, 1)),
      /FOREIGN KEY|foreign key/,
    );
    await db.close();
  });

  it("lists a merchant's keys without secrets", async () => {
    const { db, merchant } = await withMerchant("list");
    await db.transaction((sql) => apiKeys.create(sql, { scope: "merchant", merchantId: merchant.id, label: "one" }, 1));
    await db.transaction((sql) => apiKeys.create(sql, { scope: "admin", label: "other" }, 2));
    const listed = await db.read((sql) => apiKeys.list(sql, { merchantId: merchant.id }));
    assert.deepEqual(listed.map((k) => k.label), ["one"]);
    assert.equal(Object.keys(listed[0] ?? {}).some((k) => /secret|hash/i.test(k)), false);
    await db.close();
  });
});

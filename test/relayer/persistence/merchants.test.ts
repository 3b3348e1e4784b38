import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { merchants, type NewMerchant } from "../../../relayer/persistence/merchants.js";
import { openTestDatabase } from "../support/database.js";

const hex = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const input = (n: number): NewMerchant => ({
  name: `Shop ${n}`,
  address: hex(n),
  settlementAddress: hex(1000 + n),
  feeBps: 250,
  partner: hex(2000 + n),
  partnerShareBps: 2000,
});

describe("merchants repository", () => {
  it("creates a merchant with a mer_ id and reads it back by id", async () => {
    const db = await openTestDatabase("get");
    const created = await db.transaction((sql) => merchants.create(sql, input(1), 1_000));
    assert.match(created.id, /^mer_[0-9a-f]{24}$/);
    assert.deepEqual(await db.read((sql) => merchants.get(sql, created.id)), created);
    assert.equal(await db.read((sql) => merchants.get(sql, "mer_missing")), undefined);
    await db.close();
  });

  it("finds a merchant by its address in any letter case", async () => {
    const db = await openTestDatabase("by-address");
    const address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const created = await db.transaction((sql) => merchants.create(sql, { ...input(2), address: address.toLowerCase() }, 1));
    assert.equal(created.address, address);
    assert.equal((await db.read((sql) => merchants.getByAddress(sql, address.toUpperCase().replace("0X", "0x"))))?.id, created.id);
    assert.equal(await db.read((sql) => merchants.getByAddress(sql, "not-an-address")), undefined);
    await db.close();
  });

  it("refuses a second merchant with the same address", async () => {
    const db = await openTestDatabase("unique");
    await db.transaction((sql) => merchants.create(sql, input(3), 1));
    await assert.rejects(db.transaction((sql) => merchants.create(sql, input(3), 2)), /UNIQUE|unique constraint/);
    await db.close();
  });

  it("lists newest first in pages that continue after the given id", async () => {
    const db = await openTestDatabase("list");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await db.transaction((sql) => merchants.create(sql, input(10 + i), 100 + i))).id);
    const first = await db.read((sql) => merchants.list(sql, { limit: 2 }));
    assert.deepEqual(first.data.map((m) => m.id), [ids[4], ids[3]]);
    assert.equal(first.hasMore, true);
    const last = await db.read((sql) => merchants.list(sql, { limit: 2, startingAfter: ids[1] }));
    assert.deepEqual(last.data.map((m) => m.id), [ids[0]]);
    assert.equal(last.hasMore, false);
    await db.close();
  });
});

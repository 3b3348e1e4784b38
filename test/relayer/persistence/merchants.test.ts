import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { Database } from "../../../relayer/persistence/database.js";
import { merchants, type NewMerchant } from "../../../relayer/persistence/merchants.js";

const dir = mkdtempSync(path.join(tmpdir(), "relayer-merchants-"));
after(() => rmSync(dir, { recursive: true, force: true }));

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
    const db = new Database({ path: path.join(dir, "get.db") });
    const created = await db.transaction((sql) => merchants.create(sql, input(1), 1_000));
    assert.match(created.id, /^mer_[0-9a-f]{24}$/);
    assert.deepEqual(await db.read((sql) => merchants.get(sql, created.id)), created);
    assert.equal(await db.read((sql) => merchants.get(sql, "mer_missing")), undefined);
    db.close();
  });

  it("finds a merchant by its address in any letter case", async () => {
    const db = new Database({ path: path.join(dir, "by-address.db") });
    const address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const created = await db.transaction((sql) => merchants.create(sql, { ...input(2), address: address.toLowerCase() }, 1));
    assert.equal(created.address, address);
    assert.equal((await db.read((sql) => merchants.getByAddress(sql, address.toUpperCase().replace("0X", "0x"))))?.id, created.id);
    assert.equal(await db.read((sql) => merchants.getByAddress(sql, "not-an-address")), undefined);
    db.close();
  });

  it("refuses a second merchant with the same address", async () => {
    const db = new Database({ path: path.join(dir, "unique.db") });
    await db.transaction((sql) => merchants.create(sql, input(3), 1));
    await assert.rejects(db.transaction((sql) => merchants.create(sql, input(3), 2)), /UNIQUE/);
    db.close();
  });

  it("lists newest first in pages that continue after the given id", async () => {
    const db = new Database({ path: path.join(dir, "list.db") });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await db.transaction((sql) => merchants.create(sql, input(10 + i), 100 + i))).id);
    const first = await db.read((sql) => merchants.list(sql, { limit: 2 }));
    assert.deepEqual(first.data.map((m) => m.id), [ids[4], ids[3]]);
    assert.equal(first.hasMore, true);
    const last = await db.read((sql) => merchants.list(sql, { limit: 2, startingAfter: ids[1] }));
    assert.deepEqual(last.data.map((m) => m.id), [ids[0]]);
    assert.equal(last.hasMore, false);
    db.close();
  });
});

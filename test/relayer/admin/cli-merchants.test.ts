// `npm run admin -- merchant ...` against a real chain (hardhat node + Ignition deployment) and real database files.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { loadConfig } from "../../../relayer/config.js";
import { startRelayer } from "../../../relayer/main.js";
import { SqliteDatabase } from "../../../relayer/persistence/database.js";
import { merchants } from "../../../relayer/persistence/merchants.js";
import { ensureChainIdentity } from "../../../relayer/persistence/meta.js";
import { PaymentEscrow__factory } from "../../../typechain-types/index.js";
import { devWallet, startSystem, type TestSystem } from "../support/system.js";
import { jsonError, runAdmin } from "./helpers.js";

let system: TestSystem;
let chainEnv: Record<string, string>;
let n = 0;
/** A database file of its own for each test, which the CLI creates. */
const freshDatabase = () => path.join(system.dir, `admin-${++n}.db`);

before(async () => {
  system = await startSystem({ LOG_LEVEL: "silent" });
  chainEnv = { RPC_URL: system.chain.rpcUrl, DEPLOYMENT_FILE: system.credentials.deploymentFile };
});
after(async () => {
  await system?.stop();
});

const demo = () => system.credentials.merchant;
const escrow = () => PaymentEscrow__factory.connect(system.credentials.contracts.PaymentEscrow, system.provider);
async function storedMerchants(file: string) {
  const db = new SqliteDatabase({ path: file });
  try {
    return (await db.read((sql) => merchants.list(sql, { limit: 100 }))).data;
  } finally {
    await db.close();
  }
}

describe("admin merchant create", () => {
  it("registers a merchant with the fee terms the escrow holds for its address and prints its id", async () => {
    const database = freshDatabase();
    const result = await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address], { ...chainEnv, DATABASE_PATH: database });
    assert.equal(result.code, 0, result.stderr);
    const [stored] = await storedMerchants(database);
    assert.ok(stored);
    assert.match(result.stdout, new RegExp(`Registered merchant ${stored.id}`));
    assert.deepEqual(
      { name: stored.name, address: stored.address, settlementAddress: stored.settlementAddress, feeBps: stored.feeBps, partner: stored.partner, partnerShareBps: stored.partnerShareBps },
      { name: "Acme", address: demo().address, settlementAddress: demo().settlementAddress, feeBps: demo().feeBps, partner: demo().partner, partnerShareBps: demo().partnerShareBps },
    );
  });

  it("prints the merchant as JSON with --json, taking the database, RPC and deployment from flags", async () => {
    const database = freshDatabase();
    const result = await runAdmin([
      "merchant", "create", "--name", "Acme", "--address", demo().address.toLowerCase(), "--json",
      "--database", database, "--rpc-url", system.chain.rpcUrl, "--deployment", system.credentials.deploymentFile,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.match(body.id, /^mer_/);
    assert.deepEqual({ ...body, id: undefined, created: undefined }, {
      object: "merchant", id: undefined, name: "Acme", address: demo().address, settlement_address: demo().settlementAddress,
      fee_bps: demo().feeBps, partner: demo().partner, partner_share_bps: demo().partnerShareBps, capabilities: ["payments"], created: undefined,
    });
    assert.ok(Math.abs(body.created - Date.now() / 1000) < 60);
  });

  it("records the chain's identity in a new database, so the relayer later accepts it for this chain only", async () => {
    const database = freshDatabase();
    assert.equal((await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address], { ...chainEnv, DATABASE_PATH: database })).code, 0);
    const db = new SqliteDatabase({ path: database });
    const meta = await db.read((sql) => sql.all<{ key: string; value: string }>("SELECT key, value FROM meta ORDER BY key"));
    await db.close();
    assert.equal(meta.find((r) => r.key === "escrow")?.value, system.credentials.contracts.PaymentEscrow.toLowerCase());
    assert.equal(meta.find((r) => r.key === "chain_id")?.value, "31337");
  });

  it("with --register-on-chain, calls setMerchant with the admin key first, then registers the new terms", async () => {
    const database = freshDatabase();
    const [merchant, settlement, partner] = [devWallet(11).address, devWallet(12).address, devWallet(13).address];
    const result = await runAdmin([
      "merchant", "create", "--name", "Newco", "--address", merchant, "--register-on-chain", "--settlement", settlement,
      "--fee-bps", "300", "--partner", partner, "--partner-share-bps", "1500", "--json",
    ], { ...chainEnv, DATABASE_PATH: database, ADMIN_PRIVATE_KEY: devWallet(0).privateKey });
    assert.equal(result.code, 0, result.stderr);
    const onChain = await escrow().merchantConfig(merchant);
    assert.deepEqual([onChain.active, onChain.settlementAddress, Number(onChain.feeBps), onChain.partner, Number(onChain.partnerShareBps)], [true, settlement, 300, partner, 1500]);
    const body = JSON.parse(result.stdout);
    assert.equal((await system.provider.getTransactionReceipt(body.set_merchant_transaction))?.status, 1);
    assert.deepEqual([body.fee_bps, body.settlement_address, body.partner, body.partner_share_bps], [300, settlement, partner, 1500]);
  });

  it("signs setMerchant with an encrypted ADMIN_KEYSTORE and its password", async () => {
    const keystore = path.join(system.dir, "admin-keystore.json");
    writeFileSync(keystore, devWallet(0).encryptSync("correct horse"));
    const merchant = devWallet(22).address;
    const result = await runAdmin([
      "merchant", "create", "--name", "Keystored", "--address", merchant, "--register-on-chain", "--settlement", devWallet(12).address, "--fee-bps", "150",
    ], { ...chainEnv, DATABASE_PATH: freshDatabase(), ADMIN_KEYSTORE: keystore, ADMIN_KEYSTORE_PASSWORD: "correct horse" });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /setMerchant confirmed in 0x[0-9a-f]{64}\nRegistered merchant mer_/);
    assert.equal(Number((await escrow().merchantConfig(merchant)).feeBps), 150);
  });

  it("refuses a keystore with the wrong password without printing the password: exit 1", async () => {
    const keystore = path.join(system.dir, "admin-keystore-2.json");
    writeFileSync(keystore, devWallet(0).encryptSync("correct horse"));
    const result = await runAdmin([
      "merchant", "create", "--name", "Keystored", "--address", devWallet(23).address, "--register-on-chain", "--settlement", devWallet(12).address, "--fee-bps", "150", "--json",
    ], { ...chainEnv, DATABASE_PATH: freshDatabase(), ADMIN_KEYSTORE: keystore, ADMIN_KEYSTORE_PASSWORD: "battery staple" });
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "admin_keystore_unreadable");
    assert.ok(!result.stderr.includes("battery staple"));
    assert.equal((await escrow().merchantConfig(devWallet(23).address)).active, false);
  });

  it("initializes a database a relayer then starts on, where a key the CLI issued authenticates", async () => {
    const database = freshDatabase();
    const created = JSON.parse((await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address, "--json"], { ...chainEnv, DATABASE_PATH: database })).stdout);
    const issued = JSON.parse((await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", created.id, "--json"], { DATABASE_PATH: database })).stdout);
    const relayer = await startRelayer(
      loadConfig({ ...chainEnv, DATABASE_PATH: database, SIGNER_PRIVATE_KEY: devWallet(1).privateKey, WEBHOOK_MASTER_KEY: "11".repeat(32), PORT: "0", LOG_LEVEL: "silent" }),
    );
    try {
      const response = await fetch(`${relayer.url}/v1/payment_intents`, { headers: { authorization: `Bearer ${issued.secret}` } });
      assert.equal(response.status, 200);
    } finally {
      await relayer.stop();
    }
  });

  it("refuses an address the escrow has no active merchant for: exit 1, nothing registered", async () => {
    const database = freshDatabase();
    const stranger = devWallet(14).address;
    const result = await runAdmin(["merchant", "create", "--name", "Nobody", "--address", stranger], { ...chainEnv, DATABASE_PATH: database });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`${stranger} is not an active merchant on the escrow: an admin must call setMerchant first`));
    assert.deepEqual(await storedMerchants(database), []);
  });

  it("refuses a second merchant with the same address: exit 1, code merchant_exists", async () => {
    const database = freshDatabase();
    const args = ["merchant", "create", "--name", "Acme", "--address", demo().address, "--json"];
    assert.equal((await runAdmin(args, { ...chainEnv, DATABASE_PATH: database })).code, 0);
    const again = await runAdmin(args, { ...chainEnv, DATABASE_PATH: database });
    assert.equal(again.code, 1);
    assert.equal(jsonError(again).code, "merchant_exists");
    assert.equal((await storedMerchants(database)).length, 1);
  });

  it("refuses a database that belongs to another chain: exit 1, naming the difference", async () => {
    const database = freshDatabase();
    const db = new SqliteDatabase({ path: database });
    await ensureChainIdentity(db, {
      chainId: 31337, genesisHash: "0x" + "11".repeat(32), escrow: devWallet(15).address, token: devWallet(16).address, kycRegistry: devWallet(17).address,
    });
    await db.close();
    const result = await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address, "--json"], { ...chainEnv, DATABASE_PATH: database });
    assert.equal(result.code, 1);
    const error = jsonError(result);
    assert.equal(error.code, "database_other_chain");
    assert.match(error.message, /belongs to another chain or deployment \(genesis_hash: stored 0x1111/);
    assert.deepEqual(await storedMerchants(database), []);
  });

  it("refuses a deployment record made on another chain than the RPC serves: exit 1", async () => {
    const record = JSON.parse(await readFile(system.credentials.deploymentFile, "utf8"));
    const other = path.join(system.dir, "other-deployment.json");
    writeFileSync(other, JSON.stringify({ ...record, genesisHash: "0x" + "22".repeat(32) }));
    const result = await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address, "--deployment", other, "--json"], {
      RPC_URL: system.chain.rpcUrl, DATABASE_PATH: freshDatabase(),
    });
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "deployment_mismatch");
  });

  it("reports a chain that does not answer: exit 1, code rpc_unreachable", async () => {
    const result = await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address, "--json"], {
      ...chainEnv, RPC_URL: "http://127.0.0.1:1", DATABASE_PATH: freshDatabase(),
    });
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "rpc_unreachable");
  });

  it("reports the escrow's revert when setMerchant refuses the terms: exit 1, EscrowFeeTooHigh", async () => {
    const result = await runAdmin([
      "merchant", "create", "--name", "Greedy", "--address", devWallet(18).address, "--register-on-chain",
      "--settlement", devWallet(12).address, "--fee-bps", "5000",
    ], { ...chainEnv, DATABASE_PATH: freshDatabase(), ADMIN_PRIVATE_KEY: devWallet(0).privateKey });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /setMerchant\(0x[0-9a-fA-F]{40}\) failed: EscrowFeeTooHigh\(5000, 1000\)/);
    assert.equal((await escrow().merchantConfig(devWallet(18).address)).active, false);
  });

  it("refuses a signer without the escrow's admin role: exit 1, no transaction", async () => {
    const result = await runAdmin([
      "merchant", "create", "--name", "Sneaky", "--address", devWallet(19).address, "--register-on-chain",
      "--settlement", devWallet(12).address, "--fee-bps", "100", "--json",
    ], { ...chainEnv, DATABASE_PATH: freshDatabase(), ADMIN_PRIVATE_KEY: devWallet(1).privateKey });
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "signer_not_admin");
    assert.equal((await escrow().merchantConfig(devWallet(19).address)).active, false);
  });

  const usageErrors: [string, string[], RegExp][] = [
    ["a malformed address", ["--name", "Acme", "--address", "0x1234"], /--address must be an address \(0x followed by 40 hex digits\), got "0x1234"/],
    ["an address with a wrong checksum", ["--name", "Acme", "--address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".replace("5aA", "5AA")], /wrong EIP-55 checksum/],
    ["a missing --name", ["--address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"], /--name is required/],
    ["a missing --address", ["--name", "Acme"], /--address is required/],
    ["terms without --register-on-chain", ["--name", "Acme", "--address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "--fee-bps", "100"], /--fee-bps is only used with --register-on-chain/],
    ["--register-on-chain without --settlement", ["--name", "Acme", "--address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "--register-on-chain", "--fee-bps", "1"], /--settlement is required/],
    ["a fee that is not basis points", ["--name", "Acme", "--address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "--register-on-chain", "--settlement", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "--fee-bps", "2.5"], /--fee-bps must be basis points/],
    ["a partner share without a partner", ["--name", "Acme", "--address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "--register-on-chain", "--settlement", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "--fee-bps", "1", "--partner-share-bps", "10"], /--partner-share-bps needs --partner/],
  ];
  for (const [what, args, message] of usageErrors) {
    it(`refuses ${what}: exit 2 before touching the chain or the database`, async () => {
      const database = freshDatabase();
      const result = await runAdmin(["merchant", "create", ...args], { ...chainEnv, DATABASE_PATH: database });
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.equal((await storedMerchants(database)).length, 0);
    });
  }

  it("needs the admin key to register on chain: exit 2 when neither ADMIN_KEYSTORE nor ADMIN_PRIVATE_KEY is set", async () => {
    const result = await runAdmin([
      "merchant", "create", "--name", "Newco", "--address", devWallet(20).address, "--register-on-chain", "--settlement", devWallet(12).address, "--fee-bps", "1",
    ], { ...chainEnv, DATABASE_PATH: freshDatabase() });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /needs ADMIN_KEYSTORE and ADMIN_KEYSTORE_PASSWORD \(or ADMIN_PRIVATE_KEY on the local chain\)/);
  });

  it("needs a deployment record: exit 2 when neither --deployment nor DEPLOYMENT_FILE is set", async () => {
    const result = await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address], { RPC_URL: system.chain.rpcUrl, DATABASE_PATH: freshDatabase() });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--deployment \(or DEPLOYMENT_FILE\) is required/);
  });
});

describe("admin merchant list", () => {
  it("lists the registered merchants newest first, as text and as JSON", async () => {
    const database = freshDatabase();
    const env = { ...chainEnv, DATABASE_PATH: database, ADMIN_PRIVATE_KEY: devWallet(0).privateKey };
    const first = JSON.parse((await runAdmin(["merchant", "create", "--name", "Acme", "--address", demo().address, "--json"], env)).stdout);
    const second = JSON.parse((await runAdmin([
      "merchant", "create", "--name", "Second", "--address", devWallet(21).address, "--register-on-chain", "--settlement", devWallet(12).address, "--fee-bps", "100", "--json",
    ], env)).stdout);

    const text = await runAdmin(["merchant", "list"], env);
    assert.equal(text.code, 0);
    assert.ok(text.stdout.indexOf(second.id) < text.stdout.indexOf(first.id) && text.stdout.includes(first.id));
    assert.match(text.stdout, /Acme/);

    const json = await runAdmin(["merchant", "list", "--json"], env);
    assert.equal(json.code, 0);
    const body = JSON.parse(json.stdout);
    assert.equal(body.object, "list");
    assert.deepEqual(body.data.map((m: { id: string }) => m.id), [second.id, first.id]);
    assert.deepEqual(body.data[1], first);
  });

  it("says so when there are no merchants", async () => {
    const database = freshDatabase();
    await new SqliteDatabase({ path: database }).close();
    const result = await runAdmin(["merchant", "list"], { DATABASE_PATH: database });
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), "No merchants.");
  });

  it("refuses a database file that does not exist instead of creating one: exit 1", async () => {
    const database = freshDatabase();
    const result = await runAdmin(["merchant", "list", "--json"], { DATABASE_PATH: database });
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "database_not_found");
  });
});

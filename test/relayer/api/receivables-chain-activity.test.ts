// What parties do on the ReceivableRegistry directly, without the relayer, shows in the API, the events and the
// webhooks once the indexer sees it confirmed: a holder's own ERC-721 transfer, a stranger's markOverdue, the
// arbiter's declareDefault, an invoice issued on chain by a known supplier. An action the relayer submitted is
// reported once (by the confirmer), not again by the indexer. A deep reorg that drops a direct transfer gives the
// receivable back to its old holder. Real hardhat node (evm_snapshot / evm_revert for the reorg), real DB, real HTTP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { encodeBytes32String, id, parseEther, toBeHex, ZeroHash, type Wallet } from "ethers";

import { ledger } from "../../../relayer/persistence/ledger.js";
import { IReceivableRegistry__factory, ReceivableRegistry__factory } from "../../../typechain-types/index.js";
import { openTestDatabase } from "../support/database.js";
import { devWallet, startSystem, until, type TestAccount, type TestSystem } from "../support/system.js";
import { startWebhookReceiver, type Receiver } from "../support/webhook-receiver.js";
import { acceptedInvoice, act, DAY, setUpParties, signFor, waitForReceivable, type Parties } from "./receivables-support.js";

let system: TestSystem;
let p: Parties;
const hooks = new Map<string, Receiver>();

before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  p = await setUpParties(system);
  for (const [name, account] of Object.entries(p)) {
    const receiver = await startWebhookReceiver();
    const created = await account.api("POST", "/v1/webhook_endpoints", { url: receiver.url, enabled_events: ["*"] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    receiver.secret = created.body.secret;
    hooks.set(name, receiver);
  }
});
after(async () => {
  await Promise.all([...hooks.values()].map((r) => r.close()));
  await system?.stop();
});

const rpc = <T = unknown>(method: string, params: unknown[] = []) => system.provider.send(method, params) as Promise<T>;
const asParty = (account: TestAccount) => ReceivableRegistry__factory.connect(system.receivableRegistry!, (account.wallet as unknown as Wallet).connect(system.provider));

async function eventsOf(account: TestAccount, objectId: string): Promise<{ type: string; data: Record<string, any> }[]> {
  const reply = await account.api("GET", `/v1/events?object_id=${objectId}&limit=100`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data;
}

const deliveries = (name: keyof Parties, type: string, objectId: string) =>
  hooks.get(name)!.deliveries.filter((d) => d.payload?.type === type && d.payload.data.object.id === objectId);

/** Waits for the indexer to have stored the logs of `txHash` (the block is indexed, its handlers have run). */
const indexed = (txHash: string) =>
  until(`the indexer to index ${txHash}`, () => system.relayer.db.read(async (sql) => (await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM chain_logs WHERE tx_hash = ?", txHash))?.n ?? 0));

describe("a holder's own ERC-721 transfer on the registry", () => {
  it("shows the new holder, with one receivable.transferred event and webhook for the old and the new holder", async () => {
    const r = await acceptedInvoice(system, p);
    const receipt = (await (await asParty(p.supplier).transferFrom(p.supplier.address, p.tier2.address, r.token_id)).wait())!;

    const moved = await waitForReceivable(p.tier2, r.id, (x) => x.holder === p.tier2.address);
    assert.equal(moved.status, "accepted");
    assert.deepEqual(moved.lineage.holders.map((h: { address: string }) => h.address), [p.supplier.address, p.tier2.address]);
    assert.equal(moved.lineage.holders[1].transaction_hash, receipt.hash);
    for (const account of [p.supplier, p.tier2, p.debtor]) {
      const transferred = (await eventsOf(account, r.id)).filter((e) => e.type === "receivable.transferred");
      assert.equal(transferred.length, 1, `${account.address} sees one transfer`);
      assert.equal(transferred[0]!.data.source, "chain");
      assert.equal(transferred[0]!.data.transaction_hash, receipt.hash);
      assert.equal(transferred[0]!.data.from, p.supplier.address);
      assert.equal(transferred[0]!.data.to, p.tier2.address);
    }
    await until("the new holder's webhook", async () => deliveries("tier2", "receivable.transferred", r.id).length > 0);
    await until("the old holder's webhook", async () => deliveries("supplier", "receivable.transferred", r.id).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(deliveries("tier2", "receivable.transferred", r.id).length, 1);
    assert.equal(deliveries("supplier", "receivable.transferred", r.id).length, 1);
  });

  it("is stored under the registry's name, beside the escrow's logs", async () => {
    const stored = await system.relayer.db.read((sql) =>
      sql.all<{ contract: string; events: string }>("SELECT contract, group_concat(DISTINCT event) AS events FROM chain_logs GROUP BY contract ORDER BY contract"),
    );
    assert.deepEqual(stored.map((s) => s.contract), ["escrow", "receivables"]);
    const registryEvents = stored[1]!.events.split(",");
    for (const event of ["ReceivableIssued", "ReceivableAccepted", "Transfer", "TreasurySet"]) assert.ok(registryEvents.includes(event), `${event} in ${registryEvents}`);
  });
});

describe("the auditor's ledger", () => {
  it("projects the escrow's logs and none of the registry's (both emit TreasurySet)", async () => {
    const db = await openTestDatabase("ledger-contracts");
    try {
      const treasuries = { escrow: "0x1111111111111111111111111111111111111111", receivables: "0x2222222222222222222222222222222222222222" };
      await db.transaction(async (sql) => {
        for (const [i, contract] of (["escrow", "receivables"] as const).entries()) {
          await sql.run(
            "INSERT INTO chain_logs (block_number, block_hash, log_index, tx_hash, event, payment_id, data, contract) VALUES (?, ?, ?, ?, 'TreasurySet', NULL, ?, ?)",
            10 + i, `0x${"0".repeat(63)}${i}`, 0, `0x${"a".repeat(63)}${i}`, JSON.stringify({ treasury: treasuries[contract] }), contract,
          );
        }
      });
      const treasury = () => db.read(async (sql) => (await sql.get<{ value: string }>("SELECT value FROM ledger_state WHERE key = 'treasury'"))?.value);
      const logs = await db.read((sql) => ledger.unprojected(sql, 100));
      assert.deepEqual(logs.map((l) => [l.blockNumber, l.contract]), [[10, "escrow"], [11, "receivables"]]);
      await db.transaction((sql) => ledger.project(sql, logs.map((l) => ({ ...l, blockTime: 1 }))));
      assert.equal(await treasury(), treasuries.escrow);
      // The cursor passes the registry's log: the next round does not read it again.
      assert.deepEqual(await db.read((sql) => ledger.cursor(sql)), { block: 11, log: 0 });
      assert.deepEqual(await db.read((sql) => ledger.unprojected(sql, 100)), []);
      // A reorg rewind replays the configuration from the escrow's logs alone.
      await db.transaction((sql) => ledger.rewind(sql, 100));
      assert.equal(await treasury(), treasuries.escrow);
    } finally {
      await db.close();
    }
  });
});

describe("an action the relayer submitted", () => {
  it("is reported once: by the confirmer, not again when the indexer sees its log", async () => {
    const r = await acceptedInvoice(system, p);
    const sent = await act(p.supplier, r.id, "transfer", { to: p.tier2.address });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const done = await waitForReceivable(p.supplier, r.id, (x) => x.status === "accepted" && x.holder === p.tier2.address);
    const txHash = done.actions.find((a: { action: string }) => a.action === "transfer").transaction_hash as string;
    await rpc("evm_mine");
    await indexed(txHash);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const supplierSees = (await eventsOf(p.supplier, r.id)).map((e) => e.type);
    for (const type of ["receivable.issued", "receivable.accepted", "receivable.transferred"]) {
      assert.equal(supplierSees.filter((t) => t === type).length, 1, `${type} once in ${JSON.stringify(supplierSees)}`);
    }
    // The new holder was no party before the transfer: it hears of the transfer, once.
    assert.deepEqual((await eventsOf(p.tier2, r.id)).map((e) => e.type), ["receivable.transferred"]);
    assert.equal(deliveries("tier2", "receivable.transferred", r.id).length, 1);
  });
});

describe("an invoice issued on chain without the relayer", () => {
  it("gets a row when its issuer is an account of the relayer, pending acceptance, with one receivable.issued event", async () => {
    const now = (await system.provider.getBlock("latest"))!.timestamp;
    const terms = {
      issuer: p.supplier.address,
      dueAt: now + 120 * DAY,
      acceptBy: now + 7 * DAY,
      debtor: p.debtor.address,
      token: system.credentials.contracts.SettlementToken,
      faceValue: 250_000n,
      documentHash: id("documents of a directly issued invoice"),
      invoiceRef: encodeBytes32String("INV-DIRECT-1"),
    };
    const receipt = (await (await asParty(p.supplier).issue(terms, "0x")).wait())!;
    const tokenId = (await ReceivableRegistry__factory.connect(system.receivableRegistry!, system.provider).invoiceId(terms)).toString();

    const listed = await until("the directly issued invoice in the supplier's list", async () => {
      const page = (await p.supplier.api("GET", "/v1/receivables?limit=100")).body.data as { id: string; token_id: string }[];
      return page.find((x) => x.token_id === tokenId);
    });
    const r = await waitForReceivable(p.debtor, listed.id, (x) => x.status === "pending_acceptance");
    assert.equal(r.face_value, "250000");
    assert.equal(r.invoice_ref, "INV-DIRECT-1");
    assert.equal(r.holder, p.supplier.address);
    const issued = (await eventsOf(p.debtor, r.id)).filter((e) => e.type === "receivable.issued");
    assert.equal(issued.length, 1);
    assert.equal(issued[0]!.data.transaction_hash, receipt.hash);

    // The debtor can now accept it through the API, like an invoice the relayer issued.
    const accepted = await act(p.debtor, r.id, "accept");
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    await waitForReceivable(p.supplier, r.id, (x) => x.status === "accepted");
  });
});

describe("a holder's own financing on the registry with an offer the relayer stores", () => {
  it("moves the receivable to the financier with one receivable.financed event (no transfer event) and accepts the offer", async () => {
    const r = await acceptedInvoice(system, p, "500000");
    const expiry = (await system.chainTime()) + DAY;
    const terms = { receivable: r.id, annual_rate_bps: 500, max_price: "500000", expiry };
    const signed = await signFor(p.financier, { action: "offer", ...terms });
    const offer = await p.financier.api("POST", "/v1/financing_offers", { ...terms, nonce: signed.nonce, signature: signed.signature });
    assert.equal(offer.status, 201, JSON.stringify(offer.body));

    const onChainOffer = { receivableId: BigInt(r.token_id), financier: p.financier.address, annualRateBps: 500, maxPrice: 500_000n, expiry, nonce: signed.nonce! };
    const receipt = (await (await asParty(p.supplier).finance(onChainOffer, signed.signature, 0n, { nonce: ZeroHash, deadline: 0n, signature: "0x" })).wait())!;

    const financed = await waitForReceivable(p.financier, r.id, (x) => x.holder === p.financier.address && x.financed === true);
    assert.equal(financed.status, "accepted");
    const types = (await eventsOf(p.supplier, r.id)).map((e) => e.type);
    assert.equal(types.filter((t) => t === "receivable.financed").length, 1, JSON.stringify(types));
    assert.equal(types.filter((t) => t === "receivable.transferred").length, 0, JSON.stringify(types));
    const event = (await eventsOf(p.financier, r.id)).find((e) => e.type === "receivable.financed")!;
    assert.equal(event.data.transaction_hash, receipt.hash);

    const accepted = await p.financier.api("GET", `/v1/financing_offers/${offer.body.id}`);
    assert.equal(accepted.body.status, "accepted", JSON.stringify(accepted.body));
    assert.equal(accepted.body.price, event.data.price);
    assert.deepEqual((await eventsOf(p.financier, offer.body.id)).map((e) => e.type).filter((t) => t === "financing_offer.accepted"), ["financing_offer.accepted"]);
  });
});

describe("a reorg deeper than CONFIRMATIONS that drops a direct transfer", () => {
  it("gives the receivable back to its old holder, says so in receivable.reorganized, and the dropped holder no longer sees it", async () => {
    const r = await acceptedInvoice(system, p);
    const snapshot = await rpc<string>("evm_snapshot");
    const forkPoint = await system.provider.getBlockNumber();
    const receipt = (await (await asParty(p.supplier).transferFrom(p.supplier.address, p.tier2.address, r.token_id)).wait())!;
    await waitForReceivable(p.tier2, r.id, (x) => x.holder === p.tier2.address);

    assert.equal(await rpc<boolean>("evm_revert", [snapshot]), true);
    const other = devWallet(12).connect(system.provider);
    for (let i = 0; i < 3; i++) await (await other.sendTransaction({ to: other.address, value: 1n })).wait();
    assert.notEqual((await system.provider.getBlock(forkPoint + 1))!.hash, receipt.blockHash);
    assert.equal(await system.provider.getTransactionReceipt(receipt.hash), null);

    const back = await waitForReceivable(p.supplier, r.id, (x) => x.holder === p.supplier.address);
    assert.equal(back.status, "accepted");
    assert.deepEqual(back.lineage.holders.map((h: { address: string }) => h.address), [p.supplier.address]);
    const events = await eventsOf(p.supplier, r.id);
    const reorganized = events.filter((e) => e.type === "receivable.reorganized");
    assert.equal(reorganized.length, 1, JSON.stringify(events.map((e) => e.type)));
    assert.deepEqual(
      reorganized[0]!.data.dropped.map((d: { chain_event: string; transaction_hash: string }) => [d.chain_event, d.transaction_hash]),
      [["Transfer", receipt.hash]],
    );
    assert.equal(events.filter((e) => e.type === "receivable.transferred").length, 1, "the transfer is not reported twice");
    await until("the dropped holder's reorganized webhook", async () => deliveries("tier2", "receivable.reorganized", r.id).length > 0);
    assert.equal((await p.tier2.api("GET", `/v1/receivables/${r.id}`)).status, 404);
  });
});

describe("an invoice past its grace period", () => {
  it("shows overdue after a stranger's markOverdue and defaulted after the arbiter's declareDefault, each with one event for the parties", async () => {
    const r = await acceptedInvoice(system, p, "400000", 30);
    const grace = Number(await ReceivableRegistry__factory.connect(system.receivableRegistry!, system.provider).gracePeriod());
    await system.advanceTime(30 * DAY + grace + 3_600);

    await rpc("hardhat_setBalance", [p.stranger.address, toBeHex(parseEther("1"))]);
    const marked = (await (await asParty(p.stranger).markOverdue(r.token_id)).wait())!;
    const overdue = await waitForReceivable(p.supplier, r.id, (x) => x.status === "overdue");
    assert.equal(overdue.holder, p.supplier.address);
    for (const account of [p.supplier, p.debtor]) {
      const found = (await eventsOf(account, r.id)).filter((e) => e.type === "receivable.overdue");
      assert.equal(found.length, 1);
      assert.equal(found[0]!.data.transaction_hash, marked.hash);
      assert.equal(found[0]!.data.principal_outstanding, "400000");
    }
    await until("the holder's overdue webhook", async () => deliveries("supplier", "receivable.overdue", r.id).length === 1);

    const arbiter = IReceivableRegistry__factory.connect(system.receivableRegistry!, devWallet(3).connect(system.provider));
    const declared = (await (await arbiter.declareDefault(r.token_id, encodeBytes32String("debtor insolvent"))).wait())!;
    const defaulted = await waitForReceivable(p.debtor, r.id, (x) => x.status === "defaulted");
    assert.equal(defaulted.principal_paid, "0");
    const found = (await eventsOf(p.supplier, r.id)).filter((e) => e.type === "receivable.defaulted");
    assert.equal(found.length, 1);
    assert.equal(found[0]!.data.transaction_hash, declared.hash);
    assert.equal(found[0]!.data.arbiter, devWallet(3).address);
    await until("the debtor's defaulted webhook", async () => deliveries("debtor", "receivable.defaulted", r.id).length === 1);
  });
});

// Receivables (supply-chain finance) through the API, against a real hardhat node, a real database file and real
// HTTP: every endpoint and transition, the parties' webhooks verified with standardwebhooks, and the issue's
// end-to-end scenario with every balance exact to the unit.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";

import { id } from "ethers";

import { financeQuote, MAX_PARTS_PER_INVOICE, MAX_PARTS_PER_SPLIT } from "../../../relayer/domain/receivable.js";
import { PaymentEscrow__factory, ReceivableRegistry__factory } from "../../../typechain-types/index.js";
import { RECEIVABLES_SIGNER_INDEX, devWallet, startSystem, type TestAccount, type TestSystem } from "../support/system.js";
import { startWebhookReceiver, type Receiver } from "../support/webhook-receiver.js";
import {
  act,
  acceptedInvoice,
  DAY,
  invoiceTerms,
  issue,
  registryOf,
  setUpParties,
  signFor,
  tokenOf,
  waitForReceivable,
  type Parties,
} from "./receivables-support.js";

let system: TestSystem;
let p: Parties;
const receivers: Receiver[] = [];
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  p = await setUpParties(system);
});
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await system?.stop();
});

async function webhookFor(account: TestAccount): Promise<Receiver> {
  const receiver = await startWebhookReceiver();
  receivers.push(receiver);
  const created = await account.api("POST", "/v1/webhook_endpoints", { url: receiver.url, enabled_events: ["*"] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  receiver.secret = created.body.secret;
  return receiver;
}

async function waitForDelivery(receiver: Receiver, type: string, objectId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = receiver.deliveries.find((d) => d.payload?.type === type && d.payload.data.object.id === objectId);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${type} for ${objectId}; got ${receiver.deliveries.map((d) => d.payload?.type).join(", ")}`);
}

describe("the registry and the relayer agree", () => {
  it("on the split limits", async () => {
    const registry = ReceivableRegistry__factory.connect(system.receivableRegistry!, system.provider);
    assert.equal(await registry.MAX_PARTS_PER_SPLIT(), BigInt(MAX_PARTS_PER_SPLIT));
    assert.equal(await registry.MAX_PARTS_PER_INVOICE(), BigInt(MAX_PARTS_PER_INVOICE));
  });

  it("the receivables lane's key holds the registry's operator role and not the escrow's", async () => {
    const key = devWallet(RECEIVABLES_SIGNER_INDEX).address;
    const registry = ReceivableRegistry__factory.connect(system.receivableRegistry!, system.provider);
    assert.equal(await registry.hasRole(id("OPERATOR_ROLE"), key), true);
    assert.equal(await PaymentEscrow__factory.connect(system.credentials.contracts.PaymentEscrow, system.provider).hasRole(id("OPERATOR_ROLE"), key), false);
  });
});

describe("supply-chain finance end to end", () => {
  it("a 1,000,000 invoice: accepted, 300,000 split to tier 2, financed at 6%/yr 90 days before maturity, repaid at maturity, every balance exact to the unit", async () => {
    const registry = registryOf(system);
    const token = tokenOf(system);
    const treasury = await registry.treasury();
    const hooks = { supplier: await webhookFor(p.supplier), tier2: await webhookFor(p.tier2), debtor: await webhookFor(p.debtor), financier: await webhookFor(p.financier) };
    const balances = async () => {
      const [supplier, tier2, debtor, financier, fees, held] = await Promise.all(
        [p.supplier.address, p.tier2.address, p.debtor.address, p.financier.address, treasury, system.receivableRegistry!].map((a) => token.balanceOf(a)),
      );
      return { supplier: supplier!, tier2: tier2!, debtor: debtor!, financier: financier!, treasury: fees!, registry: held! };
    };
    const start = await balances();

    // 1. The tier-1 supplier issues; the core enterprise accepts.
    const issued = await issue(system, p.supplier, p.debtor, "1000000", 180);
    assert.equal(issued.status, "processing");
    const pending = await waitForReceivable(p.supplier, issued.id, (r) => r.status === "pending_acceptance");
    assert.equal((await registry.receivableOf(BigInt(pending.token_id))).state, 1n);
    assert.equal((await act(p.debtor, issued.id, "accept")).status, 202);
    const root = await waitForReceivable(p.debtor, issued.id, (r) => r.status === "accepted");
    await waitForDelivery(hooks.supplier, "receivable.accepted", root.id);

    // 2. The supplier splits 300,000 to its tier-2 supplier and keeps 700,000.
    const parts = [
      { face_value: "700000", recipient: p.supplier.address },
      { face_value: "300000", recipient: p.tier2.address },
    ];
    assert.equal((await act(p.supplier, root.id, "split", { parts })).status, 202);
    const split = await waitForReceivable(p.supplier, root.id, (r) => r.status === "split");
    assert.equal(split.lineage.children.length, 2);
    const [kept, tier2Part] = split.lineage.children;
    assert.deepEqual([kept.face_value, kept.holder, tier2Part.face_value, tier2Part.holder], ["700000", p.supplier.address, "300000", p.tier2.address]);
    const part = (await p.tier2.api("GET", `/v1/receivables/${tier2Part.id}`)).body;
    assert.equal(part.lineage.root, root.id);
    assert.equal(part.lineage.parent, root.id);
    assert.deepEqual(part.lineage.holders.map((h: any) => h.address), [p.tier2.address]);
    await waitForDelivery(hooks.tier2, "receivable.split", root.id);

    // 3. Ninety days before maturity, a financier offers 6% a year; tier 2 accepts.
    const dueAt: number = root.due_at;
    await system.advanceTime(dueAt - 90 * DAY - (await system.chainTime()));
    const expiry = (await system.chainTime()) + DAY;
    const offerSig = await signFor(p.financier, { action: "offer", receivable: tier2Part.id, annual_rate_bps: 600, max_price: "300000", expiry });
    const offer = await p.financier.api("POST", "/v1/financing_offers", {
      receivable: tier2Part.id, annual_rate_bps: 600, max_price: "300000", expiry, nonce: offerSig.nonce, signature: offerSig.signature,
    });
    assert.equal(offer.status, 201, JSON.stringify(offer.body));
    assert.equal(offer.body.status, "open");
    // The relayer's quote (domain/receivable.ts) is the registry's, to the unit.
    const [onChainDays, onChainPrice, onChainFee, onChainProceeds] = await registry.quote(BigInt(tier2Part.token_id), 600);
    const quoted = financeQuote(300_000n, dueAt, await system.chainTime(), 600, Number(await registry.platformFeeBps()));
    assert.deepEqual([quoted.daysToMaturity, quoted.price, quoted.fee, quoted.proceeds], [onChainDays, onChainPrice, onChainFee, onChainProceeds]);
    assert.equal(quoted.daysToMaturity, 90n);
    const seenByHolder = await p.tier2.api("GET", "/v1/financing_offers");
    assert.deepEqual(seenByHolder.body.data.map((o: any) => o.id), [offer.body.id]);
    const acceptance = await signFor(p.tier2, { action: "accept_offer", offer: offer.body.id, min_proceeds: quoted.proceeds.toString() });
    const accepted = await p.tier2.api("POST", `/v1/financing_offers/${offer.body.id}/accept`, {
      min_proceeds: quoted.proceeds.toString(), nonce: acceptance.nonce, deadline: acceptance.deadline, signature: acceptance.signature,
    });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const financed = await waitForReceivable(p.tier2, tier2Part.id, (r) => r.status === "accepted" && r.financed);
    assert.equal(financed.holder, p.financier.address);
    assert.deepEqual(financed.lineage.holders.map((h: any) => h.address), [p.tier2.address, p.financier.address]);
    const settledOffer = (await p.financier.api("GET", `/v1/financing_offers/${offer.body.id}`)).body;
    assert.equal(settledOffer.status, "accepted");
    assert.equal(settledOffer.price, quoted.price.toString());
    assert.equal(settledOffer.fee, quoted.fee.toString());
    const financedHook = await waitForDelivery(hooks.tier2, "receivable.financed", tier2Part.id);
    assert.equal(financedHook.payload!.data.price, quoted.price.toString());
    await waitForDelivery(hooks.financier, "financing_offer.accepted", offer.body.id);

    // What each holder will receive, and when.
    const expectedFinancier = (await p.financier.api("GET", "/v1/receivables/expected_payments")).body;
    assert.deepEqual(expectedFinancier.data.map((e: any) => [e.receivable, e.total, e.due_at]), [[tier2Part.id, "300000", dueAt]]);
    const expectedSupplier = (await p.supplier.api("GET", "/v1/receivables/expected_payments")).body;
    assert.deepEqual(expectedSupplier.data.map((e: any) => [e.receivable, e.total]), [[kept.id, "700000"]]);
    assert.equal((await p.tier2.api("GET", "/v1/receivables/expected_payments")).body.total, "0");

    // 4. At maturity the debtor repays the invoice from its wallet: each current holder is paid its part.
    await system.advanceTime(dueAt - (await system.chainTime()) - 60);
    assert.equal((await act(p.debtor, root.id, "repay", { amount: "1000000", source: "wallet" })).status, 202);
    await waitForReceivable(p.debtor, kept.id, (r) => r.status === "repaid");
    const repaidPart = await waitForReceivable(p.financier, tier2Part.id, (r) => r.status === "repaid");
    assert.equal(repaidPart.principal_paid, "300000");
    await waitForDelivery(hooks.financier, "receivable.repaid", tier2Part.id);
    await waitForDelivery(hooks.debtor, "receivable.repayment_received", root.id);

    const end = await balances();
    assert.equal(end.debtor - start.debtor, -1_000_000n);
    assert.equal(end.supplier - start.supplier, 700_000n);
    assert.equal(end.tier2 - start.tier2, quoted.proceeds);
    assert.equal(end.financier - start.financier, 300_000n - quoted.price);
    assert.equal(end.treasury - start.treasury, quoted.fee);
    assert.equal(end.registry - start.registry, 0n);
    assert.equal(quoted.price, quoted.proceeds + quoted.fee);
    // Every webhook verified with the standardwebhooks package.
    for (const receiver of Object.values(hooks)) assert.ok(receiver.deliveries.length > 0 && receiver.deliveries.every((d) => d.verifyError === undefined));
  });
});

describe("other transitions", () => {
  it("the debtor rejects an invoice: rejected, and it can no longer be accepted", async () => {
    const issued = await issue(system, p.supplier, p.debtor, "5000");
    await waitForReceivable(p.supplier, issued.id, (r) => r.status === "pending_acceptance");
    assert.equal((await act(p.debtor, issued.id, "reject", { reason: "goods_not_received" })).status, 202);
    await waitForReceivable(p.supplier, issued.id, (r) => r.status === "rejected");
    const again = await act(p.debtor, issued.id, "accept");
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "receivable_not_pending");
  });

  it("the holder transfers an accepted receivable: the new holder sees and holds it, the old one keeps it in the lineage", async () => {
    const r = await acceptedInvoice(system, p, "7000");
    assert.equal((await act(p.supplier, r.id, "transfer", { to: p.tier2.address })).status, 202);
    const moved = await waitForReceivable(p.tier2, r.id, (x) => x.holder === p.tier2.address && x.status === "accepted");
    assert.deepEqual(moved.lineage.holders.map((h: any) => h.address), [p.supplier.address, p.tier2.address]);
    assert.equal((await registryOf(system).receivableOf(BigInt(r.token_id))).holder, p.tier2.address);
  });

  it("the debtor repays part of an invoice: the part stays open with what is left", async () => {
    const r = await acceptedInvoice(system, p, "9000");
    assert.equal((await act(p.debtor, r.id, "repay", { amount: "4000", source: "wallet" })).status, 202);
    const partly = await waitForReceivable(p.supplier, r.id, (x) => x.principal_paid === "4000" && x.status === "accepted");
    assert.equal(partly.face_value, "9000");
    const expected = (await p.supplier.api("GET", "/v1/receivables/expected_payments")).body.data.find((e: any) => e.receivable === r.id);
    assert.equal(expected.principal, "5000");
  });

  it("lists what the caller may see, newest first, with a cursor and filters", async () => {
    const a = await issue(system, p.supplier, p.debtor, "1100");
    const b = await issue(system, p.supplier, p.debtor, "1200");
    await waitForReceivable(p.supplier, b.id, (r) => r.status === "pending_acceptance");
    await waitForReceivable(p.supplier, a.id, (r) => r.status === "pending_acceptance");
    const first = (await p.supplier.api("GET", "/v1/receivables?limit=1&role=issuer")).body;
    assert.deepEqual(first.data.map((r: any) => r.id), [b.id]);
    assert.equal(first.has_more, true);
    const second = (await p.supplier.api("GET", `/v1/receivables?limit=1&role=issuer&starting_after=${b.id}`)).body;
    assert.deepEqual(second.data.map((r: any) => r.id), [a.id]);
    const owed = (await p.debtor.api("GET", "/v1/receivables?status=pending_acceptance&role=debtor&limit=100")).body;
    assert.ok(owed.data.every((r: any) => r.status === "pending_acceptance" && r.debtor === p.debtor.address));
    assert.ok([a.id, b.id].every((id) => owed.data.some((r: any) => r.id === id)));
    const none = (await p.stranger.api("GET", "/v1/receivables")).body;
    assert.deepEqual(none.data, []);
  });

  it("another account's receivable is a 404, as for payments", async () => {
    const r = await issue(system, p.supplier, p.debtor, "1300");
    const reply = await p.stranger.api("GET", `/v1/receivables/${r.id}`);
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, "resource_missing");
  });

  it("an issue retried with the same Idempotency-Key is answered from the stored response and sent once", async () => {
    const terms = await invoiceTerms(system, p.debtor, "1400");
    const { signature } = await signFor(p.supplier, { action: "issue", ...terms });
    const key = randomBytes(8).toString("hex");
    const first = await p.supplier.api("POST", "/v1/receivables", { ...terms, signature }, { "idempotency-key": key });
    const second = await p.supplier.api("POST", "/v1/receivables", { ...terms, signature }, { "idempotency-key": key });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.equal(second.body.id, first.body.id);
    const actions = await system.relayer.db.read(async (sql) => (await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM receivable_actions WHERE receivable_id = ?", first.body.id))!.n);
    assert.equal(actions, 1);
    await waitForReceivable(p.supplier, first.body.id, (r) => r.status === "pending_acceptance");
  });
});

// The auditor's read-only API over a real relayer, chain and database: the agreed AuditPayment list, a payment's
// on-chain timeline, search, the ledger projected from the escrow's logs, balances and solvency, AML reports,
// CSV exports, and the scope rules.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { PaymentEscrow__factory, SettlementToken__factory } from "../../../typechain-types/index.js";
import { runAuditScenario, waitForLedger, type AuditScenario } from "../support/audit-scenario.js";
import { startSystem, type TestSystem } from "../support/system.js";

let system: TestSystem;
let scenario: AuditScenario;

const audit = (path: string, headers: Record<string, string> = {}) => system.api("GET", path, undefined, { authorization: `Bearer ${scenario.auditorKey}`, ...headers });

function parseCsv(text: string): string[][] {
  // The exports quote only fields with commas, quotes or line breaks; none of these rows has any.
  return text.trimEnd().split("\r\n").map((line) => line.split(","));
}

before(async () => {
  system = await startSystem();
  scenario = await runAuditScenario(system);
  await waitForLedger(system, scenario.auditorKey, [scenario.released, scenario.authorized, scenario.refunded, scenario.large].map((i) => i.payment_id));
});
after(async () => {
  await system?.stop();
});

describe("auditor API: scope", () => {
  it("refuses a merchant key with 403 insufficient_scope and no key with 401", async () => {
    const asMerchant = await system.api("GET", "/v1/audit/payments");
    assert.equal(asMerchant.status, 403);
    assert.equal(asMerchant.body.error.code, "insufficient_scope");
    const anonymous = await system.api("GET", "/v1/audit/ledger_entries", undefined, { authorization: "" });
    assert.equal(anonymous.status, 401);
  });

  it("answers an unknown query parameter with 400 parameter_unknown", async () => {
    const res = await audit("/v1/audit/payments?sort=amount");
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, "parameter_unknown");
    assert.equal(res.body.error.param, "sort");
  });
});

describe("auditor API: payments", () => {
  it("lists every payment as an AuditPayment, ordered by payment id, page by page", async () => {
    const first = await audit("/v1/audit/payments?limit=2");
    assert.equal(first.status, 200);
    assert.equal(first.body.object, "list");
    assert.equal(first.body.has_more, true);
    const second = await audit(`/v1/audit/payments?limit=100&starting_after=${first.body.data[1].payment_id}`);
    const all = [...first.body.data, ...second.body.data];
    assert.equal(all.length, 4);
    const ids = all.map((p: any) => p.payment_id);
    assert.deepEqual(ids, [...ids].sort());
    const refunded = all.find((p: any) => p.intent_id === scenario.refunded.id);
    assert.deepEqual(refunded, {
      object: "audit.payment",
      payment_id: scenario.refunded.payment_id,
      intent_id: scenario.refunded.id,
      merchant: system.credentials.merchant.address,
      buyer: system.credentials.buyer.address,
      token: system.credentials.contracts.SettlementToken,
      order_ref: "audit-refunded",
      amount: "30000000",
      status: "captured",
      chain_status: "captured",
      amount_capturable: "0",
      amount_held: "25000000",
      amount_released: "0",
      amount_refunded: "5000000",
      created_at: refunded.created_at,
    });
    assert.match(refunded.created_at, /^\d{4}-\d\d-\d\dT/);
  });

  it("reports the gross released of a payment refunded after release, as the escrow's PaymentState does", async () => {
    const res = await audit(`/v1/audit/payments/${scenario.released.payment_id}`);
    assert.equal(res.body.payment.status, "released");
    assert.equal(res.body.payment.amount_released, "40000000");
    assert.equal(res.body.payment.amount_refunded, "10000000");
    const onChain = await system.provider.call({
      to: system.credentials.contracts.PaymentEscrow,
      data: PaymentEscrow__factory.createInterface().encodeFunctionData("paymentState", [scenario.released.payment_id]),
    });
    const state = PaymentEscrow__factory.createInterface().decodeFunctionResult("paymentState", onChain)[0];
    assert.equal(state.released, 40_000_000n);
    assert.equal(res.body.chain.amount_released, "40000000");
    assert.equal(res.body.chain.amount_refunded_after_release, "10000000");
  });

  it("filters by status, merchant and buyer", async () => {
    const released = await audit("/v1/audit/payments?status=released");
    assert.deepEqual(released.body.data.map((p: any) => p.intent_id), [scenario.released.id]);
    const byMerchant = await audit(`/v1/audit/payments?merchant=${system.credentials.merchant.address}`);
    assert.equal(byMerchant.body.data.length, 4);
    const stranger = await audit(`/v1/audit/payments?merchant=${system.credentials.buyer.address}`);
    assert.deepEqual(stranger.body.data, []);
    const awaiting = await audit("/v1/audit/payments?status=requires_capture");
    assert.deepEqual(awaiting.body.data.map((p: any) => p.intent_id), [scenario.authorized.id]);
  });

  it("shows a payment's timeline: every escrow event with block number, time, transaction hash and log index", async () => {
    const res = await audit(`/v1/audit/payments/${scenario.released.payment_id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.timeline.map((e: any) => e.event), ["PaymentAuthorized", "PaymentCaptured", "PaymentReleased", "PaymentRefunded"]);
    for (const event of res.body.timeline) {
      const receipt = await system.provider.getTransactionReceipt(event.transaction_hash);
      assert.equal(receipt?.blockNumber, event.block_number);
      assert.ok(receipt!.logs.some((l) => l.index === event.log_index));
      assert.match(event.block_time, /^\d{4}-/);
    }
    const released = res.body.timeline[2].args;
    assert.equal(released.gross, "40000000");
    assert.equal(BigInt(released.fee) + BigInt(released.net), 40_000_000n);
    assert.equal(res.body.chain.status, "released");
    assert.equal(res.body.payment.status, "released");
  });

  it("answers 404 resource_missing for a payment id nobody knows", async () => {
    const res = await audit(`/v1/audit/payments/0x${"ab".repeat(32)}`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "resource_missing");
  });

  it("finds payments by order reference, intent id, transaction hash and buyer address", async () => {
    const byRef = await audit("/v1/audit/search?q=audit-large");
    assert.deepEqual(byRef.body.data.map((p: any) => p.intent_id), [scenario.large.id]);
    const byId = await audit(`/v1/audit/search?q=${scenario.authorized.id}`);
    assert.deepEqual(byId.body.data.map((p: any) => p.intent_id), [scenario.authorized.id]);
    const detail = await audit(`/v1/audit/payments/${scenario.refunded.payment_id}`);
    const refundTx = detail.body.timeline.find((e: any) => e.event === "PaymentRefunded").transaction_hash;
    const byTx = await audit(`/v1/audit/search?q=${refundTx}`);
    assert.deepEqual(byTx.body.data.map((p: any) => p.intent_id), [scenario.refunded.id]);
    const byBuyer = await audit(`/v1/audit/search?q=${system.credentials.buyer.address.toLowerCase()}`);
    assert.equal(byBuyer.body.data.length, 4);
  });
});

describe("auditor API: ledger", () => {
  it("records one entry per movement of money, with the fees split to treasury and partner", async () => {
    const res = await audit(`/v1/audit/ledger_entries?limit=100&merchant=${system.credentials.merchant.address}`);
    const ofReleased = res.body.data.filter((e: any) => e.payment_id === scenario.released.payment_id);
    assert.deepEqual(ofReleased.map((e: any) => e.kind), ["authorize", "capture", "release", "fee", "partner_fee", "refund"]);
    // 2.5% of 40,000,000 = 1,000,000 fee, of which the partner's 20%
    const [, , release, fee, partnerFee, refund] = ofReleased;
    assert.equal(release.amount, "39000000");
    assert.equal(release.held_delta, "-40000000");
    assert.equal(fee.amount, "800000");
    assert.equal(partnerFee.amount, "200000");
    // refunded after release: out of the merchant's balance, nothing from held funds
    assert.deepEqual([refund.amount, refund.held_delta, refund.balance_delta, refund.account], ["10000000", "0", "-10000000", system.credentials.merchant.address]);
    const kinds = (await audit(`/v1/audit/ledger_entries?kind=refund&buyer=${system.credentials.buyer.address}`)).body.data;
    assert.deepEqual(kinds.map((e: any) => [e.payment_id, e.amount, e.held_delta]), [
      [scenario.released.payment_id, "10000000", "0"],
      [scenario.refunded.payment_id, "5000000", "-5000000"],
    ]);
  });

  it("filters entries by block range and by time range", async () => {
    const all = (await audit("/v1/audit/ledger_entries?limit=100")).body.data;
    const middle = all[Math.floor(all.length / 2)];
    const fromBlock = (await audit(`/v1/audit/ledger_entries?limit=100&from_block=${middle.block_number}`)).body.data;
    assert.ok(fromBlock.length > 0 && fromBlock.every((e: any) => e.block_number >= middle.block_number));
    assert.equal(fromBlock.length, all.filter((e: any) => e.block_number >= middle.block_number).length);
    const t = Date.parse(middle.block_time) / 1000;
    const toTime = (await audit(`/v1/audit/ledger_entries?limit=100&to_time=${t}`)).body.data;
    assert.ok(toTime.length > 0 && toTime.every((e: any) => Date.parse(e.block_time) / 1000 <= t));
  });

  it("pages through entries with starting_after", async () => {
    const all = (await audit("/v1/audit/ledger_entries?limit=100")).body.data;
    const page = (await audit(`/v1/audit/ledger_entries?limit=3&starting_after=${all[2].id}`)).body;
    assert.deepEqual(page.data.map((e: any) => e.id), all.slice(3, 6).map((e: any) => e.id));
  });

  it("shows the escrow solvent: its token balance on chain equals what the ledger says it owes", async () => {
    const res = await audit("/v1/audit/overview");
    assert.equal(res.status, 200);
    const token = system.credentials.contracts.SettlementToken;
    const row = res.body.solvency.find((s: any) => s.token === token);
    const onChain = await SettlementToken__factory.connect(token, system.provider).balanceOf(system.credentials.contracts.PaymentEscrow);
    assert.equal(row.escrow_balance, onChain.toString());
    assert.equal(row.owed, onChain.toString());
    assert.equal(row.difference, "0");
    assert.equal(row.solvent, true);
    // held: 25,000,000 (partly refunded) + 12,000,000,000 (large); capturable: 15,000,000
    assert.equal(row.held, "12025000000");
    assert.equal(row.capturable, "15000000");
    const today = res.body.daily.find((d: any) => d.token === token);
    assert.equal(today.payments, 4);
    assert.equal(today.fees, "1000000");
  });

  it("lists balances per account: the merchant's net, the treasury's and the partner's fee", async () => {
    const res = await audit("/v1/audit/balances");
    const byAccount = Object.fromEntries(res.body.data.map((b: any) => [b.account, b.balance]));
    assert.equal(byAccount[system.credentials.merchant.address], "29000000"); // 39,000,000 net less the 10,000,000 refund
    assert.equal(byAccount[system.credentials.merchant.partner], "200000");
    const treasury = Object.keys(byAccount).filter((a) => a !== system.credentials.merchant.address && a !== system.credentials.merchant.partner);
    assert.equal(treasury.length, 1);
    assert.equal(byAccount[treasury[0]!], "800000");
  });

  it("reports the large transaction (AML) the escrow emitted", async () => {
    const res = await audit("/v1/audit/large_transactions");
    assert.deepEqual(res.body.data.map((r: any) => [r.payment_id, r.amount, r.buyer]), [[scenario.large.payment_id, "12000000000", system.credentials.buyer.address]]);
  });
});

describe("auditor API: CSV exports", () => {
  it("exports every payment as CSV with ?format=csv, whatever the page size", async () => {
    const res = await audit("/v1/audit/payments?format=csv&limit=1");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
    const rows = parseCsv(res.body as string);
    assert.equal(rows[0]!.join(","), "payment_id,intent_id,merchant,buyer,token,order_ref,amount,status,chain_status,amount_capturable,amount_held,amount_released,amount_refunded,created_at");
    assert.equal(rows.length, 5);
    const large = rows.find((r) => r[1] === scenario.large.id)!;
    assert.equal(large[6], "12000000000");
  });

  it("exports ledger entries as CSV when asked with Accept: text/csv", async () => {
    const json = (await audit("/v1/audit/ledger_entries?limit=100")).body.data;
    const res = await audit("/v1/audit/ledger_entries", { accept: "text/csv" });
    const rows = parseCsv(res.body as string);
    assert.equal(rows.length, json.length + 1);
    assert.deepEqual(rows.slice(1).map((r) => r[0]), json.map((e: any) => e.id));
  });
});

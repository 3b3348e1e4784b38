// The auditor's receivables register over a real relayer, chain and database: an invoice issued, accepted and split
// twice through the parties' API, then seen by an auditor as a filtered, paginated list, a CSV export, a lineage
// tree and (once the chain's clock passes due date + grace period) the overdue receivables of the overview; and the
// audit CLI reconciling that register with the registry rebuilt from its logs alone.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { EXIT, runCli } from "../../../audit/cli.js";

import { issueApiKey } from "../../../relayer/application/admin.js";
import { openDatabase } from "../../../relayer/persistence/database.js";
import { splitInvoiceTwice, type SplitInvoice } from "../support/split-receivable.js";
import { startSystem, type TestSystem } from "../support/system.js";
import { registryOf, setUpParties, type Parties } from "./receivables-support.js";

const ZERO = "0x0000000000000000000000000000000000000000";

let system: TestSystem;
let p: Parties;
let invoice: SplitInvoice;
let auditorKey: string;

const audit = (path: string, headers: Record<string, string> = {}) => system.api("GET", path, undefined, { authorization: `Bearer ${auditorKey}`, ...headers });

before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  p = await setUpParties(system);
  ({ secret: auditorKey } = await issueApiKey(system.relayer.db, { scope: "auditor", label: "receivables register tests" }, Date.now()));
  invoice = await splitInvoiceTwice(system, p);
});
after(async () => {
  await system?.stop();
});

describe("auditor API: the receivables register", () => {
  it("lists every receivable of every party, newest first, page by page", async () => {
    const first = await audit("/v1/audit/receivables?limit=2");
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.has_more, true);
    const rest = await audit(`/v1/audit/receivables?limit=100&starting_after=${first.body.data[1].id}`);
    assert.equal(rest.body.has_more, false);
    const all = [...first.body.data, ...rest.body.data];
    // newest first; the parts of one split share a creation time and are ordered by id
    const order = all.map((r: any) => [r.created_at, r.id].join(" "));
    assert.deepEqual(order, [...order].sort().reverse());
    const ids = all.map((r: any) => r.id);
    assert.deepEqual(new Set(ids.slice(0, 2)), new Set([invoice.financierPart.id, invoice.tier2Kept.id]));
    assert.deepEqual(new Set(ids.slice(2, 4)), new Set([invoice.tier2Part.id, invoice.kept.id]));
    assert.equal(ids[4], invoice.root.id);
    const root = all.at(-1);
    assert.deepEqual(
      { ...root, created_at: undefined, updated_at: undefined },
      {
        id: invoice.root.id,
        object: "audit.receivable",
        token_id: invoice.root.token_id,
        root_id: invoice.root.id,
        parent_id: null,
        issuer: p.supplier.address,
        debtor: p.debtor.address,
        token: system.credentials.contracts.SettlementToken,
        holder: ZERO,
        face_value: "1000000",
        state: "split",
        financed: false,
        principal_paid: "0",
        late_fee_due: "0",
        issued_at: invoice.root.issued_at,
        due_at: invoice.root.due_at,
        accept_by: invoice.root.accept_by,
        invoice_ref: invoice.root.invoice_ref,
        document_hash: invoice.root.document_hash,
        created_at: undefined,
        updated_at: undefined,
      },
    );
  });

  it("filters by current holder, issuer, debtor, state and root invoice", async () => {
    const ids = async (query: string) => (await audit(`/v1/audit/receivables?${query}`)).body.data.map((r: any) => r.id).sort();
    assert.deepEqual(await ids(`holder=${p.tier2.address}`), [invoice.tier2Kept.id]);
    assert.deepEqual(await ids(`holder=${p.financier.address}`), [invoice.financierPart.id]);
    assert.deepEqual(await ids(`state=split`), [invoice.root.id, invoice.tier2Part.id].sort());
    assert.deepEqual(await ids(`state=accepted&holder=${p.supplier.address}`), [invoice.kept.id]);
    assert.deepEqual(await ids(`root=${invoice.root.id}&state=accepted`), [invoice.kept.id, invoice.tier2Kept.id, invoice.financierPart.id].sort());
    assert.equal((await ids(`issuer=${p.supplier.address}`)).length, 5);
    assert.equal((await ids(`debtor=${p.debtor.address}`)).length, 5);
    assert.deepEqual(await ids(`issuer=${p.debtor.address}`), []);
  });

  it("exports the register as CSV with every matching row", async () => {
    const res = await audit(`/v1/audit/receivables?format=csv&root=${invoice.root.id}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
    const rows = (res.body as string).trimEnd().split("\r\n").map((line) => line.split(","));
    assert.deepEqual(rows[0]!.slice(0, 11), ["id", "token_id", "root_id", "parent_id", "issuer", "debtor", "token", "holder", "face_value", "state", "financed"]);
    assert.equal(rows.length, 6);
    const financier = rows.find((r) => r[0] === invoice.financierPart.id)!;
    assert.deepEqual([financier[3], financier[7], financier[8], financier[9], financier[10]], [invoice.tier2Part.id, p.financier.address, "150000", "accepted", "false"]);
  });

  it("draws an invoice's lineage as a tree from any of its receivables, with face values, holders and states", async () => {
    for (const asked of [invoice.root, invoice.financierPart]) {
      const res = await audit(`/v1/audit/receivables/${asked.id}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.receivable.id, asked.id);
      const shape = (n: any): any => ({ face: n.face_value, holder: n.holder, state: n.state, children: n.children.map(shape) });
      assert.deepEqual(shape(res.body.tree), {
        face: "1000000", holder: ZERO, state: "split",
        children: [
          { face: "600000", holder: p.supplier.address, state: "accepted", children: [] },
          {
            face: "400000", holder: ZERO, state: "split",
            children: [
              { face: "250000", holder: p.tier2.address, state: "accepted", children: [] },
              { face: "150000", holder: p.financier.address, state: "accepted", children: [] },
            ],
          },
        ],
      });
      // every split's parts add up to it
      const sums = (n: any): void => {
        if (n.children.length) assert.equal(n.children.reduce((s: bigint, c: any) => s + BigInt(c.face_value), 0n), BigInt(n.face_value));
        n.children.forEach(sums);
      };
      sums(res.body.tree);
      assert.deepEqual(res.body.tree.holders.map((h: any) => h.address), [p.supplier.address]);
      assert.deepEqual(res.body.tree.children[1].holders.map((h: any) => h.address), [p.tier2.address]);
    }
  });

  it("finds a receivable by its token id, and answers an unknown one with 404 resource_missing", async () => {
    const byToken = await audit(`/v1/audit/receivables/${invoice.kept.token_id}`);
    assert.equal(byToken.status, 200);
    assert.equal(byToken.body.receivable.id, invoice.kept.id);
    const missing = await audit(`/v1/audit/receivables/rcv_${"0".repeat(24)}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "resource_missing");
    assert.equal(missing.body.error.param, "id");
  });

  it("refuses bad filters with 400 and a merchant's key with 403", async () => {
    const badState = await audit("/v1/audit/receivables?state=paid");
    assert.equal(badState.status, 400);
    assert.equal(badState.body.error.param, "state");
    const both = await audit("/v1/audit/receivables?overdue=true&state=accepted");
    assert.equal(both.status, 400);
    assert.equal(both.body.error.code, "parameter_invalid");
    const badHolder = await audit("/v1/audit/receivables?holder=0x123");
    assert.equal(badHolder.status, 400);
    assert.equal(badHolder.body.error.param, "holder");
    const badId = await audit("/v1/audit/receivables/rcv_nope");
    assert.equal(badId.status, 400);
    const merchant = await system.api("GET", "/v1/audit/receivables");
    assert.equal(merchant.status, 403);
    assert.equal(merchant.body.error.code, "insufficient_scope");
  });

  it("the audit CLI finds the register and the registry's logs agreeing, then reports a holder changed in the relayer's database", async () => {
    const file = path.join(system.dir, "audit-receivables.json");
    const audit = async () => {
      const out: string[] = [];
      const err: string[] = [];
      const args = ["--rpc", system.config.RPC_URL, "--deployment", system.config.DEPLOYMENT_FILE, "--relayer", system.relayer.url, "--out", file];
      const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env: { AUDITOR_KEY: auditorKey } });
      return { code, out: out.join("\n"), err: err.join("\n"), report: JSON.parse(readFileSync(file, "utf8")) };
    };
    const clean = await audit();
    assert.equal(clean.code, EXIT.clean, clean.out + clean.err);
    assert.deepEqual(clean.report.reconciliation.receivables, { chain_receivables: 5, relayer_receivables: 5, compared: 5, differences: [] });
    assert.match(clean.out, /receivables with .*: 5 compared, 5 on chain, 5 in the relayer's register, 0 differences/);

    // someone edits the relayer's mirror behind its back: the part the supplier kept now "belongs" to tier 2
    const db = await openDatabase(system.config.DATABASE_URL ?? system.config.DATABASE_PATH);
    const tamper = async (holder: string) =>
      assert.equal((await db.transaction((sql) => sql.run("UPDATE receivables SET holder = ? WHERE id = ?", holder, invoice.kept.id))).changes, 1);
    try {
      await tamper(p.tier2.address);
      const found = await audit();
      assert.equal(found.code, EXIT.findings);
      assert.deepEqual(found.report.reconciliation.receivables.differences, [
        { kind: "mismatch", token_id: invoice.kept.token_id, receivable_id: invoice.kept.id, field: "holder", chain: p.supplier.address.toLowerCase(), relayer: p.tier2.address.toLowerCase() },
      ]);
      assert.equal(found.report.ok, false);
    } finally {
      await tamper(p.supplier.address);
      await db.close();
    }
  });

  it("counts a receivable overdue from due date + the registry's grace period on, and lists the overdue ones oldest due first", async () => {
    const overdue = async () => (await audit("/v1/audit/overview")).body.overdue_receivables;
    const grace = Number(await registryOf(system).gracePeriod());
    assert.deepEqual({ ...(await overdue()), as_of: 0 }, { count: 0, more_than: false, grace_period: grace, as_of: 0 });
    // the chain's clock set exactly (evm_increaseTime would add the wall-clock seconds that pass meanwhile)
    const mineAt = async (timestamp: number) => {
      await system.provider.send("evm_setNextBlockTimestamp", [timestamp]);
      await system.provider.send("evm_mine", []);
    };
    // one second before the registry would take markOverdue: nothing yet
    await mineAt(invoice.root.due_at + grace - 1);
    assert.equal((await overdue()).count, 0);
    await mineAt(invoice.root.due_at + grace);
    const now = await overdue();
    assert.equal(now.count, 3);
    assert.equal(now.as_of, invoice.root.due_at + grace);
    const list = await audit("/v1/audit/receivables?overdue=true");
    assert.deepEqual(list.body.data.map((r: any) => r.id).sort(), [invoice.kept.id, invoice.tier2Kept.id, invoice.financierPart.id].sort());
    const held = await audit(`/v1/audit/receivables?overdue=true&holder=${p.financier.address}`);
    assert.deepEqual(held.body.data.map((r: any) => r.id), [invoice.financierPart.id]);
  });
});

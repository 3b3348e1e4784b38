// Every query behind the auditor's lists and pages uses an index: each statement the repositories run is explained
// (EXPLAIN QUERY PLAN) on a real database file, and none may scan a table or sort its rows in a temporary B-tree.
// This is what keeps the console fast at 1,000,000 payments (bench/audit-console.ts measures it at 100,000).
// SQLite's planner, in both passes of the suite: PostgreSQL chooses plans from table statistics, which a test's
// near-empty tables do not have (the same indexes exist there).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import type { Database, Sql, SqlValue } from "../../../relayer/persistence/database.js";
import { intents } from "../../../relayer/persistence/intents.js";
import { kycChanges } from "../../../relayer/persistence/kyc-changes.js";
import { ledger } from "../../../relayer/persistence/ledger.js";
import { receivableRegister } from "../../../relayer/persistence/receivable-register.js";
import { reconciliations } from "../../../relayer/persistence/reconciliations.js";
import { openTestDatabase } from "../support/database.js";

const A = "0x1111111111111111111111111111111111111111";
const B = "0x2222222222222222222222222222222222222222";
const PAYMENT = `0x${"ab".repeat(32)}`;

let db: Database;

before(async () => {
  db = await openTestDatabase("audit-plans", { only: "sqlite" });
});
after(() => db.close());

/** Runs `work` on a connection that explains every statement before running it; returns the plans. */
async function plansOf(work: (sql: Sql) => Promise<unknown>): Promise<{ sql: string; plan: string[] }[]> {
  return db.read(async (inner) => {
    const plans: { sql: string; plan: string[] }[] = [];
    const explain = async (statement: string, params: SqlValue[]) => {
      const rows = await inner.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${statement}`, ...params);
      plans.push({ sql: statement.replace(/\s+/g, " ").trim(), plan: rows.map((r) => r.detail) });
    };
    const recording: Sql = {
      dialect: inner.dialect,
      all: async (statement, ...params) => {
        await explain(statement, params);
        return inner.all(statement, ...params);
      },
      get: async (statement, ...params) => {
        await explain(statement, params);
        return inner.get(statement, ...params);
      },
      run: (statement, ...params) => inner.run(statement, ...params),
    };
    await work(recording);
    return plans;
  });
}

/**
 * A full scan reads "SCAN t" (no index); a sort of every matching row reads "USE TEMP B-TREE". `allow` names the
 * exceptions a caller justifies: a WITHOUT ROWID table is its own primary-key index, so an unfiltered first page
 * in key order with LIMIT ("SCAN t") reads just `limit` rows; a sort of a set known to be small.
 */
function assertIndexed(plans: { sql: string; plan: string[] }[], allow: { scan?: string; sort?: boolean } = {}): void {
  assert.ok(plans.length > 0, "no statement ran");
  for (const { sql, plan } of plans) {
    // A capped subquery runs as a co-routine: scanning its (LIMITed) output is not scanning a table.
    const coroutines = new Set(plan.flatMap((step) => /^CO-ROUTINE (\w+)$/.exec(step)?.[1] ?? []));
    for (const step of plan) {
      const scan = /^SCAN (\w+)( AS \w+)?$/.exec(step);
      if (scan && scan[1] !== allow.scan && !coroutines.has(scan[1]!)) assert.fail(`full table scan in: ${sql}\nplan: ${plan.join(" | ")}`);
      if (!allow.sort) assert.doesNotMatch(step, /TEMP B-TREE/, `sorts every matching row in: ${sql}\nplan: ${plan.join(" | ")}`);
    }
  }
}

describe("auditor queries use indexes", () => {
  it("the payments list under each filter, and its keyset cursor", async () => {
    for (const filter of [
      {},
      { startingAfter: PAYMENT },
      { merchantId: "mer_x", startingAfter: PAYMENT },
      { buyer: A },
      { token: A, startingAfter: PAYMENT },
      { status: "released" as const },
      { status: "disputed" as const, startingAfter: PAYMENT },
      { status: "captured" as const },
      { status: "requires_capture" as const },
      { status: "failed" as const },
      { merchantId: "mer_x", status: "released" as const, startingAfter: PAYMENT },
      { merchantId: "mer_x", status: "requires_capture" as const },
    ]) {
      assertIndexed(await plansOf((sql) => intents.listByPaymentId(sql, { limit: 100, ...filter })));
    }
    // processing: the intents with operations in flight, found through the operations index; a small set, sorted
    assertIndexed(await plansOf((sql) => intents.listByPaymentId(sql, { limit: 100, status: "processing" })), { sort: true });
  });

  it("search by intent id, payment id, order reference, buyer, merchant and transaction hash", async () => {
    assertIndexed(await plansOf((sql) => intents.search(sql, { id: "pi_x", paymentIds: [PAYMENT], orderRef: "o-1", buyer: A, merchantId: "mer_x" }, 20)));
    assertIndexed(await plansOf((sql) => intents.idsOfTransaction(sql, PAYMENT, 20)));
    assertIndexed(await plansOf((sql) => ledger.paymentsOfTransaction(sql, PAYMENT, 20)));
  });

  it("a payment's chain view and timeline", async () => {
    assertIndexed(await plansOf((sql) => ledger.payment(sql, PAYMENT)));
    assertIndexed(await plansOf((sql) => ledger.timeline(sql, PAYMENT)));
    assertIndexed(await plansOf((sql) => intents.getByPaymentId(sql, PAYMENT)));
  });

  it("ledger entries under each filter, block and time ranges, and the cursor", async () => {
    const after = { block: 10, log: 2, leg: 1 };
    assertIndexed(await plansOf((sql) => ledger.entries(sql, { limit: 100 })), { scan: "ledger_entries" });
    for (const filter of [
      { after },
      { merchant: A, after },
      { buyer: A },
      { token: A, fromBlock: 5, toBlock: 50 },
      { kind: "refund" as const, after },
      { fromBlock: 100, toBlock: 200, after },
    ]) {
      assertIndexed(await plansOf((sql) => ledger.entries(sql, { limit: 100, ...filter })));
    }
    assertIndexed(await plansOf((sql) => ledger.firstBlockAtOrAfter(sql, 1_700_000_000)));
    assertIndexed(await plansOf((sql) => ledger.lastBlockAtOrBefore(sql, 1_700_000_000)));
  });

  it("balances, AML reports, the KYC change log and the overview's aggregates", async () => {
    assertIndexed(await plansOf((sql) => ledger.balances(sql, { limit: 100 })), { scan: "ledger_balances" });
    assertIndexed(await plansOf((sql) => ledger.balances(sql, { limit: 100, after: { token: A, account: B } })));
    assertIndexed(await plansOf((sql) => ledger.balances(sql, { limit: 100, token: A })));
    assertIndexed(await plansOf((sql) => ledger.largeTransactions(sql, { limit: 100, after: { block: 1, log: 0 }, fromBlock: 0 })));
    assertIndexed(await plansOf((sql) => kycChanges.list(sql, { limit: 100, startingAfter: "kyc_x" })));
    assertIndexed(await plansOf((sql) => kycChanges.list(sql, { limit: 100, address: A })));
    // one row per token: the list of tokens is read in key order
    assertIndexed(await plansOf((sql) => ledger.daily(sql, "2026-01-01")), { scan: "ledger_totals" });
    assertIndexed(await plansOf((sql) => ledger.paymentsInStatus(sql, "disputed", { limit: 10, after: PAYMENT })));
    assertIndexed(await plansOf((sql) => ledger.countInStatus(sql, "disputed", 1001)));
    assertIndexed(await plansOf((sql) => ledger.unprojected(sql, 2000)));
    assertIndexed(await plansOf((sql) => reconciliations.latest(sql)));
  });

  it("the receivables register under each filter and its cursor, an invoice's lineage and holders, the overdue ones", async () => {
    const after = "rcv_x";
    for (const filter of [{}, { issuer: A }, { debtor: A }, { holder: B }, { rootId: "rcv_root" }, { state: 2 as const }, { issuer: A, state: 6 as const }, { holder: B, rootId: "rcv_root" }]) {
      assertIndexed(await plansOf((sql) => receivableRegister.list(sql, filter, { limit: 100 })));
      assertIndexed(await plansOf((sql) => receivableRegister.list(sql, filter, { limit: 100, after })));
    }
    for (const filter of [{}, { issuer: A }, { holder: B }]) {
      assertIndexed(await plansOf((sql) => receivableRegister.overdue(sql, 1_700_000_000, filter, { limit: 100, after })));
    }
    assertIndexed(await plansOf((sql) => receivableRegister.countOverdue(sql, 1_700_000_000, 1001)));
    assertIndexed(await plansOf((sql) => receivableRegister.find(sql, "rcv_x")));
    assertIndexed(await plansOf((sql) => receivableRegister.find(sql, "123456789")));
    assertIndexed(await plansOf((sql) => receivableRegister.lineage(sql, "rcv_root")));
    assertIndexed(await plansOf((sql) => receivableRegister.holdersOfLineage(sql, "rcv_root")));
  });
});

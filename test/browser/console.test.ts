/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The auditor console in a real browser (Debian's Chromium driven by playwright-core) against a real relayer,
// chain and database: sign-in, keyboard navigation, search, a payment's timeline, a CSV export, the compliance
// log, a tampered database row showing up as a difference in reconciliation, and the receivables register with the
// lineage tree of an invoice split twice. Screenshots of every page go to reports/screenshots/.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";

import { chromium, type Browser, type Page } from "playwright-core";

import { issueApiKey } from "../../relayer/application/admin.js";
import { setUpParties, type Parties } from "../relayer/api/receivables-support.js";
import { runAuditScenario, waitForLedger, type AuditScenario } from "../relayer/support/audit-scenario.js";
import { splitInvoiceTwice, type SplitInvoice } from "../relayer/support/split-receivable.js";
import { devWallet, startSystem, type TestSystem } from "../relayer/support/system.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const SCREENSHOTS = path.resolve("reports/screenshots");

let system: TestSystem;
let scenario: AuditScenario;
let parties: Parties;
let invoice: SplitInvoice;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const failedResponses = new Set<string>();

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
const heading = () => page.locator("h1").first().textContent();
const alertText = () => page.locator("#alert").textContent();
const audit = (p: string) => system.api("GET", p, undefined, { authorization: `Bearer ${scenario.auditorKey}` });

async function signIn(key: string): Promise<void> {
  await page.getByLabel("Auditor API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Every input and select on the page has a label a screen reader announces. */
async function assertLabelled(): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select")]
      .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute("aria-label"))
      .map((el) => el.id || el.outerHTML),
  );
  assert.deepEqual(unlabelled, []);
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  system = await startSystem();
  scenario = await runAuditScenario(system, "console");
  // one KYC decision, so the compliance log has a row
  const { secret: complianceKey } = await issueApiKey(system.relayer.db, { scope: "compliance", label: "console tests" }, Date.now());
  const kyc = await system.api(
    "POST",
    "/v1/kyc_records",
    { address: devWallet(15).address, tier: "basic", country: "SG", expires_at: Math.floor(Date.now() / 1000) + 86_400 * 365, dossier_hash: `0x${"11".repeat(32)}`, reason: "onboarding" },
    { authorization: `Bearer ${complianceKey}` },
  );
  assert.equal(kyc.status, 202);
  // The relayer's compliance lane sends it with the compliance key, which setUpParties below also uses directly:
  // wait until it is confirmed, so the two never race for the same nonce.
  for (const deadline = Date.now() + 20_000; ; ) {
    const change = (await system.api("GET", `/v1/kyc_changes/${kyc.body.id}`, undefined, { authorization: `Bearer ${complianceKey}` })).body;
    if (change.status === "confirmed") break;
    assert.ok(Date.now() < deadline, `the KYC change is still ${change.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await waitForLedger(system, scenario.auditorKey, [scenario.released, scenario.authorized, scenario.refunded, scenario.large].map((i) => i.payment_id));
  // an invoice issued, accepted and split twice through the parties' API: the receivables register's lineage tree
  parties = await setUpParties(system);
  invoice = await splitInvoiceTwice(system, parties);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("response", (response) => {
    if (response.status() >= 400) failedResponses.add(`${response.status()} ${new URL(response.url()).pathname}`);
  });
});

after(async () => {
  await browser?.close();
  await system?.stop();
});

describe("auditor console", () => {
  it("is served at /auditor with a Content-Security-Policy that forbids inline scripts", async () => {
    const response = await fetch(`${system.relayer.url}/auditor/`);
    assert.equal(response.status, 200);
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(await response.text(), /<script>|<style|\son\w+="|style="/);
  });

  it("refuses a bad key and a merchant's key with a visible error, then signs in with the auditor's key to the overview", async () => {
    await page.goto(`${system.relayer.url}/auditor`);
    assert.equal(await heading(), "Sign in");
    await assertLabelled();
    await signIn("sk_not_a_real_key");
    await page.locator("#alert").waitFor({ state: "visible" });
    assert.match((await alertText()) ?? "", /invalid or has been revoked/);
    await shot("login-error");
    await signIn(system.merchantKey);
    await page.waitForFunction(() => /not an auditor key/.test(document.getElementById("alert")?.textContent ?? ""));
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    await signIn(scenario.auditorKey);
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "Overview" && document.querySelector("table") !== null);
    assert.equal(await page.locator("#alert").isHidden(), true);
    // the key lives in sessionStorage only, never in the URL
    assert.ok(!page.url().includes(scenario.auditorKey));
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    const solvency = page.locator("table").first();
    assert.match((await solvency.textContent()) ?? "", /Solvent/);
    assert.equal(await page.locator("svg.chart").count(), 2);
    await shot("overview");
  });

  it("moves through the main menu with the keyboard alone", async () => {
    // a fresh load: keyboard focus starts at the top of the document
    await page.goto("about:blank");
    await page.goto(`${system.relayer.url}/auditor/#/overview`);
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "Overview");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    const reached: string[] = [];
    for (let i = 0; i < 10 && reached.at(-1) !== "Compliance"; i++) {
      await page.keyboard.press("Tab");
      reached.push((await page.evaluate(() => document.activeElement?.textContent)) ?? "");
    }
    assert.deepEqual(reached, ["Overview", "Payments", "Ledger", "Receivables", "Compliance"]);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.tagName === "H1" && document.activeElement.textContent === "Compliance log");
    assert.match(page.url(), /#\/compliance$/);
    assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), "Compliance");
  });

  it("finds a payment by its order reference and by a transaction hash", async () => {
    await page.goto(`${system.relayer.url}/auditor/#/payments`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 4);
    await assertLabelled();
    await shot("payments");
    await page.getByLabel("Search payments").fill("console-large");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /found/.test(document.querySelector("caption")?.textContent ?? ""));
    const rows = page.locator("tbody tr");
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().locator("a").getAttribute("title"), scenario.large.payment_id);

    const detail = (await audit(`/v1/audit/payments/${scenario.refunded.payment_id}`)).body;
    const refundTx = detail.timeline.find((e: any) => e.event === "PaymentRefunded").transaction_hash;
    await page.getByLabel("Search payments").fill(refundTx);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForFunction(
      (id) => document.querySelectorAll("tbody tr").length === 1 && document.querySelector("tbody tr a")?.getAttribute("title") === id,
      scenario.refunded.payment_id,
    );
    await shot("payments-search");
  });

  it("shows a payment's timeline with block numbers and transaction hashes", async () => {
    await page.goto(`${system.relayer.url}/auditor/#/payments/${scenario.released.payment_id}`);
    await page.waitForFunction(() => document.querySelectorAll(".timeline-item").length > 0);
    const expected = (await audit(`/v1/audit/payments/${scenario.released.payment_id}`)).body.timeline;
    const items = page.locator(".timeline-item");
    assert.deepEqual(await items.locator("h3").allTextContents(), ["PaymentAuthorized", "PaymentCaptured", "PaymentReleased", "PaymentRefunded"]);
    for (const [i, event] of expected.entries()) {
      const text = (await items.nth(i).textContent()) ?? "";
      assert.ok(text.includes(String(event.block_number)), `block ${event.block_number} in ${text}`);
      assert.ok(text.includes(event.transaction_hash), `tx ${event.transaction_hash} in ${text}`);
    }
    const agrees = await page.locator("table").first().locator("tbody tr td:last-child").allTextContents();
    assert.deepEqual([...new Set(agrees)], ["Yes"]); // relayer and chain agree on every field
    await shot("payment-timeline");
  });

  it("downloads the payments as CSV with every row", async () => {
    await page.goto(`${system.relayer.url}/auditor/#/payments`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 4);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    assert.equal(download.suggestedFilename(), "payments.csv");
    const text = readFileSync((await download.path())!, "utf8");
    const rows = text.trimEnd().split("\r\n").map((line) => line.split(","));
    assert.equal(rows[0]![0], "payment_id");
    assert.equal(rows.length, 5);
    const refs = rows.slice(1).map((r) => r[5]).sort();
    assert.deepEqual(refs, ["console-authorized", "console-large", "console-refunded", "console-released"]);
    const large = rows.find((r) => r[5] === "console-large")!;
    assert.equal(large[6], "12000000000");
  });

  it("lists ledger entries and filters them by kind", async () => {
    await page.goto(`${system.relayer.url}/auditor/#/ledger`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length > 5);
    await assertLabelled();
    await shot("ledger");
    await page.getByLabel("Kind").selectOption("refund");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("tbody tr")];
      return rows.length === 2 && rows.every((r) => r.textContent?.includes("refund"));
    });
  });

  it("shows the compliance log: KYC changes and the large-transaction report", async () => {
    await page.goto(`${system.relayer.url}/auditor/#/compliance`);
    await page.waitForFunction(() => (document.querySelectorAll("table")[1]?.textContent ?? "").includes("12,000.000000"));
    await page.waitForFunction(() => (document.querySelectorAll("table")[0]?.textContent ?? "").includes("onboarding"));
    await shot("compliance");
  });

  it("shows a tampered database row as a difference after reconciliation", async () => {
    await page.goto(`${system.relayer.url}/auditor/#/reconciliation`);
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "Reconciliation");
    await page.getByRole("button", { name: "Run reconciliation" }).click();
    await page.waitForFunction(() => /Reconciled: no differences/.test(document.getElementById("reconciliation-status")?.textContent ?? ""), undefined, { timeout: 60_000 });

    // Someone edits the relayer's database behind its back: the refund recorded for one payment.
    const db = new DatabaseSync(system.config.DATABASE_PATH);
    db.exec("PRAGMA busy_timeout = 5000");
    assert.equal(db.prepare("UPDATE payment_intents SET amount_refunded = '1' WHERE id = ?").run(scenario.refunded.id).changes, 1);
    db.close();

    await page.getByRole("button", { name: "Run reconciliation" }).click();
    await page.waitForFunction(() => /^1 difference$/.test(document.getElementById("reconciliation-status")?.textContent ?? ""), undefined, { timeout: 60_000 });
    const rows = page.locator("section").filter({ hasText: "Differences" }).locator("tbody tr");
    assert.equal(await rows.count(), 1);
    const cells = await rows.first().locator("th, td").allTextContents();
    assert.equal(cells[1], "mismatch");
    assert.equal(cells[2], scenario.refunded.id);
    assert.equal(cells[3], "amount_refunded");
    assert.match(cells[4]!, /\(5000000\)/);
    assert.match(cells[5]!, /\(1\)/);
    await shot("reconciliation");
  });

  it("shows the tree of a split receivable: nodes, face values adding up to each parent, holders, and keyboard navigation", async () => {
    const ZERO = "0x0000000000000000000000000000000000000000";
    // the register: find the invoice by its root, open its tree
    await page.goto(`${system.relayer.url}/auditor/#/receivables`);
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "Receivables" && document.querySelectorAll("tbody tr a").length >= 5);
    await assertLabelled();
    await page.getByLabel("Invoice (root id)").fill(invoice.root.id);
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForFunction(() => /root=/.test(location.hash) && document.querySelectorAll("tbody tr").length === 5);
    await shot("receivables-register");
    await page.getByRole("link", { name: invoice.root.id, exact: true }).click();
    await page.getByRole("tree").waitFor();

    // the nodes in document order: level, face value (as shown), holder (full address in the title), state, parts
    const nodes = await page.evaluate(() =>
      [...document.querySelectorAll('[role="treeitem"]')].map((item) => {
        const label = item.querySelector(":scope > .tree-label")!;
        return {
          id: item.getAttribute("data-id"),
          level: Number(item.getAttribute("aria-level")),
          face: label.querySelector(".face-value")!.textContent,
          holder: label.querySelector(".holder code")?.getAttribute("title") ?? label.querySelector(".holder")!.textContent,
          state: label.querySelector(".badge")!.textContent,
          parts: [...item.querySelectorAll(':scope > [role="group"] > [role="treeitem"]')].map((part) => part.getAttribute("data-id")),
        };
      }),
    );
    assert.deepEqual(nodes, [
      { id: invoice.root.id, level: 1, face: "1.000000", holder: "none (split)", state: "Split", parts: [invoice.kept.id, invoice.tier2Part.id] },
      { id: invoice.kept.id, level: 2, face: "0.600000", holder: parties.supplier.address, state: "Accepted", parts: [] },
      { id: invoice.tier2Part.id, level: 2, face: "0.400000", holder: "none (split)", state: "Split", parts: [invoice.tier2Kept.id, invoice.financierPart.id] },
      { id: invoice.tier2Kept.id, level: 3, face: "0.250000", holder: parties.tier2.address, state: "Accepted", parts: [] },
      { id: invoice.financierPart.id, level: 3, face: "0.150000", holder: parties.financier.address, state: "Accepted", parts: [] },
    ]);
    const minor = (shown: string | null) => BigInt((shown ?? "").replace(/[,.]/g, ""));
    for (const node of nodes.filter((n) => n.parts.length > 0)) {
      const sum = node.parts.reduce((total, id) => total + minor(nodes.find((n) => n.id === id)!.face), 0n);
      assert.equal(sum, minor(node.face), `the parts of ${node.id} add up to it`);
    }
    assert.ok(!nodes.some((n) => n.holder === ZERO));
    // a split receivable names who held it before
    const history = (id: string) => page.locator(`[data-id="${id}"] > .tree-history`);
    assert.match((await history(invoice.root.id).textContent()) ?? "", /^Held by 0x/);
    assert.match((await history(invoice.root.id).locator("code").getAttribute("title")) ?? "", new RegExp(`^${parties.supplier.address} since `));
    assert.match((await history(invoice.tier2Part.id).locator("code").getAttribute("title")) ?? "", new RegExp(`^${parties.tier2.address} since `));

    // keyboard: one tab stop into the tree, then the arrow keys
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-id") ?? document.activeElement?.tagName);
    for (let i = 0; i < 15 && (await page.evaluate(() => document.activeElement?.getAttribute("role"))) !== "treeitem"; i++) await page.keyboard.press("Tab");
    assert.equal(await focused(), invoice.root.id);
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(), invoice.kept.id);
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(), invoice.tier2Part.id);
    await page.keyboard.press("ArrowRight"); // open already: to its first part
    assert.equal(await focused(), invoice.tier2Kept.id);
    await page.keyboard.press("ArrowLeft"); // a leaf: to its parent
    assert.equal(await focused(), invoice.tier2Part.id);
    await page.keyboard.press("ArrowLeft"); // closes it
    const tier2Part = page.locator(`[data-id="${invoice.tier2Part.id}"]`);
    assert.equal(await tier2Part.getAttribute("aria-expanded"), "false");
    assert.equal(await page.locator(`[data-id="${invoice.financierPart.id}"]`).isVisible(), false);
    await page.keyboard.press("End"); // the last visible node is the closed part itself
    assert.equal(await focused(), invoice.tier2Part.id);
    await page.keyboard.press("Enter"); // opens it again
    assert.equal(await tier2Part.getAttribute("aria-expanded"), "true");
    await page.keyboard.press("End");
    assert.equal(await focused(), invoice.financierPart.id);
    assert.equal(await page.locator('[role="treeitem"][tabindex="0"]').count(), 1);
    assert.equal(await page.locator(`[data-id="${invoice.financierPart.id}"]`).getAttribute("aria-selected"), "true");
    await page.keyboard.press("Home");
    assert.equal(await focused(), invoice.root.id);
    await page.keyboard.press("ArrowUp"); // nothing above the root
    assert.equal(await focused(), invoice.root.id);
    await page.keyboard.press("ArrowDown");
    await shot("receivables");
  });

  it("shows the overdue receivables on the overview with a link to them", async () => {
    await page.goto(`${system.relayer.url}/auditor/#/overview`);
    const summary = page.locator("#overdue-summary");
    await summary.waitFor();
    // due in 180 days: none is overdue yet
    assert.match((await summary.textContent()) ?? "", /^0 receivables are past due date \+ the registry's grace period/);
    await summary.getByRole("link", { name: "List the overdue receivables" }).click();
    await page.waitForFunction(() => document.querySelector("h1")?.textContent === "Overdue receivables" && document.querySelector("td.empty") !== null);
    assert.equal(await page.getByLabel("Overdue only (past due date + grace period)").isChecked(), true);
  });

  it("ran without a script error, a Content-Security-Policy violation or an unexpected failed request", () => {
    // failed requests are checked by URL below; the browser also logs each as "Failed to load resource"
    assert.deepEqual(consoleErrors.filter((e) => !/^Failed to load resource: the server responded with a status of/.test(e)), []);
    // the refused keys, and "no reconciliation yet" before the first run
    assert.deepEqual([...failedResponses].sort(), ["401 /v1/audit/overview", "403 /v1/audit/overview", "404 /v1/audit/reconciliations/latest"]);
  });
});

// Reconciliation: the chain rebuilt from its logs alone (the audit library) compared with the relayer's records.
// Shows the latest run, starts a new one, and lists every difference found.
import { ApiError, get, post } from "../api.js";
import { h, table } from "../dom.js";
import { amount, short, time } from "../format.js";
import { announce, badge, code, loading, pageHeading, showError } from "../ui.js";

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const AMOUNT_FIELDS = new Set(["amount", "amount_capturable", "amount_held", "amount_released", "amount_refunded"]);
const value = (field, v) => (v === undefined || v === null ? "—" : AMOUNT_FIELDS.has(field) ? `${amount(v)} (${v})` : String(v));

function summary(run) {
  const state =
    run.status === "running" ? badge("Running", "info") : run.status === "failed" ? badge("Failed", "bad") : run.differences_total === 0 && run.violations.length === 0 ? badge("Reconciled: no differences", "ok") : badge(plural(run.differences_total, "difference"), "bad");
  return h(
    "dl",
    { class: "facts summary" },
    h("dt", {}, "Status"), h("dd", { id: "reconciliation-status" }, state),
    h("dt", {}, "Started"), h("dd", {}, time(run.started_at)),
    h("dt", {}, "Finished"), h("dd", {}, time(run.finished_at)),
    h("dt", {}, "Chain rebuilt to block"), h("dd", {}, run.head_block ?? "—"),
    h("dt", {}, "Payments on chain"), h("dd", {}, run.chain_payments ?? "—"),
    h("dt", {}, "Relayer records"), h("dd", {}, run.relayer_records ?? "—"),
    h("dt", {}, "Compared"), h("dd", {}, run.compared ?? "—"),
    run.error ? [h("dt", {}, "Error"), h("dd", {}, run.error)] : null,
  );
}

function differences(run) {
  return table({
    caption: `Differences${run.differences_total > run.differences.length ? ` (first ${run.differences.length} of ${run.differences_total})` : ""}`,
    columns: [
      { label: "Payment", rowHeader: true, cell: (d) => h("a", { href: `#/payments/${d.payment_id}`, title: d.payment_id }, short(d.payment_id)) },
      { label: "Kind", cell: (d) => badge(d.kind, d.kind === "mismatch" ? "warn" : "bad") },
      { label: "Intent", cell: (d) => d.intent_id ?? "—" },
      { label: "Field", cell: (d) => d.field ?? "—" },
      { label: "Chain", cell: (d) => (d.kind === "mismatch" ? value(d.field, d.chain) : d.chain ? "present" : "absent") },
      { label: "Relayer", cell: (d) => (d.kind === "mismatch" ? value(d.field, d.relayer) : d.relayer ? "present" : "absent") },
    ],
    rows: run.differences,
    empty: "No differences: every payment on chain matches the relayer's record.",
  });
}

function violations(run) {
  return table({
    caption: "Invariants broken on chain",
    columns: [
      { label: "Invariant", rowHeader: true, cell: (v) => v.invariant },
      { label: "Subject", cell: (v) => code(short(v.subject), v.subject) },
      { label: "Message", cell: (v) => v.message },
    ],
    rows: run.violations,
    empty: "Every invariant holds.",
  });
}

export async function renderReconciliation(main) {
  const heading = pageHeading("Reconciliation");
  const body = h("div", {});
  const start = h("button", { type: "button", class: "button-primary" }, "Run reconciliation");
  let timer;
  const show = (run) => {
    body.replaceChildren(
      summary(run),
      h("section", { "aria-labelledby": "differences-heading" }, h("h2", { id: "differences-heading" }, "Differences"), differences(run)),
      h("section", { "aria-labelledby": "violations-heading" }, h("h2", { id: "violations-heading" }, "Invariants"), violations(run)),
    );
    start.disabled = run.status === "running";
    clearTimeout(timer);
    if (run.status === "running") timer = setTimeout(refresh, 1000);
    else announce(run.status === "completed" ? `Reconciliation finished: ${plural(run.differences_total, "difference")}.` : "Reconciliation failed.");
  };
  const refresh = async () => {
    if (!document.body.contains(body)) return; // the page was left
    try {
      show(await get("/v1/audit/reconciliations/latest"));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) body.replaceChildren(h("p", {}, "No reconciliation has run yet."));
      else showError(error);
    }
  };
  start.addEventListener("click", async () => {
    start.disabled = true;
    const run = await loading("reconciliation", () => post("/v1/audit/reconciliations"));
    if (run) {
      announce("Reconciliation started: rebuilding the ledger from the chain.");
      show(run);
    } else start.disabled = false;
  });
  main.replaceChildren(
    heading,
    h("p", { class: "lede" }, "Rebuilds the ledger from the chain's logs alone (no relayer data) and compares every payment with the relayer's record: missing on the relayer, extra on the relayer, or a field that differs."),
    h("p", {}, start),
    body,
  );
  await refresh();
  return heading;
}

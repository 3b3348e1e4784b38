// The receivables register: every invoice and part in the relayer's mirror of the ReceivableRegistry, filtered,
// page by page from the server, exportable; "overdue" lists those past due date + the registry's grace period.
// Each row opens the invoice's lineage tree.
import { get, query } from "../api.js";
import { field, h, replace, table } from "../dom.js";
import { amount, short, time } from "../format.js";
import { badge, code, csvButton, pageHeading, pagedList } from "../ui.js";

export const RECEIVABLE_STATE_LABELS = {
  none: "Not on chain yet",
  pending: "Awaiting acceptance",
  accepted: "Accepted",
  rejected: "Rejected",
  split: "Split",
  repaid: "Repaid",
  overdue: "Overdue",
  defaulted: "Defaulted",
};
const STATE_TONE = { accepted: "info", repaid: "ok", overdue: "warn", defaulted: "bad", rejected: "neutral", split: "neutral", pending: "neutral", none: "neutral" };

export const receivableStateBadge = (state) => badge(RECEIVABLE_STATE_LABELS[state] ?? state, STATE_TONE[state] ?? "neutral");

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const shortId = (id) => `${id.slice(0, 9)}…${id.slice(-4)}`;
const dueDate = (seconds) => (seconds ? new Date(seconds * 1000).toISOString().slice(0, 10) : "—");

export function renderReceivables(main, params) {
  const overdue = params.get("overdue") === "true";
  const heading = pageHeading(overdue ? "Overdue receivables" : "Receivables");
  const input = (id, name, label) => {
    const control = h("input", { id, name, value: params.get(name) ?? "", autocomplete: "off", spellcheck: "false", placeholder: name === "root" ? "rcv_…" : "0x…" });
    return { control, wrap: field(label, control) };
  };
  const state = h(
    "select",
    { id: "receivables-state", name: "state", disabled: overdue },
    ["", ...Object.keys(RECEIVABLE_STATE_LABELS)].map((s) => h("option", { value: s, selected: params.get("state") === s }, s ? RECEIVABLE_STATE_LABELS[s] : "Any state")),
  );
  const overdueBox = h("input", { id: "receivables-overdue", name: "overdue", type: "checkbox", checked: overdue });
  overdueBox.addEventListener("change", () => (state.disabled = overdueBox.checked));
  const issuer = input("receivables-issuer", "issuer", "Issuer address");
  const debtor = input("receivables-debtor", "debtor", "Debtor address");
  const holder = input("receivables-holder", "holder", "Holder address");
  const root = input("receivables-root", "root", "Invoice (root id)");
  const form = h(
    "form",
    { class: "filters" },
    h(
      "fieldset",
      {},
      h("legend", {}, "Filter the register"),
      field("State", state),
      h("div", { class: "field field-check" }, h("label", { for: overdueBox.id }, overdueBox, " Overdue only (past due date + grace period)")),
      issuer.wrap,
      debtor.wrap,
      holder.wrap,
      root.wrap,
    ),
    h("button", { type: "submit", class: "button-secondary" }, "Apply filters"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/receivables${query({
      state: overdueBox.checked ? "" : state.value, overdue: overdueBox.checked ? "true" : "",
      issuer: issuer.control.value.trim(), debtor: debtor.control.value.trim(), holder: holder.control.value.trim(), root: root.control.value.trim(),
    })}`;
  });
  const filters = {
    state: overdue ? undefined : params.get("state"), overdue: overdue ? "true" : undefined,
    issuer: params.get("issuer"), debtor: params.get("debtor"), holder: params.get("holder"), root: params.get("root"),
  };
  const results = h("section", { "aria-labelledby": "register-heading" });
  replace(
    results,
    h("div", { class: "section-head" }, h("h2", { id: "register-heading" }, "Register"), csvButton("Export CSV", () => `/v1/audit/receivables${query({ ...filters, format: "csv" })}`, "receivables.csv")),
    pagedList({
      label: "receivables",
      fetchPage: (after) => get(`/v1/audit/receivables${query({ ...filters, limit: 25, starting_after: after })}`),
      cursorOf: (row) => row.id,
      render: (rows) =>
        table({
          caption: overdue ? "Overdue receivables, oldest due first, 25 per page" : "Receivables, newest first, 25 per page",
          columns: [
            { label: "Receivable", rowHeader: true, cell: (r) => h("a", { href: `#/receivables/${r.id}`, title: `Token id ${r.token_id}` }, r.id) },
            { label: "Invoice", cell: (r) => (r.parent_id ? ["part of ", h("a", { href: `#/receivables/${r.root_id}`, title: r.root_id }, shortId(r.root_id))] : r.invoice_ref ?? "root") },
            { label: "State", cell: (r) => receivableStateBadge(r.state) },
            { label: "Face value", numeric: true, cell: (r) => amount(r.face_value) },
            { label: "Principal paid", numeric: true, cell: (r) => amount(r.principal_paid) },
            { label: "Financed", cell: (r) => (r.financed ? "Yes" : "No") },
            { label: "Holder", cell: (r) => (r.holder === ZERO_ADDRESS ? "none (split)" : code(short(r.holder), r.holder)) },
            { label: "Issuer", cell: (r) => code(short(r.issuer), r.issuer) },
            { label: "Debtor", cell: (r) => code(short(r.debtor), r.debtor) },
            { label: "Due", cell: (r) => dueDate(r.due_at) },
            { label: "Created", cell: (r) => time(r.created_at) },
          ],
          rows,
          empty: "No receivables match.",
        }),
    }),
  );
  main.replaceChildren(heading, form, results);
  return heading;
}

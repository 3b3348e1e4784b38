// Payment explorer: search (payment id, intent id, order reference, address, transaction hash), or browse every
// payment with filters, page by page from the server; each row opens the payment's timeline.
import { get, query } from "../api.js";
import { field, h, replace, table } from "../dom.js";
import { amount, short, STATUS_LABELS, time } from "../format.js";
import { badge, code, csvButton, loading, pageHeading, pagedList } from "../ui.js";

const STATUS_TONE = { released: "ok", captured: "info", requires_capture: "info", disputed: "warn", failed: "bad", refunded: "neutral", canceled: "neutral", processing: "info", requires_authorization: "neutral" };

export const statusBadge = (status) => badge(STATUS_LABELS[status] ?? status, STATUS_TONE[status] ?? "neutral");

function paymentsTable(rows, caption) {
  return table({
    caption,
    columns: [
      { label: "Payment id", rowHeader: true, cell: (p) => h("a", { href: `#/payments/${p.payment_id}`, title: p.payment_id }, short(p.payment_id)) },
      { label: "Order reference", cell: (p) => p.order_ref },
      { label: "Status", cell: (p) => statusBadge(p.status) },
      { label: "Amount", numeric: true, cell: (p) => amount(p.amount) },
      { label: "Refunded", numeric: true, cell: (p) => amount(p.amount_refunded) },
      { label: "Merchant", cell: (p) => code(short(p.merchant), p.merchant) },
      { label: "Buyer", cell: (p) => code(short(p.buyer), p.buyer) },
      { label: "Created", cell: (p) => time(p.created_at) },
    ],
    rows,
    empty: "No payments match.",
  });
}

const STATUSES = ["", "requires_authorization", "processing", "requires_capture", "captured", "disputed", "released", "canceled", "refunded", "failed"];

export function renderPayments(main, params) {
  const heading = pageHeading("Payments");
  const results = h("section", { "aria-labelledby": "results-heading" });

  // ---- search
  const q = h("input", { id: "search-q", name: "q", type: "search", value: params.get("q") ?? "", autocomplete: "off", spellcheck: "false" });
  const searchForm = h(
    "form",
    { class: "search", role: "search" },
    field("Search payments", q, "Payment id, intent id (pi_…), order reference, buyer or merchant address, or transaction hash"),
    h("button", { type: "submit", class: "button-primary" }, "Search"),
  );
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const term = q.value.trim();
    location.hash = term ? `#/payments${query({ q: term })}` : "#/payments";
  });

  // ---- filters (browse)
  const status = h("select", { id: "filter-status", name: "status" }, STATUSES.map((s) => h("option", { value: s, selected: params.get("status") === s }, s ? STATUS_LABELS[s] : "Any status")));
  const merchant = h("input", { id: "filter-merchant", name: "merchant", value: params.get("merchant") ?? "", autocomplete: "off", spellcheck: "false", placeholder: "0x…" });
  const buyer = h("input", { id: "filter-buyer", name: "buyer", value: params.get("buyer") ?? "", autocomplete: "off", spellcheck: "false", placeholder: "0x…" });
  const token = h("input", { id: "filter-token", name: "token", value: params.get("token") ?? "", autocomplete: "off", spellcheck: "false", placeholder: "0x…" });
  const filterForm = h(
    "form",
    { class: "filters" },
    h("fieldset", {}, h("legend", {}, "Filter the list"), field("Status", status), field("Merchant address", merchant), field("Buyer address", buyer), field("Token address", token)),
    h("button", { type: "submit", class: "button-secondary" }, "Apply filters"),
  );
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/payments${query({ status: status.value, merchant: merchant.value.trim(), buyer: buyer.value.trim(), token: token.value.trim() })}`;
  });

  main.replaceChildren(heading, searchForm, filterForm, results);

  const term = params.get("q");
  if (term) {
    const resultsHeading = h("h2", { id: "results-heading" }, `Results for “${term}”`);
    replace(results, resultsHeading);
    void loading("search results", () => get(`/v1/audit/search${query({ q: term, limit: 50 })}`)).then((found) => {
      if (!found) return;
      replace(results, resultsHeading, paymentsTable(found.data, `${found.data.length}${found.has_more ? "+" : ""} payments found`));
    });
    return heading;
  }
  const filters = { status: params.get("status"), merchant: params.get("merchant"), buyer: params.get("buyer"), token: params.get("token") };
  replace(
    results,
    h("div", { class: "section-head" }, h("h2", { id: "results-heading" }, "All payments"), csvButton("Export CSV", () => `/v1/audit/payments${query({ ...filters, format: "csv" })}`, "payments.csv")),
    pagedList({
      label: "payments",
      fetchPage: (after) => get(`/v1/audit/payments${query({ ...filters, limit: 25, starting_after: after })}`),
      render: (rows) => paymentsTable(rows, "Payments by payment id, 25 per page"),
      cursorOf: (row) => row.payment_id,
    }),
  );
  return heading;
}

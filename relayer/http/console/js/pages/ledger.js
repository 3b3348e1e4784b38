// The ledger: every movement of money projected from the escrow's logs, filtered, page by page, exportable.
import { get, query } from "../api.js";
import { field, h, replace, table } from "../dom.js";
import { amount, short, time } from "../format.js";
import { code, csvButton, pageHeading, pagedList } from "../ui.js";

const KINDS = ["", "authorize", "capture", "void", "reclaim", "release", "fee", "partner_fee", "refund", "payout", "collection"];

export function renderLedger(main, params) {
  const heading = pageHeading("Ledger");
  const input = (id, name, label, type = "text") => {
    const control = h("input", { id, name, type, value: params.get(name) ?? "", autocomplete: "off", spellcheck: "false", inputmode: type === "number" ? "numeric" : undefined });
    return { control, wrap: field(label, control) };
  };
  const kind = h("select", { id: "ledger-kind", name: "kind" }, KINDS.map((k) => h("option", { value: k, selected: params.get("kind") === k }, k || "Any kind")));
  const merchant = input("ledger-merchant", "merchant", "Merchant address");
  const buyer = input("ledger-buyer", "buyer", "Buyer address");
  const token = input("ledger-token", "token", "Token address");
  const fromBlock = input("ledger-from-block", "from_block", "From block", "number");
  const toBlock = input("ledger-to-block", "to_block", "To block", "number");
  const fromDate = input("ledger-from-date", "from_date", "From date (UTC)", "date");
  const toDate = input("ledger-to-date", "to_date", "To date (UTC)", "date");
  const form = h(
    "form",
    { class: "filters" },
    h("fieldset", {}, h("legend", {}, "Filter entries"), field("Kind", kind), merchant.wrap, buyer.wrap, token.wrap, fromBlock.wrap, toBlock.wrap, fromDate.wrap, toDate.wrap),
    h("button", { type: "submit", class: "button-secondary" }, "Apply filters"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/ledger${query({
      kind: kind.value, merchant: merchant.control.value.trim(), buyer: buyer.control.value.trim(), token: token.control.value.trim(),
      from_block: fromBlock.control.value, to_block: toBlock.control.value, from_date: fromDate.control.value, to_date: toDate.control.value,
    })}`;
  });
  const seconds = (date, endOfDay) => (date ? Math.floor(Date.parse(`${date}T${endOfDay ? "23:59:59" : "00:00:00"}Z`) / 1000) : undefined);
  const filters = {
    kind: params.get("kind"), merchant: params.get("merchant"), buyer: params.get("buyer"), token: params.get("token"),
    from_block: params.get("from_block"), to_block: params.get("to_block"),
    from_time: seconds(params.get("from_date"), false), to_time: seconds(params.get("to_date"), true),
  };
  const results = h("section", { "aria-labelledby": "entries-heading" });
  replace(
    results,
    h("div", { class: "section-head" }, h("h2", { id: "entries-heading" }, "Entries"), csvButton("Export CSV", () => `/v1/audit/ledger_entries${query({ ...filters, format: "csv" })}`, "ledger-entries.csv")),
    pagedList({
      label: "ledger entries",
      fetchPage: (after) => get(`/v1/audit/ledger_entries${query({ ...filters, limit: 50, starting_after: after })}`),
      cursorOf: (row) => row.id,
      render: (rows) =>
        table({
          caption: "Ledger entries in chain order, 50 per page",
          columns: [
            { label: "Block", rowHeader: true, cell: (e) => `${e.block_number}·${e.log_index}·${e.leg}` },
            { label: "Time", cell: (e) => time(e.block_time) },
            { label: "Kind", cell: (e) => e.kind },
            { label: "Payment", cell: (e) => (e.payment_id ? h("a", { href: `#/payments/${e.payment_id}`, title: e.payment_id }, short(e.payment_id)) : "—") },
            { label: "Account", cell: (e) => (e.account ? code(short(e.account), e.account) : "—") },
            { label: "Amount", numeric: true, cell: (e) => amount(e.amount) },
            { label: "Capturable Δ", numeric: true, cell: (e) => amount(e.capturable_delta) },
            { label: "Held Δ", numeric: true, cell: (e) => amount(e.held_delta) },
            { label: "Balance Δ", numeric: true, cell: (e) => amount(e.balance_delta) },
            { label: "Transaction", cell: (e) => code(short(e.transaction_hash), e.transaction_hash) },
          ],
          rows,
          empty: "No entries match.",
        }),
    }),
  );
  main.replaceChildren(heading, form, results);
  return heading;
}

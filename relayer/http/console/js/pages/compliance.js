// Compliance log: KYC changes (the relayer's compliance officers' decisions and their on-chain outcome) and the
// escrow's large-transaction reports, for AML filings. Both page from the server and export as CSV.
import { get, query } from "../api.js";
import { h, table } from "../dom.js";
import { amount, short, time } from "../format.js";
import { badge, code, csvButton, pageHeading, pagedList } from "../ui.js";

const unix = (seconds) => (seconds ? time(new Date(seconds * 1000).toISOString()) : "—");

export function renderCompliance(main) {
  const heading = pageHeading("Compliance log");
  const kyc = pagedList({
    label: "KYC changes",
    fetchPage: (after) => get(`/v1/audit/kyc_changes${query({ limit: 25, starting_after: after })}`),
    cursorOf: (row) => row.id,
    render: (rows) =>
      table({
        caption: "KYC changes, newest first",
        columns: [
          { label: "Requested", rowHeader: true, cell: (c) => unix(c.created) },
          { label: "Address", cell: (c) => code(short(c.address), c.address) },
          { label: "Action", cell: (c) => c.action },
          { label: "Tier", cell: (c) => c.tier ?? "—" },
          { label: "Country", cell: (c) => c.country ?? "—" },
          { label: "Reason", cell: (c) => c.reason },
          { label: "Status", cell: (c) => badge(c.status, c.status === "confirmed" ? "ok" : c.status === "failed" ? "bad" : "info") },
          { label: "Transaction", cell: (c) => (c.transaction_hash ? code(short(c.transaction_hash), c.transaction_hash) : "—") },
        ],
        rows,
        empty: "No KYC changes recorded.",
      }),
  });
  const large = pagedList({
    label: "large-transaction reports",
    fetchPage: (after) => get(`/v1/audit/large_transactions${query({ limit: 25, starting_after: after })}`),
    cursorOf: (row) => row.id,
    render: (rows) =>
      table({
        caption: "Large-transaction reports emitted by the escrow, in chain order",
        columns: [
          { label: "Block", rowHeader: true, cell: (r) => String(r.block_number) },
          { label: "Time", cell: (r) => time(r.block_time) },
          { label: "Payment", cell: (r) => h("a", { href: `#/payments/${r.payment_id}`, title: r.payment_id }, short(r.payment_id)) },
          { label: "Buyer", cell: (r) => code(short(r.buyer), r.buyer) },
          { label: "Merchant", cell: (r) => code(short(r.merchant), r.merchant) },
          { label: "Amount", numeric: true, cell: (r) => amount(r.amount) },
          { label: "Transaction", cell: (r) => code(short(r.transaction_hash), r.transaction_hash) },
        ],
        rows,
        empty: "No large transactions reported.",
      }),
  });
  main.replaceChildren(
    heading,
    h("section", { "aria-labelledby": "kyc-heading" }, h("div", { class: "section-head" }, h("h2", { id: "kyc-heading" }, "KYC changes"), csvButton("Export KYC changes (CSV)", () => "/v1/audit/kyc_changes?format=csv", "kyc-changes.csv")), kyc),
    h("section", { "aria-labelledby": "large-heading" }, h("div", { class: "section-head" }, h("h2", { id: "large-heading" }, "Large transactions"), csvButton("Export large transactions (CSV)", () => "/v1/audit/large_transactions?format=csv", "large-transactions.csv")), large),
  );
  return heading;
}

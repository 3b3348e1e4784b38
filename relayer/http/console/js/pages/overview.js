// Overview: is the escrow solvent per token, volume and fees per day, open disputes, overdue receivables.
import { get } from "../api.js";
import { barChart } from "../charts.js";
import { h, table } from "../dom.js";
import { amount, short, time } from "../format.js";
import { badge, code, loading, pageHeading } from "../ui.js";

const toTokens = (minor) => Number(BigInt(minor) / 1000n) / 1000;

/** The last `days` days (UTC), oldest first, each with the bucket's value or 0. */
function series(daily, token, days, key) {
  const byDay = new Map(daily.filter((d) => d.token === token).map((d) => [d.day, d[key]]));
  const points = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10);
    const minor = byDay.get(day) ?? "0";
    points.push({ label: day, value: toTokens(minor), exact: amount(minor) });
  }
  return points;
}

/** How many receivables are past due date + the registry's grace period, with the link to them. */
function overdueSummary(overdue) {
  if (overdue.count === null) return h("p", { class: "note" }, "This relayer has no receivable registry.");
  const count = `${overdue.count}${overdue.more_than ? "+" : ""}`;
  const days = Math.round(overdue.grace_period / 86_400);
  return h(
    "p",
    { id: "overdue-summary" },
    h("strong", {}, count),
    ` receivable${overdue.count === 1 ? " is" : "s are"} past due date + the registry's grace period (${days} day${days === 1 ? "" : "s"}) at chain time ${time(new Date(overdue.as_of * 1000).toISOString())}. `,
    h("a", { href: "#/receivables?overdue=true" }, "List the overdue receivables"),
  );
}

export async function renderOverview(main) {
  const heading = pageHeading("Overview");
  main.replaceChildren(heading);
  const data = await loading("overview", () => get("/v1/audit/overview?days=30"));
  if (!data) return heading;
  const solvency = table({
    caption: "Escrow solvency per token: the escrow's balance on chain against what the ledger says it owes",
    columns: [
      { label: "Token", rowHeader: true, cell: (r) => code(short(r.token), r.token) },
      { label: "Escrow balance (chain)", numeric: true, cell: (r) => amount(r.escrow_balance) },
      { label: "Owed (ledger)", numeric: true, cell: (r) => amount(r.owed) },
      { label: "Capturable", numeric: true, cell: (r) => amount(r.capturable) },
      { label: "Held", numeric: true, cell: (r) => amount(r.held) },
      { label: "Balances", numeric: true, cell: (r) => amount(r.balances) },
      { label: "Difference", numeric: true, cell: (r) => amount(r.difference) },
      { label: "Status", cell: (r) => (r.solvent === null ? badge("Unknown", "neutral") : r.solvent ? badge("Solvent", "ok") : badge("Shortfall", "bad")) },
    ],
    rows: data.solvency,
  });
  const charts = data.solvency.flatMap((s, i) => [
    barChart({ id: `volume-${i}`, title: `Volume authorized per day, ${short(s.token)}`, unit: "tokens", points: series(data.daily, s.token, 30, "authorized"), format: (v) => v.toLocaleString("en", { maximumFractionDigits: 2 }) }),
    barChart({ id: `fees-${i}`, title: `Fees per day, ${short(s.token)}`, unit: "tokens", points: series(data.daily, s.token, 30, "fees"), format: (v) => v.toLocaleString("en", { maximumFractionDigits: 2 }) }),
  ]);
  const disputes = table({
    caption: `Open disputes: ${data.open_disputes.count}${data.open_disputes.more_than ? "+" : ""}`,
    columns: [
      { label: "Payment", rowHeader: true, cell: (p) => h("a", { href: `#/payments/${p.payment_id}` }, short(p.payment_id)) },
      { label: "Merchant", cell: (p) => code(short(p.merchant), p.merchant) },
      { label: "Buyer", cell: (p) => code(short(p.buyer), p.buyer) },
      { label: "Held", numeric: true, cell: (p) => amount(p.amount_held) },
      { label: "Authorized", cell: (p) => time(p.authorized_at) },
    ],
    rows: data.open_disputes.data,
    empty: "No open disputes.",
  });
  main.replaceChildren(
    heading,
    h("p", { class: "lede" }, `Ledger projected up to block ${data.ledger_block}.`),
    h("section", { "aria-labelledby": "solvency-heading" }, h("h2", { id: "solvency-heading" }, "Solvency"), solvency),
    h("section", { "aria-labelledby": "charts-heading" }, h("h2", { id: "charts-heading" }, "Volume and fees, last 30 days"), h("div", { class: "charts" }, charts)),
    h("section", { "aria-labelledby": "disputes-heading" }, h("h2", { id: "disputes-heading" }, "Open disputes"), disputes),
    h("section", { "aria-labelledby": "overdue-heading" }, h("h2", { id: "overdue-heading" }, "Overdue receivables"), overdueSummary(data.overdue_receivables)),
  );
  return heading;
}

// One payment: the relayer's record next to the chain's view (differences marked), and its timeline of every
// on-chain event with block number, time, transaction hash, log index and decoded arguments.
import { get } from "../api.js";
import { h, table } from "../dom.js";
import { amount, short, time } from "../format.js";
import { badge, code, loading, pageHeading } from "../ui.js";
import { statusBadge } from "./payments.js";

const AMOUNT_ARGS = new Set(["amount", "gross", "fee", "partnerFee", "net", "fromHeld", "fromMerchant", "buyerAmount", "merchantAmount"]);

function comparison(payment, chain) {
  const rows = [
    ["Status", payment?.chain_status, chain?.status, (v) => v ?? "—"],
    ["Amount", payment?.amount, chain?.amount, amount],
    ["Capturable", payment?.amount_capturable, chain?.amount_capturable, amount],
    ["Held", payment?.amount_held, chain?.amount_held, amount],
    ["Released (gross)", payment?.amount_released, chain?.amount_released, amount],
    ["Refunded", payment?.amount_refunded, chain?.amount_refunded, amount],
    ["Merchant", payment?.merchant, chain?.merchant, (v) => (v ? code(v) : "—")],
    ["Buyer", payment?.buyer, chain?.buyer, (v) => (v ? code(v) : "—")],
    ["Token", payment?.token, chain?.token, (v) => (v ? code(v) : "—")],
  ];
  return table({
    caption: "The relayer's record and the chain's view",
    columns: [
      { label: "Field", rowHeader: true, cell: (r) => r[0] },
      { label: "Relayer", cell: (r) => r[3](r[1]) },
      { label: "Chain", cell: (r) => r[3](r[2]) },
      { label: "Agrees", cell: (r) => (r[1] === undefined || r[2] === undefined ? badge("n/a", "neutral") : String(r[1]).toLowerCase() === String(r[2]).toLowerCase() ? badge("Yes", "ok") : badge("No", "bad")) },
    ],
    rows,
  });
}

function timeline(events) {
  if (events.length === 0) return h("p", {}, "No on-chain events yet.");
  return h(
    "ol",
    { class: "timeline" },
    events.map((e) =>
      h(
        "li",
        { class: "timeline-item" },
        h("h3", {}, e.event),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Block"), h("dd", {}, String(e.block_number)),
          h("dt", {}, "Time"), h("dd", {}, time(e.block_time)),
          h("dt", {}, "Transaction"), h("dd", {}, code(e.transaction_hash)),
          h("dt", {}, "Log index"), h("dd", {}, String(e.log_index)),
          Object.entries(e.args)
            .filter(([name]) => name !== "paymentId")
            .flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, AMOUNT_ARGS.has(name) ? `${amount(value)} (${value})` : code(value))]),
        ),
      ),
    ),
  );
}

export async function renderPayment(main, paymentId) {
  const heading = pageHeading(`Payment ${short(paymentId)}`);
  const back = h("p", {}, h("a", { href: "#/payments" }, "← All payments"));
  main.replaceChildren(back, heading);
  const detail = await loading("payment", () => get(`/v1/audit/payments/${encodeURIComponent(paymentId)}`));
  if (!detail) return heading;
  const p = detail.payment;
  main.replaceChildren(
    back,
    heading,
    h(
      "dl",
      { class: "facts summary" },
      h("dt", {}, "Payment id"), h("dd", {}, code(detail.payment_id)),
      h("dt", {}, "Intent"), h("dd", {}, p ? p.intent_id : "— (the relayer has no record)"),
      h("dt", {}, "Order reference"), h("dd", {}, p ? p.order_ref : "—"),
      h("dt", {}, "Status"), h("dd", {}, p ? statusBadge(p.status) : "—"),
      h("dt", {}, "Created"), h("dd", {}, p ? time(p.created_at) : "—"),
    ),
    h("section", { "aria-labelledby": "compare-heading" }, h("h2", { id: "compare-heading" }, "Relayer and chain"), comparison(p, detail.chain)),
    h("section", { "aria-labelledby": "timeline-heading" }, h("h2", { id: "timeline-heading" }, "Timeline"), timeline(detail.timeline)),
  );
  return heading;
}

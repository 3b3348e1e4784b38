// One receivable and its invoice's lineage drawn as a tree (root → parts → sub-parts). The tree is the WAI-ARIA
// tree view pattern on nested lists: role tree / treeitem / group, one tab stop (roving tabindex), arrow keys to
// move, Right and Left to open and close a node, Home and End, Enter or Space to open or close.
import { get } from "../api.js";
import { h } from "../dom.js";
import { amount, short, time } from "../format.js";
import { code, loading, pageHeading } from "../ui.js";
import { receivableStateBadge, ZERO_ADDRESS } from "./receivables.js";


function nodeLabel(node, id) {
  const holder = node.holder === ZERO_ADDRESS ? h("span", { class: "muted" }, "none (split)") : code(short(node.holder), node.holder);
  return h(
    "span",
    { class: "tree-label", id },
    h("span", { class: "tree-title" }, node.parent_id ? "Part" : "Invoice", " ", code(node.id)),
    h("span", { class: "tree-fact" }, "Face value ", h("strong", { class: "face-value" }, amount(node.face_value))),
    receivableStateBadge(node.state),
    h("span", { class: "tree-fact" }, "Holder ", h("span", { class: "holder" }, holder)),
    h("span", { class: "tree-fact" }, "Financed ", node.financed ? "yes" : "no"),
    h("span", { class: "tree-fact" }, "Principal paid ", amount(node.principal_paid)),
  );
}

/** Builds the nested lists; returns the tree element. `current` is the receivable the page is about. */
function lineageTree(root, current) {
  const items = [];
  const build = (node, level, position, size) => {
    const labelId = `node-${node.id}`;
    const item = h("li", {
      role: "treeitem",
      tabindex: "-1",
      "aria-level": level,
      "aria-posinset": position,
      "aria-setsize": size,
      "aria-labelledby": labelId,
      "aria-selected": "false",
      "aria-expanded": node.children.length ? "true" : undefined,
      "data-id": node.id,
      class: node.id === current ? "tree-item tree-current" : "tree-item",
    });
    item.append(nodeLabel(node, labelId));
    if (node.holders.length > 1 || (node.holders.length === 1 && node.holders[0].address !== node.holder)) {
      item.append(h("span", { class: "tree-history" }, "Held by ", node.holders.flatMap((x, i) => [i ? " → " : "", code(short(x.address), `${x.address} since ${time(x.since)}`)])));
    }
    items.push(item);
    if (node.children.length) {
      item.append(h("ul", { role: "group" }, node.children.map((child, i) => build(child, level + 1, i + 1, node.children.length))));
    }
    return item;
  };
  const tree = h("ul", { role: "tree", class: "tree", "aria-label": `Lineage of invoice ${root.id}` }, build(root, 1, 1, 1));

  const visible = () => items.filter((item) => !item.parentElement.closest('[aria-expanded="false"]'));
  const parentOf = (item) => item.parentElement.closest('[role="treeitem"]');
  const focus = (item) => {
    for (const other of items) {
      other.tabIndex = -1;
      other.setAttribute("aria-selected", "false");
    }
    item.tabIndex = 0;
    item.setAttribute("aria-selected", "true");
    item.focus();
  };
  const start = items.find((item) => item.dataset.id === current) ?? items[0];
  start.tabIndex = 0;
  start.setAttribute("aria-selected", "true");

  tree.addEventListener("click", (event) => {
    const item = event.target.closest('[role="treeitem"]');
    if (item) focus(item);
  });
  tree.addEventListener("keydown", (event) => {
    const item = event.target.closest('[role="treeitem"]');
    if (!item) return;
    const shown = visible();
    const at = shown.indexOf(item);
    const expanded = item.getAttribute("aria-expanded");
    const toggle = () => item.setAttribute("aria-expanded", expanded === "true" ? "false" : "true");
    switch (event.key) {
      case "ArrowDown":
        if (at < shown.length - 1) focus(shown[at + 1]);
        break;
      case "ArrowUp":
        if (at > 0) focus(shown[at - 1]);
        break;
      case "ArrowRight":
        if (expanded === "false") toggle();
        else if (expanded === "true") focus(item.querySelector('[role="treeitem"]'));
        break;
      case "ArrowLeft":
        if (expanded === "true") toggle();
        else if (parentOf(item)) focus(parentOf(item));
        break;
      case "Home":
        focus(shown[0]);
        break;
      case "End":
        focus(shown[shown.length - 1]);
        break;
      case "Enter":
      case " ":
        if (expanded !== null) toggle();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
  return tree;
}

export async function renderReceivable(main, id) {
  const heading = pageHeading(`Receivable ${id}`);
  main.replaceChildren(heading);
  const detail = await loading("receivable", () => get(`/v1/audit/receivables/${id}`));
  if (!detail) return heading;
  const r = detail.receivable;
  const facts = h(
    "dl",
    { class: "facts summary" },
    [
      ["Token id", code(short(r.token_id), r.token_id)],
      ["Invoice", r.parent_id ? h("a", { href: `#/receivables/${r.root_id}` }, r.root_id) : `${r.invoice_ref ?? "—"} (this is the invoice)`],
      ["Issuer", code(r.issuer)],
      ["Debtor", code(r.debtor)],
      ["Token", code(r.token)],
      ["Face value", amount(r.face_value)],
      ["State", receivableStateBadge(r.state)],
      ["Due", r.due_at ? new Date(r.due_at * 1000).toISOString().slice(0, 10) : "—"],
      ["Late fee due", amount(r.late_fee_due)],
    ].flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
  main.replaceChildren(
    heading,
    facts,
    h(
      "section",
      { "aria-labelledby": "lineage-heading" },
      h("h2", { id: "lineage-heading" }, "Lineage"),
      h("p", { class: "note", id: "lineage-help" }, "Each split's parts add up to it. Use the arrow keys to move through the tree, Right and Left to open and close a part."),
      lineageTree(detail.tree, r.id),
    ),
  );
  main.querySelector('[role="tree"]').setAttribute("aria-describedby", "lineage-help");
  return heading;
}

// Shared pieces of the pages: the live regions (loading, errors), page headings, the pager and CSV buttons.
import { downloadCsv } from "./api.js";
import { h, replace } from "./dom.js";

const status = () => document.getElementById("status");
const alertBox = () => document.getElementById("alert");

/** Announces progress politely (loading, done). */
export function announce(text) {
  status().textContent = text;
}

export function showError(error) {
  const box = alertBox();
  const id = error?.requestId ? ` (request ${error.requestId})` : "";
  box.textContent = `${error?.message ?? String(error)}${id}`;
  box.hidden = false;
}

export function clearError() {
  const box = alertBox();
  box.textContent = "";
  box.hidden = true;
}

/** Runs `work` with "Loading…" announced and any error shown in the alert region. */
export async function loading(what, work) {
  clearError();
  announce(`Loading ${what}…`);
  try {
    const result = await work();
    announce(`${what[0].toUpperCase()}${what.slice(1)} loaded.`);
    return result;
  } catch (error) {
    announce("");
    showError(error);
    return undefined;
  }
}

/** The page's heading, focused after navigation so screen readers and keyboards start there. */
export function pageHeading(text) {
  return h("h1", { tabindex: "-1", id: "page-heading" }, text);
}

export function csvButton(label, pathFn, filename) {
  return h(
    "button",
    {
      type: "button",
      class: "button-secondary",
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        await loading(`${label.toLowerCase()}`, () => downloadCsv(pathFn(), filename));
        button.disabled = false;
      },
    },
    label,
  );
}

/**
 * A server-side paginated list: `fetchPage(cursor)` answers { data, has_more }; `render(data)` builds the table;
 * `cursorOf(lastRow)` is the next page's starting_after. Keeps the cursors seen, for Previous.
 */
export function pagedList({ label, fetchPage, render, cursorOf }) {
  const container = h("div", { class: "paged" });
  const stack = [undefined];
  let page = 0;
  const body = h("div", {});
  const previous = h("button", { type: "button", class: "button-secondary", disabled: true }, "Previous page");
  const next = h("button", { type: "button", class: "button-secondary", disabled: true }, "Next page");
  const position = h("span", { class: "page-position", "aria-live": "polite" });
  const load = async () => {
    const result = await loading(label, () => fetchPage(stack[page]));
    if (!result) return;
    replace(body, render(result.data));
    previous.disabled = page === 0;
    next.disabled = !result.has_more;
    if (result.has_more) stack[page + 1] = cursorOf(result.data[result.data.length - 1]);
    position.textContent = `Page ${page + 1}${result.has_more ? "" : " (last)"}`;
  };
  previous.addEventListener("click", () => {
    if (page > 0) page -= 1;
    void load();
  });
  next.addEventListener("click", () => {
    page += 1;
    void load();
  });
  container.append(body, h("div", { class: "pager" }, previous, position, next));
  void load();
  return container;
}

export function badge(text, tone) {
  return h("span", { class: `badge badge-${tone}` }, text);
}

export function code(value, full = value) {
  return h("code", { title: full }, value);
}

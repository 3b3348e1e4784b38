// The console's shell: sign-in gate, hash routes (#/overview, #/payments, #/payments/<id>, #/ledger,
// #/receivables, #/receivables/<id>, #/compliance, #/reconciliation), the current page marked in the menu, focus moved to each page's heading.
import { session } from "./api.js";
import { renderCompliance } from "./pages/compliance.js";
import { renderLedger } from "./pages/ledger.js";
import { renderLogin } from "./pages/login.js";
import { renderOverview } from "./pages/overview.js";
import { renderPayment } from "./pages/payment.js";
import { renderPayments } from "./pages/payments.js";
import { renderReceivable } from "./pages/receivable.js";
import { renderReceivables } from "./pages/receivables.js";
import { renderReconciliation } from "./pages/reconciliation.js";
import { announce, clearError, showError } from "./ui.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOut = document.getElementById("sign-out");

function parseRoute() {
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  return { path: path || "/overview", params: new URLSearchParams(search) };
}

const PAGES = {
  "/overview": () => renderOverview(main),
  "/payments": (params) => renderPayments(main, params),
  "/ledger": (params) => renderLedger(main, params),
  "/receivables": (params) => renderReceivables(main, params),
  "/compliance": () => renderCompliance(main),
  "/reconciliation": () => renderReconciliation(main),
};

function markCurrent(path) {
  for (const link of nav.querySelectorAll("a")) {
    const target = link.getAttribute("href").slice(1);
    if (path === target || path.startsWith(`${target}/`)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// On the first load keyboard focus stays at the top of the document (the skip link comes first); after a
// navigation inside the console it moves to the new page's heading.
let firstPage = true;

async function route() {
  clearError();
  if (!session.key()) {
    nav.hidden = true;
    signOut.hidden = true;
    document.title = "Sign in · Auditor console";
    firstPage = false;
    renderLogin(main, () => {
      if (location.hash === "" || location.hash === "#/login") location.hash = "#/overview";
      else void route();
    }).focus();
    return;
  }
  nav.hidden = false;
  signOut.hidden = false;
  const { path, params } = parseRoute();
  markCurrent(path);
  const detail = /^\/payments\/(0x[0-9a-fA-F]{64})$/.exec(path);
  const receivable = /^\/receivables\/(rcv_[0-9a-f]{24})$/.exec(path);
  const page = detail ? () => renderPayment(main, detail[1]) : receivable ? () => renderReceivable(main, receivable[1]) : PAGES[path];
  if (!page) {
    main.replaceChildren();
    showError(new Error(`There is no page ${path}.`));
    return;
  }
  const initial = firstPage;
  firstPage = false;
  const heading = await page(params);
  document.title = `${heading?.textContent ?? "Auditor"} · Auditor console`;
  if (!initial) heading?.focus();
}

signOut.addEventListener("click", () => {
  session.signOut();
  announce("Signed out.");
  location.hash = "#/login";
  void route();
});
window.addEventListener("auditor:signed-out", (event) => {
  void route().then(() => showError(new Error(`Signed out: ${event.detail?.message ?? "the key was refused"}`)));
});
window.addEventListener("hashchange", () => void route());
void route();

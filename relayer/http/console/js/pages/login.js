// The sign-in page: the auditor pastes an API key; it is checked against the API before it is kept.
import { ApiError, get, session } from "../api.js";
import { field, h } from "../dom.js";
import { announce, clearError, pageHeading, showError } from "../ui.js";

export function renderLogin(main, onSignedIn) {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const submit = h("button", { type: "submit", class: "button-primary" }, "Sign in");
  const form = h(
    "form",
    { class: "login", novalidate: true },
    field("Auditor API key", input, "An API key with scope auditor (sk_…). It is kept in this tab only and sent only to this relayer."),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    const key = input.value.trim();
    if (!key) {
      showError(new Error("Enter an auditor API key."));
      input.focus();
      return;
    }
    submit.disabled = true;
    announce("Checking the key…");
    try {
      await get("/v1/audit/overview?days=1", key);
      session.signIn(key);
      input.value = "";
      announce("Signed in.");
      onSignedIn();
    } catch (error) {
      announce("");
      const message =
        error instanceof ApiError && error.status === 401
          ? "That API key is invalid or has been revoked."
          : error instanceof ApiError && error.status === 403
            ? "That API key is not an auditor key: it cannot read the audit API."
            : error.message;
      showError(new Error(message));
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.replaceChildren(h("section", { class: "login-page" }, pageHeading("Sign in"), form));
  return input;
}

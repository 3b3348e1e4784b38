// Talks to /v1/audit/* with the auditor's key as a Bearer token. The key lives in sessionStorage only (gone when
// the tab closes), is never put in a URL, and is dropped as soon as the server says it is invalid.

const KEY = "auditor-api-key";

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `The server answered ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? "http_error";
    this.requestId = body?.error?.request_id ?? null;
  }
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function request(path, accept, key = session.key()) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${key ?? ""}`, accept } });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const error = new ApiError(response.status, body);
    if (response.status === 401) {
      session.signOut();
      window.dispatchEvent(new CustomEvent("auditor:signed-out", { detail: error }));
    }
    throw error;
  }
  return response;
}

export async function get(path, key) {
  return (await request(path, "application/json", key)).json();
}

export async function post(path) {
  const response = await fetch(path, { method: "POST", headers: { authorization: `Bearer ${session.key() ?? ""}`, accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** Downloads a CSV export (the key goes in the header, so the file is fetched here and saved as a blob). */
export async function downloadCsv(path, filename) {
  const blob = await (await request(path, "text/csv")).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

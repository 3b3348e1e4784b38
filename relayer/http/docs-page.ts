// GET /docs: a self-contained HTML page listing the operations of the OpenAPI document (no scripts, no CDN).
import type { Request, Response } from "express";

import type { OpenApiDocument } from "./openapi.js";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

const pretty = (value: unknown) => escapeHtml(JSON.stringify(value, null, 2));

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

function operationHtml(method: string, path: string, op: Operation): string {
  const params = (op.parameters ?? [])
    .map((p) => `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ", required" : ""})${p.description ? ` ${escapeHtml(p.description)}` : ""}</li>`)
    .join("");
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => {
      const schema = r.content?.["application/json"]?.schema;
      return `<details><summary>Response ${escapeHtml(status)}</summary>${schema ? `<pre>${pretty(schema)}</pre>` : ""}</details>`;
    })
    .join("");
  return `<section id="${escapeHtml(op.operationId ?? `${method}-${path}`)}">
<h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? "")}</p>${op.description ? `<p class="note">${escapeHtml(op.description)}</p>` : ""}
${params ? `<ul>${params}</ul>` : ""}
${body ? `<details><summary>Request body</summary><pre>${pretty(body)}</pre></details>` : ""}${responses}
</section>`;
}

export function renderDocs(document: OpenApiDocument): string {
  const sections = Object.entries(document.paths)
    .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => operationHtml(method, path, op as Operation)))
    .join("\n");
  const title = escapeHtml(`${document.info.title} ${document.info.version}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
section{border-top:1px solid #dde;padding:.5rem 0}.method{font:600 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;background:#556}
.get{background:#2a7}.post{background:#27c}.delete{background:#c33}pre{background:#f5f6f8;padding:.75rem;overflow:auto;font-size:12px}
.note{color:#556}
</style></head>
<body><h1>${title}</h1>
${document.info.description ? `<p>${escapeHtml(document.info.description)}</p>` : ""}
<p>Authenticate with <code>Authorization: Bearer sk_...</code>. Errors: <code>{"error": {"type", "code", "message", "param", "request_id"}}</code>. Machine-readable: <a href="openapi.json">openapi.json</a>.</p>
${sections}
</body></html>`;
}

export function docsHandler(document: OpenApiDocument) {
  const html = renderDocs(document);
  return (_req: Request, res: Response): void => {
    res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.type("text/html").send(html);
  };
}

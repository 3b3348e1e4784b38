// The auditor's web console: static files (plain ES modules, CSS, no build step) served at /auditor. The page
// asks for an auditor key, keeps it in sessionStorage only and calls /v1/audit/* with it as a Bearer token.
// A strict Content-Security-Policy: scripts, styles and requests only from this origin, nothing inline.
import path from "node:path";
import { fileURLToPath } from "node:url";

import express, { type NextFunction, type Request, type Response, type Router } from "express";

export const CONSOLE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "console");

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader("Content-Security-Policy", CONSOLE_CSP);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cache-Control", "no-cache");
  next();
}

export function consoleRoutes(router: Router): void {
  router.get("/auditor", (req, res, next) => {
    // /auditor -> /auditor/ so the page's relative module URLs resolve under it
    if (req.path === "/auditor") {
      res.redirect(301, "/auditor/");
      return;
    }
    next();
  });
  router.use("/auditor", securityHeaders, express.static(CONSOLE_DIR, { index: "index.html", redirect: false, fallthrough: true }));
}

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import express from "express";

import { type ApiKeyVerifier, authenticate, principalOf, requireScope } from "../../../relayer/http/auth.js";
import { errorHandler, notFoundHandler } from "../../../relayer/http/errors.js";
import { requestContext } from "../../../relayer/http/request-context.js";
import type { Principal } from "../../../relayer/domain/principal.js";
import { type ErrorShape, serve, type Served } from "./helpers.js";

const KEYS: Record<string, Principal> = {
  sk_mer_good: { keyId: "key_m", scope: "merchant", merchantId: "mer_1" },
  sk_aud_good: { keyId: "key_a", scope: "auditor" },
};
const verifier: ApiKeyVerifier = { verify: async (secret) => KEYS[secret] };

let server: Served;
before(async () => {
  const app = express();
  app.use(requestContext());
  app.use(authenticate(verifier));
  app.get("/whoami", (_req, res) => {
    res.json(principalOf(res));
  });
  app.get("/merchant-only", requireScope("merchant", "admin"), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(notFoundHandler());
  app.use(errorHandler());
  server = await serve(app);
});
after(() => server.close());

const get = (path: string, authorization?: string) =>
  fetch(`${server.url}${path}`, { headers: authorization === undefined ? {} : { authorization } });
const codeOf = async (response: Response) => ((await response.json()) as ErrorShape).error.code;

describe("authenticate", () => {
  it("passes the principal of a valid bearer key to the handler", async () => {
    const response = await get("/whoami", "Bearer sk_mer_good");
    assert.equal((await get("/whoami", "bearer sk_mer_good")).status, 200, "the scheme is case-insensitive");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), KEYS.sk_mer_good);
  });

  it("answers a request without Authorization with 401 api_key_missing", async () => {
    const response = await get("/whoami");
    assert.equal(response.status, 401);
    assert.equal(await codeOf(response), "api_key_missing");
  });

  for (const header of ["sk_mer_good", "Basic c2s6", "Bearer ", "Bearer a b"]) {
    it(`answers the malformed header ${JSON.stringify(header)} with 401 api_key_missing`, async () => {
      const response = await get("/whoami", header);
      assert.equal(response.status, 401);
      assert.equal(await codeOf(response), "api_key_missing");
    });
  }

  it("answers an unknown key with 401 api_key_invalid", async () => {
    const response = await get("/whoami", "Bearer sk_mer_revoked");
    assert.equal(response.status, 401);
    assert.equal(await codeOf(response), "api_key_invalid");
  });
});

describe("requireScope", () => {
  it("lets a key with an allowed scope through", async () => {
    assert.equal((await get("/merchant-only", "Bearer sk_mer_good")).status, 200);
  });

  it("answers a key of another scope with 403 insufficient_scope", async () => {
    const response = await get("/merchant-only", "Bearer sk_aud_good");
    assert.equal(response.status, 403);
    const body = (await response.json()) as ErrorShape;
    assert.equal(body.error.type, "permission_error");
    assert.equal(body.error.code, "insufficient_scope");
  });
});

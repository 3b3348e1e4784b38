// `npm run admin -- key|officer|auditor ...` and the CLI's general behaviour, against the database of a running
// relayer (two processes on one SQLite file in WAL mode), with the keys it issues used on the real API.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { hashSecret } from "../../../relayer/persistence/api-keys.js";
import { startSystem, type TestSystem } from "../support/system.js";
import { databaseEnv, jsonError, runAdmin, type CliResult } from "./helpers.js";

let system: TestSystem;
let env: Record<string, string>;

before(async () => {
  system = await startSystem({ LOG_LEVEL: "silent" });
  env = databaseEnv(system);
});
after(async () => {
  await system?.stop();
});

const secretOf = (result: CliResult) => /Secret: (sk_\S+)/.exec(result.stdout)?.[1];
const listIntents = (secret: string) => system.api("GET", "/v1/payment_intents", undefined, { authorization: `Bearer ${secret}` });

describe("admin key issue", () => {
  it("issues a merchant key whose secret, printed once, authenticates against the running relayer's API", async () => {
    const result = await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", system.merchantId, "--label", "checkout"], env);
    assert.equal(result.code, 0, result.stderr);
    const secret = secretOf(result);
    assert.match(secret ?? "", /^sk_mer_/);
    assert.match(result.stderr, /shown once and is NOT stored/);
    const response = await listIntents(secret!);
    assert.equal(response.status, 200);
    assert.equal(response.body.object, "list");
  });

  it("prints the key and its secret as JSON with --json, the warning on stderr", async () => {
    const result = await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", system.merchantId, "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(body).sort(), ["created", "id", "label", "merchant_id", "object", "revoked", "scope", "secret"]);
    assert.deepEqual([body.object, body.scope, body.merchant_id, body.label, body.revoked], ["api_key", "merchant", system.merchantId, "", null]);
    assert.match(body.id, /^key_/);
    assert.match(result.stderr, /^WARNING: The secret above is shown once and is NOT stored/);
    assert.equal((await listIntents(body.secret)).status, 200);
  });

  for (const scope of ["compliance", "auditor", "admin"]) {
    it(`issues a ${scope}-scope key that authenticates but may not use merchant routes (403)`, async () => {
      const result = await runAdmin(["key", "issue", "--scope", scope, "--label", `${scope} desk`, "--json"], env);
      assert.equal(result.code, 0, result.stderr);
      const body = JSON.parse(result.stdout);
      assert.deepEqual([body.scope, body.merchant_id, body.label], [scope, null, `${scope} desk`]);
      const response = await listIntents(body.secret);
      assert.equal(response.status, 403);
      assert.equal(response.body.error.code, "insufficient_scope");
    });
  }

  const usageErrors: [string, string[], string, RegExp][] = [
    ["a missing --scope", ["--label", "x"], "missing_option", /--scope is required/],
    ["an unknown scope", ["--scope", "root"], "invalid_option", /--scope must be one of merchant, compliance, auditor, admin, got "root"/],
    ["a merchant key without --merchant", ["--scope", "merchant"], "missing_option", /--merchant \(with --scope merchant\) is required/],
    ["--merchant on a non-merchant key", ["--scope", "auditor", "--merchant", "mer_1"], "invalid_option", /--merchant is only used with --scope merchant, not auditor/],
    ["an unknown option", ["--scope", "admin", "--secret", "x"], "invalid_arguments", /Unknown option '--secret'/],
  ];
  for (const [what, args, code, message] of usageErrors) {
    it(`refuses ${what}: exit 2`, async () => {
      const result = await runAdmin(["key", "issue", ...args, "--json"], env);
      assert.equal(result.code, 2);
      assert.equal(jsonError(result).code, code);
      assert.match(jsonError(result).message, message);
      assert.equal(result.stdout, "");
    });
  }

  it("refuses a merchant key for a merchant that is not in the database: exit 1, no key created", async () => {
    const before = JSON.parse((await runAdmin(["key", "list", "--json"], env)).stdout).data.length;
    const result = await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", "mer_doesnotexist"], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: no merchant mer_doesnotexist in this database/);
    assert.equal(JSON.parse((await runAdmin(["key", "list", "--json"], env)).stdout).data.length, before);
  });
});

describe("admin officer register and auditor register", () => {
  it("officer register issues a compliance-scope key labelled with the officer's name", async () => {
    const result = await runAdmin(["officer", "register", "--name", "Olivia Officer", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.deepEqual([body.scope, body.label, body.merchant_id], ["compliance", "Olivia Officer", null]);
    assert.match(body.secret, /^sk_cmp_/);
    assert.equal((await listIntents(body.secret)).status, 403);
  });

  it("auditor register issues an auditor-scope key labelled with the auditor's name, secret printed once", async () => {
    const result = await runAdmin(["auditor", "register", "--name", "Ada Auditor"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /scope auditor, label "Ada Auditor"/);
    assert.match(secretOf(result) ?? "", /^sk_aud_/);
    assert.match(result.stderr, /shown once and is NOT stored/);
  });

  it("refuses a registration without --name: exit 2", async () => {
    const result = await runAdmin(["officer", "register"], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--name is required/);
  });
});

describe("admin key revoke", () => {
  it("revokes a key at once: the running relayer refuses it with 401", async () => {
    const issued = JSON.parse((await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", system.merchantId, "--json"], env)).stdout);
    assert.equal((await listIntents(issued.secret)).status, 200);
    const result = await runAdmin(["key", "revoke", issued.id, "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.equal(body.id, issued.id);
    assert.ok(typeof body.revoked === "number");
    const refused = await listIntents(issued.secret);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, "api_key_invalid");
  });

  it("says which key it revoked in text mode", async () => {
    const issued = JSON.parse((await runAdmin(["auditor", "register", "--name", "Temp", "--json"], env)).stdout);
    const result = await runAdmin(["key", "revoke", issued.id], env);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), `Revoked API key ${issued.id} (scope auditor, label "Temp").`);
  });

  it("refuses a key that is already revoked: exit 1, code api_key_already_revoked", async () => {
    const issued = JSON.parse((await runAdmin(["auditor", "register", "--name", "Twice", "--json"], env)).stdout);
    assert.equal((await runAdmin(["key", "revoke", issued.id], env)).code, 0);
    const again = await runAdmin(["key", "revoke", issued.id, "--json"], env);
    assert.equal(again.code, 1);
    assert.equal(jsonError(again).code, "api_key_already_revoked");
  });

  it("refuses an unknown key id: exit 1", async () => {
    const result = await runAdmin(["key", "revoke", "key_doesnotexist"], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no API key key_doesnotexist in this database/);
  });

  it("refuses a revoke without a key id: exit 2", async () => {
    const result = await runAdmin(["key", "revoke", "--json"], env);
    assert.equal(result.code, 2);
    assert.equal(jsonError(result).code, "missing_argument");
  });
});

describe("admin key list", () => {
  it("lists keys with scope, merchant, label and state, never a secret or its hash", async () => {
    const issued = await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", system.merchantId, "--label", "listed"], env);
    const secret = secretOf(issued)!;
    const text = await runAdmin(["key", "list"], env);
    const json = await runAdmin(["key", "list", "--json"], env);
    assert.equal(text.code, 0);
    assert.equal(json.code, 0);
    for (const output of [text.stdout + text.stderr, json.stdout + json.stderr]) {
      assert.ok(!output.includes(secret) && !output.includes(hashSecret(secret)) && !output.includes(system.merchantKey));
    }
    assert.match(text.stdout, new RegExp(`key_\\w+\\s+merchant\\s+${system.merchantId}\\s+active\\s+\\S+\\s+"listed"`));
    const body = JSON.parse(json.stdout);
    assert.equal(body.object, "list");
    assert.ok(body.data.some((k: { label: string; scope: string }) => k.label === "listed" && k.scope === "merchant"));
    for (const key of body.data) assert.deepEqual(Object.keys(key).sort(), ["created", "id", "label", "merchant_id", "object", "revoked", "scope"]);
  });

  it("--merchant lists only that merchant's keys, revoked ones marked", async () => {
    const issued = JSON.parse((await runAdmin(["key", "issue", "--scope", "merchant", "--merchant", system.merchantId, "--json"], env)).stdout);
    await runAdmin(["key", "revoke", issued.id], env);
    const body = JSON.parse((await runAdmin(["key", "list", "--merchant", system.merchantId, "--json"], env)).stdout);
    assert.ok(body.data.length >= 2);
    assert.ok(body.data.every((k: { merchant_id: string }) => k.merchant_id === system.merchantId));
    assert.ok(body.data.find((k: { id: string }) => k.id === issued.id).revoked > 0);
    assert.match((await runAdmin(["key", "list", "--merchant", system.merchantId], env)).stdout, new RegExp(`${issued.id}\\s+merchant\\s+\\S+\\s+revoked`));
  });

  it("refuses --merchant with an unknown merchant: exit 1", async () => {
    const result = await runAdmin(["key", "list", "--merchant", "mer_nobody", "--json"], env);
    assert.equal(result.code, 1);
    assert.equal(jsonError(result).code, "merchant_not_found");
  });

  it("refuses a database path that does not exist: exit 1, naming the path", async () => {
    const missing = path.join(system.dir, "typo.db");
    const result = await runAdmin(["key", "list", "--database", missing], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`no database at ${missing.replace(/[.]/g, "\\.")}`));
  });
});

describe("admin CLI usage", () => {
  it("prints the list of commands with --help: exit 0", async () => {
    const result = await runAdmin(["--help"]);
    assert.equal(result.code, 0);
    for (const command of ["merchant create", "merchant list", "key issue", "key revoke", "key list", "officer register", "auditor register"]) {
      assert.ok(result.stdout.includes(command), command);
    }
  });

  for (const command of [["merchant", "create"], ["merchant", "list"], ["key", "issue"], ["key", "revoke"], ["key", "list"], ["officer", "register"], ["auditor", "register"]]) {
    it(`prints the usage of ${command.join(" ")} with --help: exit 0, nothing done`, async () => {
      const result = await runAdmin([...command, "--help"], { DATABASE_PATH: path.join(system.dir, "never-created.db") });
      assert.equal(result.code, 0);
      assert.ok(result.stdout.startsWith(`Usage: npm run admin -- ${command.join(" ")}`), result.stdout);
      assert.match(result.stdout, /--json/);
    });
  }

  it("refuses an unknown command: exit 2 with the list of commands", async () => {
    const result = await runAdmin(["payout", "run"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /error: unknown command "payout"/);
    assert.match(result.stderr, /merchant create/);
  });

  it("refuses an unknown subcommand: exit 2, code unknown_command", async () => {
    const result = await runAdmin(["key", "rotate", "--json"]);
    assert.equal(result.code, 2);
    assert.equal(jsonError(result).code, "unknown_command");
    assert.match(jsonError(result).message, /unknown command "key rotate"/);
  });

  it("refuses no command at all: exit 2", async () => {
    const result = await runAdmin([]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /a command is required/);
  });
});

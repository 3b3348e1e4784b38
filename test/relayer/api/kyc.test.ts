// Compliance officers change KYC records through the API; the changes go to the registry with the compliance key
// and are reported confirmed once mined; the registry, not the API, is what the escrow enforces.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet, id } from "ethers";

import { issueApiKey } from "../../../relayer/application/admin.js";
import { KycRegistry__factory } from "../../../typechain-types/index.js";
import { startSystem, type TestSystem } from "../support/system.js";

let system: TestSystem;
let officer: string;
let auditor: string;
before(async () => {
  system = await startSystem();
  officer = (await issueApiKey(system.relayer.db, { scope: "compliance", label: "officer" }, Date.now())).secret;
  auditor = (await issueApiKey(system.relayer.db, { scope: "auditor", label: "auditor" }, Date.now())).secret;
});
after(async () => {
  await system?.stop();
});

const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function waitForChange(changeId: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const change = (await system.api("GET", `/v1/kyc_changes/${changeId}`, undefined, as(officer))).body;
    if (change.status !== "pending" || Date.now() > deadline) return change;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("KYC through the API", () => {
  const customer = HDNodeWallet.createRandom().address;
  const registry = () => KycRegistry__factory.connect(system.credentials.contracts.KycRegistry, system.provider);

  it("creates a record on chain and reports the change confirmed with its transaction", async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 365 * 86_400;
    const { status, body } = await system.api(
      "POST",
      "/v1/kyc_records",
      { address: customer, tier: "enhanced", country: "SG", expires_at: expiresAt, dossier_hash: id("dossier-1"), reason: "onboarding" },
      as(officer),
    );
    assert.equal(status, 202);
    assert.equal(body.status, "pending");
    const change = await waitForChange(body.id);
    assert.equal(change.status, "confirmed");
    assert.match(change.transaction_hash, /^0x[0-9a-f]{64}$/);
    const onChain = await registry().recordOf(customer);
    assert.equal(Number(onChain.tier), 2);
    assert.equal(Number(onChain.expiresAt), expiresAt);
    const record = (await system.api("GET", `/v1/kyc_records/${customer}`, undefined, as(officer))).body;
    assert.equal(record.tier, "enhanced");
    assert.equal(record.country, "SG");
    assert.equal(record.frozen, false);
  });

  it("freezes and unfreezes with a reason, and refuses a second freeze before sending anything", async () => {
    const frozen = await waitForChange((await system.api("POST", `/v1/kyc_records/${customer}/freeze`, { reason: "aml_review" }, as(officer))).body.id);
    assert.equal(frozen.status, "confirmed");
    assert.equal(await registry().isFrozen(customer), true);
    const again = await system.api("POST", `/v1/kyc_records/${customer}/freeze`, { reason: "aml_review" }, as(officer));
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "account_already_frozen");
    const unfrozen = await waitForChange((await system.api("POST", `/v1/kyc_records/${customer}/unfreeze`, { reason: "cleared" }, as(officer))).body.id);
    assert.equal(unfrozen.status, "confirmed");
    assert.equal(await registry().isFrozen(customer), false);
  });

  it("lets auditors read the change log, newest first, but not change records", async () => {
    const log = (await system.api("GET", `/v1/kyc_changes?address=${customer}`, undefined, as(auditor))).body;
    assert.deepEqual(log.data.map((c: { action: string }) => c.action), ["unfreeze", "freeze", "set"]);
    const refused = await system.api("POST", `/v1/kyc_records/${customer}/freeze`, { reason: "x" }, as(auditor));
    assert.equal(refused.status, 403);
  });

  it("refuses merchants, bad countries, past expiries and zero dossier hashes", async () => {
    assert.equal((await system.api("GET", `/v1/kyc_records/${customer}`)).status, 403);
    const base = { address: customer, tier: "basic", country: "SG", expires_at: Math.floor(Date.now() / 1000) + 86_400, dossier_hash: id("d"), reason: "update" };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, country: "sg" }, "parameter_invalid"],
      [{ ...base, expires_at: 1_000 }, "expiry_in_past"],
      [{ ...base, dossier_hash: "0x" + "0".repeat(64) }, "dossier_hash_zero"],
      [{ ...base, tier: "gold" }, "parameter_invalid"],
    ];
    for (const [body, code] of cases) {
      const response = await system.api("POST", "/v1/kyc_records", body, as(officer));
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, code);
    }
  });
});

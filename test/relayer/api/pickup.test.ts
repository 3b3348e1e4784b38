// An operation the API queues is submitted at once, not at the submitter's next poll: with POLL_INTERVAL_MS at a
// minute, a confirmed intent is still authorized on chain within seconds (the API's commit wakes the submitter, and
// the submitter's broadcast wakes the confirmer).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ POLL_INTERVAL_MS: "60000" });
});
after(async () => {
  await system?.stop();
});

describe("picking up the API's work", () => {
  it("authorizes a confirmed intent on chain well before the next poll, twice in a row", async () => {
    for (let round = 0; round < 2; round++) {
      const created = (await system.api("POST", "/v1/payment_intents", {
        amount: "1000000",
        token: system.credentials.contracts.SettlementToken,
        buyer: system.credentials.buyer.address,
        order_ref: `pickup-${round}-${Math.random().toString(16).slice(2)}`,
        capture_method: "manual",
      })).body;
      const confirmed = await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });
      assert.equal(confirmed.status, 202);
      // 15 s: a quarter of the poll interval; without the wake-ups the submitter, resting since its last empty
      // round, would look only after up to 60 s.
      const done = await waitForIntent(system, created.id, (i) => i.status !== "processing", 15_000);
      assert.equal(done.status, "requires_capture");
      assert.equal(done.transactions[0].status, "succeeded");
    }
  });
});

// A transaction stuck in the mempool is replaced at the same nonce with higher fees, every hash kept; whichever
// version is mined, the payment happens once and the relayer finds its receipt.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { escrowInterface } from "../../../relayer/chain/escrow-calls.js";
import { chainTransactions } from "../../../relayer/persistence/chain-store.js";
import { devWallet, signAuthorization, startSystem, waitForIntent, type TestSystem } from "../support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem({ REPRICE_AFTER_MS: "1000" });
});
after(async () => {
  await system?.provider.send("evm_setAutomine", [true]).catch(() => undefined);
  await system?.stop();
});

describe("re-pricing a stuck transaction", () => {
  it("replaces it at the same nonce with higher fees, keeps both hashes, and settles the payment once", async () => {
    await system.provider.send("evm_setAutomine", [false]);
    const created = (
      await system.api("POST", "/v1/payment_intents", {
        amount: "3000000",
        token: system.credentials.contracts.SettlementToken,
        buyer: system.credentials.buyer.address,
        order_ref: "stuck-1",
      })
    ).body;
    await system.api("POST", `/v1/payment_intents/${created.id}/confirm`, { signature: await signAuthorization(system.buyer, created) });

    const operator = devWallet(1).address;
    const deadline = Date.now() + 20_000;
    let tx;
    do {
      await new Promise((r) => setTimeout(r, 100));
      tx = (await system.relayer.db.read((sql) => chainTransactions.inStatus(sql, operator, ["submitted"])))[0];
    } while ((tx?.hashes.length ?? 0) < 2 && Date.now() < deadline);
    assert.ok(tx && tx.hashes.length >= 2, `no replacement was signed: ${String(tx?.hashes)}`);

    await system.provider.send("evm_setAutomine", [true]);
    await system.provider.send("evm_mine", []);
    const done = await waitForIntent(system, created.id, (i) => i.status !== "processing");
    assert.equal(done.status, "captured");

    const settled = await system.relayer.db.read((sql) => chainTransactions.get(sql, tx!.id));
    assert.equal(settled?.status, "confirmed");
    assert.equal(settled?.nonce, tx.nonce);
    assert.ok(settled!.hashes.includes(settled!.minedHash!), "the mined hash is one of the recorded ones");
    assert.ok(settled!.maxFeePerGas! > 0n);
    const authorized = await system.provider.getLogs({
      address: system.credentials.contracts.PaymentEscrow,
      topics: [escrowInterface.getEvent("PaymentAuthorized")!.topicHash, created.payment_id],
      fromBlock: 0,
    });
    assert.equal(authorized.length, 1, "one PaymentAuthorized for the payment");
    assert.ok(settled!.hashes.includes(authorized[0]!.transactionHash));
  });
});

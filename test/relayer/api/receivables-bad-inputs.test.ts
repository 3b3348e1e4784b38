// Bad inputs to the receivable endpoints, through real HTTP against the real system: each is a clear error with
// the right status and a stable code, and nothing happens — no row written, no event, no transaction sent by
// either key. (The registry refuses the same things on chain: test/contracts/finance.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { HDNodeWallet } from "ethers";

import { startSystem, type TestSystem } from "../support/system.js";
import { assertRefused } from "./bad-inputs-support.js";
import { act, acceptedInvoice, DAY, invoiceTerms, issue, setUpParties, signFor, waitForReceivable, type Parties } from "./receivables-support.js";

let system: TestSystem;
let p: Parties;
/** An invoice accepted by the debtor, held by the supplier. */
let accepted: any;
/** An invoice awaiting the debtor's acceptance. */
let pending: any;
before(async () => {
  system = await startSystem({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  p = await setUpParties(system);
  accepted = await acceptedInvoice(system, p, "1000000", 30);
  pending = await issue(system, p.supplier, p.debtor, "2000");
  await waitForReceivable(p.supplier, pending.id, (r) => r.status === "pending_acceptance");
});
after(async () => {
  await system?.stop();
});

/** The holder's signed split of `accepted` into `parts`, sent as is. */
const split = (parts: unknown[], signedParts: unknown[] = parts) => async () => {
  const auth = await signFor(p.supplier, { action: "split", receivable: accepted.id, parts: signedParts }).catch(() => ({ nonce: `0x${"11".repeat(32)}`, deadline: 4_000_000_000, signature: `0x${"22".repeat(65)}` }));
  return p.supplier.api("POST", `/v1/receivables/${accepted.id}/split`, { parts, nonce: auth.nonce, deadline: auth.deadline, signature: auth.signature });
};
const to = (who: keyof Parties, value: string) => ({ face_value: value, recipient: p[who].address });

describe("split", () => {
  it("refuses parts that do not sum to the face value (400 split_parts_mismatch)", async () => {
    await assertRefused(system, split([to("supplier", "700000"), to("tier2", "300001")]), { status: 400, code: "split_parts_mismatch", param: "parts" });
  });

  it("refuses a zero part (400 amount_invalid on the part)", async () => {
    await assertRefused(system, split([to("supplier", "1000000"), to("tier2", "0")], [to("supplier", "1000000"), to("tier2", "1")]), {
      status: 400, code: "amount_invalid", param: "parts.1.face_value",
    });
  });

  it("refuses a negative part (400 amount_invalid on the part)", async () => {
    await assertRefused(system, split([to("supplier", "1000005"), to("tier2", "-5")], [to("supplier", "1000000"), to("tier2", "1")]), {
      status: 400, code: "amount_invalid", param: "parts.1.face_value",
    });
  });

  it("refuses more parts than the registry's limit (400 split_too_many_parts)", async () => {
    const parts = Array.from({ length: 11 }, (_, i) => to("tier2", i === 0 ? "900000" : "10000"));
    await assertRefused(system, split(parts), { status: 400, code: "split_too_many_parts", param: "parts" });
  });

  it("refuses a split signed by someone other than the holder (400 signature_invalid)", async () => {
    const parts = [to("supplier", "700000"), to("tier2", "300000")];
    await assertRefused(
      system,
      async () => {
        const auth = await signFor(p.supplier, { action: "split", receivable: accepted.id, parts }, p.debtor.wallet);
        return p.supplier.api("POST", `/v1/receivables/${accepted.id}/split`, { parts, nonce: auth.nonce, deadline: auth.deadline, signature: auth.signature });
      },
      { status: 400, code: "signature_invalid", param: "signature" },
    );
  });

  it("refuses a split whose signed parts differ from the parts sent (400 signature_invalid)", async () => {
    await assertRefused(system, split([to("supplier", "600000"), to("tier2", "400000")], [to("supplier", "700000"), to("tier2", "300000")]), {
      status: 400, code: "signature_invalid", param: "signature",
    });
  });
});

describe("accept and transfer", () => {
  it("refuses the transfer of a receivable the debtor has not accepted (409 receivable_not_accepted)", async () => {
    await assertRefused(system, () => act(p.supplier, pending.id, "transfer", { to: p.tier2.address }), { status: 409, code: "receivable_not_accepted" });
  });

  it("refuses an acceptance signed by the supplier instead of the debtor (400 signature_invalid)", async () => {
    await assertRefused(
      system,
      async () => {
        const auth = await signFor(p.debtor, { action: "accept", receivable: pending.id }, p.supplier.wallet);
        return p.debtor.api("POST", `/v1/receivables/${pending.id}/accept`, { nonce: auth.nonce, deadline: auth.deadline, signature: auth.signature });
      },
      { status: 400, code: "signature_invalid", param: "signature" },
    );
  });

  it("refuses an acceptance sent by an account that is not the debtor (403 not_receivable_party)", async () => {
    await assertRefused(system, () => act(p.supplier, pending.id, "accept"), { status: 403, code: "not_receivable_party", type: "permission_error" });
  });

  it("refuses an acceptance whose signed deadline has passed (400 signature_expired)", async () => {
    await assertRefused(
      system,
      async () => {
        const auth = await signFor(p.debtor, { action: "accept", receivable: pending.id });
        const deadline = (await system.chainTime()) - 1;
        const typed = auth.typed;
        const signature = await p.debtor.wallet.signTypedData(typed.domain, typed.types, { ...typed.message, deadline });
        return p.debtor.api("POST", `/v1/receivables/${pending.id}/accept`, { nonce: auth.nonce, deadline, signature });
      },
      { status: 400, code: "signature_expired", param: "deadline" },
    );
  });

  it("refuses a signature that recovers no signer (400 signature_invalid)", async () => {
    await assertRefused(
      system,
      () => p.debtor.api("POST", `/v1/receivables/${pending.id}/accept`, { nonce: `0x${"ab".repeat(32)}`, deadline: 4_000_000_000, signature: `0x${"00".repeat(65)}` }),
      { status: 400, code: "signature_invalid", param: "signature" },
    );
  });
});

describe("repay", () => {
  it("refuses a repayment by an account that is not the debtor (403 not_receivable_party)", async () => {
    await assertRefused(system, () => act(p.supplier, accepted.id, "repay", { amount: "1000", source: "wallet" }), {
      status: 403, code: "not_receivable_party", type: "permission_error",
    });
  });

  it("refuses a repayment by a stranger, to whom the receivable does not exist (404 resource_missing)", async () => {
    await assertRefused(
      system,
      () => p.stranger.api("POST", `/v1/receivables/${accepted.id}/repay`, { amount: "1000", nonce: `0x${"01".repeat(32)}`, deadline: 4_000_000_000, signature: `0x${"11".repeat(65)}` }),
      { status: 404, code: "resource_missing", param: "id" },
    );
  });

  it("refuses a repayment from an escrow balance the debtor does not have (400 escrow_balance_insufficient)", async () => {
    await assertRefused(system, () => act(p.debtor, accepted.id, "repay", { amount: "1000", source: "escrow_balance" }), {
      status: 400, code: "escrow_balance_insufficient", param: "amount",
    });
  });
});

describe("issue", () => {
  it("refuses an invoice against the supplier itself (400 parties_invalid)", async () => {
    await assertRefused(
      system,
      async () => {
        const terms = { ...(await invoiceTerms(system, p.debtor, "1000")), debtor: p.supplier.address };
        const { signature } = await signFor(p.supplier, { action: "issue", ...terms });
        return p.supplier.api("POST", "/v1/receivables", { ...terms, signature });
      },
      { status: 400, code: "parties_invalid", param: "debtor" },
    );
  });

  it("refuses an acceptance window ending after the due date (400 dates_invalid)", async () => {
    await assertRefused(
      system,
      async () => {
        const terms = await invoiceTerms(system, p.debtor, "1000", 10, 11);
        const { signature } = await signFor(p.supplier, { action: "issue", ...terms });
        return p.supplier.api("POST", "/v1/receivables", { ...terms, signature });
      },
      { status: 400, code: "dates_invalid", param: "accept_by" },
    );
  });

  it("refuses terms signed by another wallet than the issuer's (400 signature_invalid)", async () => {
    await assertRefused(
      system,
      async () => {
        const terms = await invoiceTerms(system, p.debtor, "1000");
        const { signature } = await signFor(p.supplier, { action: "issue", ...terms }, HDNodeWallet.createRandom());
        return p.supplier.api("POST", "/v1/receivables", { ...terms, signature });
      },
      { status: 400, code: "signature_invalid", param: "signature" },
    );
  });

  it("refuses payment intents for a receivables-only account (403 capability_missing)", async () => {
    await assertRefused(
      system,
      () => p.supplier.api("POST", "/v1/payment_intents", { amount: "1000", token: system.credentials.contracts.SettlementToken, buyer: system.credentials.buyer.address, order_ref: "x-1" }),
      { status: 403, code: "capability_missing" },
    );
  });
});

describe("finance", () => {
  const offer = async (financier: Parties["financier"], receivableId: string, maxPrice = "1000000") => {
    const expiry = (await system.chainTime()) + DAY;
    const signed = await signFor(financier, { action: "offer", receivable: receivableId, annual_rate_bps: 600, max_price: maxPrice, expiry });
    return financier.api("POST", "/v1/financing_offers", { receivable: receivableId, annual_rate_bps: 600, max_price: maxPrice, expiry, nonce: signed.nonce, signature: signed.signature });
  };

  it("refuses an offer from a financier below KYC Institutional (400 kyc_tier_too_low)", async () => {
    await assertRefused(system, () => offer(p.tier2, accepted.id), { status: 400, code: "kyc_tier_too_low", param: "financier" });
  });

  it("refuses an offer on a receivable not yet accepted (409 receivable_not_accepted)", async () => {
    await assertRefused(system, () => offer(p.financier, pending.id), { status: 409, code: "receivable_not_accepted" });
  });

  it("refuses to finance an already financed receivable (409 receivable_already_financed)", async () => {
    const target = await acceptedInvoice(system, p, "50000", 60);
    const made = await offer(p.financier, target.id);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const acceptance = await signFor(p.supplier, { action: "accept_offer", offer: made.body.id, min_proceeds: "0" });
    const sent = await p.supplier.api("POST", `/v1/financing_offers/${made.body.id}/accept`, { min_proceeds: "0", nonce: acceptance.nonce, deadline: acceptance.deadline, signature: acceptance.signature });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await waitForReceivable(p.supplier, target.id, (r) => r.financed && r.status === "accepted");
    await assertRefused(system, () => offer(p.stranger, target.id), { status: 409, code: "receivable_already_financed" });
  });

  it("refuses to finance a matured receivable (409 receivable_matured)", async () => {
    // Last: it moves the chain's clock past the accepted invoice's due date.
    await system.advanceTime(accepted.due_at - (await system.chainTime()) + 1);
    await assertRefused(system, () => offer(p.financier, accepted.id), { status: 409, code: "receivable_matured" });
  });
});

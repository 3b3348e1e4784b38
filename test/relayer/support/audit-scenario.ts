// A small, varied set of payments for the auditor's API and console tests: released (fees to the treasury and the
// partner) and partly refunded from the merchant's balance, authorized and awaiting capture, captured and partly refunded, and one large enough to be reported
// (AML). Everything goes through the relayer's merchant API and the real chain; the auditor key is issued like
// the admin CLI does.
import { encodeBytes32String, Wallet } from "ethers";

import { issueApiKey } from "../../../relayer/application/admin.js";
import { SettlementToken__factory } from "../../../typechain-types/index.js";
import { devWallet, signAuthorization, waitForIntent, type TestSystem } from "./system.js";

export interface AuditScenario {
  auditorKey: string;
  released: any;
  authorized: any;
  refunded: any;
  large: any;
}

async function pay(system: TestSystem, body: Record<string, unknown>, done: (intent: any) => boolean): Promise<any> {
  const created = await system.api("POST", "/v1/payment_intents", {
    token: system.credentials.contracts.SettlementToken,
    buyer: system.credentials.buyer.address,
    ...body,
  });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const confirmed = await system.api("POST", `/v1/payment_intents/${created.body.id}/confirm`, { signature: await signAuthorization(system.buyer, created.body) });
  if (confirmed.status !== 202) throw new Error(`confirm failed: ${JSON.stringify(confirmed.body)}`);
  return waitForIntent(system, created.body.id, done, 30_000);
}

/** Runs the payments; `prefix` keeps order references unique when a system runs the scenario twice. */
export async function runAuditScenario(system: TestSystem, prefix = "audit"): Promise<AuditScenario> {
  const { secret: auditorKey } = await issueApiKey(system.relayer.db, { scope: "auditor", label: "auditor tests" }, Date.now());
  // The demo buyer holds 10,000 tokens; the large payment needs more. The issuer (account 5) mints them.
  const issuer = new Wallet(devWallet(5).privateKey, system.provider);
  const token = SettlementToken__factory.connect(system.credentials.contracts.SettlementToken, issuer);
  await (await token.mint(system.credentials.buyer.address, 20_000_000_000n, encodeBytes32String(`${prefix}-deposit`))).wait();

  const paid = await pay(system, { amount: "40000000", order_ref: `${prefix}-released`, confirmation_window: 0 }, (i) => i.status === "released");
  // Part of it refunded after release: from the merchant's balance (the escrow's refundedAfterRelease).
  const afterRelease = await system.api("POST", `/v1/payment_intents/${paid.id}/refund`, { amount: "10000000" });
  if (afterRelease.status !== 202) throw new Error(`refund failed: ${JSON.stringify(afterRelease.body)}`);
  const released = await waitForIntent(system, paid.id, (i) => i.amount_refunded === "10000000" && i.status !== "processing", 30_000);
  const authorized = await pay(system, { amount: "15000000", order_ref: `${prefix}-authorized`, capture_method: "manual" }, (i) => i.status === "requires_capture");
  const captured = await pay(system, { amount: "30000000", order_ref: `${prefix}-refunded`, confirmation_window: 86_400 }, (i) => i.status === "captured");
  const refund = await system.api("POST", `/v1/payment_intents/${captured.id}/refund`, { amount: "5000000" });
  if (refund.status !== 202) throw new Error(`refund failed: ${JSON.stringify(refund.body)}`);
  const refunded = await waitForIntent(system, captured.id, (i) => i.amount_refunded === "5000000" && i.status !== "processing", 30_000);
  const large = await pay(
    system,
    { amount: "12000000000", order_ref: `${prefix}-large`, kyc_tier: "enhanced", confirmation_window: 86_400 },
    (i) => i.status === "captured",
  );
  return { auditorKey, released, authorized, refunded, large };
}

/** Waits until the auditor's ledger has projected everything the chain has for these payments. */
export async function waitForLedger(system: TestSystem, auditorKey: string, paymentIds: string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = await Promise.all(
      paymentIds.map((id) =>
        fetch(`${system.relayer.url}/v1/audit/payments/${id}`, { headers: { authorization: `Bearer ${auditorKey}` } }).then((r) => r.json() as Promise<any>),
      ),
    );
    const ready = details.every(
      (d) =>
        d.chain && d.payment && d.chain.status === d.payment.chain_status && d.chain.amount_refunded === d.payment.amount_refunded &&
        d.chain.amount_held === d.payment.amount_held && d.timeline.every((e: any) => e.block_time !== null),
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`the ledger did not catch up: ${JSON.stringify(details.map((d) => [d.chain?.status, d.payment?.chain_status]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

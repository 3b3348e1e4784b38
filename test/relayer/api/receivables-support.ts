// Shared by the receivable API tests: the parties of a supply chain (supplier, tier-2 supplier, debtor, financier)
// as relayer accounts with their own wallets, KYC'd and funded on the real chain; and the two-step way a party
// acts (ask the API for the typed data, sign it with the wallet, send the signature with nonce and deadline).
import assert from "node:assert/strict";

import { encodeBytes32String, id, MaxUint256, Wallet } from "ethers";

import { KycTier, countryCode } from "../../../relayer/chain/typed-data.js";
import { IReceivableRegistry__factory, KycRegistry__factory, SettlementToken__factory } from "../../../typechain-types/index.js";
import { devWallet, type TestAccount, type TestSystem } from "../support/system.js";

export const DAY = 86_400;

export interface Parties {
  supplier: TestAccount;
  tier2: TestAccount;
  debtor: TestAccount;
  financier: TestAccount;
  /** An account enabled for receivables that takes part in nothing. */
  stranger: TestAccount;
}

/** Dev accounts 16-19 and one more: KYC'd (the financier Institutional), the debtor and financier funded and approving the registry. */
export async function setUpParties(system: TestSystem): Promise<Parties> {
  const registry = system.receivableRegistry;
  assert.ok(registry, "the deployment has no ReceivableRegistry");
  const wallets = { supplier: devWallet(16), tier2: devWallet(17), debtor: devWallet(18), financier: devWallet(19), stranger: devWallet(20) };
  const compliance = devWallet(2).connect(system.provider);
  const issuer = devWallet(5).connect(system.provider);
  const kyc = KycRegistry__factory.connect(system.credentials.contracts.KycRegistry, compliance);
  const token = SettlementToken__factory.connect(system.credentials.contracts.SettlementToken, issuer);
  const expiry = (await system.chainTime()) + 5 * 365 * DAY;
  const all = Object.values(wallets);
  await (
    await kyc.setRecords(
      all.map((w) => w.address),
      all.map((w) => (w === wallets.financier ? KycTier.Institutional : KycTier.Enhanced)),
      all.map(() => countryCode("SG")),
      all.map(() => expiry),
      all.map((w) => id(`dossier:${w.address}`)),
      encodeBytes32String("receivable-tests"),
    )
  ).wait();
  for (const [w, amount] of [[wallets.debtor, 5_000_000n], [wallets.financier, 5_000_000n]] as const) {
    await (await token.mint(w.address, amount, id(`receivable-tests:${w.address}`))).wait();
  }
  // The stranger's ETH pays for nothing here; the others approve the registry themselves (their own wallets).
  for (const w of [wallets.debtor, wallets.financier]) {
    await (await SettlementToken__factory.connect(system.credentials.contracts.SettlementToken, w.connect(system.provider)).approve(registry, MaxUint256)).wait();
  }
  const entries = await Promise.all(Object.entries(wallets).map(async ([name, w]) => [name, await system.receivablesAccount(name, w)] as const));
  return Object.fromEntries(entries) as unknown as Parties;
}

export const registryOf = (system: TestSystem) => IReceivableRegistry__factory.connect(system.receivableRegistry!, system.provider);
export const tokenOf = (system: TestSystem) => SettlementToken__factory.connect(system.credentials.contracts.SettlementToken, system.provider);

/** Asks the API for the typed data of `request` as `account`, and signs it with `signer` (the account's wallet by default). */
export async function signFor(account: TestAccount, request: Record<string, unknown>, signer: Wallet | TestAccount["wallet"] = account.wallet) {
  const reply = await account.api("POST", "/v1/receivables/typed_data", request);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const { domain, types, message } = reply.body.typed_data;
  const signature = await signer.signTypedData(domain, types, message);
  return { nonce: reply.body.nonce as string | null, deadline: reply.body.deadline as number, signature, tokenId: reply.body.token_id as string | null, typed: reply.body.typed_data };
}

/** Invoice terms for `supplier` against `debtor`, due `dueInDays` from the chain's time. */
export async function invoiceTerms(system: TestSystem, debtor: TestAccount, faceValue: string, dueInDays = 180, acceptWithinDays = 7) {
  const now = await system.chainTime();
  return {
    debtor: debtor.address,
    face_value: faceValue,
    due_at: now + dueInDays * DAY,
    accept_by: now + acceptWithinDays * DAY,
    document_hash: id(`invoice documents ${Math.random()}`),
    invoice_ref: `INV-${Math.random().toString(16).slice(2, 14)}`,
  };
}

/** The supplier issues an invoice through the API (typed data, signature, POST); returns the 202 body. */
export async function issue(system: TestSystem, supplier: TestAccount, debtor: TestAccount, faceValue: string, dueInDays = 180, acceptWithinDays = 7) {
  const terms = await invoiceTerms(system, debtor, faceValue, dueInDays, acceptWithinDays);
  const { signature, tokenId } = await signFor(supplier, { action: "issue", ...terms });
  const reply = await supplier.api("POST", "/v1/receivables", { ...terms, signature });
  assert.equal(reply.status, 202, JSON.stringify(reply.body));
  assert.equal(reply.body.token_id, tokenId, "the token id handed out with the typed data is the receivable's");
  return reply.body;
}

/** Signs `action` on `receivableId` as `account` and POSTs it; returns the reply. */
export async function act(account: TestAccount, receivableId: string, action: string, params: Record<string, unknown> = {}) {
  const auth = await signFor(account, { action, receivable: receivableId, ...params });
  return account.api("POST", `/v1/receivables/${receivableId}/${action}`, { ...params, nonce: auth.nonce, deadline: auth.deadline, signature: auth.signature });
}

/** Polls a receivable (as `account`) until `done` says so. */
export async function waitForReceivable(account: TestAccount, id: string, done: (r: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await account.api("GET", `/v1/receivables/${id}`)).body;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`receivable ${id} did not reach the expected state; last seen: ${JSON.stringify(last)}`);
}

/** Issues an invoice and has the debtor accept it; returns the accepted receivable. */
export async function acceptedInvoice(system: TestSystem, p: Parties, faceValue = "1000000", dueInDays = 180) {
  const issued = await issue(system, p.supplier, p.debtor, faceValue, dueInDays);
  await waitForReceivable(p.supplier, issued.id, (r) => r.status === "pending_acceptance");
  const accepted = await act(p.debtor, issued.id, "accept");
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  return waitForReceivable(p.supplier, issued.id, (r) => r.status === "accepted");
}

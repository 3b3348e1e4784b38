// Puts many payments on a local chain quickly, straight through the escrow's batch entry points with an operator
// key (no relayer): presigned transactions with explicit gas limits, sent as ordered JSON-RPC batches. Every
// lifecycle the ledger must rebuild appears: captures (full, partial, twice), releases, voids, reclaims after
// expiry, refunds from held funds and from the merchant's balance, disputes resolved both ways, payouts, mints
// and a burn, KYC records, a large-transaction report. Used by the audit's integration test and its benchmark.
import { encodeBytes32String, id, Interface, keccak256, MaxUint256, Wallet, type HDNodeWallet } from "ethers";

import { escrowDomainSeparator, paymentIdOf } from "../../../audit/chain/terms.js";
import type { PaymentTermsRecord } from "../../../audit/ledger/events.js";
import { countryCode, DisputeRequestTypes, escrowDomain, FundingMethod, KycTier } from "../../../relayer/chain/typed-data.js";
import { ROLE_IDS } from "../../../scripts/lib/roles.js";
import { KycRegistry__factory, PaymentEscrow__factory, SettlementToken__factory } from "../../../typechain-types/index.js";

const escrowIface = PaymentEscrow__factory.createInterface() as unknown as Interface;
const tokenIface = SettlementToken__factory.createInterface() as unknown as Interface;
const kycIface = KycRegistry__factory.createInterface() as unknown as Interface;

type Answer = { id: number; result?: any; error?: { message: string; data?: unknown } };
let rpcId = 1;
/** One JSON-RPC batch; a request the connection dropped (EPIPE, reset) is sent again, up to 3 times. */
export async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[], onRetry: () => void = () => undefined): Promise<Answer[]> {
  const body = calls.map((c) => ({ jsonrpc: "2.0", id: rpcId++, ...c }));
  let answers: Answer[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      answers = (await response.json()) as Answer[];
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
      onRetry();
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  const byId = new Map(answers.map((a) => [a.id, a]));
  return body.map((b) => byId.get(b.id) ?? { id: b.id, error: { message: "no answer" } });
}
export async function rpcCall(url: string, method: string, params: unknown[] = []): Promise<any> {
  const [a] = await rpcBatch(url, [{ method, params }]);
  if (a!.error) throw new Error(`${method}: ${a!.error.message}`);
  return a!.result;
}

/** One signer's ordered stream of presigned transactions. */
class TxStream {
  #nonce = -1;
  #queue: Promise<string>[] = [];
  constructor(
    private readonly url: string,
    readonly wallet: Wallet | HDNodeWallet,
    private readonly chainId: bigint,
  ) {}

  async #init() {
    if (this.#nonce < 0) this.#nonce = Number(BigInt(await rpcCall(this.url, "eth_getTransactionCount", [this.wallet.address, "pending"])));
  }

  async add(to: string, data: string, gasLimit: bigint, value = 0n) {
    await this.#init();
    this.#queue.push(
      this.wallet.signTransaction({ type: 2, chainId: this.chainId, nonce: this.#nonce++, to, data, value, gasLimit, maxFeePerGas: 50_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }),
    );
  }

  /** Sends everything queued in ordered batches; throws on any refused or reverted transaction. */
  async flush(batch = 100): Promise<number> {
    const raws = await Promise.all(this.#queue);
    this.#queue = [];
    const hashes = raws.map((raw) => keccak256(raw));
    for (let i = 0; i < raws.length; i += batch) {
      let retried = false;
      const answers = await rpcBatch(this.url, raws.slice(i, i + batch).map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })), () => (retried = true));
      for (const a of answers) {
        // After a resend, a transaction the node had already taken is refused as known: its receipt is checked below.
        if (a.error && !(retried && /nonce too low|already known|known transaction/i.test(a.error.message))) {
          throw new Error(`a seeded transaction from ${this.wallet.address} failed: ${a.error.message}`);
        }
      }
    }
    for (let i = 0; i < hashes.length; i += 200) {
      const receipts = await rpcBatch(this.url, hashes.slice(i, i + 200).map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })));
      for (const r of receipts) if (r.result?.status !== "0x1") throw new Error(`seeded transaction ${r.result?.transactionHash} reverted or is missing`);
    }
    return hashes.length;
  }
}

export interface LoadContracts {
  PaymentEscrow: string;
  SettlementToken: string;
  KycRegistry: string;
}

export interface LoadOptions {
  payments: number;
  buyers?: number;
  /** Items per authorizeMany / captureMany / releaseMany. */
  batch?: number;
  /** Label making the merchants, buyers and order refs of one run distinct. */
  label?: string;
  /** Dev-mnemonic wallets: admin (0), issuer (5) of the deployment, and three keys this load may use alone. */
  wallets: { admin: HDNodeWallet; issuer: HDNodeWallet; operator: HDNodeWallet; arbiter: HDNodeWallet; compliance: HDNodeWallet };
  onStep?: (step: string) => void;
}

export interface LoadResult {
  payments: number;
  transactions: number;
  merchants: string[];
  expected: { voided: number; reclaimed: number; refundedFromHeld: number; disputed: number; refundedAfterRelease: number; released: number; open: number };
}

const TOKEN = 1_000_000n;
const GAS_BATCH = 15_000_000n;
const GAS_SINGLE = 600_000n;

/** Puts `options.payments` payments through the escrow directly. The operator, arbiter and compliance keys get their roles here. */
export async function loadEscrow(rpcUrl: string, contracts: LoadContracts, options: LoadOptions): Promise<LoadResult> {
  const step = options.onStep ?? (() => undefined);
  const label = options.label ?? "audit-load";
  const batch = options.batch ?? 40;
  const chainId = BigInt(await rpcCall(rpcUrl, "eth_chainId"));
  const { admin, issuer, operator, arbiter, compliance } = options.wallets;
  const stream = (w: Wallet | HDNodeWallet) => new TxStream(rpcUrl, w, chainId);
  const [adminS, issuerS, operatorS, arbiterS, complianceS] = [admin, issuer, operator, arbiter, compliance].map(stream) as [TxStream, TxStream, TxStream, TxStream, TxStream];
  let transactions = 0;
  const flush = async (...streams: TxStream[]) => {
    for (const s of streams) transactions += await s.flush();
  };
  const { PaymentEscrow: escrow, SettlementToken: token, KycRegistry: kyc } = contracts;

  // 1. roles for this load's own keys; merchants (one with a partner, one without); buyers funded with gas
  const wallet = (name: string) => new Wallet(id(`${label}:${name}`));
  const merchants = [
    { w: wallet("merchant-a"), settlement: wallet("settlement-a").address, feeBps: 300, partner: wallet("partner-a").address, partnerShareBps: 1_500 },
    { w: wallet("merchant-b"), settlement: wallet("settlement-b").address, feeBps: 125, partner: "0x0000000000000000000000000000000000000000", partnerShareBps: 0 },
  ];
  const buyers = Array.from({ length: options.buyers ?? 24 }, (_, i) => wallet(`buyer-${i}`));
  step("roles, merchants, KYC, funds");
  await adminS.add(escrow, escrowIface.encodeFunctionData("grantRole", [ROLE_IDS.OPERATOR, operator.address]), 200_000n);
  await adminS.add(escrow, escrowIface.encodeFunctionData("grantRole", [ROLE_IDS.ARBITER, arbiter.address]), 200_000n);
  await adminS.add(kyc, kycIface.encodeFunctionData("grantRole", [ROLE_IDS.COMPLIANCE, compliance.address]), 200_000n);
  for (const m of merchants) {
    await adminS.add(escrow, escrowIface.encodeFunctionData("setMerchant", [m.w.address, { settlementAddress: m.settlement, feeBps: m.feeBps, partnerShareBps: m.partnerShareBps, active: true, partner: m.partner }]), 300_000n);
  }
  for (const b of buyers) await adminS.add(b.address, "0x", 21_000n, 10n ** 18n);
  await flush(adminS);
  const now = Number(BigInt((await rpcCall(rpcUrl, "eth_getBlockByNumber", ["latest", false])).timestamp));
  const kycAccounts = [...merchants.map((m) => m.w.address), ...buyers.map((b) => b.address)];
  for (let i = 0; i < kycAccounts.length; i += 100) {
    const chunk = kycAccounts.slice(i, i + 100);
    await complianceS.add(
      kyc,
      kycIface.encodeFunctionData("setRecords", [chunk, chunk.map(() => KycTier.Enhanced), chunk.map(() => countryCode("SG")), chunk.map(() => now + 365 * 86_400), chunk.map((a) => id(`dossier:${a}`)), encodeBytes32String("audit-load")]),
      8_000_000n,
    );
  }
  for (const [i, b] of buyers.entries()) {
    await issuerS.add(token, tokenIface.encodeFunctionData("mint", [b.address, 90_000n * TOKEN, encodeBytes32String(`${label.slice(0, 16)}-dep-${i}`)]), 200_000n);
  }
  await issuerS.add(token, tokenIface.encodeFunctionData("mint", [issuer.address, 1_000n * TOKEN, encodeBytes32String("reserve-in")]), 200_000n);
  await issuerS.add(token, tokenIface.encodeFunctionData("burn", [400n * TOKEN, encodeBytes32String("reserve-out")]), 200_000n);
  await flush(complianceS, issuerS);
  const buyerStreams = buyers.map(stream);
  for (const s of buyerStreams) await s.add(token, tokenIface.encodeFunctionData("approve", [escrow, MaxUint256]), 100_000n);
  for (const s of buyerStreams) await flush(s);

  // 2. the payments: pattern p = i % 20 decides each one's life
  const domain = escrowDomainSeparator(chainId, escrow);
  const short = BigInt(now + 2 * 3600);
  const payments = Array.from({ length: options.payments }, (_, i) => {
    const m = merchants[i % 3 === 0 ? 1 : 0]!;
    const buyer = buyers[i % buyers.length]!;
    const pattern = i % 20;
    const amount = i === 11 ? 10_000n * TOKEN : (BigInt(1 + ((i * 7919) % 50)) * TOKEN) / 1n + BigInt(i % 997);
    const terms: PaymentTermsRecord = {
      merchant: m.w.address, buyer: buyer.address, token, amount,
      preApprovalExpiry: BigInt(now + 3600), authorizationExpiry: pattern === 1 || pattern === 2 ? short : BigInt(now + 30 * 86_400),
      refundExpiry: BigInt(now + 60 * 86_400), confirmationWindow: 3600n, kycTier: KycTier.Enhanced, feeBps: m.feeBps,
      partner: m.partner, partnerShareBps: m.partnerShareBps, orderRef: id(`${label}:order:${i}`),
    };
    return { i, pattern, terms, id: paymentIdOf(terms, domain), buyer };
  });
  const chunks = <T>(xs: T[]) => Array.from({ length: Math.ceil(xs.length / batch) }, (_, k) => xs.slice(k * batch, (k + 1) * batch));
  const termsArg = (t: PaymentTermsRecord) => ({ ...t });

  step(`authorize ${payments.length}`);
  for (const c of chunks(payments)) {
    await operatorS.add(escrow, escrowIface.encodeFunctionData("authorizeMany", [c.map((p) => ({ terms: termsArg(p.terms), method: FundingMethod.Allowance, funding: p.buyer.signingKey.sign(p.id).serialized }))]), GAS_BATCH);
  }
  await flush(operatorS);

  step("capture");
  const firstCapture = payments.filter((p) => p.pattern >= 2 && p.pattern !== 10);
  const half = (p: (typeof payments)[number]) => p.terms.amount / 2n;
  for (const c of chunks(firstCapture)) {
    await operatorS.add(escrow, escrowIface.encodeFunctionData("captureMany", [c.map((p) => ({ terms: termsArg(p.terms), amount: p.pattern === 2 || p.pattern === 8 ? half(p) : p.terms.amount }))]), GAS_BATCH);
  }
  for (const c of chunks(payments.filter((p) => p.pattern === 8))) {
    await operatorS.add(escrow, escrowIface.encodeFunctionData("captureMany", [c.map((p) => ({ terms: termsArg(p.terms), amount: p.terms.amount - half(p) }))]), GAS_BATCH);
  }
  await flush(operatorS);

  step("voids, refunds from held funds, disputes");
  const edomain = escrowDomain(chainId, escrow);
  for (const p of payments) {
    if (p.pattern === 0) await operatorS.add(escrow, escrowIface.encodeFunctionData("void", [termsArg(p.terms)]), GAS_SINGLE);
    if (p.pattern === 3) await operatorS.add(escrow, escrowIface.encodeFunctionData("refund", [termsArg(p.terms), p.terms.amount]), GAS_SINGLE);
    if (p.pattern === 4) await operatorS.add(escrow, escrowIface.encodeFunctionData("refund", [termsArg(p.terms), p.terms.amount / 3n]), GAS_SINGLE);
    if (p.pattern === 5 || p.pattern === 6) {
      const reason = encodeBytes32String("not-delivered");
      const signature = await p.buyer.signTypedData(edomain, DisputeRequestTypes, { paymentId: p.id, reason });
      await operatorS.add(escrow, escrowIface.encodeFunctionData("openDispute", [termsArg(p.terms), reason, signature]), GAS_SINGLE);
    }
  }
  await flush(operatorS);

  step("time passes: confirmation windows and short authorizations expire");
  await rpcCall(rpcUrl, "evm_increaseTime", [3 * 3600]);
  await rpcCall(rpcUrl, "evm_mine", []);

  step("release, reclaim, resolve disputes");
  const releasable = payments.filter((p) => [4, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19].includes(p.pattern));
  for (const c of chunks(releasable)) await operatorS.add(escrow, escrowIface.encodeFunctionData("releaseMany", [c.map((p) => termsArg(p.terms))]), GAS_BATCH);
  for (const p of payments) {
    if (p.pattern === 1 || p.pattern === 2) await operatorS.add(escrow, escrowIface.encodeFunctionData("reclaim", [termsArg(p.terms)]), GAS_SINGLE);
    if (p.pattern === 5) await arbiterS.add(escrow, escrowIface.encodeFunctionData("resolveDispute", [termsArg(p.terms), p.terms.amount / 4n]), GAS_SINGLE);
    if (p.pattern === 6) await arbiterS.add(escrow, escrowIface.encodeFunctionData("resolveDispute", [termsArg(p.terms), p.terms.amount]), GAS_SINGLE);
  }
  await flush(operatorS, arbiterS);

  step("refunds after release, payouts");
  for (const p of payments.filter((x) => x.pattern === 7)) await operatorS.add(escrow, escrowIface.encodeFunctionData("refund", [termsArg(p.terms), p.terms.amount / 5n]), GAS_SINGLE);
  await operatorS.add(escrow, escrowIface.encodeFunctionData("payoutMany", [token, [merchants[1]!.w.address, merchants[0]!.partner]]), 2_000_000n);
  await flush(operatorS);

  const count = (ps: number[]) => payments.filter((p) => ps.includes(p.pattern)).length;
  return {
    payments: payments.length,
    transactions,
    merchants: merchants.map((m) => m.w.address),
    expected: { voided: count([0]), reclaimed: count([1, 2]), refundedFromHeld: count([3, 4]), disputed: count([5, 6]), refundedAfterRelease: count([7]), released: releasable.length + count([5]), open: count([9, 10]) },
  };
}

// `npm run bench:gas`: gas of every escrow and receivable operation, built with the production profile, each measured as the
// whole transaction's gasUsed (21,000 base included) on a fresh in-process chain. Writes reports/gas.json.
//
// "Returning buyer" figures are the steady state: the buyer has paid before within the same 8-hour bucket of
// the rolling limit, so that storage slot is already warm-nonzero. First-payment figures are reported too.
import { mkdir, writeFile } from "node:fs/promises";

import { network } from "hardhat";
import type { ContractTransactionResponse } from "ethers";

import {
  erc3009FundingMessage,
  FundingMethod,
  KycTier,
  countryCode,
  escrowDomain,
  PaymentTermsTypes,
  ReceiveWithAuthorizationTypes,
  tokenDomain,
  type PaymentTerms,
} from "../relayer/chain/typed-data.js";
import {
  AcceptanceTypes,
  FinanceAcceptanceTypes,
  FinanceOfferTypes,
  InvoiceTermsTypes,
  registryDomain,
  RepaymentSource,
  RepaymentTypes,
  SplitTypes,
  type InvoiceTerms,
} from "../relayer/chain/receivable-typed-data.js";
import { ROLE_IDS } from "../scripts/lib/roles.js";
import { namedSigners } from "../scripts/lib/signers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { admin, operator, compliance, arbiter, issuer, treasury, merchant, settlement, partner, holderA, holderB, supplier, tier2, debtor, financier } =
  await namedSigners(ethers, ["admin", "operator", "compliance", "arbiter", "issuer", "treasury", "merchant", "settlement", "partner", "holderA", "holderB", "supplier", "tier2", "debtor", "financier"]);
const chainId = (await ethers.provider.getNetwork()).chainId;
const TOKEN_NAME = "Settlement USD";
const UNIT = 1_000_000n;
const FEE_BPS = 250;
const PARTNER_SHARE_BPS = 2_000;

const gas: Record<string, number> = {};
async function measure(name: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error(`${name} failed`);
  gas[name] = Number(receipt.gasUsed);
}

// ---- the floor: a plain ERC-20 transferFrom between existing holders (finite allowance)
const plain = await ethers.deployContract("PlainERC20");
await plain.mint(holderA.address, 1_000n * UNIT);
await plain.mint(holderB.address, 1_000n * UNIT);
await plain.connect(holderA).approve(operator.address, 500n * UNIT);
await measure("erc20_transferFrom", plain.connect(operator).transferFrom(holderA.address, holderB.address, 1n * UNIT));

// ---- the system
const token = await ethers.deployContract("SettlementToken", [TOKEN_NAME, "SUSD", admin.address, 0n]);
const kyc = await ethers.deployContract("KycRegistry", [admin.address, 0n]);
const escrow = await ethers.deployContract("PaymentEscrow", [admin.address, 0n, await kyc.getAddress(), treasury.address]);
const tokenAddress = await token.getAddress();
const escrowAddress = await escrow.getAddress();
await token.grantRole(ROLE_IDS.ISSUER, issuer.address);
await kyc.grantRole(ROLE_IDS.COMPLIANCE, compliance.address);
await escrow.grantRole(ROLE_IDS.OPERATOR, operator.address);
await escrow.grantRole(ROLE_IDS.ARBITER, arbiter.address);
await escrow.setToken(tokenAddress, { allowed: true, largeTransactionThreshold: 10_000n * UNIT });
await escrow.setRiskLimits(tokenAddress, KycTier.Enhanced, { perPayment: 50_000n * UNIT, perDay: 1_000_000n * UNIT });
await escrow.setMerchant(merchant.address, {
  settlementAddress: settlement.address,
  feeBps: FEE_BPS,
  partnerShareBps: PARTNER_SHARE_BPS,
  active: true,
  partner: partner.address,
});
await measure("settlement_token_transferFrom", (async () => {
  await token.connect(issuer).mint(holderA.address, 1_000n * UNIT, ethers.id("wire-a"));
  await token.connect(issuer).mint(holderB.address, 1_000n * UNIT, ethers.id("wire-b"));
  await token.connect(holderA).approve(operator.address, 500n * UNIT);
  return token.connect(operator).transferFrom(holderA.address, holderB.address, 1n * UNIT);
})());

const buyers = Array.from({ length: 220 }, () => ethers.Wallet.createRandom());
const now = async () => BigInt(await networkHelpers.time.latest());
const expiry = (await now()) + 365n * 24n * 3600n;
for (let i = 0; i < buyers.length + 1; i += 100) {
  const batch = [merchant.address, ...buyers.map((b) => b.address)].slice(i, i + 100);
  await kyc.connect(compliance).setRecords(
    batch,
    batch.map(() => KycTier.Enhanced),
    batch.map(() => countryCode("SG")),
    batch.map(() => expiry),
    batch.map((a) => ethers.id(`dossier:${a}`)),
    ethers.encodeBytes32String("bench"),
  );
}
for (const buyer of buyers) await token.connect(issuer).mint(buyer.address, 100_000n * UNIT, ethers.id(`wire:${buyer.address}`));

let salt = 0;
async function terms(buyer: string, amount = 100n * UNIT): Promise<PaymentTerms> {
  const t = await now();
  return {
    merchant: merchant.address,
    buyer,
    token: tokenAddress,
    amount,
    preApprovalExpiry: t + 3_600n,
    authorizationExpiry: t + 7n * 24n * 3600n,
    refundExpiry: t + 30n * 24n * 3600n,
    confirmationWindow: 3n * 24n * 3600n,
    kycTier: KycTier.Basic,
    feeBps: FEE_BPS,
    partner: partner.address,
    partnerShareBps: PARTNER_SHARE_BPS,
    orderRef: ethers.id(`bench-${salt++}`),
  };
}
async function erc3009(buyer: InstanceType<typeof ethers.HDNodeWallet>, t: PaymentTerms): Promise<string> {
  const id = await escrow.paymentId(t);
  return buyer.signTypedData(tokenDomain(TOKEN_NAME, chainId, tokenAddress), ReceiveWithAuthorizationTypes, erc3009FundingMessage(t, escrowAddress, id));
}
const op = escrow.connect(operator);
const buyer = (i: number) => buyers[i] ?? (() => { throw new Error(`no buyer ${i}`); })();
const [b0, b1, b2, b3, b4, b5] = [0, 1, 2, 3, 4, 5].map(buyer) as [typeof buyers[0], typeof buyers[0], typeof buyers[0], typeof buyers[0], typeof buyers[0], typeof buyers[0]];

// authorize: first payment of a buyer, then a returning buyer (steady state)
let t0 = await terms(b0.address);
await measure("authorize_first_payment", op.authorize(t0, FundingMethod.Erc3009, await erc3009(b0, t0)));
const tAuth = await terms(b0.address);
await measure("authorize", op.authorize(tAuth, FundingMethod.Erc3009, await erc3009(b0, tAuth)));
await measure("capture", op.capture(tAuth, tAuth.amount));

const tPartial = await terms(b0.address);
await op.authorize(tPartial, FundingMethod.Erc3009, await erc3009(b0, tPartial));
await measure("capture_partial", op.capture(tPartial, 40n * UNIT));

// allowance and permit funding paths
const bAllow = b1.connect(ethers.provider);
await admin.sendTransaction({ to: b1.address, value: ethers.parseEther("1") });
await token.connect(bAllow).approve(escrowAddress, ethers.MaxUint256);
const tFirstAllow = await terms(b1.address);
await op.authorize(tFirstAllow, FundingMethod.Allowance, await b1.signTypedData(escrowDomain(chainId, escrowAddress), PaymentTermsTypes, tFirstAllow));
const tAllow = await terms(b1.address);
await measure("authorize_allowance", op.authorize(tAllow, FundingMethod.Allowance, await b1.signTypedData(escrowDomain(chainId, escrowAddress), PaymentTermsTypes, tAllow)));

// charge
const tCharge = await terms(b0.address);
await measure("charge", op.charge(tCharge, FundingMethod.Erc3009, await erc3009(b0, tCharge)));

// release after the window. The first release ever for a merchant also creates the merchant's, the treasury's
// and the partner's balances (three fresh slots); the steady state is every release after that.
await networkHelpers.time.increase(3 * 24 * 3600);
await measure("release_first_for_merchant", escrow.connect(operator).release(tPartial));
await measure("release", escrow.connect(operator).release(tAuth));
await measure("refund_after_release", op.refund(tAuth, 10n * UNIT));

// refund from held funds
await measure("refund_partial", op.refund(tCharge, 10n * UNIT));
await measure("refund_full_remaining", op.refund(tCharge, 90n * UNIT));

// buyer confirmation (relayed signature) and disputes
const tConfirm = await terms(b2.address);
await op.charge(tConfirm, FundingMethod.Erc3009, await erc3009(b2, tConfirm));
const confirmId = await escrow.paymentId(tConfirm);
const deadline = (await now()) + 3600n;
const confirmSig = await b2.signTypedData(escrowDomain(chainId, escrowAddress), { ReceiptConfirmation: [{ name: "paymentId", type: "bytes32" }, { name: "deadline", type: "uint256" }] }, { paymentId: confirmId, deadline });
await measure("confirm_receipt", op.confirmReceipt(tConfirm, deadline, confirmSig));

const tDispute = await terms(b3.address);
await op.charge(tDispute, FundingMethod.Erc3009, await erc3009(b3, tDispute));
const disputeId = await escrow.paymentId(tDispute);
const reason = ethers.encodeBytes32String("not-delivered");
const disputeSig = await b3.signTypedData(escrowDomain(chainId, escrowAddress), { DisputeRequest: [{ name: "paymentId", type: "bytes32" }, { name: "reason", type: "bytes32" }] }, { paymentId: disputeId, reason });
await measure("dispute_open", op.openDispute(tDispute, reason, disputeSig));
await measure("dispute_resolve", escrow.connect(arbiter).resolveDispute(tDispute, 30n * UNIT));

// void and reclaim
const tVoid = await terms(b4.address);
await op.authorize(tVoid, FundingMethod.Erc3009, await erc3009(b4, tVoid));
await measure("void", op.void(tVoid));
t0 = await terms(b5.address);
await op.authorize(t0, FundingMethod.Erc3009, await erc3009(b5, t0));
await networkHelpers.time.increase(7 * 24 * 3600);
await measure("reclaim", op.reclaim(t0));

// payouts
await measure("payout", escrow.connect(merchant).payout(tokenAddress, merchant.address));

// batches of 100 returning buyers (each paid once before in the same bucket)
const batchBuyers = buyers.slice(10, 110);
const warm = await Promise.all(batchBuyers.map((b) => terms(b.address, 1n * UNIT)));
await op.authorizeMany(await Promise.all(warm.map(async (t, i) => ({ terms: t, method: FundingMethod.Erc3009, funding: await erc3009(batchBuyers[i]!, t) }))));
const batch = await Promise.all(batchBuyers.map((b) => terms(b.address)));
const requests = await Promise.all(batch.map(async (t, i) => ({ terms: t, method: FundingMethod.Erc3009, funding: await erc3009(batchBuyers[i]!, t) })));
await measure("authorize_batch_100", op.authorizeMany(requests));
gas.authorize_batch_100_per_payment = Math.round(gas.authorize_batch_100! / 100);
delete gas.authorize_batch_100;
await measure("capture_batch_100", op.captureMany(batch.map((t) => ({ terms: t, amount: t.amount }))));
gas.capture_batch_100_per_payment = Math.round(gas.capture_batch_100! / 100);
delete gas.capture_batch_100;
await networkHelpers.time.increase(3 * 24 * 3600);
await measure("release_batch_100", escrow.connect(operator).releaseMany(batch));
gas.release_batch_100_per_payment = Math.round(gas.release_batch_100! / 100);
delete gas.release_batch_100;

// ---- receivables (supply-chain finance): every action relayed by the operator with the party's EIP-712 signature
const registry = await ethers.deployContract("ReceivableRegistry", [
  admin.address, 0n, await kyc.getAddress(), escrowAddress, treasury.address, 50, 1_800, 7n * 24n * 3600n,
]);
const registryAddress = await registry.getAddress();
await registry.grantRole(ROLE_IDS.OPERATOR, operator.address);
await registry.setTokenAllowed(tokenAddress, true);
await escrow.grantRole(ROLE_IDS.COLLECTOR, registryAddress);
await kyc.connect(compliance).setRecords(
  [supplier.address, tier2.address, debtor.address, financier.address],
  [KycTier.Enhanced, KycTier.Basic, KycTier.Enhanced, KycTier.Institutional],
  [countryCode("SG"), countryCode("SG"), countryCode("SG"), countryCode("SG")],
  [expiry, expiry, expiry, expiry],
  [ethers.id("d:s"), ethers.id("d:t"), ethers.id("d:d"), ethers.id("d:f")],
  ethers.encodeBytes32String("bench"),
);
for (const who of [debtor, financier]) {
  await token.connect(issuer).mint(who.address, 100_000_000n * UNIT, ethers.id(`wire:${who.address}`));
  await token.connect(who).approve(registryAddress, ethers.MaxUint256);
}
const rDomain = registryDomain(chainId, registryAddress);
let rNonce = 0;
const auth = async (signer: typeof supplier, types: Record<string, { name: string; type: string }[]>, message: Record<string, unknown>) => {
  const nonce = ethers.id(`bench-nonce-${rNonce++}`);
  const deadline = (await now()) + 3_600n;
  return { nonce, deadline, signature: await signer.signTypedData(rDomain, types, { ...message, nonce, deadline }) };
};
const rop = registry.connect(operator);
async function invoice(faceValue: bigint): Promise<{ terms: InvoiceTerms; id: bigint }> {
  const t = await now();
  const terms: InvoiceTerms = {
    issuer: supplier.address, dueAt: t + 120n * 24n * 3600n, acceptBy: t + 7n * 24n * 3600n, debtor: debtor.address,
    token: tokenAddress, faceValue, documentHash: ethers.id(`docs-${salt}`), invoiceRef: ethers.id(`inv-${salt++}`),
  };
  return { terms, id: await registry.invoiceId(terms) };
}
async function issueAndAccept(faceValue: bigint): Promise<bigint> {
  const { terms, id } = await invoice(faceValue);
  await rop.issue(terms, await supplier.signTypedData(rDomain, InvoiceTermsTypes, terms));
  await rop.accept(id, await auth(debtor, AcceptanceTypes, { receivableId: id }));
  return id;
}
// warm-up: the supplier, tier 2 and the financier already hold receivables (steady state)
await registry.connect(debtor).repay(await issueAndAccept(1n * UNIT), 1n * UNIT, RepaymentSource.Wallet, { nonce: ethers.ZeroHash, deadline: 0n, signature: "0x" });
const first = await invoice(1_000_000n * UNIT);
await measure("receivable_issue", rop.issue(first.terms, await supplier.signTypedData(rDomain, InvoiceTermsTypes, first.terms)));
await measure("receivable_accept", rop.accept(first.id, await auth(debtor, AcceptanceTypes, { receivableId: first.id })));
const faces = [700_000n * UNIT, 300_000n * UNIT];
const recipients = [supplier.address, tier2.address];
await measure("receivable_split_2", rop.split(first.id, faces, recipients, await auth(supplier, SplitTypes, { receivableId: first.id, faceValues: faces, recipients })));
const part = await registry.partIdOf(first.id, 1);
const offer = { receivableId: part, financier: financier.address, annualRateBps: 600, maxPrice: ethers.MaxUint256, expiry: (await now()) + 3_600n, nonce: ethers.id("offer-1") };
await measure("receivable_finance", rop.finance(offer, await financier.signTypedData(rDomain, FinanceOfferTypes, offer), 0n, await auth(tier2, FinanceAcceptanceTypes, { offer, minProceeds: 0n })));
// repayment of the whole invoice at maturity, per part paid: a 2-part invoice, and a 10-part one
await networkHelpers.time.increaseTo(first.terms.dueAt);
const repayAll = async (id: bigint, amount: bigint) => rop.repay(id, amount, RepaymentSource.Wallet, await auth(debtor, RepaymentTypes, { receivableId: id, amount, source: RepaymentSource.Wallet }));
await measure("receivable_repay_2_parts", repayAll(first.id, 1_000_000n * UNIT));
gas.receivable_repay = Math.round(gas.receivable_repay_2_parts! / 2);
const ten = await issueAndAccept(1_000_000n * UNIT);
await registry.connect(supplier).split(ten, Array(10).fill(100_000n * UNIT), [...Array(5).fill(supplier.address), ...Array(5).fill(tier2.address)], { nonce: ethers.ZeroHash, deadline: 0n, signature: "0x" });
await measure("receivable_repay_10_parts", repayAll(ten, 1_000_000n * UNIT));
gas.receivable_repay_per_part_of_10 = Math.round(gas.receivable_repay_10_parts! / 10);
delete gas.receivable_repay_10_parts;
const single = await issueAndAccept(1_000n * UNIT);
await measure("receivable_repay_unsplit", repayAll(single, 1_000n * UNIT));

await mkdir("reports", { recursive: true });
await writeFile("reports/gas.json", JSON.stringify(gas, null, 2) + "\n");
const floor = gas.erc20_transferFrom!;
console.log("operation                               gasUsed   x erc20_transferFrom");
for (const [name, used] of Object.entries(gas)) {
  console.log(`${name.padEnd(38)} ${String(used).padStart(8)}   ${(used / floor).toFixed(2)}`);
}
console.log("written to reports/gas.json");

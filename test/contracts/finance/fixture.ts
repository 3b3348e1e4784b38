// The finance fixture: the payment core of deploySystem plus the receivable registry, with a supplier, its own
// (tier-2) supplier, a core enterprise that owes (also an escrow merchant) and two institutional financiers.
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { KycTier } from "../../../relayer/chain/typed-data.js";
import {
  AcceptanceTypes,
  FinanceAcceptanceTypes,
  FinanceOfferTypes,
  InvoiceTermsTypes,
  ReceivableTransferTypes,
  registryDomain,
  RejectionTypes,
  RepaymentTypes,
  SplitTypes,
  type Authorization,
  type FinanceOffer,
  type InvoiceTerms,
} from "../../../relayer/chain/receivable-typed-data.js";
import type { ReceivableRegistry } from "../../../typechain-types/index.js";
import { ADMIN_DELAY, DAY, deploySystem, KYC_EXPIRY_SECONDS, ROLES, UNIT, type System } from "../fixtures.js";

export const PLATFORM_FEE_BPS = 50; // 0.5% of the price
export const LATE_FEE_BPS = 1_800; // 18% a year on overdue principal
export const GRACE_PERIOD = 7n * DAY;
export const FUNDS = 10_000_000n * UNIT;

export interface Finance extends System {
  registry: ReceivableRegistry;
  registryAddress: string;
  supplier: HardhatEthersSigner;
  tier2: HardhatEthersSigner;
  debtor: HardhatEthersSigner;
  financier: HardhatEthersSigner;
  financier2: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
}

export async function deployFinance(ethers: Finance["ethers"]): Promise<Finance> {
  const sys = await deploySystem(ethers);
  // Accounts 13-18: deploySystem names 0-12.
  const extra = (await ethers.getSigners()).slice(13, 19);
  if (extra.length < 6) throw new Error("the test network needs 19 accounts");
  type S = HardhatEthersSigner;
  const [supplier, tier2, debtor, financier, financier2, outsider] = extra as [S, S, S, S, S, S];
  const registry = await ethers.deployContract("ReceivableRegistry", [
    sys.admin.address,
    ADMIN_DELAY,
    await sys.kyc.getAddress(),
    sys.escrowAddress,
    sys.treasury.address,
    PLATFORM_FEE_BPS,
    LATE_FEE_BPS,
    GRACE_PERIOD,
  ]);
  const registryAddress = await registry.getAddress();
  await registry.connect(sys.admin).grantRole(ROLES.OPERATOR, sys.operator.address);
  await registry.connect(sys.admin).grantRole(ROLES.ARBITER, sys.arbiter.address);
  await registry.connect(sys.admin).setTokenAllowed(sys.tokenAddress, true);
  await sys.escrow.connect(sys.admin).grantRole(ROLES.COLLECTOR, registryAddress);
  // The debtor is also a merchant of the escrow (its sales proceeds can repay its debts).
  await sys.escrow.connect(sys.admin).setMerchant(debtor.address, {
    settlementAddress: debtor.address,
    feeBps: 100,
    partnerShareBps: 0,
    active: true,
    partner: ethers.ZeroAddress,
  });

  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const parties: [HardhatEthersSigner, KycTier][] = [
    [supplier, KycTier.Enhanced],
    [tier2, KycTier.Basic],
    [debtor, KycTier.Enhanced],
    [financier, KycTier.Institutional],
    [financier2, KycTier.Institutional],
  ];
  for (const [account, tier] of parties) {
    await sys.kyc
      .connect(sys.compliance)
      .setRecord(account.address, tier, "0x5347", now + KYC_EXPIRY_SECONDS, ethers.id(`dossier:${account.address}`), ethers.encodeBytes32String("onboarding"));
  }
  for (const account of [debtor, financier, financier2]) {
    await sys.token.connect(sys.issuer).mint(account.address, FUNDS, ethers.id(`wire:${account.address}`));
    await sys.token.connect(account).approve(registryAddress, ethers.MaxUint256);
  }
  return { ...sys, registry, registryAddress, supplier, tier2, debtor, financier, financier2, outsider };
}

let invoiceCounter = 0;

/** Invoice terms from the supplier to the debtor, due in 120 days, to be accepted within 7. */
export async function makeInvoice(f: Finance, overrides: Partial<InvoiceTerms> = {}): Promise<InvoiceTerms> {
  const now = BigInt((await f.ethers.provider.getBlock("latest"))!.timestamp);
  return {
    issuer: f.supplier.address,
    dueAt: now + 120n * DAY,
    acceptBy: now + 7n * DAY,
    debtor: f.debtor.address,
    token: f.tokenAddress,
    faceValue: 1_000_000n * UNIT,
    documentHash: f.ethers.id(`invoice-documents-${invoiceCounter}`),
    invoiceRef: f.ethers.id(`INV-${invoiceCounter++}`),
    ...overrides,
  };
}

export const SELF: Authorization = { nonce: "0x" + "00".repeat(32), deadline: 0n, signature: "0x" };

const domain = (f: Finance) => registryDomain(f.chainId, f.registryAddress);
let nonceCounter = 0;
const freshNonce = (f: Finance) => f.ethers.id(`nonce-${nonceCounter++}-${Math.random()}`);

async function authorization(
  f: Finance,
  signer: HardhatEthersSigner,
  types: Record<string, { name: string; type: string }[]>,
  message: Record<string, unknown>,
  deadline?: bigint,
): Promise<Authorization> {
  const nonce = (message.nonce as string | undefined) ?? freshNonce(f);
  const dl = deadline ?? BigInt((await f.ethers.provider.getBlock("latest"))!.timestamp) + 3_600n;
  const signature = await signer.signTypedData(domain(f), types, { ...message, nonce, deadline: dl });
  return { nonce, deadline: dl, signature };
}

export const signInvoice = (f: Finance, signer: HardhatEthersSigner, terms: InvoiceTerms) =>
  signer.signTypedData(domain(f), InvoiceTermsTypes, terms);

export const acceptance = (f: Finance, signer: HardhatEthersSigner, receivableId: bigint, deadline?: bigint) =>
  authorization(f, signer, AcceptanceTypes, { receivableId }, deadline);

export const rejection = (f: Finance, signer: HardhatEthersSigner, receivableId: bigint, reason: string) =>
  authorization(f, signer, RejectionTypes, { receivableId, reason });

export const splitAuth = (
  f: Finance,
  signer: HardhatEthersSigner,
  receivableId: bigint,
  faceValues: bigint[],
  recipients: string[],
) => authorization(f, signer, SplitTypes, { receivableId, faceValues, recipients });

export const transferAuth = (f: Finance, signer: HardhatEthersSigner, receivableId: bigint, to: string) =>
  authorization(f, signer, ReceivableTransferTypes, { receivableId, to });

export const repaymentAuth = (
  f: Finance,
  signer: HardhatEthersSigner,
  receivableId: bigint,
  amount: bigint,
  source: number,
  deadline?: bigint,
) => authorization(f, signer, RepaymentTypes, { receivableId, amount, source }, deadline);

/** An offer by `financier` for `receivableId`, valid for an hour, with no price cap unless given. */
export async function makeOffer(f: Finance, receivableId: bigint, overrides: Partial<FinanceOffer> = {}): Promise<FinanceOffer> {
  const now = BigInt((await f.ethers.provider.getBlock("latest"))!.timestamp);
  return {
    receivableId,
    financier: f.financier.address,
    annualRateBps: 600,
    maxPrice: f.ethers.MaxUint256,
    expiry: now + 3_600n,
    nonce: freshNonce(f),
    ...overrides,
  };
}

export const signOffer = (f: Finance, signer: HardhatEthersSigner, offer: FinanceOffer) =>
  signer.signTypedData(domain(f), FinanceOfferTypes, offer);

export const financeAcceptance = (
  f: Finance,
  signer: HardhatEthersSigner,
  offer: FinanceOffer,
  minProceeds: bigint,
  deadline?: bigint,
) => authorization(f, signer, FinanceAcceptanceTypes, { offer, minProceeds }, deadline);

/** Issues `terms` through the operator with the supplier's signature; returns the root id. */
export async function issue(f: Finance, terms: InvoiceTerms): Promise<bigint> {
  await (await f.registry.connect(f.operator).issue(terms, await signInvoice(f, f.supplier, terms))).wait();
  return f.registry.invoiceId(terms);
}

/** Issues and accepts (the debtor's signature relayed by the operator) an invoice; returns the root id. */
export async function issueAccepted(f: Finance, overrides: Partial<InvoiceTerms> = {}): Promise<{ id: bigint; terms: InvoiceTerms }> {
  const terms = await makeInvoice(f, overrides);
  const id = await issue(f, terms);
  await (await f.registry.connect(f.operator).accept(id, await acceptance(f, f.debtor, id))).wait();
  return { id, terms };
}

/** The discount price the contract computes (ceil days, ceil discount, ceil fee). */
export function expectedPrice(face: bigint, rateBps: bigint, secondsToMaturity: bigint, feeBps = BigInt(PLATFORM_FEE_BPS)) {
  const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
  const days = ceilDiv(secondsToMaturity, DAY);
  const discount = ceilDiv(face * rateBps * days, 10_000n * 365n);
  const price = face - discount;
  const fee = ceilDiv(price * feeBps, 10_000n);
  return { days, price, fee, proceeds: price - fee };
}

export { DAY, UNIT };

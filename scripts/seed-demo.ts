// Seeds a local chain for trying the network by hand: a demo merchant (with settlement address and a partner),
// a KYC'd demo buyer holding tokens, and KYC for both; for supply-chain finance a supplier, its own (tier-2)
// supplier, a core enterprise (the debtor, also an escrow merchant) and an institutional financier holding tokens
// with an allowance to the receivable registry. Writes data/demo-credentials.json.
//
//   npm run seed:demo -- --network localhost     (after npm run deploy)
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { network } from "hardhat";

import { countryCode, KycTier } from "../relayer/chain/typed-data.js";
import { deploymentPath, readDeployment } from "./lib/deployment.js";

// Accounts of the development mnemonic of `hardhat node`: never fund them on a real chain.
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEMO_ACCOUNT_INDEX = {
  merchant: 7,
  settlement: 8,
  partner: 9,
  buyer: 10,
  supplier: 11,
  tier2Supplier: 12,
  coreEnterprise: 13,
  financier: 14,
} as const;

const connection = await network.getOrCreate();
const { ethers } = connection;
const chainId = (await ethers.provider.getNetwork()).chainId;
if (chainId !== 31337n) throw new Error("seed-demo only seeds the local development chain (31337)");

const deploymentFile = deploymentPath(chainId, process.env.DEPLOYMENTS_DIR);
const deployment = await readDeployment(deploymentFile);
const signers = await ethers.getSigners();
const byAddress = (address: string) => {
  const signer = signers.find((s) => s.address.toLowerCase() === address.toLowerCase());
  if (!signer) throw new Error(`the node has no unlocked account ${address}`);
  return signer;
};
const admin = byAddress(deployment.roles.admin);
const compliance = byAddress(deployment.roles.compliance);
const issuer = byAddress(deployment.roles.issuer);
const demo = Object.fromEntries(
  Object.entries(DEMO_ACCOUNT_INDEX).map(([name, index]) => [
    name,
    ethers.HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`),
  ]),
) as Record<keyof typeof DEMO_ACCOUNT_INDEX, InstanceType<typeof ethers.HDNodeWallet>>;

const token = await ethers.getContractAt("SettlementToken", deployment.contracts.SettlementToken.address);
const kyc = await ethers.getContractAt("KycRegistry", deployment.contracts.KycRegistry.address);
const escrow = await ethers.getContractAt("PaymentEscrow", deployment.contracts.PaymentEscrow.address);
const registryAddress = deployment.contracts.ReceivableRegistry.address;

const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const oneYear = now + 365n * 24n * 3600n;
const reason = ethers.encodeBytes32String("demo-onboarding");
await (
  await kyc.connect(compliance).setRecords(
    [demo.merchant.address, demo.settlement.address, demo.buyer.address],
    [KycTier.Enhanced, KycTier.Enhanced, KycTier.Enhanced],
    [countryCode("SG"), countryCode("SG"), countryCode("SG")],
    [oneYear, oneYear, oneYear],
    [ethers.id("dossier:demo-merchant"), ethers.id("dossier:demo-settlement"), ethers.id("dossier:demo-buyer")],
    reason,
  )
).wait();
const feeBps = 250;
const partnerShareBps = 2_000;
await (
  await escrow.connect(admin).setMerchant(demo.merchant.address, {
    settlementAddress: demo.settlement.address,
    feeBps,
    partnerShareBps,
    active: true,
    partner: demo.partner.address,
  })
).wait();
const buyerFunds = 10_000n * 1_000_000n;
await (await token.connect(issuer).mint(demo.buyer.address, buyerFunds, ethers.encodeBytes32String("demo-deposit-0001"))).wait();

// Supply-chain finance: suppliers (Enhanced, Basic), the core enterprise (Enhanced; a merchant of the escrow too,
// so its sales proceeds can repay its invoices) and a financier (Institutional), the last two funded and approved.
await (
  await kyc.connect(compliance).setRecords(
    [demo.supplier.address, demo.tier2Supplier.address, demo.coreEnterprise.address, demo.financier.address],
    [KycTier.Enhanced, KycTier.Basic, KycTier.Enhanced, KycTier.Institutional],
    [countryCode("SG"), countryCode("SG"), countryCode("CN"), countryCode("SG")],
    [oneYear, oneYear, oneYear, oneYear],
    [ethers.id("dossier:demo-supplier"), ethers.id("dossier:demo-tier2"), ethers.id("dossier:demo-core"), ethers.id("dossier:demo-financier")],
    reason,
  )
).wait();
await (
  await escrow.connect(admin).setMerchant(demo.coreEnterprise.address, {
    settlementAddress: demo.coreEnterprise.address,
    feeBps: 100,
    partnerShareBps: 0,
    active: true,
    partner: ethers.ZeroAddress,
  })
).wait();
const financeFunds = { coreEnterprise: 2_000_000n * 1_000_000n, financier: 5_000_000n * 1_000_000n };
for (const name of ["coreEnterprise", "financier"] as const) {
  const wallet = demo[name].connect(ethers.provider);
  await (await token.connect(issuer).mint(wallet.address, financeFunds[name], ethers.encodeBytes32String(`demo-deposit-${name}`.slice(0, 31)))).wait();
  await (await token.connect(wallet).approve(registryAddress, ethers.MaxUint256)).wait();
}

const credentials = {
  rpcUrl: connection.networkConfig.type === "http" ? String(await connection.networkConfig.url.get()) : "in-process",
  chainId: Number(chainId),
  deploymentFile,
  contracts: Object.fromEntries(Object.entries(deployment.contracts).map(([name, c]) => [name, c.address])),
  roles: deployment.roles,
  merchant: { address: demo.merchant.address, settlementAddress: demo.settlement.address, partner: demo.partner.address, feeBps, partnerShareBps },
  buyer: { address: demo.buyer.address, privateKey: demo.buyer.privateKey, balance: buyerFunds.toString() },
  receivables: {
    supplier: { address: demo.supplier.address, privateKey: demo.supplier.privateKey, kycTier: "Enhanced" },
    tier2Supplier: { address: demo.tier2Supplier.address, privateKey: demo.tier2Supplier.privateKey, kycTier: "Basic" },
    coreEnterprise: {
      address: demo.coreEnterprise.address,
      privateKey: demo.coreEnterprise.privateKey,
      kycTier: "Enhanced",
      balance: financeFunds.coreEnterprise.toString(),
      note: "the debtor; also an escrow merchant; has approved the registry",
    },
    financier: {
      address: demo.financier.address,
      privateKey: demo.financier.privateKey,
      kycTier: "Institutional",
      balance: financeFunds.financier.toString(),
      note: "has approved the registry",
    },
  },
  warning: "Development keys of the local hardhat node only; never fund them on a real network.",
};
const credentialsFile = process.env.DEMO_CREDENTIALS_FILE ?? "data/demo-credentials.json";
await mkdir(path.dirname(credentialsFile), { recursive: true });
await writeFile(credentialsFile, JSON.stringify(credentials, null, 2) + "\n");
console.log(`Seeded demo merchant ${demo.merchant.address} and buyer ${demo.buyer.address}; wrote ${credentialsFile}`);
console.log(
  `Seeded supply-chain finance: supplier ${demo.supplier.address}, tier-2 ${demo.tier2Supplier.address}, core enterprise ${demo.coreEnterprise.address}, financier ${demo.financier.address}`,
);

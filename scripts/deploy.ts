// Deploys the payment core and the receivable registry through their Ignition module and writes deployments/<chainId>.json.
//
//   npm run deploy -- --network localhost
//
// Role accounts come from DEPLOY_ROLES (a JSON file: {admin, operator, compliance, arbiter, pauser, issuer,
// treasury}); on a local development chain (chain id 31337) they default to the node's unlocked accounts 0-6.
import { readFile, rm } from "node:fs/promises";

import { network } from "hardhat";

import SettlementNetwork from "../ignition/modules/SettlementNetwork.js";
import { writeDeployment, type ContractRecord } from "./lib/deployment.js";
import type { RoleAccounts } from "./lib/roles.js";

const LOCAL_CHAIN_ID = 31337n;

const connection = await network.getOrCreate();
const { ethers, ignition } = connection;
const chainId = (await ethers.provider.getNetwork()).chainId;
const roles = await resolveRoles();
const [deployer] = await ethers.getSigners();
if (deployer?.address.toLowerCase() !== roles.admin.toLowerCase()) {
  // The module grants roles and configures the escrow in the deployer's name; hand admin over afterwards
  // with the two-step transfer (beginDefaultAdminTransfer / acceptDefaultAdminTransfer).
  throw new Error(`the deployer ${deployer?.address} must be the admin ${roles.admin} named in the roles`);
}

// A local node starts from the same genesis every time, so an old Ignition journal would describe a chain that no
// longer exists: local deployments get a journal per node port, cleared first.
let deploymentId: string | undefined;
if (chainId === LOCAL_CHAIN_ID) {
  const url = connection.networkConfig.type === "http" ? String(await connection.networkConfig.url.get()) : "in-process";
  deploymentId = `local-${url.replace(/[^a-z0-9]+/gi, "-")}`;
  await rm(`ignition/deployments/${deploymentId}`, { recursive: true, force: true });
}

const { token, kyc, escrow, receivables } = await ignition.deploy(SettlementNetwork, {
  parameters: { SettlementNetwork: { ...roles } },
  defaultSender: roles.admin,
  deploymentId,
  displayUi: process.env.CI !== "true",
});

/** Where and by which transaction `contract` was created (found on chain, so it holds for any strategy). */
const record = async (contract: { getAddress(): Promise<string> }): Promise<ContractRecord> => {
  const address = await contract.getAddress();
  const blockNumber = await firstBlockWithCode(address);
  const block = await ethers.provider.getBlock(blockNumber);
  for (const hash of block?.transactions ?? []) {
    const receipt = await ethers.provider.getTransactionReceipt(hash);
    if (receipt?.contractAddress?.toLowerCase() === address.toLowerCase()) {
      return { address, blockNumber, transactionHash: hash };
    }
  }
  throw new Error(`no creation transaction of ${address} in block ${blockNumber}`);
};

const contracts = {
  SettlementToken: await record(token),
  KycRegistry: await record(kyc),
  PaymentEscrow: await record(escrow),
  ReceivableRegistry: await record(receivables),
};
const genesis = await ethers.provider.getBlock(0);
const file = await writeDeployment(
  {
  chainId: Number(chainId),
  genesisHash: genesis!.hash!,
  network: connection.networkName,
  deployedAt: new Date(Number((await ethers.provider.getBlock(Math.max(...Object.values(contracts).map((c) => c.blockNumber))))!.timestamp) * 1000).toISOString(),
  deploymentBlock: Math.min(...Object.values(contracts).map((c) => c.blockNumber)),
  buildProfile: process.env.HARDHAT_BUILD_PROFILE ?? "production",
  contracts,
  roles,
  },
  process.env.DEPLOYMENTS_DIR,
);

console.log(`Deployed to chain ${chainId} (${connection.networkName}); record written to ${file}`);
if (deploymentId) {
  // The journal of an ephemeral local chain is useless once deployed: do not leave one per node behind.
  await rm(`ignition/deployments/${deploymentId}`, { recursive: true, force: true });
}
for (const [name, c] of Object.entries(contracts)) console.log(`  ${name.padEnd(18)} ${c.address}  (block ${c.blockNumber})`);

async function resolveRoles(): Promise<RoleAccounts> {
  if (process.env.DEPLOY_ROLES) {
    return JSON.parse(await readFile(process.env.DEPLOY_ROLES, "utf8")) as RoleAccounts;
  }
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new Error("DEPLOY_ROLES must name a JSON file with the role accounts on any chain but the local one");
  }
  const signers = await ethers.getSigners();
  const [admin, operator, compliance, arbiter, pauser, issuer, treasury] = signers.map((s) => s.address);
  if (!treasury) throw new Error("the local node must expose at least 7 accounts");
  return { admin: admin!, operator: operator!, compliance: compliance!, arbiter: arbiter!, pauser: pauser!, issuer: issuer!, treasury };
}

async function firstBlockWithCode(address: string): Promise<number> {
  let low = 0;
  let high = await ethers.provider.getBlockNumber();
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if ((await ethers.provider.getCode(address, mid)) === "0x") low = mid + 1;
    else high = mid;
  }
  return low;
}

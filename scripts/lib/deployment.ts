// The deployment record the relayer, auditors and scripts read: deployments/<chainId>.json.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { RoleAccounts } from "./roles.js";

export interface ContractRecord {
  address: string;
  /** Block of the deployment transaction: indexers start here. */
  blockNumber: number;
  transactionHash: string;
}

export interface DeploymentRecord {
  chainId: number;
  /** Hash of block 0, so a consumer can tell two chains with the same id apart (e.g. a restarted local node). */
  genesisHash: string;
  network: string;
  deployedAt: string;
  /** The lowest block of any contract: where an indexer starts. */
  deploymentBlock: number;
  buildProfile: string;
  contracts: {
    SettlementToken: ContractRecord;
    KycRegistry: ContractRecord;
    PaymentEscrow: ContractRecord;
    ReceivableRegistry: ContractRecord;
  };
  roles: RoleAccounts;
}

/**
 * What a consumer of the record (the relayer, the audit) reads of it. The receivable registry is optional: a
 * deployment made before supply-chain finance has none.
 */
export interface DeploymentView {
  chainId: number;
  genesisHash: string;
  deploymentBlock: number;
  contracts: {
    SettlementToken: { address: string };
    KycRegistry: { address: string };
    PaymentEscrow: { address: string };
    ReceivableRegistry?: { address: string };
  };
}

export const deploymentPath = (chainId: number | bigint, dir = "deployments") =>
  path.resolve(dir, `${chainId}.json`);

export async function writeDeployment(record: DeploymentRecord, dir = "deployments"): Promise<string> {
  const file = deploymentPath(record.chainId, dir);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(record, null, 2) + "\n");
  return file;
}

export async function readDeployment(file: string): Promise<DeploymentRecord> {
  return JSON.parse(await readFile(file, "utf8")) as DeploymentRecord;
}

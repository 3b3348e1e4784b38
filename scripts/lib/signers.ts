// The node's unlocked accounts by name, in order: `const { admin, operator } = await namedSigners(ethers, ["admin", "operator"])`.
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

export async function namedSigners<const Names extends readonly string[]>(
  ethers: HardhatEthers,
  names: Names,
): Promise<Record<Names[number], HardhatEthersSigner>> {
  const signers = await ethers.getSigners();
  if (signers.length < names.length) {
    throw new Error(`the network exposes ${signers.length} accounts, ${names.length} are needed`);
  }
  return Object.fromEntries(names.map((name, i) => [name, signers[i]])) as Record<Names[number], HardhatEthersSigner>;
}

// Checksummed addresses (EIP-55), remembered. Pure: no I/O.
import { getAddress } from "ethers";

/** The same few addresses (token, merchants, escrow, buyers coming back) are checksummed again and again, each a keccak in JS. */
const remembered = new Map<string, string>();
const REMEMBERED_MAX = 10_000;

/** `getAddress(lower)` for a lowercase 0x-address, computed once while remembered. */
export function checksumAddress(lower: string): string {
  let address = remembered.get(lower);
  if (address === undefined) {
    address = getAddress(lower);
    if (remembered.size >= REMEMBERED_MAX) remembered.clear();
    remembered.set(lower, address);
  }
  return address;
}

// Helpers for the receivable tests.
import { toBeHex } from "ethers";

import type { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";

/** The `allowedStates` bit set of ReceivableUnexpectedState for `states`. */
export function stateBits(...states: ReceivableState[]): string {
  return toBeHex(states.reduce((acc, s) => acc | (1n << BigInt(s)), 0n), 32);
}

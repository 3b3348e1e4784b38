// Who made a secp256k1 signature (Ethereum's ecrecover), computed by libsecp256k1 compiled to WebAssembly
// (tiny-secp256k1): ~0.26 ms a signature on these machines, against ~1.8 ms for @noble/curves in JavaScript.
// No I/O once loaded (the module reads its .wasm file at import). Used by the signature workers
// (signature-worker.ts) and by the in-thread recovery (signatures.ts).
import { keccak_256 } from "@noble/hashes/sha3.js";
import { recover } from "tiny-secp256k1";

/**
 * The lowercase 0x-address whose key signed `digest` with `compact` (r ‖ s, 64 bytes) and `yParity`, or undefined
 * when nothing can be recovered (r or s zero or not below the group order, r not the x of a curve point).
 */
export function recoverSignerAddress(digest: Uint8Array, compact: Uint8Array, yParity: 0 | 1): string | undefined {
  let publicKey: Uint8Array | null;
  try {
    publicKey = recover(digest, compact, yParity, false);
  } catch {
    return undefined;
  }
  if (!publicKey) return undefined;
  // The address is the last 20 bytes of the Keccak-256 of the uncompressed key without its 0x04 prefix.
  return `0x${Buffer.from(keccak_256(publicKey.subarray(1)).subarray(12)).toString("hex")}`;
}

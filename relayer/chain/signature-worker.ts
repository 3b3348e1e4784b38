// A worker thread of the signature pool (signatures.ts): recovers secp256k1 public keys, nothing else. It loads
// only @noble/curves (the library ethers itself uses), so each worker adds a few megabytes, not a second ethers.
import { parentPort } from "node:worker_threads";

import { secp256k1 } from "@noble/curves/secp256k1";

import type { WorkerAnswer } from "./signatures.js";

parentPort!.on("message", (job: { id: number; digest: Uint8Array; compact: Uint8Array; yParity: 0 | 1 }) => {
  let publicKey: Uint8Array | null = null;
  try {
    publicKey = secp256k1.Signature.fromCompact(job.compact).addRecoveryBit(job.yParity).recoverPublicKey(job.digest).toRawBytes(false);
  } catch {
    publicKey = null; // not a point on the curve, r or s out of range: nothing signed this
  }
  parentPort!.postMessage({ id: job.id, publicKey } satisfies WorkerAnswer);
});

// A worker thread of the signature pool (signatures.ts): recovers signers' addresses, nothing else. It loads only
// the WebAssembly recovery (public-key-recovery.ts), so each worker adds a few megabytes, not a second ethers.
import { parentPort } from "node:worker_threads";

import { recoverSignerAddress } from "./public-key-recovery.js";
import type { WorkerAnswer, WorkerJob } from "./signatures.js";

parentPort!.on("message", (job: WorkerJob) => {
  const address = recoverSignerAddress(job.digest, job.compact, job.yParity) ?? null;
  parentPort!.postMessage({ id: job.id, address } satisfies WorkerAnswer);
});

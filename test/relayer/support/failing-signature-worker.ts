// A signature worker that dies, as a real one could (out of memory, a native fault), when a job's digest starts
// with 0xff; any other job goes to the real worker's handler.
import { parentPort } from "node:worker_threads";

parentPort!.on("message", (job: { digest: Uint8Array }) => {
  if (job.digest[0] === 0xff) process.exit(3);
});
await import("../../../relayer/chain/signature-worker.js");

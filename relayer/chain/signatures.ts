// Who signed an EIP-712 message. The digest is computed here with encoders cached per type set and domain; the
// secp256k1 public key recovery (~2 ms of JavaScript per signature) runs in worker threads, so a burst of confirms
// does not stall the event loop that serves every other request.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { computeAddress, concat, hexlify, keccak256, recoverAddress, Signature, TypedDataEncoder } from "ethers";

import type { SignatureRecovery } from "../application/ports.js";
import type { TypedDataDomain } from "./typed-data.js";

type Types = Record<string, { name: string; type: string }[]>;

const encoders = new WeakMap<Types, TypedDataEncoder>();
const domainHashes = new Map<string, string>();

/** The EIP-712 digest of `message`: what ethers' TypedDataEncoder.hash computes, without rebuilding its encoders. */
export function typedDataDigest(domain: TypedDataDomain, types: Types, message: object): string {
  let encoder = encoders.get(types);
  if (!encoder) encoders.set(types, (encoder = TypedDataEncoder.from(types)));
  const domainKey = `${domain.name}\n${domain.version}\n${domain.chainId}\n${domain.verifyingContract.toLowerCase()}`;
  let domainHash = domainHashes.get(domainKey);
  if (!domainHash) domainHashes.set(domainKey, (domainHash = TypedDataEncoder.hashDomain(domain)));
  return keccak256(concat(["0x1901", domainHash, encoder.hash(message as Record<string, unknown>)]));
}

/** A signature split as the recovery needs it, or undefined when it is not a well-formed secp256k1 signature. */
function parseSignature(signature: string): { compact: Uint8Array; yParity: 0 | 1 } | undefined {
  try {
    const sig = Signature.from(signature);
    return { compact: Buffer.from(concat([sig.r, sig.s]).slice(2), "hex"), yParity: sig.yParity };
  } catch {
    return undefined;
  }
}

/** Recovery in the calling thread: for tools and tests, and `SIGNATURE_WORKERS=0`. */
export const inlineSignatureRecovery: SignatureRecovery = {
  recover: async (digest, signature) => {
    try {
      return recoverAddress(digest, signature);
    } catch {
      return undefined;
    }
  },
};

interface Job {
  id: number;
  digest: Uint8Array;
  compact: Uint8Array;
  yParity: 0 | 1;
}
/** The worker's answer: the uncompressed public key, or null when nothing can be recovered. */
export interface WorkerAnswer {
  id: number;
  publicKey: Uint8Array | null;
}

/** The worker's script: the compiled .js next to this module, or the .ts source when run through tsx. */
const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./signature-worker.ts" : "./signature-worker.js", import.meta.url);

/** Default pool size: every core but the one the event loop runs on, at least one, at most four. */
export const defaultSignatureWorkers = (): number => Math.min(4, Math.max(1, availableParallelism() - 1));

/**
 * A pool of worker threads recovering public keys. Jobs go to the worker with the fewest in flight. A worker that
 * dies fails its jobs (the requests answer 500 and change nothing) and is replaced.
 */
export class SignatureWorkerPool implements SignatureRecovery {
  readonly #workers: { worker: Worker; jobs: Map<number, (answer: WorkerAnswer | Error) => void> }[] = [];
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a signature worker pool needs at least one worker, not ${size}`);
    for (let i = 0; i < size; i++) this.#workers.push(this.#spawn());
  }

  #spawn(): { worker: Worker; jobs: Map<number, (answer: WorkerAnswer | Error) => void> } {
    const worker = new Worker(workerUrl);
    worker.unref(); // never what keeps the process alive
    const slot = { worker, jobs: new Map<number, (answer: WorkerAnswer | Error) => void>() };
    worker.on("message", (answer: WorkerAnswer) => {
      const settle = slot.jobs.get(answer.id);
      slot.jobs.delete(answer.id);
      settle?.(answer);
    });
    const fail = (error: Error) => {
      for (const settle of slot.jobs.values()) settle(error);
      slot.jobs.clear();
      const index = this.#workers.indexOf(slot);
      if (index >= 0 && !this.#closed) this.#workers[index] = this.#spawn();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`signature worker exited with code ${code}`)));
    return slot;
  }

  recover(digest: string, signature: string): Promise<string | undefined> {
    if (this.#closed) return Promise.reject(new Error("the signature worker pool is closed"));
    const parsed = parseSignature(signature);
    if (!parsed) return Promise.resolve(undefined);
    const slot = this.#workers.reduce((best, w) => (w.jobs.size < best.jobs.size ? w : best));
    const job: Job = { id: this.#nextId++, digest: Buffer.from(digest.slice(2), "hex"), ...parsed };
    return new Promise((resolve, reject) => {
      slot.jobs.set(job.id, (answer) => {
        if (answer instanceof Error) return reject(answer);
        resolve(answer.publicKey ? computeAddress(hexlify(answer.publicKey)) : undefined);
      });
      slot.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

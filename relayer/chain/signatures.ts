// Who signed an EIP-712 message. The digest is computed here with encoders cached per type set and domain; the
// secp256k1 recovery (public-key-recovery.ts, WebAssembly) runs in worker threads, so a burst of confirms does not
// add to the event loop that serves every other request.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { concat, keccak256, ParamType, Signature, TypedDataEncoder } from "ethers";

import type { SignatureRecovery } from "../application/ports.js";
import { staticWords } from "./abi-encoding.js";
import { checksumAddress } from "./checksum.js";
import { recoverSignerAddress } from "./public-key-recovery.js";
import type { TypedDataDomain } from "./typed-data.js";

type Types = Record<string, { name: string; type: string }[]>;

/**
 * How a type set is hashed: ethers' encoder, and, when the primary type's fields are all one-word values
 * (addresses, integers, booleans, fixed bytes: payment terms, EIP-3009 authorizations, most receivable actions),
 * its type hash and fields, whose words are the ABI's (abi-encoding.ts). ethers' generic path costs ~0.3 ms per
 * message (every address checksummed, every word hex-converted), the direct one a few microseconds.
 */
interface TypeSet {
  encoder: TypedDataEncoder;
  flat?: { typeHash: string; names: string[]; params: ParamType[] };
}

const typeSets = new WeakMap<Types, TypeSet>();
const domainHashes = new Map<string, Buffer>();
const ONE_WORD = /^(address|bool|u?int\d*|bytes([1-9]|[12]\d|3[012]))$/;

function typeSet(types: Types): TypeSet {
  let set = typeSets.get(types);
  if (set) return set;
  const encoder = TypedDataEncoder.from(types);
  const fields = types[encoder.primaryType]!;
  set = { encoder };
  if (fields.every((f) => ONE_WORD.test(f.type))) {
    const typeHash = keccak256(Buffer.from(encoder.encodeType(encoder.primaryType), "utf8")).slice(2);
    set.flat = { typeHash, names: fields.map((f) => f.name), params: fields.map((f) => ParamType.from(f.type)) };
  }
  typeSets.set(types, set);
  return set;
}

/** The struct hash by the direct path, or undefined when some value is not in plain form (ethers decides). */
function flatStructHash(flat: NonNullable<TypeSet["flat"]>, message: Record<string, unknown>): string | undefined {
  const words = staticWords(flat.params, flat.names.map((name) => message[name]));
  return words === undefined ? undefined : keccak256(Buffer.from(flat.typeHash + words, "hex"));
}

/**
 * The EIP-712 digest of `message`: exactly what ethers' TypedDataEncoder.hash computes (the tests compare them),
 * with encoders and domain separators cached.
 */
export function typedDataDigest(domain: TypedDataDomain, types: Types, message: object): string {
  const set = typeSet(types);
  const values = message as Record<string, unknown>;
  const structHash = (set.flat && flatStructHash(set.flat, values)) ?? set.encoder.hash(values);
  const domainKey = `${domain.name}\n${domain.version}\n${domain.chainId}\n${domain.verifyingContract.toLowerCase()}`;
  let domainHash = domainHashes.get(domainKey);
  if (!domainHash) domainHashes.set(domainKey, (domainHash = Buffer.from(TypedDataEncoder.hashDomain(domain).slice(2), "hex")));
  return keccak256(Buffer.concat([Buffer.from([0x19, 0x01]), domainHash, Buffer.from(structHash.slice(2), "hex")]));
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
    const parsed = parseSignature(signature);
    const address = parsed && recoverSignerAddress(Buffer.from(digest.slice(2), "hex"), parsed.compact, parsed.yParity);
    return address && checksumAddress(address);
  },
};

/** A job for a worker: the digest and the parsed signature. */
export interface WorkerJob {
  id: number;
  digest: Uint8Array;
  compact: Uint8Array;
  yParity: 0 | 1;
}
/** The worker's answer: the signer's lowercase address, or null when nothing can be recovered. */
export interface WorkerAnswer {
  id: number;
  address: string | null;
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

  /** `script` is the worker's module (signature-worker by default; tests pass one that fails on cue). */
  constructor(size: number, private readonly script: URL = workerUrl) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a signature worker pool needs at least one worker, not ${size}`);
    for (let i = 0; i < size; i++) this.#workers.push(this.#spawn());
  }

  #spawn(): { worker: Worker; jobs: Map<number, (answer: WorkerAnswer | Error) => void> } {
    // Recovery makes short-lived bigints only: a small young generation keeps each worker's memory to a few MB.
    const worker = new Worker(this.script, { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } });
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
    const job: WorkerJob = { id: this.#nextId++, digest: Buffer.from(digest.slice(2), "hex"), ...parsed };
    return new Promise((resolve, reject) => {
      slot.jobs.set(job.id, (answer) => {
        if (answer instanceof Error) return reject(answer);
        resolve(answer.address === null ? undefined : checksumAddress(answer.address));
      });
      slot.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

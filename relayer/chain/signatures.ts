// Who signed an EIP-712 message. The digest is computed here with encoders cached per type set and domain; the
// secp256k1 public key recovery (~2 ms of JavaScript per signature) runs in worker threads, so a burst of confirms
// does not stall the event loop that serves every other request.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { computeAddress, concat, hexlify, keccak256, recoverAddress, Signature, TypedDataEncoder } from "ethers";

import type { SignatureRecovery } from "../application/ports.js";
import type { TypedDataDomain } from "./typed-data.js";

type Types = Record<string, { name: string; type: string }[]>;

/** One field of a flat struct as its 32-byte word, or undefined when the value is not in the canonical form. */
type WordEncoder = (value: unknown) => Buffer | undefined;

/**
 * How a type set is hashed: ethers' encoder, and, when the primary type's fields are all addresses, unsigned
 * integers, booleans or fixed bytes (payment terms, EIP-3009 authorizations, most receivable actions), its type hash
 * and a word encoder per field. Those are encoded straight into one buffer: ethers' generic path costs ~0.3 ms per
 * message (every address checksummed, every word hex-converted), the direct one a few microseconds.
 */
interface TypeSet {
  encoder: TypedDataEncoder;
  flat?: { typeHash: Buffer; fields: { name: string; word: WordEncoder }[] };
}

const typeSets = new WeakMap<Types, TypeSet>();
const domainHashes = new Map<string, Buffer>();

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

function wordEncoder(type: string): WordEncoder | undefined {
  if (type === "address") return (v) => (typeof v === "string" && ADDRESS.test(v) ? Buffer.concat([Buffer.alloc(12), Buffer.from(v.slice(2), "hex")]) : undefined);
  if (type === "bool") return (v) => (typeof v === "boolean" ? uintWord(v ? 1n : 0n) : undefined);
  const uint = /^uint(\d+)$/.exec(type);
  if (uint) {
    const limit = 1n << BigInt(uint[1]!);
    return (v) => {
      const n = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      return n !== undefined && n >= 0n && n < limit ? uintWord(n) : undefined;
    };
  }
  const bytes = /^bytes(\d+)$/.exec(type);
  if (bytes) {
    const size = Number(bytes[1]);
    return (v) => (typeof v === "string" && v.length === 2 + 2 * size && HEX.test(v) ? Buffer.concat([Buffer.from(v.slice(2), "hex"), Buffer.alloc(32 - size)]) : undefined);
  }
  return undefined; // strings, dynamic bytes, arrays, signed integers, nested structs: ethers' generic path
}

const uintWord = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, "0"), "hex");

function typeSet(types: Types): TypeSet {
  let set = typeSets.get(types);
  if (set) return set;
  const encoder = TypedDataEncoder.from(types);
  const fields = types[encoder.primaryType]!.map((f) => ({ name: f.name, word: wordEncoder(f.type) }));
  set = { encoder };
  if (fields.every((f) => f.word !== undefined)) {
    const typeHash = Buffer.from(keccak256(Buffer.from(encoder.encodeType(encoder.primaryType), "utf8")).slice(2), "hex");
    set.flat = { typeHash, fields: fields as { name: string; word: WordEncoder }[] };
  }
  typeSets.set(types, set);
  return set;
}

/** The struct hash by the direct path, or undefined when some value is not in canonical form (ethers decides). */
function flatStructHash(flat: NonNullable<TypeSet["flat"]>, message: Record<string, unknown>): string | undefined {
  const words = [flat.typeHash];
  for (const field of flat.fields) {
    const word = field.word(message[field.name]);
    if (!word) return undefined;
    words.push(word);
  }
  return keccak256(Buffer.concat(words));
}

/**
 * The EIP-712 digest of `message`: exactly what ethers' TypedDataEncoder.hash computes (the tests compare them),
 * with encoders and domain separators cached. Addresses are taken as their 20 bytes whatever their case: they were
 * validated where they entered the relayer.
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

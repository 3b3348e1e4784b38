// Recovers each payment's immutable terms from the calldata of the transaction that authorized it (authorize,
// charge or authorizeMany sent to the escrow) and keeps those whose EIP-712 hash equals a payment id the chain
// emitted. A payment authorized through another contract (a smart wallet calling the escrow) has no decodable
// calldata here; its fees are then checked against the merchant's configuration (see the ledger).
import { AbiCoder, keccak256, toUtf8Bytes, type Interface } from "ethers";

import type { PaymentTermsRecord } from "../ledger/events.js";
import { INTERFACES, addressOfWord } from "./decode.js";
import { RpcError, type RpcClient } from "./rpc.js";

const PAYMENT_TERMS_TYPEHASH = keccak256(
  toUtf8Bytes(
    "PaymentTerms(address merchant,address buyer,address token,uint256 amount,uint48 preApprovalExpiry," +
      "uint48 authorizationExpiry,uint48 refundExpiry,uint32 confirmationWindow,uint8 kycTier,uint16 feeBps," +
      "address partner,uint16 partnerShareBps,bytes32 orderRef)",
  ),
);
const DOMAIN_TYPEHASH = keccak256(toUtf8Bytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
const TERMS_TYPES = ["bytes32", "address", "address", "address", "uint256", "uint48", "uint48", "uint48", "uint32", "uint8", "uint16", "address", "uint16", "bytes32"];

/** The escrow's EIP-712 domain separator (name "PaymentEscrow", version "1"). */
export function escrowDomainSeparator(chainId: bigint, escrow: string): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "bytes32", "bytes32", "uint256", "address"],
      [DOMAIN_TYPEHASH, keccak256(toUtf8Bytes("PaymentEscrow")), keccak256(toUtf8Bytes("1")), chainId, escrow],
    ),
  );
}

// The calldata of authorize/charge/authorizeMany is read by hand: PaymentTerms is a static struct, so its 13 words
// sit in the calldata exactly as abi.encode(terms) (what the EIP-712 struct hash takes), and ethers' generic ABI
// decoder costs about a millisecond per item, too slow for 100,000s of payments.
const WORD = 64;
const TERMS_WORDS = 13;
const TYPEHASH_HEX = PAYMENT_TERMS_TYPEHASH.slice(2);

/** The terms encoded in the 13 words at hex offset `at` of `hex` (no 0x), with their payment id. */
function termsAt(hex: string, at: number, domainSeparator: string): { id: string; terms: PaymentTermsRecord } {
  const words = hex.slice(at, at + TERMS_WORDS * WORD);
  if (words.length !== TERMS_WORDS * WORD) throw new Error("calldata too short for PaymentTerms");
  const word = (i: number) => words.slice(i * WORD, (i + 1) * WORD);
  const small = (i: number) => parseInt(word(i).slice(-12), 16);
  const big = (i: number) => BigInt("0x" + word(i));
  const terms: PaymentTermsRecord = {
    merchant: addressOfWord(word(0)), buyer: addressOfWord(word(1)), token: addressOfWord(word(2)), amount: big(3),
    preApprovalExpiry: big(4), authorizationExpiry: big(5), refundExpiry: big(6), confirmationWindow: big(7),
    kycTier: small(8), feeBps: small(9), partner: addressOfWord(word(10)), partnerShareBps: small(11), orderRef: "0x" + word(12).toLowerCase(),
  };
  const structHash = keccak256(Buffer.from(TYPEHASH_HEX + words, "hex"));
  const id = keccak256(Buffer.from("1901" + domainSeparator.slice(2) + structHash.slice(2), "hex"));
  return { id, terms };
}

/** The payment id of `terms`: their EIP-712 digest under the escrow's domain (as PaymentEscrow._hashTerms). */
export function paymentIdOf(terms: PaymentTermsRecord, domainSeparator: string): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(TERMS_TYPES.slice(1), [
    terms.merchant, terms.buyer, terms.token, terms.amount, terms.preApprovalExpiry, terms.authorizationExpiry,
    terms.refundExpiry, terms.confirmationWindow, terms.kycTier, terms.feeBps, terms.partner, terms.partnerShareBps, terms.orderRef,
  ]);
  return termsAt(encoded.slice(2), 0, domainSeparator).id;
}

const selectors = (iface: Interface) => ({
  single: new Set([iface.getFunction("authorize")!.selector, iface.getFunction("charge")!.selector]),
  many: iface.getFunction("authorizeMany")!.selector,
});
let cachedSelectors: ReturnType<typeof selectors> | undefined;

/** Every PaymentTerms carried by an escrow call's calldata, with its payment id (none for other functions). */
export function termsInCalldata(data: string, domainSeparator: string, escrowInterface: Interface = INTERFACES.escrow): { id: string; terms: PaymentTermsRecord }[] {
  const sel = (cachedSelectors ??= selectors(escrowInterface));
  const selector = data.slice(0, 10);
  const hex = data.slice(10);
  if (sel.single.has(selector)) return [termsAt(hex, 0, domainSeparator)];
  if (selector !== sel.many) return [];
  // authorizeMany(AuthorizeRequest[]): head = offset of the array; array = length, then one offset per item
  // (items are dynamic: they end in `bytes funding`), relative to the start of the offsets; each item starts with its terms.
  const num = (at: number) => Number(BigInt("0x" + hex.slice(at, at + WORD)));
  const array = num(0) * 2;
  const length = num(array);
  const base = array + WORD;
  const out: { id: string; terms: PaymentTermsRecord }[] = [];
  for (let i = 0; i < length; i++) out.push(termsAt(hex, base + num(base + i * WORD) * 2, domainSeparator));
  return out;
}

/**
 * Collects the terms of payments while the log scan runs: each chunk of authorizing transactions is fetched (batched
 * eth_getTransactionByHash) as soon as its logs arrive, one batch at a time, overlapping the rest of the scan.
 */
export class TermsCollector {
  readonly found = new Map<string, PaymentTermsRecord>();
  readonly #seen = new Set<string>();
  readonly #wanted = new Set<string>();
  readonly #domain: string;
  #pending: string[] = [];
  readonly #queue: string[][] = [];
  #inflight = 0;
  #idle: (() => void) | null = null;
  #failure: unknown;
  fetched = 0;

  constructor(
    private readonly rpc: RpcClient,
    private readonly escrow: string,
    chainId: bigint,
    private readonly batchSize = 100,
    /** JSON-RPC batches in flight at once. */
    private readonly concurrency = 3,
  ) {
    this.#domain = escrowDomainSeparator(chainId, escrow);
  }

  /** A payment id emitted by the transaction `txHash`. */
  want(paymentId: string, txHash: string): void {
    this.#wanted.add(paymentId);
    if (this.#seen.has(txHash)) return;
    this.#seen.add(txHash);
    this.#pending.push(txHash);
    if (this.#pending.length >= this.batchSize) this.#flush();
  }

  #flush(): void {
    if (this.#pending.length) this.#queue.push(this.#pending);
    this.#pending = [];
    this.#pump();
  }

  #pump(): void {
    while (this.#inflight < this.concurrency && this.#queue.length && !this.#failure) {
      const chunk = this.#queue.shift()!;
      this.#inflight++;
      void this.#fetch(chunk).finally(() => {
        this.#inflight--;
        this.#pump();
        if (this.#inflight === 0 && (this.#queue.length === 0 || this.#failure)) this.#idle?.();
      });
    }
  }

  async #fetch(chunk: string[]): Promise<void> {
    try {
      const txs = await this.rpc.batch<{ to: string | null; input: string } | null>(chunk.map((h) => ({ method: "eth_getTransactionByHash", params: [h] })));
      for (const tx of txs) {
        if (tx instanceof RpcError) throw tx;
        if (!tx || tx.to?.toLowerCase() !== this.escrow.toLowerCase()) continue;
        for (const { id, terms } of termsInCalldata(tx.input, this.#domain)) {
          if (this.#wanted.has(id)) this.found.set(id, terms);
        }
      }
      this.fetched += chunk.length;
    } catch (error) {
      this.#failure ??= error;
    }
  }

  /** Waits for every fetch; returns payment id -> terms (ids not wanted are dropped). @throws the first fetch error */
  async done(): Promise<Map<string, PaymentTermsRecord>> {
    this.#flush();
    if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    if (this.#failure) throw this.#failure;
    for (const id of this.found.keys()) if (!this.#wanted.has(id)) this.found.delete(id);
    return this.found;
  }
}

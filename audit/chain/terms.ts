// Recovers each payment's immutable terms from the calldata of the transaction that authorized it (authorize,
// charge or authorizeMany sent to the escrow) and keeps those whose EIP-712 hash equals a payment id the chain
// emitted. A payment authorized through another contract (a smart wallet calling the escrow) has no decodable
// calldata here; its fees are then checked against the merchant's configuration (see the ledger).
import { AbiCoder, concat, keccak256, toUtf8Bytes, type Interface } from "ethers";

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

/** The payment id of `terms`: their EIP-712 digest under the escrow's domain (as PaymentEscrow._hashTerms). */
export function paymentIdOf(terms: PaymentTermsRecord, domainSeparator: string): string {
  const structHash = keccak256(
    AbiCoder.defaultAbiCoder().encode(TERMS_TYPES, [
      PAYMENT_TERMS_TYPEHASH, terms.merchant, terms.buyer, terms.token, terms.amount, terms.preApprovalExpiry, terms.authorizationExpiry,
      terms.refundExpiry, terms.confirmationWindow, terms.kycTier, terms.feeBps, terms.partner, terms.partnerShareBps, terms.orderRef,
    ]),
  );
  return keccak256(concat(["0x1901", domainSeparator, structHash]));
}

type TermsTuple = { [k: number]: unknown; toArray(): unknown[] };

function termsOf(t: TermsTuple): PaymentTermsRecord {
  const a = t.toArray() as [string, string, string, bigint, bigint, bigint, bigint, bigint, bigint, bigint, string, bigint, string];
  const addr = (x: string) => addressOfWord(x.toLowerCase());
  return {
    merchant: addr(a[0]), buyer: addr(a[1]), token: addr(a[2]), amount: a[3], preApprovalExpiry: a[4], authorizationExpiry: a[5],
    refundExpiry: a[6], confirmationWindow: a[7], kycTier: Number(a[8]), feeBps: Number(a[9]), partner: addr(a[10]),
    partnerShareBps: Number(a[11]), orderRef: a[12].toLowerCase(),
  };
}

/** Every PaymentTerms carried by an escrow call's calldata (none for other functions). */
export function termsInCalldata(data: string, escrowInterface: Interface = INTERFACES.escrow): PaymentTermsRecord[] {
  const selector = data.slice(0, 10);
  const fn = (["authorize", "charge", "authorizeMany"] as const).find((name) => escrowInterface.getFunction(name)!.selector === selector);
  if (!fn) return [];
  const decoded = escrowInterface.decodeFunctionData(fn, data);
  if (fn === "authorizeMany") return (decoded[0] as TermsTuple[]).map((request) => termsOf((request as unknown as { terms: TermsTuple }).terms));
  return [termsOf(decoded[0] as TermsTuple)];
}

/**
 * Fetches the transactions in `txHashes` (batched) and returns, for each payment id in `wanted`, the terms whose
 * hash equals it.
 */
export async function fetchTerms(
  rpc: RpcClient,
  escrow: string,
  chainId: bigint,
  txHashes: Iterable<string>,
  wanted: ReadonlySet<string>,
  onProgress: (done: number, total: number) => void = () => undefined,
  batchSize = 100,
): Promise<Map<string, PaymentTermsRecord>> {
  const domain = escrowDomainSeparator(chainId, escrow);
  const hashes = [...new Set(txHashes)];
  const found = new Map<string, PaymentTermsRecord>();
  for (let i = 0; i < hashes.length; i += batchSize) {
    const chunk = hashes.slice(i, i + batchSize);
    const txs = await rpc.batch<{ to: string | null; input: string } | null>(chunk.map((h) => ({ method: "eth_getTransactionByHash", params: [h] })));
    for (const tx of txs) {
      if (tx instanceof RpcError) throw tx;
      if (!tx || tx.to?.toLowerCase() !== escrow.toLowerCase()) continue;
      for (const terms of termsInCalldata(tx.input)) {
        const id = paymentIdOf(terms, domain);
        if (wanted.has(id)) found.set(id, terms);
      }
    }
    onProgress(Math.min(i + batchSize, hashes.length), hashes.length);
  }
  return found;
}

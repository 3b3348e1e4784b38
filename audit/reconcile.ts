// The one comparison between the chain's ledger and the relayer's records. Pure: the CLI feeds it records fetched
// over HTTP (GET /v1/audit/payments), the relayer's console feeds it records read from its own database through
// the same AuditPayment mapping; both get the same list of differences.

/** A payment as the relayer's auditor API returns it (the agreed contract of GET /v1/audit/payments). */
export interface AuditPayment {
  object: "audit.payment";
  /** The escrow's payment id, lower-case 0x hex. */
  payment_id: string;
  intent_id: string;
  merchant: string;
  buyer: string;
  token: string;
  order_ref: string;
  /** The authorized amount in the terms, decimal minor units. */
  amount: string;
  /** The relayer's API status. */
  status: string;
  /** The escrow status the relayer last confirmed. */
  chain_status: ChainStatus;
  amount_capturable: string;
  amount_held: string;
  /** Gross amount ever released to the merchant (the escrow's PaymentState.released). */
  amount_released: string;
  /** Total refunded to the buyer (from held funds, from the merchant's balance, and a dispute's buyer part). */
  amount_refunded: string;
  created_at: string;
}

export const CHAIN_STATUSES = ["none", "authorized", "captured", "disputed", "released", "voided", "refunded"] as const;
export type ChainStatus = (typeof CHAIN_STATUSES)[number];

/** What the chain says about one payment, in the fields reconciliation compares. */
export interface ChainPaymentView {
  payment_id: string;
  merchant: string;
  buyer: string;
  token: string;
  amount: bigint;
  chain_status: ChainStatus;
  amount_capturable: bigint;
  amount_held: bigint;
  amount_released: bigint;
  amount_refunded: bigint;
}

/** The fields compared, in the order differences are listed. */
export const COMPARED_FIELDS = [
  "chain_status",
  "amount",
  "amount_capturable",
  "amount_held",
  "amount_released",
  "amount_refunded",
  "merchant",
  "buyer",
  "token",
] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export type Difference =
  /** On chain, but the relayer has no record of it. */
  | { kind: "missing"; payment_id: string; chain: Record<ComparedField, string> }
  /** The relayer says it reached the chain (chain_status != none), but the chain has no such payment. */
  | { kind: "extra"; payment_id: string; intent_id: string; relayer: Record<ComparedField, string> }
  /** Both have it; one field differs. */
  | { kind: "mismatch"; payment_id: string; intent_id: string; field: ComparedField; chain: string; relayer: string };

export interface Reconciliation {
  /** Payments on chain. */
  chain_payments: number;
  /** Relayer records seen (all of them, also those that never reached the chain). */
  relayer_records: number;
  /** Payments present on both sides and compared field by field. */
  compared: number;
  /** Ordered by payment id, then by field order. */
  differences: Difference[];
}

/**
 * Compares the chain's payments with the relayer's records, payment by payment. Addresses compare without regard
 * to checksum case; amounts compare as integers. A relayer record whose chain_status is `none` and that the chain
 * does not know is not a difference (the payment never reached the chain: failed, or awaiting the buyer).
 * @throws Error if a relayer record is malformed (not a 32-byte id, not an integer amount) or appears twice.
 */
export function reconcile(chain: Iterable<ChainPaymentView>, relayer: Iterable<AuditPayment>): Reconciliation {
  const onChain = new Map<string, ChainPaymentView>();
  for (const payment of chain) onChain.set(payment.payment_id.toLowerCase(), payment);
  const records = new Map<string, AuditPayment>();
  for (const record of relayer) {
    const id = record.payment_id.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(id)) throw new Error(`relayer record ${record.intent_id}: payment_id ${record.payment_id} is not 32 bytes of hex`);
    if (records.has(id)) throw new Error(`relayer lists payment ${id} twice (${records.get(id)!.intent_id}, ${record.intent_id})`);
    records.set(id, record);
  }

  const differences: Difference[] = [];
  let compared = 0;
  const ids = [...new Set([...onChain.keys(), ...records.keys()])].sort();
  for (const id of ids) {
    const c = onChain.get(id);
    const r = records.get(id);
    if (c && !r) {
      differences.push({ kind: "missing", payment_id: id, chain: chainFields(c) });
    } else if (r && !c) {
      if (r.chain_status !== "none") differences.push({ kind: "extra", payment_id: id, intent_id: r.intent_id, relayer: relayerFields(r) });
    } else if (c && r) {
      compared++;
      const cf = chainFields(c);
      const rf = relayerFields(r);
      for (const field of COMPARED_FIELDS) {
        if (cf[field] !== rf[field]) differences.push({ kind: "mismatch", payment_id: id, intent_id: r.intent_id, field, chain: cf[field], relayer: rf[field] });
      }
    }
  }
  return { chain_payments: onChain.size, relayer_records: records.size, compared, differences };
}

function chainFields(c: ChainPaymentView): Record<ComparedField, string> {
  return {
    chain_status: c.chain_status,
    amount: c.amount.toString(),
    amount_capturable: c.amount_capturable.toString(),
    amount_held: c.amount_held.toString(),
    amount_released: c.amount_released.toString(),
    amount_refunded: c.amount_refunded.toString(),
    merchant: c.merchant.toLowerCase(),
    buyer: c.buyer.toLowerCase(),
    token: c.token.toLowerCase(),
  };
}

function relayerFields(r: AuditPayment): Record<ComparedField, string> {
  const amount = (field: string, value: string) => {
    if (!/^\d+$/.test(value)) throw new Error(`relayer record ${r.intent_id}: ${field} ${JSON.stringify(value)} is not a decimal integer`);
    return BigInt(value).toString();
  };
  return {
    chain_status: r.chain_status,
    amount: amount("amount", r.amount),
    amount_capturable: amount("amount_capturable", r.amount_capturable),
    amount_held: amount("amount_held", r.amount_held),
    amount_released: amount("amount_released", r.amount_released),
    amount_refunded: amount("amount_refunded", r.amount_refunded),
    merchant: r.merchant.toLowerCase(),
    buyer: r.buyer.toLowerCase(),
    token: r.token.toLowerCase(),
  };
}

/** The reconciliation fields of a payment rebuilt from the chain (`released` is gross, as PaymentState.released). */
export function chainViewOf(p: {
  paymentId: string;
  merchant: string;
  buyer: string;
  token: string;
  amount: bigint;
  status: ChainStatus;
  capturable: bigint;
  held: bigint;
  released: bigint;
  refunded: bigint;
}): ChainPaymentView {
  return {
    payment_id: p.paymentId.toLowerCase(),
    merchant: p.merchant,
    buyer: p.buyer,
    token: p.token,
    amount: p.amount,
    chain_status: p.status,
    amount_capturable: p.capturable,
    amount_held: p.held,
    amount_released: p.released,
    amount_refunded: p.refunded,
  };
}

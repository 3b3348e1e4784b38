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

export interface ReconcileOptions {
  /**
   * Only these merchants' payments are compared (a relayer serving some of an escrow's merchants). Default: all.
   * Chain payments of other merchants are counted in `out_of_scope`; relayer records of other merchants too.
   */
  merchants?: Iterable<string>;
}

export interface Reconciliation {
  /** Payments on chain (in scope). */
  chain_payments: number;
  /** Payments and records left out because their merchant is not in the requested scope. */
  out_of_scope: number;
  /** Relayer records in scope (also those that never reached the chain). */
  relayer_records: number;
  /** Payments present on both sides and compared field by field. */
  compared: number;
  /** Ordered by payment id, then by field order. */
  differences: Difference[];
}

/**
 * Compares the chain's payments with the relayer's records, payment by payment (optionally only some merchants'). Addresses compare without regard
 * to checksum case; amounts compare as integers. A relayer record whose chain_status is `none` and that the chain
 * does not know is not a difference (the payment never reached the chain: failed, or awaiting the buyer).
 * @throws Error if a relayer record is malformed (not a 32-byte id, not an integer amount) or appears twice.
 */
export function reconcile(chain: Iterable<ChainPaymentView>, relayer: Iterable<AuditPayment>, options: ReconcileOptions = {}): Reconciliation {
  const scope = options.merchants ? new Set([...options.merchants].map((m) => m.toLowerCase())) : null;
  const inScope = (merchant: string) => scope === null || scope.has(merchant.toLowerCase());
  let outOfScope = 0;
  const onChain = new Map<string, ChainPaymentView>();
  for (const payment of chain) {
    if (inScope(payment.merchant)) onChain.set(payment.payment_id.toLowerCase(), payment);
    else outOfScope++;
  }
  const records = new Map<string, AuditPayment>();
  for (const record of relayer) {
    const id = record.payment_id.toLowerCase();
    if (!inScope(record.merchant)) {
      outOfScope++;
      continue;
    }
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
  return { chain_payments: onChain.size, out_of_scope: outOfScope, relayer_records: records.size, compared, differences };
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

// ---- receivables: the registry rebuilt from its logs against the relayer's register (GET /v1/audit/receivables)

/** A receivable as the relayer's auditor API returns it (the fields reconciliation reads). */
export interface AuditReceivable {
  id: string;
  /** The ERC-721 token id, decimal. */
  token_id: string;
  face_value: string;
  /** The zero address once split. */
  holder: string;
  /** The registry's state as the relayer last read it; `none` while its issue is not on chain. */
  state: "none" | "pending" | "accepted" | "rejected" | "split" | "repaid" | "overdue" | "defaulted";
  financed: boolean;
}

/** What the chain says about one receivable, in the fields reconciliation compares. */
export interface ChainReceivableView {
  /** The token id, any integer form (0x-hex as the ledger keeps it, or decimal). */
  token_id: string;
  face_value: bigint;
  /** Null or the zero address once split. */
  holder: string | null;
  state: string;
  financed: boolean;
}

export const RECEIVABLE_COMPARED_FIELDS = ["state", "face_value", "holder", "financed"] as const;
export type ReceivableComparedField = (typeof RECEIVABLE_COMPARED_FIELDS)[number];

export type ReceivableDifference =
  | { kind: "missing"; token_id: string; chain: Record<ReceivableComparedField, string> }
  | { kind: "extra"; token_id: string; receivable_id: string; relayer: Record<ReceivableComparedField, string> }
  | { kind: "mismatch"; token_id: string; receivable_id: string; field: ReceivableComparedField; chain: string; relayer: string };

export interface ReceivablesReconciliation {
  chain_receivables: number;
  relayer_receivables: number;
  compared: number;
  /** Ordered by token id (as a number), then by field order. */
  differences: ReceivableDifference[];
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * Compares the registry's receivables with the relayer's register, token id by token id: state, face value, holder
 * (a split receivable has none: null and the zero address agree) and financed. A relayer receivable in state `none`
 * that the chain does not know is not a difference (its issue has not reached the chain, or failed). Token ids
 * compare as numbers, addresses without regard to case.
 * @throws Error if a relayer receivable is malformed (token id or face value not an integer) or appears twice.
 */
export function reconcileReceivables(chain: Iterable<ChainReceivableView>, relayer: Iterable<AuditReceivable>): ReceivablesReconciliation {
  const onChain = new Map<bigint, ChainReceivableView>();
  for (const r of chain) onChain.set(BigInt(r.token_id), r);
  const records = new Map<bigint, AuditReceivable>();
  for (const r of relayer) {
    if (!/^\d+$/.test(r.token_id)) throw new Error(`relayer receivable ${r.id}: token_id ${JSON.stringify(r.token_id)} is not a decimal integer`);
    const id = BigInt(r.token_id);
    if (records.has(id)) throw new Error(`relayer lists receivable ${r.token_id} twice (${records.get(id)!.id}, ${r.id})`);
    records.set(id, r);
  }
  const differences: ReceivableDifference[] = [];
  let compared = 0;
  const ids = [...new Set([...onChain.keys(), ...records.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const id of ids) {
    const c = onChain.get(id);
    const r = records.get(id);
    const tokenId = id.toString();
    if (c && !r) {
      differences.push({ kind: "missing", token_id: tokenId, chain: chainReceivableFields(c) });
    } else if (r && !c) {
      if (r.state !== "none") differences.push({ kind: "extra", token_id: tokenId, receivable_id: r.id, relayer: relayerReceivableFields(r) });
    } else if (c && r) {
      compared++;
      const cf = chainReceivableFields(c);
      const rf = relayerReceivableFields(r);
      for (const field of RECEIVABLE_COMPARED_FIELDS) {
        if (cf[field] !== rf[field]) differences.push({ kind: "mismatch", token_id: tokenId, receivable_id: r.id, field, chain: cf[field], relayer: rf[field] });
      }
    }
  }
  return { chain_receivables: onChain.size, relayer_receivables: records.size, compared, differences };
}

function chainReceivableFields(c: ChainReceivableView): Record<ReceivableComparedField, string> {
  return { state: c.state, face_value: c.face_value.toString(), holder: (c.holder ?? ZERO_ADDRESS).toLowerCase(), financed: String(c.financed) };
}

function relayerReceivableFields(r: AuditReceivable): Record<ReceivableComparedField, string> {
  if (!/^\d+$/.test(r.face_value)) throw new Error(`relayer receivable ${r.id}: face_value ${JSON.stringify(r.face_value)} is not a decimal integer`);
  return { state: r.state, face_value: BigInt(r.face_value).toString(), holder: r.holder.toLowerCase(), financed: String(r.financed) };
}

/** The reconciliation fields of a receivable rebuilt from the registry's logs. */
export function chainReceivableViewOf(r: { id: string; faceValue: bigint; holder: string | null; status: string; financed: boolean }): ChainReceivableView {
  return { token_id: r.id, face_value: r.faceValue, holder: r.holder, state: r.status, financed: r.financed };
}

// The escrow's fee math (contracts/libraries/FeeMath.sol and PaymentEscrow._release), the one copy the audit uses.
// Fees are computed on running totals: the fee of a release is floor((before + gross) * bps / 10_000) minus
// floor(before * bps / 10_000), rounding down once on the total; the partner's share likewise, on the running fee.

export const BPS = 10_000n;

/** FeeMath.incrementalShareDown: the part of floor(total * bps / BPS) that `amount` adds on top of `before`. */
export function incrementalShareDown(before: bigint, amount: bigint, bps: bigint): bigint {
  return ((before + amount) * bps) / BPS - (before * bps) / BPS;
}

export interface FeeTerms {
  feeBps: number;
  /** Zero address when the merchant has no partner. */
  partner: string;
  partnerShareBps: number;
}

export interface ReleaseSplit {
  fee: bigint;
  partnerFee: bigint;
  net: bigint;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** What a release of `gross` after `releasedBefore` already released must credit, as PaymentEscrow._release does. */
export function releaseSplit(releasedBefore: bigint, gross: bigint, terms: FeeTerms): ReleaseSplit {
  const feeBps = BigInt(terms.feeBps);
  const fee = incrementalShareDown(releasedBefore, gross, feeBps);
  const partnerFee =
    terms.partner === ZERO_ADDRESS ? 0n : incrementalShareDown((releasedBefore * feeBps) / BPS, fee, BigInt(terms.partnerShareBps));
  return { fee, partnerFee, net: gross - fee };
}

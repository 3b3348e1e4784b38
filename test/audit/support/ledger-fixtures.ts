// Hand-built event sequences for the pure ledger, invariant and reconciliation tests: a small consistent world
// (one token, a merchant with a partner, a treasury) that each test then breaks in one place.
import type { LedgerEvent, PaymentTermsRecord } from "../../../audit/ledger/events.js";
import type { ChainState } from "../../../audit/ledger/invariants.js";
import { buildLedger, type Ledger } from "../../../audit/ledger/ledger.js";
import { releaseSplit } from "../../../audit/ledger/fees.js";

export const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const ESCROW = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
export const MERCHANT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
export const BUYER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
export const PARTNER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
export const TREASURY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
export const ISSUER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
export const ZERO = "0x0000000000000000000000000000000000000000";
export const FEE = { feeBps: 250, partner: PARTNER, partnerShareBps: 2_000 };

export const pid = (n: number) => "0x" + n.toString(16).padStart(64, "0");

/** Builds events in order: each call is one log in its own block unless `sameTx` keeps the last transaction. */
export class Events {
  readonly list: LedgerEvent[] = [];
  #block = 100;
  #log = 0;
  #tx = "0x" + "00".repeat(32);

  add<K extends LedgerEvent["kind"]>(kind: K, args: Extract<LedgerEvent, { kind: K }>["args"], sameTx = false): this {
    if (!sameTx) {
      this.#block++;
      this.#log = 0;
      this.#tx = "0x" + this.#block.toString(16).padStart(64, "0");
    }
    const [contract, name] = kind.split(".") as [LedgerEvent["contract"], string];
    this.list.push({ contract, kind, name, args, blockNumber: this.#block, logIndex: this.#log++, txHash: this.#tx } as LedgerEvent);
    return this;
  }

  /** The setup every scenario starts from: treasury, token allowed (large threshold 1,000,000), the merchant configured. */
  static world(): Events {
    return new Events()
      .add("escrow.TreasurySet", { treasury: TREASURY })
      .add("escrow.TokenConfigured", { token: TOKEN, allowed: true, largeTransactionThreshold: 1_000_000n })
      .add("escrow.MerchantConfigured", { merchant: MERCHANT, settlementAddress: MERCHANT, ...FEE, active: true });
  }

  mint(to: string, amount: bigint, ref = "0x" + "aa".repeat(32)): this {
    this.add("token.Transfer", { from: ZERO, to, value: amount });
    return this.add("token.Minted", { issuer: ISSUER, to, amount, fiatReference: ref }, true);
  }

  authorize(n: number, amount: bigint): this {
    this.add("escrow.PaymentAuthorized", { paymentId: pid(n), merchant: MERCHANT, buyer: BUYER, token: TOKEN, amount, orderRef: pid(1000 + n), method: 2 });
    return this.add("token.Transfer", { from: BUYER, to: ESCROW, value: amount }, true);
  }

  capture(n: number, amount: bigint): this {
    return this.add("escrow.PaymentCaptured", { paymentId: pid(n), amount });
  }

  /** A release with the split the escrow computes, unless `split` overrides it. */
  release(n: number, releasedBefore: bigint, gross: bigint, split?: Partial<{ fee: bigint; partnerFee: bigint; net: bigint }>, sameTx = false): this {
    const s = { ...releaseSplit(releasedBefore, gross, FEE), ...split };
    return this.add("escrow.PaymentReleased", { paymentId: pid(n), gross, ...s }, sameTx);
  }

  refund(n: number, fromHeld: bigint, fromMerchant: bigint, sameTx = false): this {
    this.add("escrow.PaymentRefunded", { paymentId: pid(n), amount: fromHeld + fromMerchant, fromHeld, fromMerchant }, sameTx);
    return this.add("token.Transfer", { from: ESCROW, to: BUYER, value: fromHeld + fromMerchant }, true);
  }
}

export const ledgerOf = (events: Events, terms: ReadonlyMap<string, PaymentTermsRecord> = new Map()): Ledger => buildLedger(events.list, terms, { stablecoin: TOKEN });

/** The chain state a correct escrow and token would show for `ledger` (tests then change one value). */
export function consistentState(ledger: Ledger): ChainState {
  let owed = 0n;
  for (const p of ledger.payments.values()) owed += p.capturable + p.held;
  const accounts = new Map<string, bigint>();
  for (const b of ledger.balances.get(TOKEN)?.values() ?? []) {
    owed += b.balance;
    accounts.set(b.account, b.balance);
  }
  const s = ledger.stablecoin;
  return {
    escrow: ESCROW,
    escrowTokenBalances: new Map([[TOKEN, owed]]),
    escrowAccountBalances: new Map([[TOKEN, accounts]]),
    stablecoin: { totalSupply: s.totalMinted - s.totalBurned, totalMinted: s.totalMinted, totalBurned: s.totalBurned },
  };
}

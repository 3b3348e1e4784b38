// The auditor's ledger tables: written by the projection of chain_logs (application/ledger-projector.ts), rewound
// with the indexer on a reorg, read by the auditor API. Every list is keyset-paginated on an index; aggregates
// (balances, what is owed per token, daily buckets) are updated with each batch of entries and never scanned.
import {
  dailyDelta,
  dayOf,
  projectLog,
  type ChainPayment,
  type ChainStatusName,
  type DailyDelta,
  type LedgerContext,
  type LedgerEntry,
  type LedgerKind,
  type LedgerLog,
} from "../domain/ledger.js";
import type { Sql, SqlValue } from "./database.js";

interface PaymentRecord {
  payment_id: string;
  merchant: string;
  buyer: string;
  token: string;
  partner: string | null;
  amount: string;
  order_ref: string;
  status: ChainStatusName;
  capturable: string;
  held: string;
  released: string;
  refunded_after_release: string;
  refunded: string;
  authorized_block: number;
  authorized_at: number;
  updated_block: number;
}

const toPayment = (r: PaymentRecord): ChainPayment => ({
  paymentId: r.payment_id,
  merchant: r.merchant,
  buyer: r.buyer,
  token: r.token,
  partner: r.partner,
  amount: BigInt(r.amount),
  orderRef: r.order_ref,
  status: r.status,
  capturable: BigInt(r.capturable),
  held: BigInt(r.held),
  released: BigInt(r.released),
  refundedAfterRelease: BigInt(r.refunded_after_release),
  refunded: BigInt(r.refunded),
  authorizedBlock: r.authorized_block,
  authorizedAt: r.authorized_at,
  updatedBlock: r.updated_block,
});

interface EntryRecord {
  block_number: number;
  log_index: number;
  leg: number;
  block_time: number;
  tx_hash: string;
  kind: LedgerKind;
  payment_id: string | null;
  token: string;
  merchant: string | null;
  buyer: string | null;
  account: string | null;
  amount: string;
  capturable_delta: string;
  held_delta: string;
  balance_delta: string;
}

const toEntry = (r: EntryRecord): LedgerEntry => ({
  blockNumber: r.block_number,
  logIndex: r.log_index,
  leg: r.leg,
  blockTime: r.block_time,
  txHash: r.tx_hash,
  kind: r.kind,
  paymentId: r.payment_id,
  token: r.token,
  merchant: r.merchant,
  buyer: r.buyer,
  account: r.account,
  amount: BigInt(r.amount),
  capturableDelta: BigInt(r.capturable_delta),
  heldDelta: BigInt(r.held_delta),
  balanceDelta: BigInt(r.balance_delta),
});

/** A chain log row as the ledger reads it back (timeline, projection). */
export interface ChainLogRow {
  blockNumber: number;
  logIndex: number;
  txHash: string;
  blockTime: number | null;
  event: string;
  paymentId: string | null;
  args: Record<string, string>;
  /** The emitting contract (`escrow` or `receivables`), where the query reads it. */
  contract?: string;
}

interface LogRecord {
  block_number: number;
  log_index: number;
  tx_hash: string;
  block_time: number | null;
  event: string;
  payment_id: string | null;
  data: string;
  contract?: string;
}

const toLog = (r: LogRecord): ChainLogRow => ({
  blockNumber: r.block_number,
  logIndex: r.log_index,
  txHash: r.tx_hash,
  blockTime: r.block_time,
  event: r.event,
  paymentId: r.payment_id,
  args: JSON.parse(r.data) as Record<string, string>,
  ...(r.contract === undefined ? {} : { contract: r.contract }),
});

export interface Cursor {
  block: number;
  log: number;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

export interface EntryFilter {
  limit: number;
  /** The last entry of the previous page. */
  after?: { block: number; log: number; leg: number };
  merchant?: string;
  buyer?: string;
  token?: string;
  kind?: LedgerKind;
  fromBlock?: number;
  toBlock?: number;
}

export interface TokenTotals {
  token: string;
  capturable: bigint;
  held: bigint;
  balances: bigint;
}

export interface DailyBucket extends DailyDelta {
  token: string;
  day: string;
}

const add = (stored: string | undefined, delta: bigint) => (BigInt(stored ?? "0") + delta).toString();

async function savePayment(sql: Sql, p: ChainPayment): Promise<void> {
  await sql.run(
    `INSERT INTO chain_payments (payment_id, merchant, buyer, token, partner, amount, order_ref, status, capturable, held,
       released, refunded_after_release, refunded, authorized_block, authorized_at, updated_block)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (payment_id) DO UPDATE SET merchant = excluded.merchant, buyer = excluded.buyer, token = excluded.token,
       partner = excluded.partner, amount = excluded.amount, order_ref = excluded.order_ref, status = excluded.status,
       capturable = excluded.capturable, held = excluded.held, released = excluded.released,
       refunded_after_release = excluded.refunded_after_release, refunded = excluded.refunded,
       authorized_block = excluded.authorized_block, authorized_at = excluded.authorized_at, updated_block = excluded.updated_block`,
    p.paymentId, p.merchant, p.buyer, p.token, p.partner, p.amount.toString(), p.orderRef, p.status, p.capturable.toString(),
    p.held.toString(), p.released.toString(), p.refundedAfterRelease.toString(), p.refunded.toString(), p.authorizedBlock,
    p.authorizedAt, p.updatedBlock,
  );
}

async function loadPayment(sql: Sql, paymentId: string): Promise<ChainPayment | undefined> {
  const r = await sql.get<PaymentRecord>("SELECT * FROM chain_payments WHERE payment_id = ?", paymentId);
  return r && toPayment(r);
}

async function stateValue(sql: Sql, key: string): Promise<string | undefined> {
  return (await sql.get<{ value: string }>("SELECT value FROM ledger_state WHERE key = ?", key))?.value;
}

async function setState(sql: Sql, key: string, value: string): Promise<void> {
  await sql.run("INSERT INTO ledger_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
}

/**
 * What the domain's projector asks about while it projects (synchronously): the treasury and the configured merchants
 * with their partners (null: a merchant without a partner), read in one go. The table has a row per merchant configured
 * on the escrow; `project` reads it again after a configuration log changes it.
 */
async function contextOf(sql: Sql): Promise<LedgerContext> {
  const partners = new Map(
    (await sql.all<{ merchant: string; partner: string | null }>("SELECT merchant, partner FROM ledger_merchants")).map((r) => [r.merchant, r.partner]),
  );
  return {
    treasury: await stateValue(sql, "treasury") ?? null,
    partnerOf: (merchant) => partners.get(merchant) ?? null,
    isMerchant: (account) => partners.has(account),
  };
}

/** Adds signed entry deltas (sign 1 to apply, -1 to reverse) to balances, totals and daily buckets. */
async function applyAggregates(sql: Sql, entries: readonly LedgerEntry[], sign: 1n | -1n): Promise<void> {
  const balances = new Map<string, bigint>();
  const totals = new Map<string, { capturable: bigint; held: bigint; balances: bigint }>();
  const daily = new Map<string, DailyDelta & { token: string; day: string }>();
  for (const e of entries) {
    if (e.account !== null && e.balanceDelta !== 0n) {
      const key = `${e.token}|${e.account}`;
      balances.set(key, (balances.get(key) ?? 0n) + sign * e.balanceDelta);
    }
    const t = totals.get(e.token) ?? { capturable: 0n, held: 0n, balances: 0n };
    t.capturable += sign * e.capturableDelta;
    t.held += sign * e.heldDelta;
    t.balances += sign * e.balanceDelta;
    totals.set(e.token, t);
    const day = dayOf(e.blockTime);
    const d = daily.get(`${e.token}|${day}`) ?? { token: e.token, day, authorized: 0n, captured: 0n, released: 0n, refunded: 0n, fees: 0n, payments: 0 };
    const delta = dailyDelta(e);
    d.authorized += sign * delta.authorized;
    d.captured += sign * delta.captured;
    d.released += sign * delta.released;
    d.refunded += sign * delta.refunded;
    d.fees += sign * delta.fees;
    d.payments += Number(sign) * delta.payments;
    daily.set(`${e.token}|${day}`, d);
  }
  for (const [key, delta] of balances) {
    const [token, account] = key.split("|") as [string, string];
    const stored = await sql.get<{ balance: string }>("SELECT balance FROM ledger_balances WHERE token = ? AND account = ?", token, account);
    await sql.run(
      "INSERT INTO ledger_balances (token, account, balance) VALUES (?, ?, ?) ON CONFLICT (token, account) DO UPDATE SET balance = excluded.balance",
      token, account, add(stored?.balance, delta),
    );
  }
  for (const [token, t] of totals) {
    const stored = await sql.get<{ capturable: string; held: string; balances: string }>("SELECT capturable, held, balances FROM ledger_totals WHERE token = ?", token);
    await sql.run(
      `INSERT INTO ledger_totals (token, capturable, held, balances) VALUES (?, ?, ?, ?)
       ON CONFLICT (token) DO UPDATE SET capturable = excluded.capturable, held = excluded.held, balances = excluded.balances`,
      token, add(stored?.capturable, t.capturable), add(stored?.held, t.held), add(stored?.balances, t.balances),
    );
  }
  for (const d of daily.values()) {
    const stored = await sql.get<{ authorized: string; captured: string; released: string; refunded: string; fees: string; payments: number }>(
      "SELECT authorized, captured, released, refunded, fees, payments FROM ledger_daily WHERE token = ? AND day = ?", d.token, d.day,
    );
    await sql.run(
      `INSERT INTO ledger_daily (token, day, authorized, captured, released, refunded, fees, payments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (token, day) DO UPDATE SET authorized = excluded.authorized, captured = excluded.captured,
         released = excluded.released, refunded = excluded.refunded, fees = excluded.fees, payments = excluded.payments`,
      d.token, d.day, add(stored?.authorized, d.authorized), add(stored?.captured, d.captured), add(stored?.released, d.released),
      add(stored?.refunded, d.refunded), add(stored?.fees, d.fees), (stored?.payments ?? 0) + d.payments,
    );
  }
}

async function insertEntry(sql: Sql, e: LedgerEntry): Promise<void> {
  await sql.run(
    `INSERT INTO ledger_entries (block_number, log_index, leg, block_time, tx_hash, kind, payment_id, token, merchant, buyer, account,
       amount, capturable_delta, held_delta, balance_delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    e.blockNumber, e.logIndex, e.leg, e.blockTime, e.txHash, e.kind, e.paymentId, e.token, e.merchant, e.buyer, e.account,
    e.amount.toString(), e.capturableDelta.toString(), e.heldDelta.toString(), e.balanceDelta.toString(),
  );
}

/** Configuration logs the projection keeps: who receives fees. Says whether `log` was one. */
async function applyConfiguration(sql: Sql, log: { event: string; args: Record<string, string> }): Promise<boolean> {
  if (log.event === "TreasurySet" && log.args.treasury) {
    await setState(sql, "treasury", log.args.treasury);
    return true;
  }
  if (log.event === "MerchantConfigured" && log.args.merchant) {
    const partner = log.args.partner && !/^0x0{40}$/.test(log.args.partner) ? log.args.partner : null;
    await sql.run(
      "INSERT INTO ledger_merchants (merchant, partner) VALUES (?, ?) ON CONFLICT (merchant) DO UPDATE SET partner = excluded.partner",
      log.args.merchant, partner,
    );
    return true;
  }
  return false;
}

/** Adds the conditions of an inclusive block range to a WHERE list. */
function whereBlockRange(where: string[], params: SqlValue[], range: { fromBlock?: number; toBlock?: number }): void {
  if (range.fromBlock !== undefined) {
    where.push("block_number >= ?");
    params.push(range.fromBlock);
  }
  if (range.toBlock !== undefined) {
    where.push("block_number <= ?");
    params.push(range.toBlock);
  }
}

export const ledger = {
  /** Where the projection stands: the last chain log it has applied. */
  async cursor(sql: Sql): Promise<Cursor> {
    return { block: Number(await stateValue(sql, "cursor_block") ?? -1), log: Number(await stateValue(sql, "cursor_log") ?? -1) };
  },

  /** Chain logs not projected yet, in chain order, each with its contract (`project` applies the escrow's only). */
  async unprojected(sql: Sql, limit: number): Promise<ChainLogRow[]> {
    const c = await this.cursor(sql);
    return (await sql.all<LogRecord>(
      `SELECT block_number, log_index, tx_hash, block_time, event, payment_id, data, contract FROM chain_logs
        WHERE (block_number, log_index) > (?, ?) ORDER BY block_number, log_index LIMIT ?`,
      c.block, c.log, limit,
    ))
      .map(toLog);
  },

  /**
   * Applies the escrow's logs (in chain order, each with its block time) to the payments, writes their entries and the
   * aggregates, and moves the cursor past them. Run in the caller's transaction.
   */
  async project(sql: Sql, logs: readonly (LedgerLog & { contract?: string })[]): Promise<number> {
    const payments = new Map<string, ChainPayment>();
    const entries: LedgerEntry[] = [];
    let context: LedgerContext | undefined;
    for (const log of logs) {
      await sql.run("UPDATE chain_logs SET block_time = ? WHERE block_number = ? AND log_index = ?", log.blockTime, log.blockNumber, log.logIndex);
      // The receivable registry's logs are not the ledger's (both contracts emit TreasurySet); the cursor passes them.
      if (log.contract !== undefined && log.contract !== "escrow") continue;
      if (await applyConfiguration(sql, log)) context = undefined;
      context ??= await contextOf(sql);
      const before = log.paymentId === null ? undefined : payments.get(log.paymentId) ?? await loadPayment(sql, log.paymentId);
      const result = projectLog(before, log, context);
      if (result.payment) payments.set(result.payment.paymentId, result.payment);
      for (const entry of result.entries) {
        await insertEntry(sql, entry);
        entries.push(entry);
      }
    }
    for (const payment of payments.values()) await savePayment(sql, payment);
    await applyAggregates(sql, entries, 1n);
    const last = logs.at(-1);
    if (last) {
      await setState(sql, "cursor_block", String(last.blockNumber));
      await setState(sql, "cursor_log", String(last.logIndex));
    }
    return entries.length;
  },

  /**
   * A reorg: the indexer forgets chain logs above `keep`; the ledger forgets their entries (reversing the
   * aggregates), and replays the remaining logs of every payment they touched. Run in the indexer's transaction,
   * before its chain_logs are deleted.
   */
  async rewind(sql: Sql, keep: number): Promise<void> {
    const dropped = (await sql.all<EntryRecord>("SELECT * FROM ledger_entries WHERE block_number > ?", keep)).map(toEntry);
    await applyAggregates(sql, dropped, -1n);
    await sql.run("DELETE FROM ledger_entries WHERE block_number > ?", keep);
    const configuration = await sql.all<LogRecord>(
      `SELECT block_number, log_index, tx_hash, block_time, event, payment_id, data FROM chain_logs
        WHERE event IN ('TreasurySet', 'MerchantConfigured') AND contract = 'escrow' AND block_number <= ? ORDER BY block_number, log_index`,
      keep,
    );
    await sql.run("DELETE FROM ledger_merchants");
    await sql.run("DELETE FROM ledger_state WHERE key = 'treasury'");
    for (const log of configuration) await applyConfiguration(sql, toLog(log));
    const touched = (await sql.all<PaymentRecord>("SELECT * FROM chain_payments WHERE updated_block > ?", keep)).map(toPayment);
    for (const payment of touched) {
      await sql.run("DELETE FROM chain_payments WHERE payment_id = ?", payment.paymentId);
      const logs = (await sql.all<LogRecord>(
        `SELECT block_number, log_index, tx_hash, block_time, event, payment_id, data FROM chain_logs
          WHERE payment_id = ? AND block_number <= ? ORDER BY block_number, log_index`,
        payment.paymentId, keep,
      ))
        .map(toLog);
      let state: ChainPayment | undefined;
      const context: LedgerContext = { treasury: null, partnerOf: () => payment.partner, isMerchant: () => false };
      for (const log of logs) state = projectLog(state, { ...log, blockTime: log.blockTime ?? 0 }, context).payment ?? state;
      if (state) await savePayment(sql, state);
    }
    const last = await sql.get<{ block_number: number; log_index: number }>(
      "SELECT block_number, log_index FROM chain_logs WHERE block_number <= ? ORDER BY block_number DESC, log_index DESC LIMIT 1",
      keep,
    );
    await setState(sql, "cursor_block", String(last?.block_number ?? -1));
    await setState(sql, "cursor_log", String(last?.log_index ?? -1));
  },

  async entries(sql: Sql, f: EntryFilter): Promise<Page<LedgerEntry>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    for (const [column, value] of [["merchant", f.merchant], ["buyer", f.buyer], ["token", f.token], ["kind", f.kind]] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    whereBlockRange(where, params, f);
    if (f.after) {
      where.push("(block_number, log_index, leg) > (?, ?, ?)");
      params.push(f.after.block, f.after.log, f.after.leg);
    }
    const rows = await sql.all<EntryRecord>(
      `SELECT * FROM ledger_entries ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY block_number, log_index, leg LIMIT ?`,
      ...params, f.limit + 1,
    );
    return { data: rows.slice(0, f.limit).map(toEntry), hasMore: rows.length > f.limit };
  },

  /** The first block at or after `time` (Unix seconds) that has entries; a time range becomes a block range. */
  async firstBlockAtOrAfter(sql: Sql, time: number): Promise<number | undefined> {
    return (await sql.get<{ block_number: number }>("SELECT block_number FROM ledger_entries WHERE block_time >= ? ORDER BY block_time, block_number LIMIT 1", time))?.block_number;
  },

  /** The last block at or before `time` that has entries. */
  async lastBlockAtOrBefore(sql: Sql, time: number): Promise<number | undefined> {
    return (await sql.get<{ block_number: number }>("SELECT block_number FROM ledger_entries WHERE block_time <= ? ORDER BY block_time DESC, block_number DESC LIMIT 1", time))?.block_number;
  },

  async balances(sql: Sql, f: { limit: number; after?: { token: string; account: string }; token?: string; account?: string }): Promise<Page<{ token: string; account: string; balance: bigint }>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (f.token) {
      where.push("token = ?");
      params.push(f.token);
    }
    if (f.account) {
      where.push("account = ?");
      params.push(f.account);
    }
    if (f.after) {
      where.push("(token, account) > (?, ?)");
      params.push(f.after.token, f.after.account);
    }
    const rows = await sql.all<{ token: string; account: string; balance: string }>(
      `SELECT token, account, balance FROM ledger_balances ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY token, account LIMIT ?`,
      ...params, f.limit + 1,
    );
    return { data: rows.slice(0, f.limit).map((r) => ({ ...r, balance: BigInt(r.balance) })), hasMore: rows.length > f.limit };
  },

  async totals(sql: Sql): Promise<TokenTotals[]> {
    return (await sql.all<{ token: string; capturable: string; held: string; balances: string }>("SELECT token, capturable, held, balances FROM ledger_totals ORDER BY token"))
      .map((r) => ({ token: r.token, capturable: BigInt(r.capturable), held: BigInt(r.held), balances: BigInt(r.balances) }));
  },

  /** The daily buckets of every token from `fromDay` (YYYY-MM-DD) on; one primary-key range per token. */
  async daily(sql: Sql, fromDay: string): Promise<DailyBucket[]> {
    const buckets: DailyBucket[] = [];
    for (const { token } of await this.totals(sql)) {
      const rows = await sql.all<{ token: string; day: string; authorized: string; captured: string; released: string; refunded: string; fees: string; payments: number }>(
        "SELECT * FROM ledger_daily WHERE token = ? AND day >= ? ORDER BY day",
        token,
        fromDay,
      );
      for (const r of rows) {
        buckets.push({ ...r, authorized: BigInt(r.authorized), captured: BigInt(r.captured), released: BigInt(r.released), refunded: BigInt(r.refunded), fees: BigInt(r.fees) });
      }
    }
    return buckets;
  },

  async payment(sql: Sql, paymentId: string): Promise<ChainPayment | undefined> {
    return await loadPayment(sql, paymentId);
  },

  /** Payments in a chain status, by payment id. */
  async paymentsInStatus(sql: Sql, status: ChainStatusName, page: { limit: number; after?: string }): Promise<Page<ChainPayment>> {
    const rows = await sql.all<PaymentRecord>(
      `SELECT * FROM chain_payments WHERE status = ? ${page.after ? "AND payment_id > ?" : ""} ORDER BY payment_id LIMIT ?`,
      ...(page.after ? [status, page.after, page.limit + 1] : [status, page.limit + 1]),
    );
    return { data: rows.slice(0, page.limit).map(toPayment), hasMore: rows.length > page.limit };
  },

  /** How many payments are in `status`, counted up to `cap` (a page view never counts a whole table). */
  async countInStatus(sql: Sql, status: ChainStatusName, cap: number): Promise<number> {
    return (await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM (SELECT 1 FROM chain_payments WHERE status = ? LIMIT ?) AS capped", status, cap))?.n ?? 0;
  },

  /** Every escrow log of one payment, in chain order. */
  async timeline(sql: Sql, paymentId: string): Promise<ChainLogRow[]> {
    return (await sql.all<LogRecord>(
      "SELECT block_number, log_index, tx_hash, block_time, event, payment_id, data FROM chain_logs WHERE payment_id = ? ORDER BY block_number, log_index",
      paymentId,
    ))
      .map(toLog);
  },

  /** The payment ids whose logs a transaction emitted. */
  async paymentsOfTransaction(sql: Sql, txHash: string, limit: number): Promise<string[]> {
    // a payment has a few logs per transaction: read them through the index, deduplicate here
    const rows = await sql.all<{ payment_id: string }>("SELECT payment_id FROM chain_logs WHERE tx_hash = ? AND payment_id IS NOT NULL LIMIT ?", txHash, limit * 8);
    return [...new Set(rows.map((r) => r.payment_id))].slice(0, limit);
  },

  /** LargeTransactionReported logs (AML reports), in chain order. */
  async largeTransactions(sql: Sql, f: { limit: number; after?: Cursor; fromBlock?: number; toBlock?: number }): Promise<Page<ChainLogRow>> {
    const where = ["event = 'LargeTransactionReported'"];
    const params: SqlValue[] = [];
    whereBlockRange(where, params, f);
    if (f.after) {
      where.push("(block_number, log_index) > (?, ?)");
      params.push(f.after.block, f.after.log);
    }
    const rows = await sql.all<LogRecord>(
      `SELECT block_number, log_index, tx_hash, block_time, event, payment_id, data FROM chain_logs WHERE ${where.join(" AND ")}
        ORDER BY block_number, log_index LIMIT ?`,
      ...params, f.limit + 1,
    );
    return { data: rows.slice(0, f.limit).map(toLog), hasMore: rows.length > f.limit };
  },
};

// Operator work nobody asks for: releasing held funds once the confirmation window has passed, and the
// scheduled settlement run that pays every merchant's available balance out. Both only queue operations: the
// submitter batches them (releaseMany, payoutMany).
import type { Database } from "../persistence/database.js";
import { intents } from "../persistence/intents.js";
import { merchants, type Merchant } from "../persistence/merchants.js";
import { payouts } from "../persistence/payouts.js";
import type { PaymentsService } from "./payments.js";
import type { PayoutsService } from "./payouts.js";
import type { ChainContext, ChainReader } from "./ports.js";

/**
 * Queues a release for every captured payment whose confirmation window has passed by `nextBlockTime` (Unix
 * seconds): the chain's clock, not the relayer's, decides whether the escrow accepts the release. Returns how many.
 */
export async function queueDueReleases(
  db: Database,
  payments: PaymentsService,
  now: () => number,
  nextBlockTime: number,
  limit = 500,
): Promise<number> {
  return db.transaction(async (sql) => {
    const due = await intents.releasable(sql, nextBlockTime, limit);
    for (const intent of due) {
      await payments.enqueue(sql, intent, { kind: "release", terms: intent.terms }, now());
      await payments.recordEvent(sql, intent, "payment_intent.release_requested", now(), { scheduled: true });
    }
    return due.length;
  });
}

/** The settlement run: a payout for every merchant with an available balance and no payout in flight. */
export async function runSettlement(
  db: Database,
  chain: ChainContext,
  reader: ChainReader,
  payoutsService: PayoutsService,
  now: () => number,
): Promise<number> {
  const all = await db.read(async (sql) => {
    const list: Merchant[] = [];
    let page = await merchants.list(sql, { limit: 100 });
    list.push(...page.data);
    while (page.hasMore) {
      page = await merchants.list(sql, { limit: 100, startingAfter: list[list.length - 1]!.id });
      list.push(...page.data);
    }
    return list;
  });
  const withBalance: typeof all = [];
  for (const merchant of all) {
    if ((await reader.escrowBalance(chain.token.address, merchant.address)) > 0n) withBalance.push(merchant);
  }
  return db.transaction(async (sql) => {
    let queued = 0;
    for (const merchant of withBalance) {
      if (await payouts.pendingFor(sql, merchant.id, chain.token.address)) continue;
      await payoutsService.request(sql, merchant, chain.token.address, true, now());
      queued += 1;
    }
    return queued;
  });
}

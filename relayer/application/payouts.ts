// Payouts: a merchant asks (or the scheduled settlement run asks for every merchant with a balance) for its
// available escrow balance to be paid to its settlement address. Many payouts share one payoutMany transaction;
// one that fails (a blocklisted address, a frozen account) stays claimable and does not block the others.
import type { SettledOperation } from "../chain/confirmer.js";
import { conflict, invalid } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { operations } from "../persistence/chain-store.js";
import type { Sql } from "../persistence/database.js";
import type { Merchant } from "../persistence/merchants.js";
import { payouts, type Payout } from "../persistence/payouts.js";
import { recordEvent } from "./events.js";
import type { ChainContext } from "./ports.js";

export class PayoutsService {
  constructor(private readonly chain: ChainContext) {}

  /** Queues a payout of the merchant's whole available balance in `token`, inside the caller's transaction. */
  async request(sql: Sql, merchant: Merchant, token: string, scheduled: boolean, now: number): Promise<Payout> {
    if (token.toLowerCase() !== this.chain.token.address.toLowerCase()) {
      throw invalid("token_not_supported", `Token ${token} is not settled by this network`, "token");
    }
    const pending = await payouts.pendingFor(sql, merchant.id, this.chain.token.address);
    if (pending) throw conflict("payout_in_progress", `Payout ${pending.id} of this balance is still being processed`);
    const operationId = await operations.insert(sql, { kind: "payout", intentId: null, payload: { kind: "payout", token: this.chain.token.address, account: merchant.address } }, now);
    const id = newId("po");
    await payouts.insert(sql, { id, merchantId: merchant.id, token: this.chain.token.address, operationId, scheduled }, now);
    await recordEvent(sql, { merchantId: merchant.id, type: "payout.created", objectId: id, data: { object: { id, token, scheduled } } }, now);
    return (await payouts.getForMerchant(sql, merchant.id, id))!;
  }

  /** Records a settled payout operation: paid (PayoutSent), failed and still claimable (PayoutFailed), or nothing to pay. */
  async settle(sql: Sql, s: SettledOperation, now: number): Promise<void> {
    const payout = await payouts.byOperation(sql, s.operation.id);
    if (!payout) return;
    const account = (JSON.parse(s.operation.payload) as { account: string }).account.toLowerCase();
    const mine = s.events.find((e) => (e.name === "PayoutSent" || e.name === "PayoutFailed") && e.args.account?.toLowerCase() === account);
    let result: Parameters<typeof payouts.settle>[2];
    if (!s.outcome.ok) {
      result = { status: "failed", amount: null, destination: null, transactionHash: s.txHash, failure: { code: s.outcome.code, message: s.outcome.message } };
    } else if (mine?.name === "PayoutSent") {
      result = { status: "paid", amount: mine.args.amount ?? null, destination: mine.args.to ?? null, transactionHash: s.txHash, failure: null };
    } else if (mine?.name === "PayoutFailed") {
      result = {
        status: "failed",
        amount: mine.args.amount ?? null,
        destination: mine.args.to ?? null,
        transactionHash: s.txHash,
        failure: { code: "payout_failed", message: "The transfer to the settlement address failed (frozen or blocklisted); the balance stays claimable" },
      };
    } else {
      result = { status: "failed", amount: "0", destination: null, transactionHash: s.txHash, failure: { code: "nothing_to_pay", message: "The available balance was zero" } };
    }
    await payouts.settle(sql, payout.id, result, now);
    await recordEvent(
      sql,
      {
        merchantId: payout.merchantId,
        type: result.status === "paid" ? "payout.paid" : "payout.failed",
        objectId: payout.id,
        data: { object: { id: payout.id, amount: result.amount, destination: result.destination }, transaction_hash: s.txHash, ...(result.failure ? { failure: result.failure } : {}) },
      },
      now,
    );
  }
}

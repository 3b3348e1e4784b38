// What others do on the ReceivableRegistry (a holder's own ERC-721 transfer or split, a debtor's direct accept or
// repayment, anyone's markOverdue, the arbiter's declareDefault, a claim): the indexer hands their confirmed logs
// here; the mirror takes the registry's view of each invoice they touch (the same code that settles our own
// actions), and the same `receivable.*` events go out as for an action of ours. Our own transactions never come
// here (the indexer leaves them to the confirmer), so nothing is reported twice.
import { decodeBytes32String, getAddress } from "ethers";

import type { IndexedLog, LogHandler, ReorgHandler } from "../chain/indexer.js";
import { ReceivableState } from "../chain/receivable-typed-data.js";
import type { ChainReceivable, Receivable } from "../domain/receivable.js";
import type { Database, Sql } from "../persistence/database.js";
import { merchants } from "../persistence/merchants.js";
import { financingOffers, receivables } from "../persistence/receivables.js";
import { recordEvent } from "./events.js";
import type { ReceivableChainReader } from "./ports.js";
import { adoptInvoice, applyInvoice, readInvoices, ZERO_ADDRESS, type InvoiceViews } from "./receivable-mirror.js";
import { SUCCEEDED_EVENT, type ReceivablesService } from "./receivables.js";

/** The registry events that change a receivable, with the event the API records and the argument naming the receivable. */
const ACTIVITY: Record<string, { type: string; subject: string }> = {
  ReceivableIssued: { type: SUCCEEDED_EVENT.issue, subject: "id" },
  ReceivableAccepted: { type: SUCCEEDED_EVENT.accept, subject: "id" },
  ReceivableRejected: { type: SUCCEEDED_EVENT.reject, subject: "id" },
  ReceivableSplit: { type: SUCCEEDED_EVENT.split, subject: "parentId" },
  Transfer: { type: SUCCEEDED_EVENT.transfer, subject: "tokenId" },
  ReceivableFinanced: { type: SUCCEEDED_EVENT.finance, subject: "id" },
  RepaymentReceived: { type: SUCCEEDED_EVENT.repay, subject: "targetId" },
  ReceivableRepaid: { type: "receivable.repaid", subject: "id" },
  ReceivableOverdue: { type: "receivable.overdue", subject: "rootId" },
  ReceivableDefaulted: { type: "receivable.defaulted", subject: "rootId" },
};

const subjectOf = (log: IndexedLog): string => log.args[ACTIVITY[log.event]!.subject]!;

/**
 * The logs that tell something: the mints and burns of an issue or a split, and the move of a financed receivable
 * to its financier, are told by ReceivableIssued, ReceivableSplit and ReceivableFinanced of the same transaction.
 */
function telling(logs: IndexedLog[]): IndexedLog[] {
  return logs.filter((log) => {
    if (log.contract !== "receivables" || !ACTIVITY[log.event]) return false;
    if (log.event !== "Transfer") return true;
    if (log.args.from === ZERO_ADDRESS || log.args.to === ZERO_ADDRESS) return false;
    return !logs.some((l) => l.txHash === log.txHash && l.event === "ReceivableFinanced" && l.args.id === log.args.tokenId);
  });
}

/** The addresses a log names (issuer, debtor, recipients, new holder, financier...). */
const addressesOf = (log: IndexedLog): string[] =>
  Object.values(log.args).flatMap((v) => v.split(",")).filter((v) => /^0x[0-9a-fA-F]{40}$/.test(v) && v !== ZERO_ADDRESS);

/**
 * The root token id of each receivable the logs are about: from the mirror, else from the registry, but only when
 * the log names an account of ours (an invoice issued, split or moved to it); others' invoices are not followed.
 */
async function rootsOf(db: Database, reader: ReceivableChainReader, logs: IndexedLog[]): Promise<Map<string, string>> {
  const { mirrored, wanted } = await db.read(async (sql) => {
    const mirrored = new Map<string, string>();
    const wanted = new Set<string>();
    for (const log of logs) {
      const t = subjectOf(log);
      const row = await receivables.getByTokenId(sql, t);
      const root = row && await receivables.get(sql, row.rootId);
      if (root) mirrored.set(t, root.tokenId);
      else if (await anyReceivablesAccount(sql, addressesOf(log))) wanted.add(t);
    }
    return { mirrored, wanted };
  });
  for (const t of wanted) {
    if (mirrored.has(t)) continue;
    const view = await reader.receivable(BigInt(t));
    if (view) mirrored.set(t, view.root.toString());
  }
  return mirrored;
}

/** Whether one of `addresses` is an account of ours that uses receivables. */
async function anyReceivablesAccount(sql: Sql, addresses: readonly string[]): Promise<boolean> {
  for (const address of addresses) {
    if ((await merchants.getByAddress(sql, getAddress(address)))?.capabilities.includes("receivables")) return true;
  }
  return false;
}

/** The invoice's reference as issued (its ReceivableIssued log, in this batch or indexed before), if readable. */
async function invoiceRefOf(sql: Sql, rootTokenId: string, batch: IndexedLog[]): Promise<string | null> {
  const issued =
    batch.find((l) => l.event === "ReceivableIssued" && l.args.id === rootTokenId)?.args ??
    (await sql.all<{ data: string }>("SELECT data FROM chain_logs WHERE event = 'ReceivableIssued' AND contract = 'receivables' AND json_extract(data, '$.id') = ?", rootTokenId))
      .map((r) => JSON.parse(r.data) as Record<string, string>)[0];
  try {
    return issued?.invoiceRef ? decodeBytes32String(issued.invoiceRef) : null;
  } catch {
    return issued?.invoiceRef ?? null;
  }
}

/** What each event carries besides its source, beyond what our own actions' events carry. */
async function details(sql: Sql, log: IndexedLog): Promise<Record<string, unknown>> {
  const a = log.args;
  switch (log.event) {
    case "Transfer":
      return { from: a.from, to: a.to };
    case "ReceivableSplit": {
      const parts = [];
      for (const t of (a.partIds ?? "").split(",")) {
        const part = await receivables.getByTokenId(sql, t);
        if (part) parts.push({ id: part.id, token_id: part.tokenId, face_value: part.faceValue.toString(), holder: part.holder });
      }
      return { parts };
    }
    case "ReceivableFinanced":
      return { financier: a.financier, price: a.price, fee: a.fee, days_to_maturity: Number(a.daysToMaturity), annual_rate_bps: Number(a.annualRateBps) };
    case "RepaymentReceived":
      return { amount_paid: a.amount, source: a.source === "1" ? "escrow_balance" : "wallet" };
    case "ReceivableOverdue":
      return { overdue_since: Number(a.overdueSince), principal_outstanding: a.principalOutstanding };
    case "ReceivableDefaulted":
      return { arbiter: a.arbiter, reason: a.reason, principal_outstanding: a.principalOutstanding };
    case "ReceivableRejected":
      return { reason: a.reason };
    default:
      return {};
  }
}

/**
 * Others' registry logs: each invoice they touch takes the registry's view (an invoice issued on chain to an account
 * the relayer knows, as issuer, debtor or holder, gets its rows), then each log records its `receivable.*` event for
 * every account that may see the receivable; a claim records `receivable.claimed` for the claiming account.
 */
export function receivableActivityHandler(db: Database, reader: ReceivableChainReader, service: ReceivablesService, now: () => number): LogHandler {
  return async (foreign: IndexedLog[]) => {
    const logs = telling(foreign);
    const claims = foreign.filter((l) => l.contract === "receivables" && l.event === "Claimed");
    if (logs.length === 0 && claims.length === 0) return async () => {};
    const rootOfSubject = await rootsOf(db, reader, logs);
    const views = await readInvoices(reader, rootOfSubject.values());

    return async (sql) => {
      const at = now();
      // The last transaction of the batch on each invoice: the one its current holders got it by.
      const lastTx = new Map(logs.flatMap((log) => (rootOfSubject.has(subjectOf(log)) ? [[rootOfSubject.get(subjectOf(log))!, log.txHash] as const] : [])));
      for (const [root, txHash] of lastTx) {
        const row = await receivables.getByTokenId(sql, root) ?? await adoptIfKnown(sql, root, views, logs, at);
        if (row) await applyInvoice(sql, row.rootId, views, txHash, at);
      }
      for (const log of logs) {
        const r = await receivables.getByTokenId(sql, subjectOf(log));
        if (!r) continue;
        const data = { source: "chain", chain_event: log.event, args: log.args, transaction_hash: log.txHash, block_number: log.blockNumber, ...(await details(sql, log)) };
        await service.notify(sql, r, ACTIVITY[log.event]!.type, at, data, await extraAudience(sql, r, log));
        if (log.event === "ReceivableFinanced") await settleOfferUsed(sql, service, r, log, foreign, at);
      }
      for (const log of claims) {
        const account = await merchants.getByAddress(sql, getAddress(log.args.account!));
        if (!account?.capabilities.includes("receivables")) continue;
        await recordEvent(sql, {
          merchantId: account.id,
          type: "receivable.claimed",
          objectId: account.id,
          data: { object: { id: account.id, address: account.address }, token: log.args.token, amount: log.args.amount, source: "chain", transaction_hash: log.txHash, block_number: log.blockNumber },
        }, at);
      }
    };
  };
}

/**
 * A financing done on chain with an offer the relayer stores (the financier's signed offer, used by the holder
 * directly): the offer is accepted, as when the holder accepts it through the API. The offer is the one whose
 * nonce the financier's AuthorizationUsed of the same transaction names.
 */
async function settleOfferUsed(sql: Sql, service: ReceivablesService, r: Receivable, financed: IndexedLog, batch: IndexedLog[], now: number): Promise<void> {
  for (const used of batch.filter((l) => l.txHash === financed.txHash && l.event === "AuthorizationUsed" && l.args.signer === financed.args.financier)) {
    const offer = await financingOffers.byNonce(sql, used.args.signer!, used.args.nonce!);
    if (!offer || offer.receivableId !== r.id || offer.status !== "open") continue;
    const a = financed.args;
    await financingOffers.settle(sql, offer.id, { ok: true, price: BigInt(a.price!), fee: BigInt(a.fee!), daysToMaturity: Number(a.daysToMaturity), transactionHash: financed.txHash }, now);
    await service.notifyOffer(sql, (await financingOffers.get(sql, offer.id))!, r, "financing_offer.accepted", now, {
      source: "chain", transaction_hash: financed.txHash, block_number: financed.blockNumber, price: a.price, fee: a.fee,
    });
  }
}

/** Rows for an invoice the mirror does not have, when one of its parties on chain is an account of ours. */
async function adoptIfKnown(sql: Sql, rootTokenId: string, views: InvoiceViews, batch: IndexedLog[], now: number): Promise<Receivable | undefined> {
  const root = views.get(rootTokenId);
  if (!root) return undefined;
  const parts = [...views.values()].filter((v) => v.root === root.tokenId);
  const parties = [root.issuer, root.debtor, ...parts.map((p) => p.holder)].filter((a) => a !== ZERO_ADDRESS);
  if (!(await anyReceivablesAccount(sql, parties))) return undefined;
  return adoptInvoice(sql, root, await invoiceRefOf(sql, rootTokenId, batch), now);
}

/** Who hears of a log besides the receivable's own parties: a split's recipients; every holder of an overdue or defaulted invoice. */
async function extraAudience(sql: Sql, r: Receivable, log: IndexedLog): Promise<string[]> {
  if (log.event === "ReceivableSplit") return (log.args.recipients ?? "").split(",").filter(Boolean);
  if (log.event === "ReceivableOverdue" || log.event === "ReceivableDefaulted") {
    return (await receivables.ofRoot(sql, r.rootId)).map((part) => part.holder).filter((a) => a !== ZERO_ADDRESS);
  }
  return [];
}

/**
 * A reorg deeper than CONFIRMATIONS removed registry logs (ours or others'): every invoice they touched takes the
 * registry's view again (the old holder back, a dropped split's or issue's receivables marked failed, as the chain
 * no longer has them), one `receivable.reorganized` event per receivable lists what was dropped, and whoever held a
 * receivable only through a dropped transaction stops seeing it. If the transactions come back they are applied again.
 */
export function receivableReorgHandler(db: Database, reader: ReceivableChainReader, service: ReceivablesService, now: () => number): ReorgHandler {
  return async (dropped: IndexedLog[]) => {
    const logs = dropped.filter((l) => l.contract === "receivables" && ACTIVITY[l.event]);
    if (logs.length === 0) return async () => {};
    const { touched, roots } = await db.read(async (sql) => {
      const touched: Receivable[] = [];
      const roots = new Set<string>();
      for (const t of new Set(logs.map(subjectOf))) {
        const r = await receivables.getByTokenId(sql, t);
        if (!r) continue;
        touched.push(r);
        roots.add((await receivables.get(sql, r.rootId))!.tokenId);
      }
      return { touched, roots };
    });
    const views = await readInvoices(reader, roots);
    return async (sql) => {
      const at = now();
      for (const root of roots) {
        const rootRow = (await receivables.getByTokenId(sql, root))!;
        await applyInvoice(sql, rootRow.id, views, null, at);
        for (const row of await receivables.ofRoot(sql, rootRow.id)) {
          if (views.has(row.tokenId)) continue;
          await receivables.applyChain(sql, row.id, goneView(row), at);
          await receivables.fail(sql, row.id, { code: "dropped_by_reorg", message: "A chain reorganization dropped the transaction that created this receivable" }, at);
        }
      }
      const droppedTxs = new Set(logs.map((l) => l.txHash));
      for (const stale of touched) {
        const r = (await receivables.get(sql, stale.id))!;
        const gone = logs.filter((l) => subjectOf(l) === r.tokenId);
        await service.notify(sql, r, "receivable.reorganized", at, {
          source: "chain",
          dropped: gone.map((l) => ({ chain_event: l.event, transaction_hash: l.txHash, block_number: l.blockNumber })),
        });
      }
      for (const root of roots) {
        for (const part of await receivables.ofRoot(sql, (await receivables.getByTokenId(sql, root))!.id)) {
          for (const h of await receivables.holders(sql, part.id)) {
            if (h.transactionHash && droppedTxs.has(h.transactionHash) && h.address !== part.holder) await receivables.removeHolder(sql, part.id, h.address, h.transactionHash);
          }
        }
      }
    };
  };
}

/** The registry no longer has the receivable: no holder, no state. */
const goneView = (r: Receivable): ChainReceivable => ({
  tokenId: BigInt(r.tokenId),
  parent: 0n,
  root: 0n,
  issuer: r.issuer,
  debtor: r.debtor,
  token: r.token,
  holder: ZERO_ADDRESS,
  faceValue: r.faceValue,
  issuedAt: 0,
  dueAt: r.dueAt,
  acceptBy: r.acceptBy,
  state: ReceivableState.None,
  financed: false,
  principalPaid: 0n,
  lateFeeDue: 0n,
  documentHash: r.documentHash,
});

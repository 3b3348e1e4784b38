// The receivables mirror takes the registry's view: one way to read an invoice's parts from the chain and one way
// to write them into the rows, used by the confirmer's settlement of our own actions (receivables.ts) and by the
// indexer's handling of everyone else's (receivable-activity.ts).
import { ReceivableState } from "../chain/receivable-typed-data.js";
import { newId } from "../domain/ids.js";
import type { ChainReceivable, Receivable } from "../domain/receivable.js";
import type { Sql } from "../persistence/database.js";
import { receivables } from "../persistence/receivables.js";
import type { ReceivableChainReader } from "./ports.js";

/** The chain's view of every part of some invoices, by token id (decimal). */
export type InvoiceViews = Map<string, ChainReceivable>;

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** Reads every part of the invoices rooted at `rootTokenIds` from the registry (outside any transaction). */
export async function readInvoices(reader: ReceivableChainReader, rootTokenIds: Iterable<string>): Promise<InvoiceViews> {
  const views: InvoiceViews = new Map();
  for (const root of new Set(rootTokenIds)) {
    const ids = await reader.invoiceParts(BigInt(root)).catch(() => [BigInt(root)]);
    const parts = await Promise.all(ids.map((id) => reader.receivable(id)));
    parts.forEach((p) => p && views.set(p.tokenId.toString(), p));
  }
  return views;
}

export interface MirrorChanges {
  /** Rows as they were before, by token id. */
  previous: Map<string, Receivable>;
  /** Parts the mirror did not have (a split's), now inserted. */
  newParts: Receivable[];
  /** Parts that were not Repaid and now are. */
  becameRepaid: Receivable[];
}

/**
 * Takes the chain's view of every part of the invoice `rootId` (the receivable id of its root) into its rows: holders,
 * states, repayments, and new parts of a split (inserted under their parent). The holder of each part joins its
 * holder history with `transactionHash`. In the caller's transaction.
 */
export async function applyInvoice(sql: Sql, rootId: string, views: InvoiceViews, transactionHash: string | null, now: number): Promise<MirrorChanges> {
  const previous = new Map((await receivables.ofRoot(sql, rootId)).map((r) => [r.tokenId, r]));
  const changes: MirrorChanges = { previous, newParts: [], becameRepaid: [] };
  for (const view of views.values()) {
    if ((await receivables.getByTokenId(sql, view.root))?.id !== rootId) continue;
    const key = view.tokenId.toString();
    const old = previous.get(key);
    let row = old;
    if (!row) {
      const parent = await receivables.getByTokenId(sql, view.parent);
      if (!parent) continue;
      const id = newId("rcv");
      await receivables.insert(sql, { ...parent, id, tokenId: key, parentId: parent.id, rootId: parent.rootId, holder: view.holder, faceValue: view.faceValue, pendingActions: [], createdAt: now, updatedAt: now });
      row = (await receivables.get(sql, id))!;
      changes.newParts.push(row);
    }
    await receivables.applyChain(sql, row.id, view, now);
    if (view.holder !== ZERO_ADDRESS) await receivables.addHolder(sql, row.id, view.holder, now, transactionHash);
    if (old && old.chainState !== ReceivableState.Repaid && view.state === ReceivableState.Repaid) changes.becameRepaid.push(row);
  }
  return changes;
}

/**
 * A row for an invoice issued on chain without the relayer (its parts follow with `applyInvoice`): the root's
 * terms from the registry, `invoiceRef` from its ReceivableIssued log when known. The issuer is its first holder.
 */
export async function adoptInvoice(sql: Sql, root: ChainReceivable, invoiceRef: string | null, now: number): Promise<Receivable> {
  const id = newId("rcv");
  await receivables.insert(sql, {
    id,
    tokenId: root.tokenId.toString(),
    parentId: null,
    rootId: id,
    issuer: root.issuer,
    debtor: root.debtor,
    token: root.token,
    holder: root.holder,
    faceValue: root.faceValue,
    issuedAt: root.issuedAt,
    dueAt: root.dueAt,
    acceptBy: root.acceptBy,
    documentHash: root.documentHash,
    invoiceRef,
    chainState: root.state,
    financed: root.financed,
    principalPaid: root.principalPaid,
    lateFeeDue: root.lateFeeDue,
    pendingActions: [],
    createdAt: now,
    updatedAt: now,
  });
  await receivables.addHolder(sql, id, root.issuer, now, null);
  return (await receivables.get(sql, id))!;
}

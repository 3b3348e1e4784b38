// The receivables register rebuilt from the registry's events (IReceivableRegistry). Pure: events in, register
// out. Lineage (parent, root, parts), face values, holders (ERC-721 Transfer), financing, repayments with their
// allocation to holders, late fees, overdue and default, and the claims the registry owes.
import type { EventPosition, LedgerEvent, ReceivableEventArgs } from "./events.js";

export type ReceivableStatus = "pending" | "accepted" | "rejected" | "split" | "repaid" | "overdue" | "defaulted";

export interface Financing extends EventPosition {
  holder: string;
  financier: string;
  annualRateBps: number;
  daysToMaturity: bigint;
  price: bigint;
  fee: bigint;
}

export interface LedgerReceivable {
  /** uint256 ids as 0x-hex, 64 digits. */
  id: string;
  root: string;
  parent: string | null;
  parts: string[];
  issuer: string;
  debtor: string;
  token: string;
  faceValue: bigint;
  dueAt: number;
  acceptBy: number;
  documentHash: string;
  invoiceRef: string | null;
  status: ReceivableStatus;
  holder: string | null;
  /** Bought by a financier, or split from one that was. */
  financed: boolean;
  financing: Financing | null;
  principalPaid: bigint;
  lateFeePaid: bigint;
  lateFeeAccrued: bigint;
  issued: EventPosition;
}

export interface Allocation {
  id: string;
  holder: string;
  lateFee: bigint;
  principal: bigint;
  credited: boolean;
  /** The holder the register knew when the allocation was made. */
  registeredHolder: string | null;
}

export interface Repayment extends EventPosition {
  rootId: string;
  targetId: string;
  debtor: string;
  /** 0 wallet, 1 escrow balance. */
  source: number;
  amount: bigint;
  allocations: Allocation[];
}

export interface SplitRecord extends EventPosition {
  parentId: string;
  parentFace: bigint;
  partIds: string[];
  faceValues: bigint[];
}

export interface ReceivableAnomaly extends EventPosition {
  subject: string;
  event: string;
  message: string;
}

export interface ReceivablesLedger {
  address: string;
  receivables: Map<string, LedgerReceivable>;
  splits: SplitRecord[];
  repayments: Repayment[];
  /** Financing attempts on a receivable already financed (or split from one that was). */
  refinanced: Array<EventPosition & { id: string }>;
  /** token -> account -> open claim. */
  claims: Map<string, Map<string, bigint>>;
  anomalies: ReceivableAnomaly[];
}

export const idHex = (id: bigint) => "0x" + id.toString(16).padStart(64, "0");
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export class ReceivablesBuilder {
  readonly register: ReceivablesLedger;
  #lastRepayment: Repayment | null = null;

  constructor(address: string) {
    this.register = { address, receivables: new Map(), splits: [], repayments: [], refinanced: [], claims: new Map(), anomalies: [] };
  }

  apply(event: Extract<LedgerEvent, { contract: "receivables" }>): void {
    const at: EventPosition = { blockNumber: event.blockNumber, logIndex: event.logIndex, txHash: event.txHash };
    const r = this.register;
    switch (event.name) {
      case "ReceivableIssued": {
        const a = event.args as ReceivableEventArgs["ReceivableIssued"];
        const id = idHex(a.id);
        if (r.receivables.has(id)) return this.#anomaly(at, id, event.name, "issued twice");
        r.receivables.set(id, {
          id, root: id, parent: null, parts: [], issuer: a.issuer, debtor: a.debtor, token: a.token, faceValue: a.faceValue, dueAt: a.dueAt,
          acceptBy: a.acceptBy, documentHash: a.documentHash, invoiceRef: a.invoiceRef, status: "pending", holder: a.issuer, financed: false,
          financing: null, principalPaid: 0n, lateFeePaid: 0n, lateFeeAccrued: 0n, issued: at,
        });
        return;
      }
      case "ReceivableAccepted":
      case "ReceivableRejected": {
        const x = this.#get(at, (event.args as { id: bigint }).id, event.name);
        if (x) x.status = event.name === "ReceivableAccepted" ? "accepted" : "rejected";
        return;
      }
      case "ReceivableSplit": {
        const a = event.args as ReceivableEventArgs["ReceivableSplit"];
        const parent = this.#get(at, a.parentId, event.name);
        if (!parent) return;
        const partIds = a.partIds.map(idHex);
        r.splits.push({ ...at, parentId: parent.id, parentFace: parent.faceValue, partIds, faceValues: a.faceValues });
        partIds.forEach((id, i) => {
          r.receivables.set(id, {
            ...parent, id, parent: parent.id, root: idHex(a.rootId), parts: [], faceValue: a.faceValues[i] ?? 0n, invoiceRef: null,
            holder: a.recipients[i] ?? null, financing: null, principalPaid: 0n, lateFeePaid: 0n, lateFeeAccrued: 0n, issued: at,
          });
        });
        parent.parts = partIds;
        parent.status = "split";
        parent.holder = null;
        return;
      }
      case "ReceivableFinanced": {
        const a = event.args as ReceivableEventArgs["ReceivableFinanced"];
        const x = this.#get(at, a.id, event.name);
        if (!x) return;
        if (x.financed) r.refinanced.push({ ...at, id: x.id });
        x.financed = true;
        x.financing = { ...at, holder: a.holder, financier: a.financier, annualRateBps: a.annualRateBps, daysToMaturity: a.daysToMaturity, price: a.price, fee: a.fee };
        return;
      }
      case "RepaymentReceived": {
        const a = event.args as ReceivableEventArgs["RepaymentReceived"];
        this.#lastRepayment = { ...at, rootId: idHex(a.rootId), targetId: idHex(a.targetId), debtor: a.debtor, source: a.source, amount: a.amount, allocations: [] };
        r.repayments.push(this.#lastRepayment);
        return;
      }
      case "RepaymentAllocated": {
        const a = event.args as ReceivableEventArgs["RepaymentAllocated"];
        const x = this.#get(at, a.id, event.name);
        const last = this.#lastRepayment;
        if (!last || last.txHash !== event.txHash) return this.#anomaly(at, idHex(a.id), event.name, "an allocation without a repayment in its transaction");
        last.allocations.push({ id: idHex(a.id), holder: a.holder, lateFee: a.lateFee, principal: a.principal, credited: a.credited, registeredHolder: x?.holder ?? null });
        if (x) {
          x.principalPaid += a.principal;
          x.lateFeePaid += a.lateFee;
        }
        return;
      }
      case "ReceivableRepaid": {
        const x = this.#get(at, (event.args as { id: bigint }).id, event.name);
        if (x) x.status = "repaid";
        return;
      }
      case "LateFeeAccrued": {
        const a = event.args as ReceivableEventArgs["LateFeeAccrued"];
        const x = this.#get(at, a.id, event.name);
        if (x) x.lateFeeAccrued += a.amount;
        return;
      }
      case "ReceivableOverdue":
      case "ReceivableDefaulted": {
        const root = idHex((event.args as { rootId: bigint }).rootId);
        const next: ReceivableStatus = event.name === "ReceivableOverdue" ? "overdue" : "defaulted";
        for (const x of r.receivables.values()) {
          if (x.root === root && (x.status === "accepted" || x.status === "overdue")) x.status = next;
        }
        return;
      }
      case "ClaimCredited":
      case "Claimed": {
        const a = event.args as { token: string; account: string; amount: bigint };
        let byAccount = r.claims.get(a.token);
        if (!byAccount) r.claims.set(a.token, (byAccount = new Map()));
        const before = byAccount.get(a.account) ?? 0n;
        if (event.name === "Claimed" && a.amount !== before) this.#anomaly(at, `${a.token}/${a.account}`, event.name, `claimed ${a.amount} but ${before} was open`);
        byAccount.set(a.account, event.name === "ClaimCredited" ? before + a.amount : before - a.amount);
        return;
      }
      case "Transfer": {
        const a = event.args as ReceivableEventArgs["Transfer"];
        if (a.to === ZERO_ADDRESS) return; // burnt by a split (the split event retires it)
        const x = r.receivables.get(idHex(a.tokenId));
        if (x) x.holder = a.to;
        else if (a.from !== ZERO_ADDRESS) this.#anomaly(at, idHex(a.tokenId), event.name, "a transfer of an unknown receivable");
        return;
      }
    }
  }

  #get(at: EventPosition, id: bigint, event: string): LedgerReceivable | undefined {
    const x = this.register.receivables.get(idHex(id));
    if (!x) this.#anomaly(at, idHex(id), event, "event for a receivable never issued");
    return x;
  }

  #anomaly(at: EventPosition, subject: string, event: string, message: string): void {
    this.register.anomalies.push({ ...at, subject, event, message });
  }
}

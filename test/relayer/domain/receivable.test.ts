// The receivable state machine and formulas, without I/O. (They are checked against the registry's own results in
// test/relayer/api/receivables.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ReceivableState } from "../../../relayer/chain/receivable-typed-data.js";
import { ApiError } from "../../../relayer/domain/errors.js";
import {
  assertCanRequest,
  checkSplit,
  financeQuote,
  lateFeeAccrued,
  MAX_PARTS_PER_INVOICE,
  MAX_PARTS_PER_SPLIT,
  receivableStatus,
  type Receivable,
} from "../../../relayer/domain/receivable.js";

const DAY = 86_400;
const NOW = 1_800_000_000;

const receivable = (overrides: Partial<Receivable> = {}): Receivable => ({
  id: "rcv_000000000000000000000001",
  tokenId: "1",
  parentId: null,
  rootId: "rcv_000000000000000000000001",
  issuer: "0x0000000000000000000000000000000000000001",
  debtor: "0x0000000000000000000000000000000000000002",
  token: "0x0000000000000000000000000000000000000003",
  holder: "0x0000000000000000000000000000000000000001",
  faceValue: 1_000_000n,
  issuedAt: NOW - DAY,
  dueAt: NOW + 180 * DAY,
  acceptBy: NOW + 7 * DAY,
  documentHash: `0x${"11".repeat(32)}`,
  invoiceRef: "INV-1",
  chainState: ReceivableState.Accepted,
  financed: false,
  principalPaid: 0n,
  lateFeeDue: 0n,
  pendingActions: [],
  createdAt: 0,
  updatedAt: 0,
  ...overrides,
});

const refusedWith = (code: string, status?: number) => (error: unknown) => {
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.code, code);
  if (status !== undefined) assert.equal(error.status, status);
  return true;
};

describe("receivable status", () => {
  it("shows processing while an action is in flight, whatever the chain state", () => {
    assert.equal(receivableStatus(receivable({ pendingActions: ["split"] })), "processing");
  });

  it("shows failed for an invoice whose issue the chain refused", () => {
    assert.equal(receivableStatus(receivable({ chainState: ReceivableState.None, failure: { code: "x", message: "y" } })), "failed");
  });

  it("maps each registry state to its API status", () => {
    const expected: [ReceivableState, string][] = [
      [ReceivableState.Pending, "pending_acceptance"],
      [ReceivableState.Accepted, "accepted"],
      [ReceivableState.Rejected, "rejected"],
      [ReceivableState.Split, "split"],
      [ReceivableState.Repaid, "repaid"],
      [ReceivableState.Overdue, "overdue"],
      [ReceivableState.Defaulted, "defaulted"],
    ];
    for (const [state, status] of expected) assert.equal(receivableStatus(receivable({ chainState: state })), status);
  });
});

describe("the state guard", () => {
  it("refuses any action while another is in flight (409 receivable_processing)", () => {
    assert.throws(() => assertCanRequest(receivable({ pendingActions: ["transfer"] }), "split", NOW), refusedWith("receivable_processing", 409));
  });

  it("refuses the transfer of a receivable the debtor has not accepted", () => {
    assert.throws(() => assertCanRequest(receivable({ chainState: ReceivableState.Pending }), "transfer", NOW), refusedWith("receivable_not_accepted", 409));
  });

  it("allows the transfer of an overdue receivable", () => {
    assert.doesNotThrow(() => assertCanRequest(receivable({ chainState: ReceivableState.Overdue }), "transfer", NOW));
  });

  it("accepts until accept_by inclusive, not a second later", () => {
    const r = receivable({ chainState: ReceivableState.Pending });
    assert.doesNotThrow(() => assertCanRequest(r, "accept", r.acceptBy));
    assert.throws(() => assertCanRequest(r, "accept", r.acceptBy + 1), refusedWith("acceptance_expired"));
  });

  it("refuses financing from the due date on", () => {
    const r = receivable();
    assert.throws(() => assertCanRequest(r, "finance", r.dueAt), refusedWith("receivable_matured"));
    assert.doesNotThrow(() => assertCanRequest(r, "finance", r.dueAt - 1));
  });

  it("refuses financing a receivable twice (the flag passes to parts)", () => {
    assert.throws(() => assertCanRequest(receivable({ financed: true }), "finance", NOW), refusedWith("receivable_already_financed"));
  });

  it("refuses splitting or financing a partly repaid receivable", () => {
    assert.throws(() => assertCanRequest(receivable({ principalPaid: 1n }), "split", NOW), refusedWith("receivable_partly_repaid"));
    assert.throws(() => assertCanRequest(receivable({ principalPaid: 1n }), "finance", NOW), refusedWith("receivable_partly_repaid"));
  });

  it("allows repaying a split invoice through its root (allocated over its open parts)", () => {
    assert.doesNotThrow(() => assertCanRequest(receivable({ chainState: ReceivableState.Split }), "repay", NOW));
  });

  it("refuses repaying a receivable that is repaid or never accepted", () => {
    for (const state of [ReceivableState.Repaid, ReceivableState.Pending, ReceivableState.Rejected]) {
      assert.throws(() => assertCanRequest(receivable({ chainState: state }), "repay", NOW), refusedWith("receivable_not_repayable"));
    }
  });
});

describe("split parts", () => {
  it("takes parts that sum exactly to the face value", () => {
    assert.doesNotThrow(() => checkSplit(receivable(), [700_000n, 300_000n], 1));
  });

  it("refuses parts that do not sum (400 split_parts_mismatch)", () => {
    assert.throws(() => checkSplit(receivable(), [700_000n, 300_001n], 1), refusedWith("split_parts_mismatch", 400));
  });

  it("refuses a zero part", () => {
    assert.throws(() => checkSplit(receivable(), [1_000_000n, 0n], 1), refusedWith("split_part_zero", 400));
  });

  it(`refuses more than ${MAX_PARTS_PER_SPLIT} parts, and a single part`, () => {
    assert.throws(() => checkSplit(receivable({ faceValue: 11n }), Array(11).fill(1n), 1), refusedWith("split_too_many_parts"));
    assert.throws(() => checkSplit(receivable(), [1_000_000n], 1), refusedWith("split_parts_count"));
  });

  it(`refuses a split that would take the invoice past ${MAX_PARTS_PER_INVOICE} receivables`, () => {
    assert.throws(() => checkSplit(receivable(), [500_000n, 500_000n], MAX_PARTS_PER_INVOICE - 1), refusedWith("invoice_parts_limit"));
  });
});

describe("finance price", () => {
  it("prices 300,000 at 6% a year for 90 days: discount 4,439 (rounded up), fee rounded up", () => {
    const q = financeQuote(300_000n, NOW + 90 * DAY, NOW, 600, 50);
    assert.equal(q.daysToMaturity, 90n);
    // 300,000 * 600 * 90 / 3,650,000 = 4,438.36 -> 4,439
    assert.equal(q.discount, 4_439n);
    assert.equal(q.price, 295_561n);
    // 295,561 * 50 / 10,000 = 1,477.8 -> 1,478
    assert.equal(q.fee, 1_478n);
    assert.equal(q.proceeds, 294_083n);
  });

  it("counts a started day as a whole day", () => {
    assert.equal(financeQuote(1_000n, NOW + 89 * DAY + 1, NOW, 600, 0).daysToMaturity, 90n);
  });

  it("refuses a rate that discounts the whole face value away", () => {
    assert.throws(() => financeQuote(1_000n, NOW + 365 * DAY, NOW, 10_000, 0), refusedWith("annual_rate_invalid"));
  });

  it("refuses a matured receivable", () => {
    assert.throws(() => financeQuote(1_000n, NOW, NOW, 600, 0), refusedWith("receivable_matured"));
  });
});

describe("late fee", () => {
  it("accrues on the principal by the second, rounded down", () => {
    // 1,000,000 at 1,000 bps for 36.5 days = 10,000 exactly; one second less rounds down
    assert.equal(lateFeeAccrued(1_000_000n, 1_000, 0, 3_153_600), 10_000n);
    assert.equal(lateFeeAccrued(1_000_000n, 1_000, 0, 3_153_599), 9_999n);
    assert.equal(lateFeeAccrued(1_000_000n, 1_000, 10, 10), 0n);
  });
});

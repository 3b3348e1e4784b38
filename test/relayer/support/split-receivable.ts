// An invoice split twice, through the relayer's API as its parties would do it: the supplier issues 1,000,000 to
// the debtor, the debtor accepts, the supplier splits it into 600,000 (kept) and 400,000 (to its tier-2 supplier),
// and tier 2 splits its part into 250,000 (kept) and 150,000 (to the financier). Used by the auditor API tests and
// the console's browser test.
import assert from "node:assert/strict";

import { act, acceptedInvoice, waitForReceivable, type Parties } from "../api/receivables-support.js";
import type { TestSystem } from "./system.js";

export interface SplitInvoice {
  /** The receivables as the supplier or tier 2 last saw them through the API. */
  root: any;
  kept: any;
  tier2Part: any;
  tier2Kept: any;
  financierPart: any;
}

export async function splitInvoiceTwice(system: TestSystem, p: Parties): Promise<SplitInvoice> {
  const accepted = await acceptedInvoice(system, p, "1000000");
  const first = await act(p.supplier, accepted.id, "split", {
    parts: [{ face_value: "600000", recipient: p.supplier.address }, { face_value: "400000", recipient: p.tier2.address }],
  });
  assert.equal(first.status, 202, JSON.stringify(first.body));
  const root = await waitForReceivable(p.supplier, accepted.id, (r) => r.status === "split");
  const [kept, part] = root.lineage.children;
  const second = await act(p.tier2, part.id, "split", {
    parts: [{ face_value: "250000", recipient: p.tier2.address }, { face_value: "150000", recipient: p.financier.address }],
  });
  assert.equal(second.status, 202, JSON.stringify(second.body));
  const tier2Part = await waitForReceivable(p.tier2, part.id, (r) => r.status === "split");
  const [tier2Kept, financierPart] = tier2Part.lineage.children;
  return { root, kept, tier2Part, tier2Kept, financierPart };
}

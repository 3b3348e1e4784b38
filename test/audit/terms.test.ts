// Payment terms recovered from calldata by hand equal what ethers encodes, and their id is the EIP-712 digest.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { id, TypedDataEncoder, Wallet } from "ethers";

import { INTERFACES } from "../../audit/chain/decode.js";
import { escrowDomainSeparator, paymentIdOf, termsInCalldata } from "../../audit/chain/terms.js";
import { escrowDomain, PaymentTermsTypes } from "../../relayer/chain/typed-data.js";

const ESCROW = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const w = (s: string) => new Wallet(id(s)).address;
const terms = (i: number) => ({
  merchant: w("m"), buyer: w(`b${i}`), token: w("t"), amount: 10n ** 20n + BigInt(i), preApprovalExpiry: 1_800_000_000n + BigInt(i),
  authorizationExpiry: 1_800_100_000n, refundExpiry: 1_800_200_000n, confirmationWindow: 3_600n, kycTier: 2, feeBps: 250,
  partner: w("p"), partnerShareBps: 2_000, orderRef: id(`order-${i}`),
});
const domain = escrowDomainSeparator(31337n, ESCROW);
const eip712 = (t: ReturnType<typeof terms>) => TypedDataEncoder.hash(escrowDomain(31337n, ESCROW), PaymentTermsTypes, t);

describe("terms from calldata", () => {
  it("reads every item of authorizeMany, whatever the length of each item's funding bytes", () => {
    const items = [0, 1, 2].map((i) => ({ terms: terms(i), method: i, funding: "0x" + "ab".repeat(i * 40) }));
    const found = termsInCalldata(INTERFACES.escrow.encodeFunctionData("authorizeMany", [items]), domain);
    assert.deepEqual(found.map((f) => f.terms), items.map((x) => x.terms));
    assert.deepEqual(found.map((f) => f.id), items.map((x) => eip712(x.terms)));
  });

  it("reads authorize and charge, and nothing from other calls", () => {
    for (const fn of ["authorize", "charge"]) {
      const [found] = termsInCalldata(INTERFACES.escrow.encodeFunctionData(fn, [terms(7), 2, "0x1234"]), domain);
      assert.deepEqual(found, { id: eip712(terms(7)), terms: terms(7) });
    }
    assert.deepEqual(termsInCalldata(INTERFACES.escrow.encodeFunctionData("release", [terms(1)]), domain), []);
    assert.equal(paymentIdOf(terms(3), domain), eip712(terms(3)));
  });
});

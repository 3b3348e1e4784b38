// Signature recovery (libsecp256k1 in WebAssembly, in worker threads or in the calling thread) must answer exactly
// what ethers answers, for good, wrong and malformed signatures, and the cached digests must equal ethers' own.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { randomBytes } from "node:crypto";

import { secp256k1 } from "@noble/curves/secp256k1";
import { recoverAddress, Signature, SigningKey, TypedDataEncoder, Wallet, verifyTypedData, zeroPadValue } from "ethers";

import { receivableTypedData, type SignedAction } from "../../../relayer/chain/receivable-signing.js";
import { RepaymentSource, type FinanceOffer } from "../../../relayer/chain/receivable-typed-data.js";
import { inlineSignatureRecovery, SignatureWorkerPool, typedDataDigest } from "../../../relayer/chain/signatures.js";
import { erc3009FundingMessage, escrowDomain, PaymentTermsTypes, ReceiveWithAuthorizationTypes, tokenDomain, type PaymentTerms } from "../../../relayer/chain/typed-data.js";

const escrow = "0x" + "e5".repeat(20);
const token = "0x" + "70".repeat(20);

function terms(buyer: string, amount: bigint): PaymentTerms {
  return {
    merchant: "0x" + "11".repeat(20), buyer, token, amount,
    preApprovalExpiry: 1_900_000_000n, authorizationExpiry: 1_900_600_000n, refundExpiry: 1_902_000_000n,
    confirmationWindow: 259_200n, kycTier: 1, feeBps: 250, partner: "0x" + "22".repeat(20), partnerShareBps: 1_000,
    orderRef: zeroPadValue("0x0102", 32),
  };
}

/** The smallest x with no point on the curve (x^3 + 7 not a square mod p): a signature whose r is that recovers nothing. */
function offCurveX(): bigint {
  for (let x = 1n; ; x++) {
    try {
      secp256k1.ProjectivePoint.fromHex(`02${x.toString(16).padStart(64, "0")}`);
    } catch {
      return x;
    }
  }
}

describe("signature recovery", () => {
  let pool: SignatureWorkerPool;
  const buyer = Wallet.createRandom();
  const stranger = Wallet.createRandom();

  before(() => {
    pool = new SignatureWorkerPool(2);
  });
  after(() => pool.close());

  it("computes the EIP-712 digest ethers computes, per domain and per message", () => {
    for (const [chainId, contract, amount] of [[1n, escrow, 5n], [31337n, escrow, 5n], [31337n, token, 5n], [31337n, token, 6n]] as const) {
      const domain = escrowDomain(chainId, contract);
      const message = terms(buyer.address, amount);
      assert.equal(typedDataDigest(domain, PaymentTermsTypes, message), TypedDataEncoder.hash(domain, PaymentTermsTypes, message));
    }
    const funding = tokenDomain("Settlement USD", 31337n, token);
    const message = erc3009FundingMessage(terms(buyer.address, 7n), escrow, zeroPadValue("0x07", 32));
    assert.equal(typedDataDigest(funding, ReceiveWithAuthorizationTypes, message), TypedDataEncoder.hash(funding, ReceiveWithAuthorizationTypes, message));
  });

  it("computes ethers' digest for every receivable action, flat or nested, and for non-canonical values", () => {
    const b32 = (n: number) => zeroPadValue(`0x${n.toString(16).padStart(2, "0")}`, 32);
    const offer: FinanceOffer = { receivableId: 77n, financier: stranger.address, annualRateBps: 600, maxPrice: 295_561_643_835n, expiry: 1_900_000_000n, nonce: b32(1) };
    const actions: SignedAction[] = [
      { action: "issue", terms: { issuer: buyer.address, dueAt: 1_900_000_000n, acceptBy: 1_899_000_000n, debtor: stranger.address, token, faceValue: 1_000_000_000_000n, documentHash: b32(2), invoiceRef: b32(3) } },
      { action: "accept", receivableId: 77n, nonce: b32(4), deadline: 1_900_000_000n },
      { action: "reject", receivableId: 77n, reason: b32(5), nonce: b32(6), deadline: 1_900_000_000n },
      { action: "split", receivableId: 77n, faceValues: [1n, 2n], recipients: [buyer.address, stranger.address], nonce: b32(7), deadline: 1_900_000_000n },
      { action: "transfer", receivableId: 77n, to: stranger.address, nonce: b32(8), deadline: 1_900_000_000n },
      { action: "offer", offer },
      { action: "accept_offer", offer, minProceeds: 294_083_835_615n, nonce: b32(9), deadline: 1_900_000_000n },
      { action: "repay", receivableId: 77n, amount: 300_000n, source: RepaymentSource.EscrowBalance, nonce: b32(10), deadline: 1_900_000_000n },
    ];
    for (const action of actions) {
      const typed = receivableTypedData(31337n, token, action);
      assert.equal(typedDataDigest(typed.domain, typed.types, typed.message), TypedDataEncoder.hash(typed.domain, typed.types, typed.message), action.action);
    }
    // Values ethers accepts in other forms (a decimal string, a lower-case address) give ethers' digest too.
    const domain = escrowDomain(31337n, escrow);
    const loose = { ...terms(buyer.address.toLowerCase(), 5n), amount: "5", kycTier: 1n };
    assert.equal(typedDataDigest(domain, PaymentTermsTypes, loose), TypedDataEncoder.hash(domain, PaymentTermsTypes, loose));
    assert.equal(typedDataDigest(domain, PaymentTermsTypes, loose), typedDataDigest(domain, PaymentTermsTypes, terms(buyer.address, 5n)));
    // What ethers refuses is refused.
    const { amount: _dropped, ...missing } = terms(buyer.address, 5n);
    assert.throws(() => typedDataDigest(domain, PaymentTermsTypes, missing));
    assert.throws(() => typedDataDigest(domain, PaymentTermsTypes, { ...terms(buyer.address, 5n), amount: -1n }));
    assert.throws(() => typedDataDigest(domain, PaymentTermsTypes, { ...terms(buyer.address, 5n), kycTier: 256 }));
  });

  it("recovers the signer in a worker as ethers does in the calling thread", async () => {
    const domain = tokenDomain("Settlement USD", 31337n, token);
    const jobs = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const signer = i % 3 === 0 ? stranger : buyer;
        const message = erc3009FundingMessage(terms(buyer.address, BigInt(i + 1)), escrow, zeroPadValue(`0x${(i + 1).toString(16).padStart(2, "0")}`, 32));
        const signature = await signer.signTypedData(domain, ReceiveWithAuthorizationTypes, message);
        return { signer, message, signature };
      }),
    );
    const recovered = await Promise.all(jobs.map((j) => pool.recover(typedDataDigest(domain, ReceiveWithAuthorizationTypes, j.message), j.signature)));
    jobs.forEach((j, i) => {
      assert.equal(recovered[i], verifyTypedData(domain, ReceiveWithAuthorizationTypes, j.message, j.signature));
      assert.equal(recovered[i], j.signer.address);
    });
  });

  it("recovers what ethers recovers for random keys and digests, with low and high s, in both paths", async () => {
    const n = secp256k1.CURVE.n;
    for (let i = 0; i < 64; i++) {
      const key = new SigningKey(randomBytes(32));
      const digest = `0x${randomBytes(32).toString("hex")}`;
      const low = key.sign(digest);
      // The same signature with s' = n - s and the other parity, which ecrecover maps to the same key: ethers refuses
      // an s with its top bit set, so the relayer does too (the contracts, through OpenZeppelin's ECDSA, refuse any
      // s above n / 2).
      const s = n - BigInt(low.s);
      const high = `0x${low.r.slice(2)}${s.toString(16).padStart(64, "0")}${low.v === 27 ? "1c" : "1b"}`;
      for (const signature of [low.serialized, high]) {
        let expected: string | undefined;
        try {
          expected = recoverAddress(digest, signature);
        } catch {
          expected = undefined; // ethers refuses an s with its top bit set
        }
        assert.equal(await inlineSignatureRecovery.recover(digest, signature), expected, `inline ${signature}`);
        assert.equal(await pool.recover(digest, signature), expected, `pool ${signature}`);
      }
      assert.equal(await pool.recover(digest, low.serialized), new Wallet(key).address);
    }
  });

  it("accepts the 64-byte compact form (EIP-2098) as ethers does", async () => {
    const domain = escrowDomain(31337n, escrow);
    const message = terms(buyer.address, 9n);
    const compact = Signature.from(await buyer.signTypedData(domain, PaymentTermsTypes, message)).compactSerialized;
    assert.equal(await pool.recover(typedDataDigest(domain, PaymentTermsTypes, message), compact), buyer.address);
  });

  it("answers undefined, as the inline recovery does, for signatures nothing can be recovered from", async () => {
    const digest = typedDataDigest(escrowDomain(31337n, escrow), PaymentTermsTypes, terms(buyer.address, 1n));
    const good = await buyer.signTypedData(escrowDomain(31337n, escrow), PaymentTermsTypes, terms(buyer.address, 1n));
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const malformed = [
      "0x",
      "0x1234",
      good.slice(0, -1), // 64.5 bytes
      good + "00", // 66 bytes
      good.slice(0, -2) + "1d", // v = 29
      "0x" + "00".repeat(32) + good.slice(66), // r = 0
      "0x" + n.toString(16) + good.slice(66), // r = n, out of range
      "0x" + offCurveX().toString(16).padStart(64, "0") + good.slice(66), // r is not the x of any point
      good.slice(0, 66) + "00".repeat(32) + good.slice(-2), // s = 0
      "not hex at all",
    ];
    for (const signature of malformed) {
      assert.equal(await inlineSignatureRecovery.recover(digest, signature), undefined, `inline: ${signature}`);
      assert.equal(await pool.recover(digest, signature), undefined, `pool: ${signature}`);
    }
  });

  it("recovers someone else, not the buyer, from a signature over other terms", async () => {
    const domain = escrowDomain(31337n, escrow);
    const signature = await buyer.signTypedData(domain, PaymentTermsTypes, terms(buyer.address, 1n));
    const other = await pool.recover(typedDataDigest(domain, PaymentTermsTypes, terms(buyer.address, 2n)), signature);
    assert.ok(other !== undefined && other !== buyer.address);
  });

  it("fails only the jobs of a worker that dies, and goes on with a new one", { timeout: 20_000 }, async () => {
    const fragile = new SignatureWorkerPool(1, new URL("../support/failing-signature-worker.ts", import.meta.url));
    try {
      const domain = escrowDomain(31337n, escrow);
      const message = terms(buyer.address, 3n);
      const signature = await buyer.signTypedData(domain, PaymentTermsTypes, message);
      const digest = typedDataDigest(domain, PaymentTermsTypes, message);
      assert.equal(await fragile.recover(digest, signature), buyer.address);
      await assert.rejects(fragile.recover("0xff" + "00".repeat(31), signature), /signature worker exited with code 3/);
      assert.equal(await fragile.recover(digest, signature), buyer.address, "the replacement worker answers");
    } finally {
      await fragile.close();
    }
  });

  it("refuses work once closed", async () => {
    const closing = new SignatureWorkerPool(1);
    await closing.close();
    await assert.rejects(closing.recover("0x" + "00".repeat(32), "0x" + "00".repeat(65)), /closed/);
  });
});

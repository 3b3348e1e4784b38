// The submitter's own EIP-1559 serialization must produce exactly the bytes ethers signs, or a rebroadcast after a
// crash would not be the same transaction.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import { keccak256, Transaction, Wallet } from "ethers";

import { signEip1559, type Eip1559Fields } from "../../../relayer/chain/transaction-signing.js";

const wallet = Wallet.createRandom();
const hex = (n: number) => `0x${randomBytes(n).toString("hex")}`;

describe("EIP-1559 signing", () => {
  const cases: [string, Eip1559Fields][] = [
    ["a batch of 60 kB of calldata", { chainId: 31337n, nonce: 1234, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 3_000_000_000n, gasLimit: 16_777_216n, to: wallet.address, value: 0n, data: hex(60_000) }],
    ["nonce 0, empty data, value", { chainId: 1n, nonce: 0, maxPriorityFeePerGas: 0n, maxFeePerGas: 1n, gasLimit: 21_000n, to: hex(20), value: 10n ** 18n, data: "0x" }],
    ["one byte of data below 0x80", { chainId: 11155111n, nonce: 127, maxPriorityFeePerGas: 127n, maxFeePerGas: 128n, gasLimit: 55n, to: hex(20), value: 1n, data: "0x7f" }],
    ["one byte of data from 0x80", { chainId: 137n, nonce: 128, maxPriorityFeePerGas: 255n, maxFeePerGas: 256n, gasLimit: 56n, to: hex(20), value: 0n, data: "0x80" }],
    ["55 and 56 bytes of data (the long-string boundary)", { chainId: 31337n, nonce: 65_536, maxPriorityFeePerGas: 2n ** 64n, maxFeePerGas: 2n ** 80n, gasLimit: 1n, to: hex(20), value: 2n ** 255n, data: hex(55) }],
    ["56 bytes", { chainId: 31337n, nonce: 2 ** 40, maxPriorityFeePerGas: 1n, maxFeePerGas: 1n, gasLimit: 30_000_000n, to: hex(20), value: 0n, data: hex(56) }],
  ];
  for (const [name, fields] of cases) {
    it(`signs ${name} to ethers' bytes and hash`, async () => {
      const expected = await wallet.signTransaction({ type: 2, ...fields });
      const signed = signEip1559(wallet.signingKey, fields);
      assert.equal(signed.raw, expected);
      assert.equal(signed.hash, keccak256(expected));
      const parsed = Transaction.from(signed.raw);
      assert.equal(parsed.from, wallet.address);
      assert.equal(parsed.nonce, fields.nonce);
      assert.equal(parsed.data, fields.data);
    });
  }

  it("refuses malformed fields instead of signing something else", () => {
    const good = cases[1]![1];
    assert.throws(() => signEip1559(wallet.signingKey, { ...good, to: "0x1234" }), /to must be/);
    assert.throws(() => signEip1559(wallet.signingKey, { ...good, data: "0xabc" }), /data must be/);
    assert.throws(() => signEip1559(wallet.signingKey, { ...good, value: -1n }), /negative/);
  });
});

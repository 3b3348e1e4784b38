// The relayer writes calldata as hex words itself, and reads simple call results from their words: for every
// function of every contract it calls, and for values ethers takes in its own way, the calldata (or the error) and
// the values read must be exactly ethers'.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { getAddress, type FunctionFragment, type Interface, type ParamType } from "ethers";

import { functionEncoder, resultReader } from "../../../relayer/chain/abi-encoding.js";
import { encodeCalls, escrowInterface, type EscrowCall } from "../../../relayer/chain/escrow-calls.js";
import { kycInterface } from "../../../relayer/chain/lanes.js";
import { deserializeCall, serializeCall } from "../../../relayer/chain/operation-codec.js";
import { registryInterface } from "../../../relayer/chain/receivable-calls.js";
import type { FundingMethod } from "../../../relayer/chain/typed-data.js";
import { SettlementToken__factory } from "../../../typechain-types/index.js";
import { randomValue } from "../support/abi-values.js";

const tokenInterface = SettlementToken__factory.createInterface() as unknown as Interface;
const interfaces = { escrow: escrowInterface, kyc: kycInterface, registry: registryInterface, token: tokenInterface };

/** A tuple's value as an object by component name (how the relayer passes terms), nested tuples too. */
function asObjects(param: ParamType, value: unknown): unknown {
  if (param.baseType === "array") return (value as unknown[]).map((v) => asObjects(param.arrayChildren!, v));
  if (param.baseType !== "tuple") return value;
  return Object.fromEntries(param.components!.map((c, i) => [c.name, asObjects(c, (value as unknown[])[i])]));
}

/** ethers' calldata, or its error message. */
const ethersSays = (iface: Interface, name: string, values: readonly unknown[]) => {
  try {
    return iface.encodeFunctionData(name, values);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
};

const oursSays = (iface: Interface, name: string, values: readonly unknown[]) => {
  try {
    return functionEncoder(iface)(name, values);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
};

describe("functionEncoder", () => {
  it("writes the calldata of every function of the escrow, KYC registry, receivable registry and token as ethers does", () => {
    let checked = 0;
    for (const [contract, iface] of Object.entries(interfaces)) {
      const encode = functionEncoder(iface);
      iface.forEachFunction((fragment) => {
        for (let round = 0; round < 10; round++) {
          const values = fragment.inputs.map((input) => randomValue(input));
          const name = fragment.format("sighash");
          assert.equal(encode(name, values), iface.encodeFunctionData(name, values), `${contract}.${name}`);
          const objects = fragment.inputs.map((input, i) => asObjects(input, values[i]));
          assert.equal(encode(name, objects), iface.encodeFunctionData(name, objects), `${contract}.${name} with tuples as objects`);
          checked++;
        }
      });
    }
    assert.ok(checked >= 10 * 60, `only ${checked} calls checked`);
  });

  it("encodes every escrow call, alone and batched, as ethers does from the stored payloads", () => {
    const terms = () => {
      const t = asObjects(escrowInterface.getFunction("release")!.inputs[0]!, randomValue(escrowInterface.getFunction("release")!.inputs[0]!)) as Record<string, unknown>;
      // as stored: addresses checksummed, small numbers as numbers
      return { ...t, kycTier: Number(t.kycTier), feeBps: Number(t.feeBps), partnerShareBps: Number(t.partnerShareBps) } as never;
    };
    const calls: EscrowCall[] = [
      { kind: "authorize", terms: terms(), method: 1, funding: "0x1234" },
      { kind: "charge", terms: terms(), method: 0, funding: "0x" },
      { kind: "capture", terms: terms(), amount: 5n },
      { kind: "refund", terms: terms(), amount: 7n },
      { kind: "void", terms: terms() },
      { kind: "release", terms: terms() },
      { kind: "payout", token: getAddress("0x" + "ab".repeat(20)), account: getAddress("0x" + "cd".repeat(20)) },
      { kind: "confirm_receipt", terms: terms(), deadline: 99n, signature: "0x" + "11".repeat(65) },
      { kind: "open_dispute", terms: terms(), reason: "0x" + "22".repeat(32), signature: "0x" + "33".repeat(65) },
      { kind: "resolve_dispute", terms: terms(), buyerAmount: 3n },
    ];
    const single: Record<EscrowCall["kind"], (c: never) => [string, unknown[]]> = {
      authorize: (c: { terms: unknown; method: number; funding: string }) => ["authorize", [c.terms, c.method, c.funding]],
      charge: (c: { terms: unknown; method: number; funding: string }) => ["charge", [c.terms, c.method, c.funding]],
      capture: (c: { terms: unknown; amount: bigint }) => ["capture", [c.terms, c.amount]],
      refund: (c: { terms: unknown; amount: bigint }) => ["refund", [c.terms, c.amount]],
      void: (c: { terms: unknown }) => ["void", [c.terms]],
      release: (c: { terms: unknown }) => ["release", [c.terms]],
      payout: (c: { token: string; account: string }) => ["payout", [c.token, c.account]],
      confirm_receipt: (c: { terms: unknown; deadline: bigint; signature: string }) => ["confirmReceipt", [c.terms, c.deadline, c.signature]],
      open_dispute: (c: { terms: unknown; reason: string; signature: string }) => ["openDispute", [c.terms, c.reason, c.signature]],
      resolve_dispute: (c: { terms: unknown; buyerAmount: bigint }) => ["resolveDispute", [c.terms, c.buyerAmount]],
    };
    for (const call of calls) {
      const stored = deserializeCall(call.kind, serializeCall(call));
      const [name, values] = single[stored.kind](stored as never);
      assert.equal(encodeCalls([stored]), escrowInterface.encodeFunctionData(name, values), call.kind);
    }
    const authorizations = Array.from({ length: 100 }, (_, i) => deserializeCall("authorize", serializeCall({ kind: "authorize", terms: terms(), method: (i % 3) as FundingMethod, funding: "0x" + "ee".repeat(i % 70) })));
    assert.equal(
      encodeCalls(authorizations),
      escrowInterface.encodeFunctionData("authorizeMany", [authorizations.map((c) => {
        const { terms, method, funding } = c as { terms: unknown; method: number; funding: string };
        return { terms, method, funding };
      })]),
    );
    const captures = Array.from({ length: 3 }, (_, i) => ({ kind: "capture" as const, terms: terms(), amount: BigInt(i + 1) }));
    assert.equal(encodeCalls(captures), escrowInterface.encodeFunctionData("captureMany", [captures.map((c) => ({ terms: c.terms, amount: c.amount }))]));
    const releases: EscrowCall[] = [{ kind: "release", terms: terms() }, { kind: "release", terms: terms() }];
    assert.equal(encodeCalls(releases), escrowInterface.encodeFunctionData("releaseMany", [releases.map((c) => (c as { terms: unknown }).terms)]));
  });

  it("gives ethers' calldata or ethers' error for values it does not write itself", () => {
    const account = getAddress("0x" + "5a".repeat(20));
    const kyc = (tier: unknown, who: unknown = account, dossier: unknown = "0x" + "00".repeat(32)) => [who, tier, "0x4445", 100, dossier, "0x" + "01".repeat(32)];
    const cases: [string, unknown[]][] = [
      ["a tier as a decimal string", kyc("2")],
      ["a tier as a hex string", kyc("0x02")],
      ["a tier too large for uint8", kyc(256)],
      ["a negative tier", kyc(-1n)],
      ["a tier that is not an integer", kyc(1.5)],
      ["an address in lower case", kyc(1, account.toLowerCase())],
      ["an address in upper case", kyc(1, "0x" + account.slice(2).toUpperCase())],
      ["an address with a bad checksum", kyc(1, account.slice(0, -1) + (account.endsWith("a") ? "A" : "a"))],
      ["an address without 0x", kyc(1, account.slice(2))],
      ["an address that is too short", kyc(1, account.slice(0, -2))],
      ["a bytes32 that is too short", kyc(1, account, "0x1234")],
      ["a bytes32 in upper case", kyc(1, account, "0x" + "AB".repeat(32))],
      ["a bytes32 as bytes", kyc(1, account, new Uint8Array(32).fill(7))],
      ["too few arguments", kyc(1).slice(0, 5)],
      ["too many arguments", [...kyc(1), "extra"]],
    ];
    for (const [what, values] of cases) {
      assert.equal(oursSays(kycInterface, "setRecord", values), ethersSays(kycInterface, "setRecord", values), what);
    }
    assert.equal(oursSays(escrowInterface, "noSuchFunction", []), ethersSays(escrowInterface, "noSuchFunction", []));
    assert.match(oursSays(kycInterface, "setRecord", kyc(256)), /^error: /, "a tier too large is refused");
    for (const values of [kyc(1), kyc("2"), kyc(1, account.toLowerCase()), kyc(1, account, "0x" + "AB".repeat(32))]) {
      assert.match(oursSays(kycInterface, "setRecord", values), /^0x[0-9a-f]+$/, "plain values are encoded");
    }
  });
});

describe("resultReader", () => {
  /** ethers' decoding of `data`, flattened as the reader answers it (one struct output read by its fields). */
  const ethersReads = (iface: Interface, fragment: FunctionFragment, data: string) => {
    const decoded = iface.decodeFunctionResult(fragment, data);
    const [fields, values] = fragment.outputs.length === 1 && fragment.outputs[0]!.baseType === "tuple"
      ? [fragment.outputs[0]!.components!, decoded[0] as unknown[]]
      : [fragment.outputs, decoded as unknown as unknown[]];
    return Object.fromEntries(fields.map((f, i) => [f.name, String(values[i])]));
  };

  it("reads the return data of every view whose outputs are one-word values or one struct of them, as ethers does", () => {
    const read: string[] = [];
    for (const [contract, iface] of Object.entries(interfaces)) {
      iface.forEachFunction((fragment) => {
        const reader = resultReader(fragment);
        if (!reader) return;
        for (let round = 0; round < 10; round++) {
          const values = fragment.outputs.map((output) => randomValue(output));
          const data = iface.encodeFunctionResult(fragment, values);
          assert.deepEqual(reader(data), ethersReads(iface, fragment, data), `${contract}.${fragment.name}`);
        }
        read.push(`${contract}.${fragment.name}`);
      });
    }
    // The payment flow's own read is among them: a payment's state (each of PaymentStatesLens's answer is one).
    assert.ok(read.includes("escrow.paymentState"), read.join(", "));
  });

  it("answers undefined for data it cannot read as ethers would, and for other functions", () => {
    const paymentState = escrowInterface.getFunction("paymentState")!;
    const reader = resultReader(paymentState)!;
    const data = escrowInterface.encodeFunctionResult(paymentState, [paymentState.outputs[0]!.components!.map((c) => randomValue(c))]);
    assert.notEqual(reader(data), undefined);
    assert.equal(reader("0x"), undefined, "no data (an address without code)");
    assert.equal(reader(data.slice(0, -64)), undefined, "a word short");
    assert.equal(reader(data + "00".repeat(32)), undefined, "a word too many");
    assert.equal(reader(data.toUpperCase().replace("0X", "0x")), undefined, "upper-case hex");
    // A function returning bytes or a string is not read here.
    const dynamic = [escrowInterface, kycInterface, registryInterface, tokenInterface].flatMap((iface) => {
      const found: FunctionFragment[] = [];
      iface.forEachFunction((f) => {
        if (f.outputs.some((o) => o.type === "string" || o.type === "bytes" || o.baseType === "array")) found.push(f);
      });
      return found;
    });
    assert.ok(dynamic.length > 0);
    for (const fragment of dynamic) assert.equal(resultReader(fragment), undefined, fragment.format());
  });
});

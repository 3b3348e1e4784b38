// The log parser reads one-word events straight from their words: for every event of every contract the relayer
// decodes, and for logs ethers reads in its own way (masked widths, odd words, wrong topic counts), it must give
// exactly what ethers' decodeEventLog gives, String()ed by argument name, or null where ethers throws.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import { getAddress, hexlify, Interface, type EventFragment } from "ethers";

import { escrowInterface } from "../../../relayer/chain/escrow-calls.js";
import { kycInterface } from "../../../relayer/chain/lanes.js";
import { logParser, type ParsedLog } from "../../../relayer/chain/log-parser.js";
import { registryInterface, registryTokenInterface } from "../../../relayer/chain/receivable-calls.js";
import { SettlementToken__factory } from "../../../typechain-types/index.js";
import { randomValue } from "../support/abi-values.js";

const tokenInterface = SettlementToken__factory.createInterface() as unknown as Interface;
const interfaces = [escrowInterface, registryInterface, registryTokenInterface, kycInterface, tokenInterface];

/** What the relayer got before the parser read words itself: ethers' decoding, each argument String()ed. */
function viaEthers(iface: Interface, fragment: EventFragment, topics: readonly string[], data: string): ParsedLog | null {
  try {
    const values = iface.decodeEventLog(fragment, data, topics);
    const args: Record<string, string> = {};
    fragment.inputs.forEach((input, i) => (args[input.name] = String(values[i])));
    return { name: fragment.name, args };
  } catch {
    return null;
  }
}

/** Every event of the relayer's interfaces, with the interface that declares it. */
const events: { iface: Interface; fragment: EventFragment }[] = [];
for (const iface of interfaces) iface.forEachEvent((fragment) => events.push({ iface, fragment }));

/** The parser of the fragment's own interface (the relayer's parsers cover one contract each, first one wins). */
const parse = (iface: Interface) => logParser([iface]);

describe("logParser", () => {
  it("decodes every event of the escrow, registry, KYC registry and token exactly as ethers does", () => {
    let checked = 0;
    for (const { iface, fragment } of events) {
      const parser = parse(iface);
      for (let round = 0; round < 20; round++) {
        let log: { topics: string[]; data: string };
        try {
          log = iface.encodeEventLog(fragment, fragment.inputs.map((input) => randomValue(input)));
        } catch {
          break; // an indexed array or tuple: ethers cannot encode its topic, and no contract here emits one
        }
        const parsed = parser(log.topics, log.data);
        assert.notEqual(parsed, null, `${fragment.format()} did not decode`);
        assert.deepEqual(parsed, viaEthers(iface, fragment, log.topics, log.data), fragment.format());
        checked++;
      }
    }
    assert.ok(checked >= 20 * 40, `only ${checked} logs checked`);
  });

  it("reads words as ethers does where the word is wider than the type: masked, two's complement, any bool", () => {
    const iface = new Interface([
      "event Small(uint8 indexed tier, int16 delta, bool flag, bytes4 tag, uint48 at)",
    ]);
    const fragment = iface.getEvent("Small")!;
    const word = (hex: string) => hex.padStart(64, "0");
    const topics = [fragment.topicHash, `0x${word("1ff")}`];
    const data = `0x${word("fffe")}${word("2")}${"deadbeef".padEnd(64, "1")}${"f".repeat(64)}`;
    const parsed = parse(iface)(topics, data);
    assert.deepEqual(parsed, { name: "Small", args: { tier: "255", delta: "-2", flag: "true", tag: "0xdeadbeef", at: String((1n << 48n) - 1n) } });
    assert.deepEqual(parsed, viaEthers(iface, fragment, topics, data));
  });

  it("gives ethers' answer for logs that are not the event's plain words", () => {
    const fragment = escrowInterface.getEvent("PaymentAuthorized")!;
    const good = escrowInterface.encodeEventLog(fragment, fragment.inputs.map((input) => randomValue(input)));
    const upper = (hex: string) => `0x${hex.slice(2).toUpperCase()}`;
    const cases: [string, string[], string][] = [
      ["an address word with high bits set", [...good.topics.slice(0, 2), `0x${"1".repeat(24)}${good.topics[2]!.slice(26)}`, good.topics[3]!], good.data],
      ["an address in the data with high bits set", good.topics, `0x${"1".repeat(24)}${good.data.slice(26)}`],
      ["data in upper case", good.topics, upper(good.data)],
      ["a topic in upper case", [...good.topics.slice(0, 3), upper(good.topics[3]!)], good.data],
      ["a word of data missing", good.topics, good.data.slice(0, -64)],
      ["a word of data too many", good.topics, `${good.data}${"0".repeat(64)}`],
      ["half a word of data", good.topics, good.data.slice(0, -32)],
      ["a topic missing", good.topics.slice(0, 3), good.data],
      ["a topic too many", [...good.topics, good.topics[1]!], good.data],
      ["data that is not hex", good.topics, `${good.data.slice(0, -2)}zz`],
    ];
    for (const [what, topics, data] of cases) {
      assert.deepEqual(parse(escrowInterface)(topics, data), viaEthers(escrowInterface, fragment, topics, data), what);
    }
    assert.equal(parse(escrowInterface)(good.topics.slice(0, 3), good.data), null, "a topic missing does not decode");
  });

  it("parses another contract's event, or a log without topics, to null", () => {
    const transfer = tokenInterface.encodeEventLog(tokenInterface.getEvent("Transfer")!, [getAddress(hexlify(randomBytes(20))), getAddress(hexlify(randomBytes(20))), 5n]);
    assert.equal(parse(escrowInterface)(transfer.topics, transfer.data), null);
    assert.equal(parse(escrowInterface)([], "0x"), null);
  });

  it("decodes with the first interface that declares a topic, as ethers would with that interface", () => {
    // ERC-721 and ERC-20 Transfer share a topic (indexing is not part of the signature) but not their layout.
    const erc721 = registryTokenInterface.getEvent("Transfer")!;
    const log = registryTokenInterface.encodeEventLog(erc721, [getAddress(hexlify(randomBytes(20))), getAddress(hexlify(randomBytes(20))), 7n]);
    const asErc721 = logParser([registryTokenInterface, tokenInterface])(log.topics, log.data);
    assert.equal(asErc721?.args.tokenId, "7");
    assert.deepEqual(asErc721, viaEthers(registryTokenInterface, erc721, log.topics, log.data));
    assert.equal(logParser([tokenInterface, registryTokenInterface])(log.topics, log.data), null, "an ERC-721 Transfer is not an ERC-20 one");
    assert.equal(viaEthers(tokenInterface, tokenInterface.getEvent("Transfer")!, log.topics, log.data), null);
  });
});

// Decoding of contract logs by topic. Pure: no I/O.
import type { EventFragment, Interface } from "ethers";

import { wordReader, type WordReader } from "./abi-encoding.js";

/** A decoded event: its name and its arguments by name, as strings (bigints in decimal, addresses checksummed). */
export interface ParsedLog {
  name: string;
  args: Record<string, string>;
}

export type LogParser = (topics: readonly string[], data: string) => ParsedLog | null;

/**
 * A parser for the events of `interfaces`. Every log of every batch is parsed (hundreds per transaction), and
 * ethers' decodeEventLog is slow for what it does: it hashes the event signature again on each call, builds a
 * Result with its properties defined one by one, and checksums every address with a keccak in JS. So the topics
 * are hashed once here, and an event whose arguments are all one-word values (address, bool, intN, uintN, bytesN)
 * is read straight from its words, with the checksums of addresses remembered. Events with other arguments
 * (bytes, string, arrays, tuples), and logs whose topics or data are not the plain words such an event has, go
 * through ethers, whose result they get. Anything else (another contract's event, data that does not decode)
 * parses to null.
 */
export function logParser(interfaces: readonly Interface[]): LogParser {
  const byTopic = new Map<string, LogParser>();
  for (const iface of interfaces) {
    iface.forEachEvent((fragment) => {
      if (byTopic.has(fragment.topicHash)) return;
      const viaEthers = ethersDecoder(iface, fragment);
      const words = wordDecoder(fragment);
      byTopic.set(fragment.topicHash, words ? (topics, data) => words(topics, data) ?? viaEthers(topics, data) : viaEthers);
    });
  }
  return (topics, data) => {
    const parse = topics[0] === undefined ? undefined : byTopic.get(topics[0]);
    return parse ? parse(topics, data) : null;
  };
}

/** The arguments of `fragment` by name from ethers' decoding, each value as String() gives it. */
function ethersDecoder(iface: Interface, fragment: EventFragment): LogParser {
  return (topics, data) => {
    try {
      const values = iface.decodeEventLog(fragment, data, topics);
      const args: Record<string, string> = {};
      fragment.inputs.forEach((input, i) => (args[input.name] = String(values[i])));
      return { name: fragment.name, args };
    } catch {
      return null;
    }
  };
}

const WORD = /^0x[0-9a-f]{64}$/;
const WORDS = /^0x(?:[0-9a-f]{64})*$/;

/**
 * A decoder reading each argument of `fragment` from its own word (an indexed one from its topic), or undefined
 * when some argument is not a one-word value. The decoder returns null for a log it cannot read exactly as
 * ethers would (wrong number of topics or words, hex not in lowercase, an address word with high bits set).
 */
function wordDecoder(fragment: EventFragment): LogParser | undefined {
  if (fragment.anonymous) return undefined;
  const readers: { name: string; indexed: boolean; read: WordReader }[] = [];
  for (const input of fragment.inputs) {
    const read = wordReader(input);
    if (!read) return undefined;
    readers.push({ name: input.name, indexed: input.indexed === true, read });
  }
  const topicCount = 1 + readers.filter((r) => r.indexed).length;
  const dataLength = 2 + 64 * readers.filter((r) => !r.indexed).length;
  return (topics, data) => {
    if (topics.length !== topicCount || data.length !== dataLength || !WORDS.test(data)) return null;
    const args: Record<string, string> = {};
    let topic = 1;
    let offset = 2;
    for (const { name, indexed, read } of readers) {
      let word: string;
      if (indexed) {
        word = topics[topic++]!;
        if (!WORD.test(word)) return null;
        word = word.slice(2);
      } else {
        word = data.slice(offset, offset + 64);
        offset += 64;
      }
      const value = read(word);
      if (value === undefined) return null;
      args[name] = value;
    }
    return { name: fragment.name, args };
  };
}

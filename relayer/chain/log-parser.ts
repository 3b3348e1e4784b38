// Decoding of contract logs by topic. Pure: no I/O.
import { LogDescription, type EventFragment, type Interface } from "ethers";

export type LogParser = (topics: readonly string[], data: string) => LogDescription | null;

/**
 * A parser for the events of `interfaces`. ethers' parseLog hashes every event signature again on each call to find
 * the topic; the confirmer and the indexer parse every log of every batch (hundreds per transaction), so the topics
 * are hashed once here. Anything else (another contract's event, data that does not decode) parses to null.
 */
export function logParser(interfaces: readonly Interface[]): LogParser {
  const byTopic = new Map<string, { iface: Interface; fragment: EventFragment }>();
  for (const iface of interfaces) {
    iface.forEachEvent((fragment) => {
      if (!byTopic.has(fragment.topicHash)) byTopic.set(fragment.topicHash, { iface, fragment });
    });
  }
  return (topics, data) => {
    const found = topics[0] === undefined ? undefined : byTopic.get(topics[0]);
    if (!found) return null;
    try {
      return new LogDescription(found.fragment, topics[0]!, found.iface.decodeEventLog(found.fragment, data, topics));
    } catch {
      return null;
    }
  };
}

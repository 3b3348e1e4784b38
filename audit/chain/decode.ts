// Decodes raw logs into the ledger's typed events, with decoders generated from the contracts' ABIs (the same
// typechain factories the relayer uses). Every argument of the events the ledger uses is a static type, so a
// decoder reads 32-byte words straight from the hex (fast enough for 100,000s of logs); a log the ledger does
// not use (role changes, pauses, batch failures) is counted and skipped.
import { getAddress, type EventFragment, type Interface } from "ethers";

import type { ContractName, LedgerEvent } from "../ledger/events.js";
import { KycRegistry__factory, PaymentEscrow__factory, SettlementToken__factory } from "../../typechain-types/index.js";

export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

/** The events the ledger consumes, per contract (names must exist in the ABI: checked when decoders are built). */
const USED: Record<ContractName, readonly string[]> = {
  escrow: [
    "PaymentAuthorized", "PaymentCaptured", "PaymentVoided", "PaymentReclaimed", "PaymentReleased", "ReceiptConfirmed",
    "PaymentRefunded", "DisputeOpened", "DisputeResolved", "LargeTransactionReported", "PayoutSent", "PayoutFailed",
    "MerchantConfigured", "TokenConfigured", "TreasurySet",
  ],
  token: ["Transfer", "Minted", "Burned", "Blocklisted", "Unblocklisted"],
  kyc: ["KycRecordSet", "AccountFrozen", "AccountUnfrozen", "JurisdictionBlockSet"],
};

export const INTERFACES: Record<ContractName, Interface> = {
  escrow: PaymentEscrow__factory.createInterface() as unknown as Interface,
  token: SettlementToken__factory.createInterface() as unknown as Interface,
  kyc: KycRegistry__factory.createInterface() as unknown as Interface,
};

type WordReader = (word: string) => unknown;
type Decoder = (log: RawLog) => LedgerEvent;

const checksums = new Map<string, string>();
/** Checksummed address of a 32-byte word (memoized: a ledger sees few distinct addresses). */
export function addressOfWord(word: string): string {
  const raw = word.slice(-40);
  let a = checksums.get(raw);
  if (a === undefined) checksums.set(raw, (a = getAddress("0x" + raw)));
  return a;
}

function readerFor(type: string): WordReader {
  if (type === "address") return addressOfWord;
  if (type === "bool") return (w) => !/^0*$/.test(w);
  if (type === "bytes32") return (w) => "0x" + w.toLowerCase();
  const fixedBytes = /^bytes(\d+)$/.exec(type);
  if (fixedBytes) return (w) => "0x" + w.slice(0, Number(fixedBytes[1]) * 2).toLowerCase();
  const uint = /^uint(\d+)$/.exec(type);
  // Enums are uint8 in the ABI; small integers (bps, tiers, methods) become numbers, amounts bigints.
  if (uint) return Number(uint[1]) <= 48 ? (w) => parseInt(w.slice(-12), 16) : (w) => BigInt("0x" + w);
  throw new Error(`the audit decoder does not read ABI type ${type}`);
}

function decoderFor(contract: ContractName, fragment: EventFragment): Decoder {
  const fields = fragment.inputs.map((input, i) => ({ name: input.name || `arg${i}`, indexed: input.indexed === true, read: readerFor(input.type) }));
  const name = fragment.name;
  const kind = `${contract}.${name}`;
  return (log) => {
    const args: Record<string, unknown> = {};
    let topic = 1;
    let offset = 2;
    for (const f of fields) {
      if (f.indexed) {
        args[f.name] = f.read(log.topics[topic++]!.slice(2));
      } else {
        args[f.name] = f.read(log.data.slice(offset, offset + 64));
        offset += 64;
      }
    }
    return {
      contract,
      kind,
      name,
      args,
      blockNumber: parseInt(log.blockNumber, 16),
      logIndex: parseInt(log.logIndex, 16),
      txHash: log.transactionHash,
    } as LedgerEvent;
  };
}

export interface LogDecoder {
  /** The decoded event, or null for a log the ledger does not use (or from another contract). */
  decode(log: RawLog): LedgerEvent | null;
}

/** A decoder for logs of the given contract addresses. */
export function logDecoder(addresses: Record<ContractName, string>): LogDecoder {
  const byAddress = new Map<string, Map<string, Decoder>>();
  for (const contract of Object.keys(USED) as ContractName[]) {
    const decoders = new Map<string, Decoder>();
    for (const name of USED[contract]) {
      const fragment = INTERFACES[contract].getEvent(name);
      if (!fragment) throw new Error(`the ${contract} ABI has no event ${name}`);
      decoders.set(fragment.topicHash, decoderFor(contract, fragment));
    }
    byAddress.set(addresses[contract].toLowerCase(), decoders);
  }
  return {
    decode(log) {
      const decoder = byAddress.get(log.address.toLowerCase())?.get(log.topics[0] ?? "");
      return decoder ? decoder(log) : null;
    },
  };
}

// Fetches every log of the audited contracts over a block range with eth_getLogs: ranges sent several at a time
// in one JSON-RPC batch, the range size adapting to the node (halved when the node refuses a range as too large
// or too slow, doubled while answers stay small), transport failures retried by the client.
import { RpcError, type RpcClient } from "./rpc.js";
import type { RawLog } from "./decode.js";

export interface ScanOptions {
  /** Blocks per eth_getLogs to start with. */
  initialRange?: number;
  maxRange?: number;
  /** eth_getLogs requests per JSON-RPC batch. */
  rangesPerBatch?: number;
  /** Aim for about this many logs per request when growing the range. */
  targetLogsPerRequest?: number;
}

export interface ScanProgress {
  fromBlock: number;
  toBlock: number;
  /** Last block fetched. */
  doneBlock: number;
  logs: number;
}

/** The node refuses the range as too large (result cap, response size, block range limit, timeout). */
function rangeTooLarge(error: RpcError): boolean {
  return error.code === -32005 || /range|too many|limit|exceed|size|timeout|timed out|10000 results/i.test(error.message);
}

const hex = (n: number) => "0x" + n.toString(16);

/**
 * Calls `onLogs` with the logs of `addresses` in [fromBlock, toBlock], in chain order, chunk by chunk.
 * @throws RpcError if the node refuses a single-block range, RpcConnectionError if it cannot be reached.
 */
export async function scanLogs(
  rpc: RpcClient,
  addresses: string[],
  fromBlock: number,
  toBlock: number,
  onLogs: (logs: RawLog[]) => void,
  onProgress: (p: ScanProgress) => void = () => undefined,
  options: ScanOptions = {},
): Promise<number> {
  const maxRange = options.maxRange ?? 100_000;
  const perBatch = options.rangesPerBatch ?? 4;
  const target = options.targetLogsPerRequest ?? 5_000;
  let range = Math.min(options.initialRange ?? 2_000, maxRange);
  let next = fromBlock;
  let total = 0;
  while (next <= toBlock) {
    const ranges: [number, number][] = [];
    for (let from = next; ranges.length < perBatch && from <= toBlock; from += range) ranges.push([from, Math.min(toBlock, from + range - 1)]);
    const answers = await rpc.batch<RawLog[]>(
      ranges.map(([from, to]) => ({ method: "eth_getLogs", params: [{ address: addresses, fromBlock: hex(from), toBlock: hex(to) }] })),
    );
    let most = 0;
    let shrunk = false;
    for (let i = 0; i < ranges.length; i++) {
      const answer = answers[i]!;
      if (answer instanceof RpcError) {
        if (!rangeTooLarge(answer)) throw answer;
        const span = ranges[i]![1] - ranges[i]![0] + 1;
        if (span === 1) throw answer;
        range = Math.max(1, Math.floor(span / 2));
        shrunk = true;
        break; // keep what came before; resume from this range with the smaller size
      }
      const logs = answer.filter((l) => !l.removed);
      onLogs(logs);
      total += logs.length;
      most = Math.max(most, logs.length);
      next = ranges[i]![1] + 1;
      onProgress({ fromBlock, toBlock, doneBlock: ranges[i]![1], logs: total });
    }
    if (shrunk) continue;
    if (most > 0 && most < target / 2) range = Math.min(maxRange, range * 2);
    else if (most === 0) range = Math.min(maxRange, range * 4);
  }
  return total;
}

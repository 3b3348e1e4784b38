// The log scan: every block's logs exactly once and in order, whatever range size the node accepts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { RawLog } from "../../audit/chain/decode.js";
import { scanLogs } from "../../audit/chain/logs.js";
import { RpcError, type RpcCall, type RpcClient } from "../../audit/chain/rpc.js";

/** A node with one log per block that refuses eth_getLogs over more than `limit` blocks, as public RPCs do. */
function fakeNode(limit: number, refusal = "query returned more than 10000 results", code = -32005) {
  const spans: number[] = [];
  const client = {
    async batch(calls: RpcCall[]) {
      return calls.map((c) => {
        const { fromBlock, toBlock } = c.params[0] as { fromBlock: string; toBlock: string };
        const [from, to] = [Number(fromBlock), Number(toBlock)];
        spans.push(to - from + 1);
        if (to - from + 1 > limit) return new RpcError("eth_getLogs", code, refusal);
        return Array.from({ length: to - from + 1 }, (_, i): RawLog => ({ address: "0x1", topics: [], data: "0x", blockNumber: "0x" + (from + i).toString(16), blockHash: "0x", transactionHash: "0x", logIndex: "0x0" }));
      });
    },
  };
  return { client: client as unknown as RpcClient, spans };
}

describe("log scan", () => {
  it("halves the range the node refuses and still returns every block's logs once, in order", async () => {
    const node = fakeNode(50);
    const seen: number[] = [];
    const total = await scanLogs(node.client, ["0x1"], 10, 1_009, (logs) => seen.push(...logs.map((l) => Number(l.blockNumber))), undefined, { initialRange: 400, targetLogsPerRequest: 60 });
    assert.equal(total, 1_000);
    assert.deepEqual(seen, Array.from({ length: 1_000 }, (_, i) => 10 + i));
    assert.ok(node.spans.some((s) => s > 50), "it tried a range the node refuses");
    assert.ok(Math.max(...node.spans.slice(-3)) <= 50, "then it kept to ranges the node accepts");
  });

  it("gives up with the node's error when even one block is refused, or the error is not about size", async () => {
    await assert.rejects(scanLogs(fakeNode(0).client, ["0x1"], 1, 10, () => undefined), /more than 10000 results/);
    await assert.rejects(scanLogs(fakeNode(5, "invalid address", -32602).client, ["0x1"], 1, 100, () => undefined), /invalid address/);
  });
});

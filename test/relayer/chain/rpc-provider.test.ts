// The relayer's provider converts JSON-RPC bodies with Node's UTF-8 codec instead of ethers' JavaScript one: over
// real HTTP, against a server that answers results, errors, non-ASCII text, a body that is not JSON and a 500, it
// must answer (or fail) exactly as ethers' JsonRpcProvider does, and send the same requests.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";

import { JsonRpcProvider, Network } from "ethers";

import { RpcProvider } from "../../../relayer/chain/rpc-provider.js";

const TEXT = "päyment ✓ 支付 🙂";

/** A JSON-RPC server: `test_echo` answers its first parameter, `eth_call` reverts with data; /not-json and /500 misbehave. */
function startServer(received: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push(`${req.url} ${body}`);
      if (req.url === "/500") return res.writeHead(500).end("overloaded");
      if (req.url === "/not-json") return res.writeHead(200, { "content-type": "application/json" }).end("<html>proxy error</html>");
      const answer = (r: { id: number; method: string; params: unknown[] }) =>
        r.method === "eth_call"
          ? { jsonrpc: "2.0", id: r.id, error: { code: 3, message: "execution reverted", data: "0x1234abcd" } }
          : r.method === "eth_chainId"
            ? { jsonrpc: "2.0", id: r.id, result: "0x7a69" }
            : { jsonrpc: "2.0", id: r.id, result: r.params[0] };
      const parsed = JSON.parse(body) as Parameters<typeof answer>[0] | Parameters<typeof answer>[0][];
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("RpcProvider", () => {
  const received: string[] = [];
  let server: Server;
  let base: string;
  const options = { staticNetwork: Network.from(31337), cacheTimeout: -1, polling: false, batchStallTime: 0 } as const;
  const both = (path = "/") => ({
    ethers: new JsonRpcProvider(base + path, undefined, options),
    ours: new RpcProvider(base + path, undefined, options),
  });
  /** What a call answers, or how it fails (ethers' error code, and the revert data if any). */
  const outcome = async (call: () => Promise<unknown>) => {
    try {
      return { ok: await call() };
    } catch (error) {
      const e = error as { code?: string; data?: string };
      return { code: e.code, data: e.data };
    }
  };

  before(async () => {
    server = await startServer(received);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers what ethers answers, alone and batched, non-ASCII text included, and sends the same requests", async () => {
    const { ethers, ours } = both();
    for (const provider of [ethers, ours]) {
      received.length = 0;
      assert.equal(await provider.send("test_echo", [TEXT]), TEXT);
      const batch = await Promise.all([provider.send("test_echo", ["a"]), provider.send("test_echo", [TEXT]), provider.send("test_echo", [{ nested: [1, TEXT] }])]);
      assert.deepEqual(batch, ["a", TEXT, { nested: [1, TEXT] }]);
      assert.equal(received.length, 2, "one request, then one batch of three");
      assert.match(received[1]!, /^\/ \[\{.*\}\]$/);
      provider.destroy();
    }
  });

  it("fails as ethers fails: a revert with its data, a body that is not JSON, a 500", async () => {
    for (const [path, code, call] of [
      ["/", "CALL_EXCEPTION", (p: JsonRpcProvider) => p.send("eth_call", [{ to: "0x" + "11".repeat(20), data: "0x" }, "latest"])],
      ["/not-json", "UNSUPPORTED_OPERATION", (p: JsonRpcProvider) => p.send("test_echo", ["x"])],
      ["/500", "SERVER_ERROR", (p: JsonRpcProvider) => p.send("test_echo", ["x"])],
    ] as const) {
      const { ethers, ours } = both(path);
      const expected = await outcome(() => call(ethers));
      assert.equal((expected as { code?: string }).code, code, `${path}: how ethers fails`);
      assert.deepEqual(await outcome(() => call(ours)), expected, path);
      ethers.destroy();
      ours.destroy();
    }
  });
});

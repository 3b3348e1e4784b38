// The CLI's contract with its user: clear errors and exit code 2 for bad input or an unreachable or wrong chain.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { EXIT, parseCli, runCli, UsageError } from "../../audit/cli.js";
import { freePort } from "../../scripts/lib/local-chain.js";

const dir = mkdtempSync(path.join(tmpdir(), "audit-cli-"));
const deploymentFile = path.join(dir, "31337.json");
const ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
writeFileSync(
  deploymentFile,
  JSON.stringify({ chainId: 31337, genesisHash: "0x" + "11".repeat(32), deploymentBlock: 1, contracts: { PaymentEscrow: { address: ADDRESS }, SettlementToken: { address: ADDRESS }, KycRegistry: { address: ADDRESS } } }),
);

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (s) => out.push(s), err: (s) => err.push(s), env: {} });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("audit CLI", () => {
  // A JSON-RPC endpoint that serves another chain (id 1).
  let server: http.Server;
  let otherChain: string;
  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const call = JSON.parse(body);
        const answer = (c: { id: number; method: string }) => ({ jsonrpc: "2.0", id: c.id, result: c.method === "eth_chainId" ? "0x1" : { number: "0x10", hash: "0x" + "22".repeat(32), timestamp: "0x1" } });
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(Array.isArray(call) ? call.map(answer) : answer(call)));
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    otherChain = `http://127.0.0.1:${port}`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints its usage with --help and exits 0", async () => {
    const r = await run(["--help"]);
    assert.equal(r.code, EXIT.clean);
    assert.match(r.out, /--rpc <url>/);
  });

  it("exits 2 naming the problem when a required option is missing, unknown, or malformed", async () => {
    for (const [args, message] of [
      [["--deployment", deploymentFile], /--rpc <url> is required/],
      [["--rpc", "http://127.0.0.1:1"], /--deployment <file> is required/],
      [["--rpc", "not a url", "--deployment", deploymentFile], /--rpc: "not a url" is not a URL/],
      [["--rpc", "ftp://x", "--deployment", deploymentFile], /not an http\(s\) URL/],
      [["--rpc", "http://x", "--deployment", deploymentFile, "--bogus"], /Unknown option '--bogus'/],
      [["--rpc", "http://x", "--deployment", deploymentFile, "--relayer", "http://y"], /needs an auditor key/],
      [["--rpc", "http://x", "--deployment", deploymentFile, "--out", "report.txt"], /must end in .json or .csv/],
      [["--rpc", "http://x", "--deployment", deploymentFile, "--to-block", "12x"], /not a block number/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, EXIT.usage, `${args.join(" ")} -> ${r.err}`);
      assert.match(r.err, message);
    }
  });

  it("takes the auditor key from AUDITOR_KEY so it stays out of the process list", () => {
    const options = parseCli(["--rpc", "http://x", "--deployment", "d.json", "--relayer", "http://r"], { AUDITOR_KEY: "ak_test" });
    assert.ok(options !== "help");
    assert.equal(options.key, "ak_test");
    assert.throws(() => parseCli(["--rpc", "http://x", "--deployment", "d.json", "--merchant", "0x12"], {}), UsageError);
  });

  it("exits 2 when the deployment file is missing or incomplete", async () => {
    const missing = await run(["--rpc", otherChain, "--deployment", path.join(dir, "nope.json")]);
    assert.equal(missing.code, EXIT.usage);
    assert.match(missing.err, /cannot read .*nope\.json \(ENOENT\)/);
    const partial = path.join(dir, "partial.json");
    writeFileSync(partial, JSON.stringify({ chainId: 31337, deploymentBlock: 0, contracts: {} }));
    const incomplete = await run(["--rpc", otherChain, "--deployment", partial]);
    assert.equal(incomplete.code, EXIT.usage);
    assert.match(incomplete.err, /no address for PaymentEscrow/);
  });

  it("exits 2 when the node serves another chain than the deployment's", async () => {
    const r = await run(["--rpc", otherChain, "--deployment", deploymentFile]);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.err, /serves chain 1, the deployment is on chain 31337/);
  });

  it("exits 2 when the node cannot be reached", async () => {
    const r = await run(["--rpc", `http://127.0.0.1:${await freePort()}`, "--deployment", deploymentFile]);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.err, /did not answer eth_chainId after \d+ attempts/);
  });
});

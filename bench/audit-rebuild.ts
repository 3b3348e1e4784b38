// `npm run bench:audit` (rebuild half): how fast the audit rebuilds the ledger from the chain alone.
//
//   1. A fresh `hardhat node` (127.0.0.1, a free port), the contracts deployed and seeded as `npm start` does.
//   2. At least BENCH_AUDIT_MIN_EVENTS (100,000) logs put on chain quickly: payments straight through the escrow's
//      batch entry points with presigned transactions, explicit gas limits and ordered JSON-RPC batches
//      (test/audit/support/escrow-load.ts: captures, releases, voids, reclaims, refunds, disputes, payouts).
//   3. The rebuild timed through the library entry point the CLI uses (rebuildFromChain: scan every log, recover
//      terms from calldata, build the ledger, read state, check every invariant), from a cold client.
//
// Writes rebuild_events_per_s, events, blocks, seconds (and the phase split) into reports/audit.json, MERGING
// with keys other benches wrote there (read, add, write). Everything started is stopped on exit.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { rebuildFromChain } from "../audit/chain/rebuild.js";
import { loadDeployment } from "../audit/cli.js";
import { deployAndSeed, freePort, startLocalChain } from "../scripts/lib/local-chain.js";
import { devWallet } from "../test/relayer/support/system.js";
import { loadEscrow } from "../test/audit/support/escrow-load.js";
import { round } from "./lib/stats.js";

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const MIN_EVENTS = num("BENCH_AUDIT_MIN_EVENTS", 100_000);
const PAYMENTS_PER_ROUND = num("BENCH_AUDIT_PAYMENTS_PER_ROUND", 5_000);
const REPORT = path.resolve("reports/audit.json");
const log = (message: string) => console.log(`[bench:audit ${new Date().toISOString().slice(11, 23)}] ${message}`);

const dir = mkdtempSync(path.join(os.tmpdir(), "bench-audit-"));
const chain = await startLocalChain(await freePort());
try {
  log(`chain on ${chain.rpcUrl}; deploying`);
  const credentials = await deployAndSeed(chain.rpcUrl, { deploymentsDir: path.join(dir, "deployments"), credentialsFile: path.join(dir, "credentials.json"), quiet: true });
  const deployment = await loadDeployment(credentials.deploymentFile);

  // Rounds of payments until the chain holds MIN_EVENTS logs of the audited contracts (each round its own merchants
  // and buyers); the logs are counted after the first round, then after the round that should reach the target.
  let logs = 0;
  let payments = 0;
  let perRound = 0;
  const seedStart = performance.now();
  for (let r0 = 0; logs < MIN_EVENTS; r0++) {
    const r = await loadEscrow(chain.rpcUrl, credentials.contracts, {
      payments: PAYMENTS_PER_ROUND,
      label: `bench-audit-${r0}`,
      wallets: { admin: devWallet(0), issuer: devWallet(5), operator: devWallet(15), arbiter: devWallet(16), compliance: devWallet(17) },
    });
    payments += r.payments;
    const estimate = logs + perRound;
    if (r0 === 0 || estimate >= MIN_EVENTS) {
      const count = await rebuildFromChain({ rpcUrl: chain.rpcUrl, deployment });
      perRound = r0 === 0 ? count.logs : perRound;
      logs = count.logs;
    } else {
      logs = estimate;
    }
    log(`round ${r0}: ${payments} payments, ${r.transactions} transactions, ${logs} logs on chain (${round((performance.now() - seedStart) / 1000)} s seeding)`);
  }

  // The measured run: a fresh rebuild, as `npm run audit` does it.
  const rebuild = await rebuildFromChain({ rpcUrl: chain.rpcUrl, deployment });
  if (rebuild.violations.length) throw new Error(`the rebuilt ledger breaks invariants: ${JSON.stringify(rebuild.violations.slice(0, 5))}`);
  const blocks = rebuild.head.number - rebuild.fromBlock + 1;
  const result = {
    rebuild_events_per_s: Math.round(rebuild.logs / rebuild.seconds.total),
    events: rebuild.logs,
    blocks,
    seconds: rebuild.seconds.total,
    rebuild_phase_seconds: rebuild.seconds,
    rebuild_payments: rebuild.ledger.payments.size,
    rebuild_target_events_per_s: 20_000,
    rebuild_measured_at: new Date().toISOString(),
    rebuild_machine: `${os.cpus().length} cpu ${os.cpus()[0]?.model ?? ""}`.trim(),
    /** 1-minute load average when the rebuild ended (other work on a shared machine slows it). */
    rebuild_load_average: round(os.loadavg()[0]!, 2),
  };
  mkdirSync(path.dirname(REPORT), { recursive: true });
  let existing: Record<string, unknown> = {};
  try {
    existing = JSON.parse(readFileSync(REPORT, "utf8")) as Record<string, unknown>;
  } catch {
    // first bench to write it
  }
  writeFileSync(REPORT, JSON.stringify({ ...existing, ...result }, null, 2) + "\n");
  log(`${rebuild.logs} events over ${blocks} blocks rebuilt in ${rebuild.seconds.total} s: ${result.rebuild_events_per_s} events/s -> ${REPORT}`);
} finally {
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}

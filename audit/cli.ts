// `npm run audit -- --rpc <url> --deployment deployments/<chainId>.json [--relayer <url> --key <auditor key>]
//  [--merchant <address>]... [--to-block <n>] [--out report.json|report.csv]`
//
// Rebuilds the ledger from the chain alone, checks the invariants, optionally reconciles it with the relayer's
// records, prints a summary and writes the report. Exit codes: 0 clean, 1 differences or broken invariants,
// 2 usage or connection error. A progress bar goes to stderr when stderr is a terminal.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { getAddress, isAddress } from "ethers";

import { AuditSetupError, rebuildFromChain, type AuditedDeployment, type RebuildProgress } from "./chain/rebuild.js";
import { RpcConnectionError, RpcError } from "./chain/rpc.js";
import { buildReport, writeReport, type AuditReport } from "./report.js";
import { chainReceivableViewOf, chainViewOf, reconcile, reconcileReceivables } from "./reconcile.js";
import { fetchRelayerPayments, fetchRelayerReceivables, RelayerApiError } from "./relayer/client.js";

export const EXIT = { clean: 0, findings: 1, usage: 2 } as const;

export const USAGE = `Usage: npm run audit -- --rpc <url> --deployment deployments/<chainId>.json [options]

Rebuilds the ledger from contract events and state alone and checks its invariants.

  --rpc <url>             JSON-RPC endpoint of the chain (http or https)
  --deployment <file>     the deployment record written by npm run deploy
  --relayer <url>         also reconcile with this relayer's records (GET /v1/audit/payments, and /v1/audit/receivables when
                          the deployment has a receivable registry)
  --key <key>             the relayer auditor key (or set AUDITOR_KEY; the environment keeps it out of ps)
  --merchant <address>    reconcile only this merchant's payments (repeat for several); invariants cover all
  --to-block <n>          audit up to block n (default: the latest block)
  --out <file>            write the report: .json (one document) or .csv (one file per table)
  --help                  this text

Exit codes: 0 clean, 1 differences or broken invariants, 2 usage or connection error.`;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliOptions {
  rpcUrl: string;
  deploymentFile: string;
  relayerUrl: string | null;
  key: string | null;
  merchants: string[] | null;
  toBlock: number | undefined;
  out: string | null;
}

function httpUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag}: ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${flag}: ${value} is not an http(s) URL`);
  return value;
}

/** Parses and validates the command line. @throws UsageError */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        rpc: { type: "string" },
        deployment: { type: "string" },
        relayer: { type: "string" },
        key: { type: "string" },
        merchant: { type: "string", multiple: true },
        "to-block": { type: "string" },
        out: { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (!values.rpc) throw new UsageError("--rpc <url> is required");
  if (!values.deployment) throw new UsageError("--deployment <file> is required");
  const key = values.key ?? env.AUDITOR_KEY ?? null;
  if (values.relayer && !key) throw new UsageError("--relayer needs an auditor key: --key <key> or AUDITOR_KEY");
  if (!values.relayer && values.key) throw new UsageError("--key is only used with --relayer <url>");
  const merchants = values.merchant?.map((m) => {
    if (!isAddress(m)) throw new UsageError(`--merchant: ${m} is not an address`);
    return getAddress(m);
  });
  if (merchants && !values.relayer) throw new UsageError("--merchant scopes the reconciliation: it needs --relayer <url>");
  let toBlock: number | undefined;
  if (values["to-block"] !== undefined) {
    if (!/^\d+$/.test(values["to-block"])) throw new UsageError(`--to-block: ${values["to-block"]} is not a block number`);
    toBlock = Number(values["to-block"]);
  }
  if (values.out && !/\.(json|csv)$/.test(values.out)) throw new UsageError(`--out: ${values.out} must end in .json or .csv`);
  return {
    rpcUrl: httpUrl(values.rpc, "--rpc"),
    deploymentFile: values.deployment,
    relayerUrl: values.relayer ? httpUrl(values.relayer, "--relayer") : null,
    key: values.relayer ? key : null,
    merchants: merchants ?? null,
    toBlock,
    out: values.out ?? null,
  };
}

/** Reads and checks deployments/<chainId>.json. @throws UsageError */
export async function loadDeployment(file: string): Promise<AuditedDeployment> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`--deployment: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let d: AuditedDeployment;
  try {
    d = JSON.parse(text) as AuditedDeployment;
  } catch {
    throw new UsageError(`--deployment: ${file} is not JSON`);
  }
  const contracts = d?.contracts;
  for (const name of ["PaymentEscrow", "SettlementToken", "KycRegistry"] as const) {
    if (!contracts?.[name] || !isAddress(contracts[name].address)) throw new UsageError(`--deployment: ${file} has no address for ${name}`);
  }
  if (!Number.isInteger(d.chainId) || !Number.isInteger(d.deploymentBlock)) throw new UsageError(`--deployment: ${file} lacks chainId or deploymentBlock`);
  return d;
}

/** A one-line progress bar on stderr, redrawn at most every 100 ms; nothing when stderr is not a terminal. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(p: RebuildProgress): void; done(): void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  const labels = { logs: "scanning blocks", terms: "reading terms  ", state: "reading state  " };
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      const width = 30;
      const ratio = p.total ? Math.min(1, p.done / p.total) : 1;
      const filled = Math.round(ratio * width);
      stream.write(`\r${labels[p.phase]} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${p.done}/${p.total}  ${p.logs} logs `);
    },
    done() {
      stream.write("\r\x1b[2K");
    },
  };
}

function summary(report: AuditReport): string {
  const lines = [
    `chain ${report.chain.chain_id}, blocks ${report.chain.from_block}..${report.chain.head_block} (${report.chain.head_hash}), ${report.summary.logs} logs in ${report.seconds.total} s`,
    `payments: ${report.summary.payments} (${Object.entries(report.summary.payments_by_status).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}), terms from calldata: ${report.summary.terms_recovered}`,
    ...report.summary.tokens.map((t) => `token ${t.token}: escrow holds ${t.escrow_token_balance}, owes ${t.owed_total} (payments ${t.owed_in_payments}, balances ${t.owed_in_balances}); fees: treasury ${t.fees_to_treasury}, partners ${t.fees_to_partners}`),
    `stablecoin: supply ${report.summary.stablecoin.total_supply} = minted ${report.summary.stablecoin.minted} − burned ${report.summary.stablecoin.burned} (${report.summary.stablecoin.mints} mints, ${report.summary.stablecoin.burns} burns)`,
    `KYC changes ${report.summary.kyc_changes}, large-transaction reports ${report.summary.large_transactions}`,
    `invariants: ${report.invariants.violations.length === 0 ? "all hold" : `${report.invariants.violations.length} violations`}`,
    ...report.invariants.violations.slice(0, 20).map((v) => `  ${v.invariant} ${v.subject}: ${v.message}${v.expected !== undefined ? ` (expected ${v.expected}, found ${v.actual})` : ""}`),
  ];
  const r = report.reconciliation;
  if (r) {
    lines.push(`reconciliation with ${r.relayer_url}: ${r.compared} compared, ${r.chain_payments} on chain, ${r.relayer_records} relayer records, ${r.out_of_scope} out of scope, ${r.differences.length} differences`);
    for (const d of r.differences.slice(0, 20)) {
      lines.push(d.kind === "mismatch" ? `  mismatch ${d.payment_id} (${d.intent_id}) ${d.field}: chain ${d.chain}, relayer ${d.relayer}` : `  ${d.kind} ${d.payment_id}${d.kind === "extra" ? ` (${d.intent_id})` : ""}`);
    }
  }
  if (r?.receivables) {
    const x = r.receivables;
    lines.push(`receivables with ${r.relayer_url}: ${x.compared} compared, ${x.chain_receivables} on chain, ${x.relayer_receivables} in the relayer's register, ${x.differences.length} differences`);
    for (const d of x.differences.slice(0, 20)) {
      lines.push(d.kind === "mismatch" ? `  mismatch ${d.token_id} (${d.receivable_id}) ${d.field}: chain ${d.chain}, relayer ${d.relayer}` : `  ${d.kind} ${d.token_id}${d.kind === "extra" ? ` (${d.receivable_id})` : ""}`);
    }
  }
  const more = report.invariants.violations.length > 20 || (r?.differences.length ?? 0) > 20 || (r?.receivables?.differences.length ?? 0) > 20;
  if (more) lines.push("  … (the full lists are in the report: --out)");
  lines.push(report.ok ? "result: clean" : "result: FINDINGS");
  return lines.join("\n");
}

/** Runs the audit; returns the exit code. `out` and `err` receive the summary and the errors. */
export async function runCli(argv: string[], io: { out: (s: string) => void; err: (s: string) => void; env?: NodeJS.ProcessEnv; stderr?: NodeJS.WriteStream } = { out: (s) => process.stdout.write(s + "\n"), err: (s) => process.stderr.write(s + "\n") }): Promise<number> {
  try {
    const options = parseCli(argv, io.env ?? process.env);
    if (options === "help") {
      io.out(USAGE);
      return EXIT.clean;
    }
    const deployment = await loadDeployment(options.deploymentFile);
    const bar = progressBar(io.stderr ?? process.stderr);
    let rebuild;
    try {
      rebuild = await rebuildFromChain({ rpcUrl: options.rpcUrl, deployment, toBlock: options.toBlock, onProgress: (p) => bar.update(p) });
    } finally {
      bar.done();
    }
    let reconciliation: AuditReport["reconciliation"] = null;
    if (options.relayerUrl) {
      const records = await fetchRelayerPayments(options.relayerUrl, options.key!);
      const result = reconcile([...rebuild.ledger.payments.values()].map(chainViewOf), records, options.merchants ? { merchants: options.merchants } : {});
      // the receivables register too, when the deployment has a registry (a receivable belongs to no merchant: --merchant does not scope it)
      const register = rebuild.ledger.receivables;
      const receivables = register
        ? reconcileReceivables([...register.receivables.values()].map(chainReceivableViewOf), await fetchRelayerReceivables(options.relayerUrl, options.key!))
        : null;
      reconciliation = { relayer_url: options.relayerUrl, merchants: options.merchants, ...result, receivables };
    }
    const report = buildReport(rebuild, reconciliation);
    io.out(summary(report));
    if (options.out) {
      const files = await writeReport(report, options.out);
      io.out(`report: ${files.join(", ")}`);
    }
    return report.ok ? EXIT.clean : EXIT.findings;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`audit: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof AuditSetupError || error instanceof RpcConnectionError || error instanceof RpcError || error instanceof RelayerApiError) {
      io.err(`audit: ${error.message}`);
      return EXIT.usage;
    }
    io.err(`audit: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.usage;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCli(process.argv.slice(2));
}

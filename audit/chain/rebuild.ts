// The audit's one entry point to the chain: checks the node serves the deployment's chain, scans every log of the
// escrow, the settlement token and the KYC registry from the deployment block to the head, recovers the payment
// terms from calldata, builds the ledger, reads the few state values the invariants need at that same head, and
// checks the invariants. Used by the CLI (audit/cli.ts), the benchmark and the relayer's console.
import type { LedgerEvent } from "../ledger/events.js";
import { checkInvariants, type ChainState, type Violation } from "../ledger/invariants.js";
import { buildLedger, type Ledger } from "../ledger/ledger.js";
import { logDecoder } from "./decode.js";
import { scanLogs, type ScanOptions } from "./logs.js";
import type { DeploymentView } from "../../scripts/lib/deployment.js";
import { RpcClient, type RpcOptions } from "./rpc.js";
import { readChainState } from "./state.js";
import { TermsCollector } from "./terms.js";

/** The parts of deployments/<chainId>.json the audit reads (scripts/lib/deployment.ts writes it). */
export type AuditedDeployment = DeploymentView;

/** The node is not the deployment's chain, or the deployment file does not describe one. */
export class AuditSetupError extends Error {
  override name = "AuditSetupError";
}

export type RebuildPhase = "logs" | "terms" | "state";

export interface RebuildProgress {
  phase: RebuildPhase;
  done: number;
  total: number;
  /** Logs fetched so far. */
  logs: number;
}

export interface RebuildOptions {
  rpcUrl: string;
  deployment: AuditedDeployment;
  /** Scan up to this block (default: the latest block when the rebuild starts). */
  toBlock?: number;
  onProgress?: (p: RebuildProgress) => void;
  rpc?: RpcOptions;
  scan?: ScanOptions;
}

export interface Rebuild {
  chainId: number;
  fromBlock: number;
  head: { number: number; hash: string; timestamp: number };
  contracts: { escrow: string; stablecoin: string; kycRegistry: string; receivableRegistry: string | null };
  /** Logs fetched (all of them, also those the ledger does not use). */
  logs: number;
  ledger: Ledger;
  state: ChainState;
  violations: Violation[];
  /** Payments whose terms were recovered from calldata. */
  termsRecovered: number;
  /** `terms` is the wait for calldata still being fetched after the scan ended. */
  seconds: { logs: number; terms: number; ledger: number; state: number; total: number };
}

interface Block {
  number: string;
  hash: string;
  timestamp: string;
}

export async function rebuildFromChain(options: RebuildOptions): Promise<Rebuild> {
  const started = performance.now();
  const { deployment } = options;
  const progress = options.onProgress ?? (() => undefined);
  const rpc = new RpcClient(options.rpcUrl, options.rpc);
  const contracts = {
    escrow: deployment.contracts.PaymentEscrow.address,
    stablecoin: deployment.contracts.SettlementToken.address,
    kycRegistry: deployment.contracts.KycRegistry.address,
    receivableRegistry: deployment.contracts.ReceivableRegistry?.address ?? null,
  };

  // 1. the node serves the deployment's chain
  const [chainIdHex, genesis, latest] = await Promise.all([
    rpc.call<string>("eth_chainId"),
    rpc.call<Block | null>("eth_getBlockByNumber", ["0x0", false]),
    options.toBlock === undefined ? rpc.call<Block>("eth_getBlockByNumber", ["latest", false]) : rpc.call<Block | null>("eth_getBlockByNumber", ["0x" + options.toBlock.toString(16), false]),
  ]);
  const chainId = Number(BigInt(chainIdHex));
  if (chainId !== deployment.chainId) throw new AuditSetupError(`the node at ${options.rpcUrl} serves chain ${chainId}, the deployment is on chain ${deployment.chainId}`);
  if (genesis?.hash && deployment.genesisHash && genesis.hash.toLowerCase() !== deployment.genesisHash.toLowerCase()) {
    throw new AuditSetupError(`the node's genesis block ${genesis.hash} differs from the deployment's ${deployment.genesisHash}: another chain with the same id (a restarted local node?)`);
  }
  if (!latest) throw new AuditSetupError(`the node has no block ${options.toBlock}`);
  const head = { number: Number(BigInt(latest.number)), hash: latest.hash, timestamp: Number(BigInt(latest.timestamp)) };
  const fromBlock = deployment.deploymentBlock;

  // 2. every log of the three contracts, decoded
  const decoder = logDecoder({ escrow: contracts.escrow, token: contracts.stablecoin, kyc: contracts.kycRegistry, ...(contracts.receivableRegistry ? { receivables: contracts.receivableRegistry } : {}) });
  const events: LedgerEvent[] = [];
  // 3. (overlapping the scan) the terms of every payment, from the calldata that authorized it
  const terms = new TermsCollector(rpc, contracts.escrow, BigInt(chainId));
  const logs = await scanLogs(
    rpc,
    [contracts.escrow, contracts.stablecoin, contracts.kycRegistry, ...(contracts.receivableRegistry ? [contracts.receivableRegistry] : [])],
    fromBlock,
    head.number,
    (raw) => {
      for (const log of raw) {
        const event = decoder.decode(log);
        if (!event) continue;
        events.push(event);
        if (event.kind === "escrow.PaymentAuthorized") terms.want(event.args.paymentId, event.txHash);
      }
    },
    (p) => progress({ phase: "logs", done: p.doneBlock - fromBlock + 1, total: head.number - fromBlock + 1, logs: p.logs }),
    options.scan,
  );
  const logsDone = performance.now();

  progress({ phase: "terms", done: terms.fetched, total: terms.fetched + 1, logs });
  const termsFound = await terms.done();
  progress({ phase: "terms", done: terms.fetched, total: terms.fetched, logs });
  const termsDone = performance.now();

  // 4. the ledger (events arrive in chain order per contract; buildLedger sorts them into one order)
  const ledger = buildLedger(events, termsFound, { stablecoin: contracts.stablecoin, ...(contracts.receivableRegistry ? { receivables: contracts.receivableRegistry } : {}) });
  const ledgerDone = performance.now();

  // 5. state at the same head, and the invariants
  progress({ phase: "state", done: 0, total: 1, logs });
  const state = await readChainState(rpc, contracts, ledger, "0x" + head.number.toString(16));
  const violations = checkInvariants(ledger, state);
  progress({ phase: "state", done: 1, total: 1, logs });
  const end = performance.now();

  const s = (ms: number) => Math.round(ms) / 1000;
  return {
    chainId,
    fromBlock,
    head,
    contracts,
    logs,
    ledger,
    state,
    violations,
    termsRecovered: termsFound.size,
    seconds: { logs: s(logsDone - started), terms: s(termsDone - logsDone), ledger: s(ledgerDone - termsDone), state: s(end - ledgerDone), total: s(end - started) },
  };
}

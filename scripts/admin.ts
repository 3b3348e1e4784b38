// `npm run admin -- <command> [options]`: administers the relayer's database (merchants, API keys) and, for
// merchants, reads (and optionally writes) the escrow's merchant registry.
//
// Exit codes: 0 done; 1 refused (unknown merchant or key, merchant not active on chain, database of another
// chain, chain unreachable, transaction reverted); 2 usage error (unknown command or option, missing or
// malformed option). With --json, results go to stdout as JSON and errors to stderr as
// {"error":{"code","message"}}. Nothing secret is printed except a newly issued key's secret, once.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

import { getAddress, JsonRpcProvider, Network, Wallet, ZeroAddress, ZeroHash } from "ethers";

import {
  AdminError,
  grantReceivables,
  issueApiKey,
  listApiKeys,
  listMerchants,
  registerMerchant,
  revokeApiKey,
  type OnChainMerchant,
} from "../relayer/application/admin.js";
import { decodeRevert } from "../relayer/chain/escrow-calls.js";
import { SCOPES, type Scope } from "../relayer/domain/principal.js";
import type { ApiKey, NewApiKey } from "../relayer/persistence/api-keys.js";
import { openDatabase, type Database } from "../relayer/persistence/database.js";
import type { Merchant } from "../relayer/persistence/merchants.js";
import { ensureChainIdentity } from "../relayer/persistence/meta.js";
import { PaymentEscrow__factory } from "../typechain-types/index.js";

const LOCAL_CHAIN_ID = 31337;
const DEFAULT_DATABASE = "data/relayer.db";
const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

// ---------------------------------------------------------------- errors and output

/** Wrong invocation: exit 2. */
class UsageError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** A refusal from the database or the chain: exit 1. */
class RefusedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

interface Output {
  json: unknown;
  text: string;
  /** Printed to stderr in both modes (it is advice, not a result). */
  warning?: string;
}

type Values = Record<string, string | boolean | undefined>;

interface Context {
  values: Values;
  positionals: string[];
  env: NodeJS.ProcessEnv;
}

// ---------------------------------------------------------------- options shared by every command

type OptionSpec = { type: "string" | "boolean"; short?: string };

const COMMON_OPTIONS: Record<string, OptionSpec> = {
  database: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const CHAIN_OPTIONS: Record<string, OptionSpec> = {
  "rpc-url": { type: "string" },
  deployment: { type: "string" },
};

const COMMON_HELP = `  --database <path>   the relayer's SQLite file (env DATABASE_PATH, default ${DEFAULT_DATABASE}), or a
                      postgres:// URL (env DATABASE_URL, which wins over DATABASE_PATH)
  --json              machine-readable output (results on stdout, errors on stderr)
  -h, --help          this help`;

const CHAIN_HELP = `  --rpc-url <url>     the chain's JSON-RPC endpoint (env RPC_URL, default ${DEFAULT_RPC_URL})
  --deployment <file> the deployment record, deployments/<chainId>.json (env DEPLOYMENT_FILE)`;

// ---------------------------------------------------------------- helpers

const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
};

function required(values: Values, name: string, what = `--${name}`): string {
  const value = str(values, name);
  if (value === undefined || value.trim() === "") throw new UsageError("missing_option", `${what} is required`);
  return value;
}

function address(value: string, option: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new UsageError("invalid_option", `${option} must be an address (0x followed by 40 hex digits), got ${JSON.stringify(value)}`);
  }
  try {
    return getAddress(value);
  } catch {
    throw new UsageError("invalid_option", `${option} ${value} has a wrong EIP-55 checksum (mixed case that does not match)`);
  }
}

function bps(value: string, option: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 10_000) {
    throw new UsageError("invalid_option", `${option} must be basis points, an integer from 0 to 10000, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function name(values: Values, option = "name"): string {
  const value = required(values, option).trim();
  if (value.length > 200) throw new UsageError("invalid_option", `--${option} must be at most 200 characters`);
  return value;
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

const merchantJson = (m: Merchant) => ({
  object: "merchant",
  id: m.id,
  name: m.name,
  address: m.address,
  settlement_address: m.settlementAddress,
  fee_bps: m.feeBps,
  partner: m.partner,
  partner_share_bps: m.partnerShareBps,
  capabilities: m.capabilities,
  created: seconds(m.createdAt),
});

const keyJson = (k: ApiKey) => ({
  object: "api_key",
  id: k.id,
  scope: k.scope,
  merchant_id: k.merchantId,
  label: k.label,
  created: seconds(k.createdAt),
  revoked: seconds(k.revokedAt),
});

const merchantText = (m: Merchant) =>
  `${m.id}  ${m.name}  ${m.address}  [${m.capabilities.join(", ")}]` +
  (m.capabilities.includes("payments")
    ? `\n    fee ${m.feeBps} bps, settles to ${m.settlementAddress}` +
      (m.partner === ZeroAddress ? ", no partner" : `, partner ${m.partner} (${m.partnerShareBps} bps of the fee)`)
    : "");

const keyText = (k: ApiKey) =>
  `${k.id}  ${k.scope.padEnd(10)} ${k.merchantId ?? "-"}  ${k.revokedAt === null ? "active " : "revoked"}  ${new Date(k.createdAt).toISOString()}  ${JSON.stringify(k.label)}`;

function databasePath(ctx: Context): string {
  return str(ctx.values, "database") ?? ctx.env.DATABASE_URL ?? ctx.env.DATABASE_PATH ?? DEFAULT_DATABASE;
}

/** Opens the database; `mustExist` for commands that only read or change existing rows (no stray files on a typo). */
async function withDatabase<T>(ctx: Context, mustExist: boolean, work: (db: Database) => Promise<T>): Promise<T> {
  const file = databasePath(ctx);
  if (mustExist && !/^postgres(ql)?:\/\//.test(file) && !existsSync(file)) {
    throw new RefusedError("database_not_found", `no database at ${path.resolve(file)} (set --database or DATABASE_PATH)`);
  }
  const db = await openDatabase(file);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------- the chain

interface Deployment {
  chainId: number;
  genesisHash: string;
  contracts: { SettlementToken: { address: string }; KycRegistry: { address: string }; PaymentEscrow: { address: string } };
}

interface Chain {
  provider: JsonRpcProvider;
  chainId: number;
  deployment: Deployment;
  rpcUrl: string;
}

async function rpcChainId(rpcUrl: string): Promise<number> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { result?: string };
    if (typeof body.result !== "string") throw new Error(`unexpected answer ${JSON.stringify(body)}`);
    return Number(BigInt(body.result));
  } catch (error) {
    throw new RefusedError("rpc_unreachable", `the chain at ${rpcUrl} does not answer (${(error as Error).message})`);
  }
}

/** Connects to the chain and checks it is the one the deployment record was made on. */
async function connectChain(ctx: Context): Promise<Chain> {
  const rpcUrl = str(ctx.values, "rpc-url") ?? ctx.env.RPC_URL ?? DEFAULT_RPC_URL;
  const file = str(ctx.values, "deployment") ?? ctx.env.DEPLOYMENT_FILE;
  if (file === undefined || file === "") throw new UsageError("missing_option", "--deployment (or DEPLOYMENT_FILE) is required to read the escrow");
  let deployment: Deployment;
  try {
    deployment = JSON.parse(await readFile(file, "utf8")) as Deployment;
  } catch (error) {
    throw new RefusedError("deployment_unreadable", `cannot read the deployment record ${file}: ${(error as Error).message}`);
  }
  const chainId = await rpcChainId(rpcUrl);
  // ethers caches results for 250 ms by default, which would show a stale merchant config after setMerchant.
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { cacheTimeout: -1, staticNetwork: true, polling: false });
  const genesis = await provider.getBlock(0);
  if (chainId !== deployment.chainId || genesis?.hash !== deployment.genesisHash) {
    provider.destroy();
    throw new RefusedError(
      "deployment_mismatch",
      `the RPC at ${rpcUrl} serves chain ${chainId} (genesis ${genesis?.hash}), but ${file} was deployed on chain ${deployment.chainId} (genesis ${deployment.genesisHash})`,
    );
  }
  return { provider, chainId, deployment, rpcUrl };
}

async function adminSigner(ctx: Context, chain: Chain): Promise<Wallet> {
  const keystore = ctx.env.ADMIN_KEYSTORE;
  if (keystore) {
    const password = ctx.env.ADMIN_KEYSTORE_PASSWORD;
    if (password === undefined) throw new UsageError("missing_option", "ADMIN_KEYSTORE_PASSWORD is required with ADMIN_KEYSTORE");
    try {
      return (Wallet.fromEncryptedJsonSync(await readFile(keystore, "utf8"), password) as Wallet).connect(chain.provider);
    } catch (error) {
      throw new RefusedError("admin_keystore_unreadable", `cannot open the keystore ${keystore}: ${(error as Error).message}`);
    }
  }
  const key = ctx.env.ADMIN_PRIVATE_KEY;
  if (!key) {
    throw new UsageError("missing_option", "--register-on-chain needs ADMIN_KEYSTORE and ADMIN_KEYSTORE_PASSWORD (or ADMIN_PRIVATE_KEY on the local chain)");
  }
  if (chain.chainId !== LOCAL_CHAIN_ID) {
    throw new RefusedError("raw_key_not_allowed", `ADMIN_PRIVATE_KEY is accepted only on the local chain (${LOCAL_CHAIN_ID}); chain ${chain.chainId} needs ADMIN_KEYSTORE`);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError("invalid_option", "ADMIN_PRIVATE_KEY must be 0x followed by 64 hex digits");
  return new Wallet(key, chain.provider);
}

/** The escrow's custom error by name (ethers decodes only Error(string) and Panic on a send). */
function revertReason(error: unknown): string {
  const e = error as { data?: string; shortMessage?: string; message?: string };
  const decoded = decodeRevert(e.data);
  if (decoded) return `${decoded.name}(${Array.from(decoded.args as ArrayLike<unknown>, String).join(", ")})`;
  return e.shortMessage ?? e.message ?? String(error);
}

// ---------------------------------------------------------------- commands

interface Command {
  words: [string, string];
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** How many positionals it takes. */
  positionals?: number;
  run(ctx: Context): Promise<Output>;
}

const KEY_WARNING = "The secret above is shown once and is NOT stored (only its SHA-256 hash is): copy it now. If it is lost, revoke the key and issue another.";

async function issue(ctx: Context, input: NewApiKey): Promise<Output> {
  return withDatabase(ctx, false, async (db) => {
    const { key, secret } = await issueApiKey(db, input, Date.now());
    return {
      json: { ...keyJson(key), secret },
      text: `Issued API key ${key.id} (scope ${key.scope}${key.merchantId ? `, merchant ${key.merchantId}` : ""}, label ${JSON.stringify(key.label)}).\nSecret: ${secret}`,
      warning: KEY_WARNING,
    };
  });
}

const COMMANDS: Command[] = [
  {
    words: ["merchant", "create"],
    summary: "register a merchant configured on the escrow (optionally configure it on chain first)",
    usage: `merchant create --name <name> --address <0x..> [--register-on-chain --settlement <0x..> --fee-bps <n>
                [--partner <0x..> --partner-share-bps <n>]]

Reads the merchant's fee terms from PaymentEscrow.merchantConfig(address) and registers the merchant in the
relayer's database; prints its id. The merchant must be active on the escrow.

  --name <name>              the merchant's display name
  --address <0x..>           the merchant's on-chain address
  --register-on-chain        call PaymentEscrow.setMerchant first (active), signed by the escrow admin:
                             ADMIN_KEYSTORE + ADMIN_KEYSTORE_PASSWORD, or ADMIN_PRIVATE_KEY on the local chain only
  --settlement <0x..>        where payouts go (with --register-on-chain)
  --fee-bps <n>              the platform fee in basis points (with --register-on-chain)
  --partner <0x..>           a partner sharing the fee (with --register-on-chain; default none)
  --partner-share-bps <n>    the partner's share of the fee in basis points (with --partner; default 0)
${CHAIN_HELP}`,
    options: {
      ...CHAIN_OPTIONS,
      name: { type: "string" },
      address: { type: "string" },
      "register-on-chain": { type: "boolean" },
      settlement: { type: "string" },
      "fee-bps": { type: "string" },
      partner: { type: "string" },
      "partner-share-bps": { type: "string" },
    },
    async run(ctx) {
      const v = ctx.values;
      const merchantName = name(v);
      const merchantAddress = address(required(v, "address"), "--address");
      const onChainFlags = ["settlement", "fee-bps", "partner", "partner-share-bps"].filter((f) => v[f] !== undefined);
      let terms: OnChainMerchant | undefined;
      if (v["register-on-chain"]) {
        const partner = str(v, "partner") === undefined ? ZeroAddress : address(str(v, "partner")!, "--partner");
        if (v["partner-share-bps"] !== undefined && partner === ZeroAddress) {
          throw new UsageError("invalid_option", "--partner-share-bps needs --partner");
        }
        terms = {
          settlementAddress: address(required(v, "settlement"), "--settlement"),
          feeBps: bps(required(v, "fee-bps"), "--fee-bps"),
          partner,
          partnerShareBps: str(v, "partner-share-bps") === undefined ? 0 : bps(str(v, "partner-share-bps")!, "--partner-share-bps"),
          active: true,
        };
      } else if (onChainFlags.length > 0) {
        throw new UsageError("invalid_option", `--${onChainFlags[0]} is only used with --register-on-chain`);
      }

      const chain = await connectChain(ctx);
      try {
        return await withDatabase(ctx, false, async (db) => {
          const escrowAddress = chain.deployment.contracts.PaymentEscrow.address;
          try {
            await ensureChainIdentity(db, {
              chainId: chain.chainId,
              genesisHash: chain.deployment.genesisHash,
              escrow: escrowAddress,
              token: chain.deployment.contracts.SettlementToken.address,
              kycRegistry: chain.deployment.contracts.KycRegistry.address,
            });
          } catch (error) {
            throw new RefusedError("database_other_chain", (error as Error).message);
          }
          const escrow = PaymentEscrow__factory.connect(escrowAddress, chain.provider);
          let transaction: string | undefined;
          if (terms !== undefined) {
            const signer = await adminSigner(ctx, chain);
            if (!(await escrow.hasRole(ZeroHash, signer.address))) {
              throw new RefusedError("signer_not_admin", `${signer.address} is not the escrow's admin (DEFAULT_ADMIN_ROLE): it cannot call setMerchant`);
            }
            try {
              const tx = await escrow.connect(signer).setMerchant(merchantAddress, terms);
              const receipt = await tx.wait(1);
              transaction = receipt?.hash ?? tx.hash;
            } catch (error) {
              throw new RefusedError("transaction_failed", `setMerchant(${merchantAddress}) failed: ${revertReason(error)}`);
            }
          }
          const config = await escrow.merchantConfig(merchantAddress);
          const onChain: OnChainMerchant = {
            settlementAddress: config.settlementAddress,
            feeBps: Number(config.feeBps),
            partner: config.partner,
            partnerShareBps: Number(config.partnerShareBps),
            active: config.active,
          };
          const merchant = await registerMerchant(db, { name: merchantName, address: merchantAddress }, onChain, Date.now());
          return {
            json: { ...merchantJson(merchant), ...(transaction ? { set_merchant_transaction: transaction } : {}) },
            text: `${transaction ? `setMerchant confirmed in ${transaction}\n` : ""}Registered merchant ${merchant.id}\n  ${merchantText(merchant)}`,
          };
        });
      } finally {
        chain.provider.destroy();
      }
    },
  },
  {
    words: ["merchant", "list"],
    summary: "list the registered merchants, newest first",
    usage: "merchant list",
    options: {},
    async run(ctx) {
      return withDatabase(ctx, true, async (db) => {
        const all = await listMerchants(db);
        return {
          json: { object: "list", data: all.map(merchantJson) },
          text: all.length === 0 ? "No merchants." : all.map(merchantText).join("\n"),
        };
      });
    },
  },
  {
    words: ["merchant", "enable-receivables"],
    summary: "enable receivables for a merchant, or open a receivables-only account",
    usage: `merchant enable-receivables <mer_id>
merchant enable-receivables --name <name> --address <0x..>

Enables receivables (issue, accept, split, transfer, finance, repay through /v1/receivables and
/v1/financing_offers) for a registered merchant, by id; or, by address, for the account of that address,
created receivables-only (no payment intents) if there is none: a supplier, a debtor or a financier.
Issue it a key with key issue --scope merchant. Its on-chain actions still need KYC on the registry.

  --name <name>     the new account's display name (with --address)
  --address <0x..>  the party's on-chain address (the wallet that signs its receivable actions)`,
    options: { name: { type: "string" }, address: { type: "string" } },
    positionals: 1,
    async run(ctx) {
      const v = ctx.values;
      const id = ctx.positionals[0];
      if (id !== undefined && (v.name !== undefined || v.address !== undefined)) {
        throw new UsageError("invalid_arguments", "give either a merchant id or --name and --address, not both");
      }
      if (id === undefined && v.name === undefined && v.address === undefined) {
        throw new UsageError("missing_argument", "the account is required: merchant enable-receivables <mer_id>, or --name <name> --address <0x..>");
      }
      if (id !== undefined && !/^mer_[0-9a-f]{24}$/.test(id)) {
        throw new UsageError("invalid_argument", `the merchant id must look like mer_ followed by 24 hex digits, got ${JSON.stringify(id)}`);
      }
      const target = id !== undefined ? { merchantId: id } : { address: address(required(v, "address"), "--address"), name: name(v) };
      return withDatabase(ctx, true, async (db) => {
        const { merchant, created } = await grantReceivables(db, target, Date.now());
        return {
          json: { ...merchantJson(merchant), created },
          text: `${created ? "Created receivables account" : "Enabled receivables for"} ${merchant.id}\n  ${merchantText(merchant)}`,
        };
      });
    },
  },
  {
    words: ["key", "issue"],
    summary: "issue an API key; prints its secret once",
    usage: `key issue --scope merchant --merchant <mer_id> [--label <text>]
key issue --scope compliance|auditor|admin [--label <text>]

Prints the new key's secret once: it is not stored (only its hash), so copy it then.

  --scope <scope>      ${SCOPES.join(", ")}
  --merchant <mer_id>  the merchant a merchant-scope key acts for
  --label <text>       a note to recognise the key by (default empty)`,
    options: { scope: { type: "string" }, merchant: { type: "string" }, label: { type: "string" } },
    async run(ctx) {
      const v = ctx.values;
      const scope = required(v, "scope");
      if (!(SCOPES as readonly string[]).includes(scope)) {
        throw new UsageError("invalid_option", `--scope must be one of ${SCOPES.join(", ")}, got ${JSON.stringify(scope)}`);
      }
      const label = str(v, "label") ?? "";
      if (label.length > 200) throw new UsageError("invalid_option", "--label must be at most 200 characters");
      if (scope === "merchant") return issue(ctx, { scope, merchantId: required(v, "merchant", "--merchant (with --scope merchant)"), label });
      if (v.merchant !== undefined) throw new UsageError("invalid_option", `--merchant is only used with --scope merchant, not ${scope}`);
      return issue(ctx, { scope: scope as Exclude<Scope, "merchant">, label });
    },
  },
  {
    words: ["key", "revoke"],
    summary: "revoke an API key at once",
    usage: "key revoke <key_id>",
    options: {},
    positionals: 1,
    async run(ctx) {
      const id = ctx.positionals[0];
      if (id === undefined) throw new UsageError("missing_argument", "the key id is required: key revoke <key_id>");
      return withDatabase(ctx, true, async (db) => {
        const key = await revokeApiKey(db, id, Date.now());
        return { json: keyJson(key), text: `Revoked API key ${key.id} (scope ${key.scope}, label ${JSON.stringify(key.label)}).` };
      });
    },
  },
  {
    words: ["key", "list"],
    summary: "list API keys (never their secrets)",
    usage: `key list [--merchant <mer_id>]

  --merchant <mer_id>  only the keys of this merchant`,
    options: { merchant: { type: "string" } },
    async run(ctx) {
      const merchantId = str(ctx.values, "merchant");
      return withDatabase(ctx, true, async (db) => {
        const keys = await listApiKeys(db, merchantId === undefined ? {} : { merchantId });
        return {
          json: { object: "list", data: keys.map(keyJson) },
          text: keys.length === 0 ? "No API keys." : keys.map(keyText).join("\n"),
        };
      });
    },
  },
  {
    words: ["officer", "register"],
    summary: "issue a compliance-scope key for a compliance officer",
    usage: `officer register --name <name>

Same as key issue --scope compliance --label <name>.

  --name <name>  the officer's name (the key's label)`,
    options: { name: { type: "string" } },
    run: (ctx) => issue(ctx, { scope: "compliance", label: name(ctx.values) }),
  },
  {
    words: ["auditor", "register"],
    summary: "issue an auditor-scope key for an auditor",
    usage: `auditor register --name <name>

Same as key issue --scope auditor --label <name>.

  --name <name>  the auditor's name (the key's label)`,
    options: { name: { type: "string" } },
    run: (ctx) => issue(ctx, { scope: "auditor", label: name(ctx.values) }),
  },
];

/** The command column of the help: as wide as the longest command. */
const WIDTH = Math.max(...COMMANDS.map((c) => c.words.join(" ").length)) + 1;

const GENERAL_HELP = `Usage: npm run admin -- <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.words.join(" ").padEnd(WIDTH)} ${c.summary}`).join("\n")}

Options of every command:
${COMMON_HELP}

Run a command with --help for its options. Exit codes: 0 done, 1 refused, 2 usage error.`;

const commandHelp = (command: Command) =>
  `Usage: npm run admin -- ${command.usage}\n\nOptions of every command:\n${COMMON_HELP}`;

// ---------------------------------------------------------------- main

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<Output | string> {
  const [group, action] = argv;
  if (group === undefined || group === "--help" || group === "-h" || group === "help") {
    if (group === undefined) throw new UsageError("missing_command", `a command is required\n\n${GENERAL_HELP}`);
    return GENERAL_HELP;
  }
  const inGroup = COMMANDS.filter((c) => c.words[0] === group);
  if (inGroup.length === 0) throw new UsageError("unknown_command", `unknown command ${JSON.stringify(group)}\n\n${GENERAL_HELP}`);
  const groupHelp = `Usage: npm run admin -- ${group} <${inGroup.map((c) => c.words[1]).join("|")}> [options]\n\n${inGroup
    .map((c) => `  ${c.words.join(" ").padEnd(WIDTH)} ${c.summary}`)
    .join("\n")}`;
  if (action === "--help" || action === "-h") return groupHelp;
  const command = inGroup.find((c) => c.words[1] === action);
  if (command === undefined) {
    throw new UsageError(
      action === undefined ? "missing_command" : "unknown_command",
      `${action === undefined ? "a subcommand is required" : `unknown command ${JSON.stringify(`${group} ${action}`)}`}\n\n${groupHelp}`,
    );
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv.slice(2),
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: (command.positionals ?? 0) > 0,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw new UsageError("invalid_arguments", `${(error as Error).message}\n\n${commandHelp(command)}`);
  }
  if (parsed.values.help) return commandHelp(command);
  if (parsed.positionals.length > (command.positionals ?? 0)) {
    throw new UsageError("invalid_arguments", `unexpected argument ${JSON.stringify(parsed.positionals.at(-1))}\n\n${commandHelp(command)}`);
  }
  return command.run({ values: parsed.values, positionals: parsed.positionals, env });
}

const args = process.argv.slice(2);
const json = args.includes("--json");
try {
  const result = await main(args, process.env);
  if (typeof result === "string") {
    console.log(result);
  } else {
    console.log(json ? JSON.stringify(result.json, null, 2) : result.text);
    if (result.warning) console.error(`WARNING: ${result.warning}`);
  }
  process.exitCode = 0;
} catch (error) {
  const known = error instanceof UsageError || error instanceof RefusedError || error instanceof AdminError;
  const code = known ? error.code : "internal_error";
  const message = error instanceof Error ? error.message : String(error);
  if (json) console.error(JSON.stringify({ error: { code, message: message.split("\n\n")[0] } }));
  else console.error(`error: ${message}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}

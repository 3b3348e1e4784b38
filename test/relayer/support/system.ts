// A whole system for relayer integration tests: a real `hardhat node`, the contracts deployed through the same
// Ignition path as `npm start`, a relayer on a real SQLite file and real HTTP, a demo merchant with an API key.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { HDNodeWallet, JsonRpcProvider } from "ethers";

import { enableReceivables, issueApiKey, registerMerchant } from "../../../relayer/application/admin.js";
import { loadConfig, type RelayerConfig } from "../../../relayer/config.js";
import type { Logger } from "../../../relayer/http/logging.js";
import { startRelayer, type RunningRelayer } from "../../../relayer/main.js";
import { onPostgres, testDatabaseLocation } from "./database.js";
import { deployAndSeed, freePort, startLocalChain, type DemoCredentials, type LocalChain } from "../../../scripts/lib/local-chain.js";
import { PaymentEscrow__factory } from "../../../typechain-types/index.js";

const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const devWallet = (index: number) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
/** The deployment's receivables operator (the registry's OPERATOR role only): the receivables lane's key. */
export const RECEIVABLES_SIGNER_INDEX = 15;

export type ApiCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>;

/** An account of the relayer (merchant-like) with its own API key and on-chain wallet. */
export interface TestAccount {
  id: string;
  key: string;
  wallet: HDNodeWallet;
  address: string;
  /** Calls the relayer's API with this account's key. */
  api: ApiCall;
}

export interface TestSystem {
  dir: string;
  chain: LocalChain;
  credentials: DemoCredentials;
  provider: JsonRpcProvider;
  relayer: RunningRelayer;
  config: RelayerConfig;
  merchantKey: string;
  merchantId: string;
  buyer: HDNodeWallet;
  /** Calls the relayer's API; `key` defaults to the merchant's. */
  api: ApiCall;
  /** The ReceivableRegistry's address, when the deployment has one. */
  receivableRegistry: string | undefined;
  /** Registers `wallet` as an account enabled for receivables (an existing merchant gains the capability) with a key. */
  receivablesAccount(name: string, wallet: HDNodeWallet): Promise<TestAccount>;
  /** Moves the chain's clock forward by `seconds` and mines a block (evm_increaseTime + evm_mine). */
  advanceTime(seconds: number): Promise<void>;
  /** The latest block's timestamp. */
  chainTime(): Promise<number>;
  restartRelayer(overrides?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/** `options.logger` receives the relayer's logs (default: a logger at LOG_LEVEL on stdout). */
export async function startSystem(env: Record<string, string> = {}, options: { logger?: Logger } = {}): Promise<TestSystem> {
  const dir = mkdtempSync(path.join(tmpdir(), "relayer-it-"));
  const chain = await startLocalChain(await freePort());
  try {
    const credentials = await deployAndSeed(chain.rpcUrl, {
      deploymentsDir: path.join(dir, "deployments"),
      credentialsFile: path.join(dir, "demo-credentials.json"),
      quiet: true,
    });
    const receivableRegistry = (credentials.contracts as Record<string, string>).ReceivableRegistry;
    const baseEnv = {
      RPC_URL: chain.rpcUrl,
      DEPLOYMENT_FILE: credentials.deploymentFile,
      DATABASE_PATH: path.join(dir, "relayer.db"),
      // The suite's PostgreSQL pass: a fresh database on the test server instead of the file.
      ...(onPostgres ? { DATABASE_URL: await testDatabaseLocation("system") } : {}),
      SIGNER_PRIVATE_KEY: devWallet(1).privateKey, // the deployment's operator (account 1)
      COMPLIANCE_SIGNER_PRIVATE_KEY: devWallet(2).privateKey, // the deployment's compliance officer (account 2)
      ARBITER_SIGNER_PRIVATE_KEY: devWallet(3).privateKey, // the deployment's arbiter (account 3)
      ...(receivableRegistry ? { RECEIVABLES_SIGNER_PRIVATE_KEY: devWallet(RECEIVABLES_SIGNER_INDEX).privateKey } : {}),
      PORT: "0",
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", // TEST_LOG_LEVEL=error shows what went wrong
      POLL_INTERVAL_MS: "25",
      WEBHOOK_MASTER_KEY: randomBytes(32).toString("hex"),
      WEBHOOK_POLL_INTERVAL_MS: "50",
      ...env,
    };
    let config = loadConfig(baseEnv);
    let relayer = await startRelayer(config, options);
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { cacheTimeout: -1 });
    const onChain = await PaymentEscrow__factory.connect(credentials.contracts.PaymentEscrow, provider).merchantConfig(credentials.merchant.address);
    const merchant = await registerMerchant(
      relayer.db,
      { name: "Demo merchant", address: credentials.merchant.address },
      { settlementAddress: onChain.settlementAddress, feeBps: Number(onChain.feeBps), partner: onChain.partner, partnerShareBps: Number(onChain.partnerShareBps), active: onChain.active },
      Date.now(),
    );
    const { secret } = await issueApiKey(relayer.db, { scope: "merchant", merchantId: merchant.id, label: "tests" }, Date.now());
    const call = (key: string): ApiCall => async (method, apiPath, body, headers = {}) => {
      const response = await fetch(relayer.url + apiPath, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body: parsed, headers: response.headers };
    };
    const system: TestSystem = {
      dir,
      chain,
      credentials,
      provider,
      get relayer() {
        return relayer;
      },
      get config() {
        return config;
      },
      merchantKey: secret,
      merchantId: merchant.id,
      buyer: HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/10"),
      api: call(secret),
      receivableRegistry,
      async receivablesAccount(name, wallet) {
        const account = await enableReceivables(relayer.db, { name, address: wallet.address }, Date.now());
        const { secret: key } = await issueApiKey(relayer.db, { scope: "merchant", merchantId: account.id, label: `tests: ${name}` }, Date.now());
        return { id: account.id, key, wallet, address: account.address, api: call(key) };
      },
      async advanceTime(seconds) {
        await provider.send("evm_increaseTime", [seconds]);
        await provider.send("evm_mine", []);
      },
      async chainTime() {
        return (await provider.getBlock("latest"))!.timestamp;
      },
      async restartRelayer(overrides = {}) {
        await relayer.stop();
        config = loadConfig({ ...baseEnv, ...overrides });
        relayer = await startRelayer(config, options);
      },
      async stop() {
        await relayer.stop().catch(() => undefined);
        provider.destroy();
        await chain.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return system;
  } catch (error) {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Polls `probe` until it answers something (not undefined or false), or fails after the timeout naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls an intent until `done` says so (or the timeout passes). */
export async function waitForIntent(system: TestSystem, id: string, done: (intent: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await system.api("GET", `/v1/payment_intents/${id}`)).body;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`intent ${id} did not reach the expected state; last seen: ${JSON.stringify(last)}`);
}

/** The buyer signs the typed data an intent returned. */
export async function signAuthorization(wallet: HDNodeWallet, intent: any): Promise<string> {
  const { domain, types, message } = intent.authorization.typed_data;
  return wallet.signTypedData(domain, types, message);
}

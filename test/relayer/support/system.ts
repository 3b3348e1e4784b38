// A whole system for relayer integration tests: a real `hardhat node`, the contracts deployed through the same
// Ignition path as `npm start`, a relayer on a real SQLite file and real HTTP, a demo merchant with an API key.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { HDNodeWallet, JsonRpcProvider } from "ethers";

import { issueApiKey, registerMerchant } from "../../../relayer/application/admin.js";
import { loadConfig, type RelayerConfig } from "../../../relayer/config.js";
import type { Logger } from "../../../relayer/http/logging.js";
import { startRelayer, type RunningRelayer } from "../../../relayer/main.js";
import { deployAndSeed, freePort, startLocalChain, type DemoCredentials, type LocalChain } from "../../../scripts/lib/local-chain.js";
import { PaymentEscrow__factory } from "../../../typechain-types/index.js";

const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const devWallet = (index: number) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);

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
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
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
    const baseEnv = {
      RPC_URL: chain.rpcUrl,
      DEPLOYMENT_FILE: credentials.deploymentFile,
      DATABASE_PATH: path.join(dir, "relayer.db"),
      SIGNER_PRIVATE_KEY: devWallet(1).privateKey, // the deployment's operator (account 1)
      COMPLIANCE_SIGNER_PRIVATE_KEY: devWallet(2).privateKey, // the deployment's compliance officer (account 2)
      ARBITER_SIGNER_PRIVATE_KEY: devWallet(3).privateKey, // the deployment's arbiter (account 3)
      PORT: "0",
      LOG_LEVEL: "silent",
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
      async api(method, apiPath, body, headers = {}) {
        const response = await fetch(relayer.url + apiPath, {
          method,
          headers: {
            authorization: `Bearer ${secret}`,
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

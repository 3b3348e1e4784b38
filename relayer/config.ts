// The relayer's settings, from the environment, validated once at start: a bad setting stops the start with a
// message that names it.
import { z } from "zod";

import { parseMasterKey, WebhookSecretError } from "./webhooks/secrets.js";

const LOCAL_CHAIN_ID = 31337;

const schema = z
  .object({
    RPC_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8545"),
    DEPLOYMENT_FILE: z.string().min(1),
    DATABASE_PATH: z.string().min(1).default("data/relayer.db"),
    /** PostgreSQL instead of the SQLite file: several relayer instances may share it. */
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }).optional(),
    /** Connections each instance keeps to PostgreSQL. */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
    /** This instance's name in the leases (default: INSTANCE_HOST, process id and a random suffix). */
    INSTANCE_ID: z.string().min(1).max(200).optional(),
    /** The machine's name in instance names (default: the host name). Instances that share it and a process
     *  table take a dead one's leases at once; give containers that share a host name distinct ones. */
    INSTANCE_HOST: z.string().regex(/^[^:\s]{1,100}$/, "must be 1 to 100 characters, without ':' or spaces").optional(),
    /** How long a lease on a signer key or on following the chain lasts without renewal. */
    LEASE_TTL_MS: z.coerce.number().int().min(1_000).max(300_000).default(10_000),
    /** How often an instance renews its leases and tries to take free ones: a dead holder's key is taken over
     *  within LEASE_TTL_MS + LEASE_RENEW_MS (13 s by default). */
    LEASE_RENEW_MS: z.coerce.number().int().min(100).max(100_000).default(3_000),
    /** JSON keystores (encrypted) for the operator keys, comma-separated, with their password. Several keys are
     *  several lanes of escrow transactions, each in its own nonce order. */
    SIGNER_KEYSTORE: z.string().min(1).optional(),
    SIGNER_KEYSTORE_PASSWORD: z.string().optional(),
    /** Raw private keys, comma-separated: accepted only on the local development chain. */
    SIGNER_PRIVATE_KEY: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}(,0x[0-9a-fA-F]{64})*$/, "must be 0x followed by 64 hex digits (several separated by commas)")
      .optional(),
    /** The compliance officer's key for KYC changes (optional: without it the KYC endpoints answer 503). */
    COMPLIANCE_SIGNER_KEYSTORE: z.string().min(1).optional(),
    COMPLIANCE_SIGNER_KEYSTORE_PASSWORD: z.string().optional(),
    COMPLIANCE_SIGNER_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits").optional(),
    /** The arbiter's key, to resolve disputes (optional: without it resolution answers 503). */
    ARBITER_SIGNER_KEYSTORE: z.string().min(1).optional(),
    ARBITER_SIGNER_KEYSTORE_PASSWORD: z.string().optional(),
    ARBITER_SIGNER_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits").optional(),
    /** The key holding only the receivable registry's OPERATOR role (optional: without it receivable actions answer 503). */
    RECEIVABLES_SIGNER_KEYSTORE: z.string().min(1).optional(),
    RECEIVABLES_SIGNER_KEYSTORE_PASSWORD: z.string().optional(),
    RECEIVABLES_SIGNER_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits").optional(),
    CONFIRMATIONS: z.coerce.number().int().min(1).max(1_000).default(1),
    HOST: z.string().default("127.0.0.1"),
    PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
    /** Osaka caps a transaction at 2^24 gas; an authorization costs ~100k in a batch, so 150 keeps a margin. */
    BATCH_SIZE: z.coerce.number().int().min(1).max(150).default(100),
    REPRICE_AFTER_MS: z.coerce.number().int().min(1_000).default(30_000),
    /** Worker threads that recover buyers' signatures off the event loop (0: in it). Default: the cores but one, 1 to 4. */
    SIGNATURE_WORKERS: z.coerce.number().int().min(0).max(32).optional(),
    RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(100),
    RATE_LIMIT_BURST: z.coerce.number().int().positive().default(200),
    /** How often every merchant's available balance is paid out in one batch; 0 turns the run off. */
    SETTLEMENT_RUN_INTERVAL_MS: z.coerce.number().int().min(0).default(86_400_000),
    /** 32 bytes (64 hex characters or base64) that webhook signing secrets are encrypted under at rest. */
    WEBHOOK_MASTER_KEY: z
      .string({ error: "required: 32 random bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`); webhook secrets are encrypted under it" })
      .transform((value, ctx) => {
        try {
          return parseMasterKey(value);
        } catch (error) {
          if (!(error instanceof WebhookSecretError)) throw error;
          ctx.issues.push({ code: "custom", input: "(redacted)", message: "must be 32 bytes, given as 64 hex characters or base64" });
          return z.NEVER;
        }
      }),
    /** Per webhook request; a receiver slower than this counts as a failed attempt. */
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** How often the webhook dispatcher looks for due deliveries. */
    WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  })
  .check((ctx) => {
    const v = ctx.value;
    if (!v.SIGNER_KEYSTORE && !v.SIGNER_PRIVATE_KEY) {
      ctx.issues.push({ code: "custom", path: ["SIGNER_KEYSTORE"], input: v, message: "set SIGNER_KEYSTORE (and SIGNER_KEYSTORE_PASSWORD), or SIGNER_PRIVATE_KEY on a local chain" });
    }
    if (v.ARBITER_SIGNER_KEYSTORE && v.ARBITER_SIGNER_KEYSTORE_PASSWORD === undefined) {
      ctx.issues.push({ code: "custom", path: ["ARBITER_SIGNER_KEYSTORE_PASSWORD"], input: v, message: "required with ARBITER_SIGNER_KEYSTORE" });
    }
    if (v.COMPLIANCE_SIGNER_KEYSTORE && v.COMPLIANCE_SIGNER_KEYSTORE_PASSWORD === undefined) {
      ctx.issues.push({ code: "custom", path: ["COMPLIANCE_SIGNER_KEYSTORE_PASSWORD"], input: v, message: "required with COMPLIANCE_SIGNER_KEYSTORE" });
    }
    if (v.RECEIVABLES_SIGNER_KEYSTORE && v.RECEIVABLES_SIGNER_KEYSTORE_PASSWORD === undefined) {
      ctx.issues.push({ code: "custom", path: ["RECEIVABLES_SIGNER_KEYSTORE_PASSWORD"], input: v, message: "required with RECEIVABLES_SIGNER_KEYSTORE" });
    }
    if (v.LEASE_RENEW_MS * 2 > v.LEASE_TTL_MS) {
      ctx.issues.push({ code: "custom", path: ["LEASE_RENEW_MS"], input: v, message: "must be at most half of LEASE_TTL_MS, so a live holder renews before its lease runs out" });
    }
    if (v.SIGNER_KEYSTORE && v.SIGNER_KEYSTORE_PASSWORD === undefined) {
      ctx.issues.push({ code: "custom", path: ["SIGNER_KEYSTORE_PASSWORD"], input: v, message: "required with SIGNER_KEYSTORE" });
    }
  });

export type RelayerConfig = z.output<typeof schema>;

export class ConfigError extends Error {}

/** Parses `env`; throws ConfigError naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined>): RelayerConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(config)"}: ${issue.message}`);
    throw new ConfigError(`Invalid relayer configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** A raw key is for the local development chain only; elsewhere the key comes from an encrypted keystore. */
export function assertKeyAllowed(config: RelayerConfig, chainId: number): void {
  if (config.ARBITER_SIGNER_PRIVATE_KEY && !config.ARBITER_SIGNER_KEYSTORE && chainId !== LOCAL_CHAIN_ID) {
    throw new ConfigError(`ARBITER_SIGNER_PRIVATE_KEY is accepted only on the local chain (${LOCAL_CHAIN_ID}); use ARBITER_SIGNER_KEYSTORE`);
  }
  if (config.RECEIVABLES_SIGNER_PRIVATE_KEY && !config.RECEIVABLES_SIGNER_KEYSTORE && chainId !== LOCAL_CHAIN_ID) {
    throw new ConfigError(`RECEIVABLES_SIGNER_PRIVATE_KEY is accepted only on the local chain (${LOCAL_CHAIN_ID}); use RECEIVABLES_SIGNER_KEYSTORE`);
  }
  if (config.COMPLIANCE_SIGNER_PRIVATE_KEY && !config.COMPLIANCE_SIGNER_KEYSTORE && chainId !== LOCAL_CHAIN_ID) {
    throw new ConfigError(`COMPLIANCE_SIGNER_PRIVATE_KEY is accepted only on the local chain (${LOCAL_CHAIN_ID}); use COMPLIANCE_SIGNER_KEYSTORE`);
  }
  if (config.SIGNER_PRIVATE_KEY && !config.SIGNER_KEYSTORE && chainId !== LOCAL_CHAIN_ID) {
    throw new ConfigError(
      `SIGNER_PRIVATE_KEY is accepted only on the local chain (${LOCAL_CHAIN_ID}); chain ${chainId} needs SIGNER_KEYSTORE and SIGNER_KEYSTORE_PASSWORD`,
    );
  }
}

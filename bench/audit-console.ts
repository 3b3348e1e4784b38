// The console API's payments list at 100,000 payments: GET /v1/audit/payments filtered (by merchant, status, token,
// buyer) and paginated (following cursors deep into the list), one request at a time over real HTTP against the
// relayer's express app on a real SQLite file. The payments are seeded directly through the repositories
// (`seeded: "direct"`: what is measured is the read path, not how the rows got there). Merges its keys into
// reports/audit.json (the rebuild benchmark writes the others).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { getAddress, hexlify } from "ethers";
import pino from "pino";

import { issueApiKey } from "../relayer/application/admin.js";
import { PaymentsService } from "../relayer/application/payments.js";
import { inlineSignatureRecovery } from "../relayer/chain/signatures.js";
import { PayoutsService } from "../relayer/application/payouts.js";
import type { ChainReader } from "../relayer/application/ports.js";
import { PaymentStatus } from "../relayer/chain/typed-data.js";
import { newId } from "../relayer/domain/ids.js";
import type { PaymentIntent } from "../relayer/domain/payment-intent.js";
import { createApp } from "../relayer/http/app.js";
import { mapInOrder, SqliteDatabase, type Database } from "../relayer/persistence/database.js";
import { intents } from "../relayer/persistence/intents.js";
import { merchants, type Merchant } from "../relayer/persistence/merchants.js";
import { latencySummary, round } from "./lib/stats.js";

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 100_000);
const MERCHANTS = 20;
const BUYERS = 5_000;
const TOKENS = [getAddress(hexlify(randomBytes(20))), getAddress(hexlify(randomBytes(20)))];
const OUT = process.env.BENCH_REPORT ?? "reports/audit.json";

const address = () => getAddress(hexlify(randomBytes(20)));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** Where a seeded payment ends up on chain, with its share of the population. */
const OUTCOMES: { share: number; status: PaymentStatus; amounts: (a: bigint) => PaymentIntent["amounts"] }[] = [
  { share: 0.4, status: PaymentStatus.Released, amounts: (a) => ({ capturable: 0n, held: 0n, released: a, refunded: 0n, refundedAfterRelease: 0n }) },
  { share: 0.2, status: PaymentStatus.Captured, amounts: (a) => ({ capturable: 0n, held: a, released: 0n, refunded: 0n, refundedAfterRelease: 0n }) },
  { share: 0.15, status: PaymentStatus.Authorized, amounts: (a) => ({ capturable: a, held: 0n, released: 0n, refunded: 0n, refundedAfterRelease: 0n }) },
  { share: 0.1, status: PaymentStatus.Refunded, amounts: (a) => ({ capturable: 0n, held: 0n, released: 0n, refunded: a, refundedAfterRelease: 0n }) },
  { share: 0.08, status: PaymentStatus.Voided, amounts: () => ({ capturable: 0n, held: 0n, released: 0n, refunded: 0n, refundedAfterRelease: 0n }) },
  { share: 0.04, status: PaymentStatus.Disputed, amounts: (a) => ({ capturable: 0n, held: a, released: 0n, refunded: 0n, refundedAfterRelease: 0n }) },
  { share: 0.03, status: PaymentStatus.None, amounts: () => ({ capturable: 0n, held: 0n, released: 0n, refunded: 0n, refundedAfterRelease: 0n }) },
];

function outcome(): (typeof OUTCOMES)[number] {
  let r = Math.random();
  for (const o of OUTCOMES) {
    if ((r -= o.share) < 0) return o;
  }
  return OUTCOMES[0]!;
}

async function seed(db: Database): Promise<{ merchants: Merchant[]; buyers: string[] }> {
  const created = await db.transaction((sql) =>
    mapInOrder(Array.from({ length: MERCHANTS }, (_, i) => i), (i) =>
      merchants.create(sql, { name: `Merchant ${i}`, address: address(), settlementAddress: address(), feeBps: 250, partner: address(), partnerShareBps: 2_000 }, Date.now()),
    ),
  );
  const buyers = Array.from({ length: BUYERS }, address);
  const started = Date.now() - PAYMENTS * 1_000;
  const batch = 5_000;
  for (let done = 0; done < PAYMENTS; done += batch) {
    await db.transaction(async (sql) => {
      for (let i = done; i < Math.min(PAYMENTS, done + batch); i++) {
        const merchant = pick(created);
        const amount = BigInt(1_000_000 + Math.floor(Math.random() * 500_000_000));
        const o = outcome();
        const createdAt = started + i * 1_000;
        const intent: PaymentIntent = {
          id: newId("pi"),
          merchantId: merchant.id,
          paymentId: hexlify(randomBytes(32)),
          orderRef: `order-${i}`,
          terms: {
            merchant: merchant.address, buyer: pick(buyers), token: pick(TOKENS), amount,
            preApprovalExpiry: 2_000_000_000n, authorizationExpiry: 2_000_000_000n, refundExpiry: 2_100_000_000n, confirmationWindow: 86_400n,
            kycTier: 1, feeBps: 250, partner: merchant.partner, partnerShareBps: 2_000, orderRef: hexlify(randomBytes(32)),
          },
          captureMethod: "automatic",
          metadata: {},
          chainStatus: PaymentStatus.None,
          amounts: { capturable: 0n, held: 0n, released: 0n, refunded: 0n, refundedAfterRelease: 0n },
          heldSince: 0,
          pendingOperations: [],
          createdAt,
          updatedAt: createdAt,
        };
        await intents.insert(sql, intent);
        if (o.status !== PaymentStatus.None) {
          await intents.updateFromChain(sql, intent.id, { chainStatus: o.status, ...o.amounts(amount), heldSince: 0 }, null, createdAt);
        }
      }
    });
  }
  return { merchants: created, buyers };
}

const unused = () => Promise.reject(new Error("the benchmark reads the database only"));
const reader: ChainReader = { paymentStates: unused, kycCheck: unused, escrowBalance: unused };

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-audit-console-"));
  const db = new SqliteDatabase({ path: path.join(dir, "relayer.db"), synchronous: "NORMAL" });
  let server: Server | undefined;
  try {
    const seedStart = performance.now();
    const population = await seed(db);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.error(`seeded ${PAYMENTS} payments in ${seedSeconds.toFixed(1)} s`);
    const { secret } = await issueApiKey(db, { scope: "auditor", label: "bench" }, Date.now());

    const chain = { chainId: 31337n, escrow: address(), token: { address: TOKENS[0]!, name: "Bench", decimals: 6 } };
    const app = createApp({
      db,
      logger: pino({ level: "silent" }),
      payments: new PaymentsService(chain, reader, inlineSignatureRecovery),
      chain,
      reader,
      payoutsService: new PayoutsService(chain),
      head: () => 0,
      now: () => Date.now(),
      webhookMasterKey: randomBytes(32),
      rateLimit: { ratePerSecond: 1_000_000, burst: 1_000_000 },
      health: {
        database: async () => ({ ok: true }),
        rpc: async () => ({ ok: true }),
        signerBalance: async () => ({ ok: true }),
        metrics: async () => ({ contentType: "text/plain", body: "" }),
      },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    const port = (server.address() as { port: number }).port;
    const base = `http://127.0.0.1:${port}/v1/audit/payments`;

    const timings = new Map<string, number[]>();
    const get = async (label: string, query: string, record: boolean): Promise<{ data: { payment_id: string }[]; has_more: boolean }> => {
      const started = performance.now();
      const response = await fetch(`${base}?${query}`, { headers: { authorization: `Bearer ${secret}` } });
      const body = (await response.json()) as { data: { payment_id: string }[]; has_more: boolean };
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`${query}: ${response.status} ${JSON.stringify(body)}`);
      if (record) timings.set(label, [...(timings.get(label) ?? []), ms]);
      return body;
    };
    /** Follows the cursor `pages` pages into the list. */
    const walk = async (label: string, filter: string, pages: number, record = true): Promise<number> => {
      let after = "";
      let rows = 0;
      for (let i = 0; i < pages; i++) {
        const page = await get(label, `limit=100${filter}${after}`, record);
        rows += page.data.length;
        if (!page.has_more) break;
        after = `&starting_after=${page.data.at(-1)!.payment_id}`;
      }
      return rows;
    };

    await walk("warm-up", "", 30, false);
    const deep = await walk("unfiltered", "", 300); // 30,000 payments deep
    for (const m of population.merchants.slice(0, 10)) await walk("merchant", `&merchant=${m.address}`, 25);
    for (const status of ["released", "captured", "requires_capture", "refunded", "canceled", "disputed", "requires_authorization", "failed"]) {
      await walk(`status=${status}`, `&status=${status}`, 15);
    }
    for (const token of TOKENS) await walk("token", `&token=${token}`, 50);
    for (const buyer of population.buyers.slice(0, 20)) await walk("buyer", `&buyer=${buyer}`, 3);
    await walk("merchant+status", `&merchant=${population.merchants[0]!.address}&status=released`, 20);

    const all = [...timings.values()].flat();
    const overall = latencySummary(all);
    const byFilter = Object.fromEntries([...timings].map(([label, values]) => [label, latencySummary(values)]));
    const results = {
      payments_list_p95_ms: overall.p95,
      payments_list_p50_ms: overall.p50,
      payments: PAYMENTS,
      requests: all.length,
      seeded: "direct",
      payments_list: {
        what: "GET /v1/audit/payments?limit=100, one request at a time over HTTP (express app, SQLite file, WAL), filters and cursors as in `by_filter`",
        unfiltered_rows_walked: deep,
        seed_seconds: round(seedSeconds, 1),
        by_filter: byFilter,
        target_p95_ms: 100,
        machine: "2 cores, shared with other jobs",
      },
    };
    mkdirSync(path.dirname(OUT), { recursive: true });
    const existing = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>) : {};
    writeFileSync(OUT, JSON.stringify({ ...existing, ...results }, null, 2) + "\n");
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await db.close();
    if (process.env.BENCH_KEEP_DB) console.error(`kept ${path.join(dir, "relayer.db")}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();

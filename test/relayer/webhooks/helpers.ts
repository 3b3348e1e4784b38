// Shared set-up for the webhook tests: a real database file, merchants and events written directly, and a real
// HTTP receiver that verifies every request with the `standardwebhooks` package, as a merchant would.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mock } from "node:test";

import { Webhook } from "standardwebhooks";

import type { Database } from "../../../relayer/persistence/database.js";
import { webhooks, type WebhookEvent } from "../../../relayer/persistence/webhooks.js";
import { newId } from "../../../relayer/domain/ids.js";
import { openTestDatabase } from "../support/database.js";

export const MASTER_KEY = randomBytes(32);

export async function insertMerchant(db: Database, now = Date.now()): Promise<string> {
  const id = newId("mer");
  const address = `0x${randomBytes(20).toString("hex")}`;
  await db.transaction((sql) =>
    sql.run(
      `INSERT INTO merchants (id, name, address, settlement_address, fee_bps, partner, partner_share_bps, created_at)
       VALUES (?, 'Test shop', ?, ?, 250, ?, 2000, ?)`,
      id,
      address,
      address,
      address,
      now,
    ),
  );
  return id;
}

/** Writes an event row and enqueues its deliveries in the same transaction, as the use cases do. */
export async function emitEvent(
  db: Database,
  merchantId: string,
  type: string,
  createdAt = Date.now(),
  data: unknown = { object: "payment_intent", id: "pi_1", amount: "1000000" },
): Promise<{ event: WebhookEvent; deliveryIds: string[] }> {
  const event: WebhookEvent = { id: newId("evt"), merchantId, type, objectId: "pi_1", data: JSON.stringify(data), createdAt };
  const deliveryIds = await db.transaction(async (sql) => {
    await sql.run(
      "INSERT INTO events (id, merchant_id, type, object_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      event.id,
      event.merchantId,
      event.type,
      event.objectId,
      event.data,
      event.createdAt,
    );
    return await webhooks.enqueueForEvent(sql, event);
  });
  return { event, deliveryIds };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** What `new Webhook(secret).verify(body, headers)` returned, or the error it threw. */
  verified: unknown;
  verifyError: Error | undefined;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A merchant's endpoint. `status(n)` answers the n-th request (from 1). `secret()` is read per request (it is
 * known only once the endpoint exists). With `now`, verification runs as if the receiver's clock read `now()`
 * (the package checks the timestamp against Date.now), so tests can move time along the retry schedule.
 */
export async function startReceiver(options: {
  secret: () => string;
  status?: (n: number) => number;
  now?: () => number;
  delayMs?: number;
}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
      let verified: unknown;
      let verifyError: Error | undefined;
      if (options.now) mock.timers.enable({ apis: ["Date"], now: options.now() });
      try {
        verified = new Webhook(options.secret()).verify(body, headers);
      } catch (error) {
        verifyError = error as Error;
      } finally {
        if (options.now) mock.timers.reset();
      }
      requests.push({ headers: req.headers, body, verified, verifyError });
      const reply = () => res.writeHead(options.status?.(requests.length) ?? 200).end("ok");
      if (options.delayMs) setTimeout(reply, options.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface EndpointSetup {
  db: Database;
  merchantId: string;
  endpointId: string;
  secret: string;
  receiver: Receiver;
  close(): Promise<void>;
}

/** A database, a merchant, a receiver and an active endpoint pointing at it. */
export async function setupEndpoint(
  options: { enabledEvents?: string[]; status?: (n: number) => number; now?: () => number; delayMs?: number } = {},
): Promise<EndpointSetup> {
  const db = await openTestDatabase("webhooks");
  const merchantId = await insertMerchant(db);
  let secret = "";
  const receiver = await startReceiver({ secret: () => secret, status: options.status, now: options.now, delayMs: options.delayMs });
  const created = await db.transaction((sql) =>
    webhooks.createEndpoint(sql, { merchantId, url: receiver.url, enabledEvents: options.enabledEvents ?? ["*"] }, MASTER_KEY, options.now?.() ?? Date.now()),
  );
  secret = created.secret;
  let closed: Promise<void> | undefined;
  const setup: EndpointSetup = {
    db,
    merchantId,
    endpointId: created.endpoint.id,
    secret,
    receiver,
    close: () =>
      (closed ??= receiver.close().then(async () => {
        await db.close();
        open.delete(setup);
      })),
  };
  open.add(setup);
  return setup;
}

const open = new Set<EndpointSetup>();

/** Closes what a failed test left open (so the run ends); for `after`. */
export async function cleanUp(): Promise<void> {
  await Promise.all([...open].map((s) => s.close()));
}

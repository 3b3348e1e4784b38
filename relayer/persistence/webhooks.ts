// Webhook endpoints, deliveries and the attempt log: the rows the dispatcher drives.
//
// A delivery is created in the same transaction that writes its event (enqueueForEvent), so an event is never
// committed without the messages that announce it, and a rolled-back event never goes out.
import { invalid } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { decryptSecret, encryptSecret, generateSecret } from "../webhooks/secrets.js";
import type { Sql } from "./database.js";

export type EndpointStatus = "active" | "disabled";
export type DeliveryStatus = "pending" | "succeeded" | "failed";

/** Subscribes to every event type. */
export const ALL_EVENTS = "*";

export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  url: string;
  description: string;
  enabledEvents: string[];
  status: EndpointStatus;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookDelivery {
  /** Also the `webhook-id` header: the same on every attempt, so receivers can deduplicate. */
  id: string;
  endpointId: string;
  eventId: string;
  status: DeliveryStatus;
  /** Every attempt ever made. */
  attempts: number;
  /** Attempts in the current retry schedule; a manual redelivery restarts it. */
  cycleAttempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
}

export interface WebhookAttempt {
  deliveryId: string;
  attemptedAt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** The event columns a delivery needs (a row of `events`). */
export interface WebhookEvent {
  id: string;
  merchantId: string | null;
  type: string;
  objectId: string;
  data: string;
  createdAt: number;
}

/** A delivery that is due, with what it takes to send it. */
export interface DueDelivery {
  delivery: WebhookDelivery;
  endpoint: { id: string; url: string; secretCiphertext: string };
  event: WebhookEvent;
}

export interface NewEndpoint {
  merchantId: string;
  url: string;
  enabledEvents: string[];
  description?: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/** What an attempt leaves the delivery as: done, failed for good, or pending again at `nextAttemptAt`. */
export type AttemptResult = { status: "succeeded" } | { status: "failed" } | { status: "pending"; nextAttemptAt: number };

interface EndpointRecord {
  id: string;
  merchant_id: string;
  url: string;
  description: string;
  secret_ciphertext: string;
  enabled_events: string;
  status: EndpointStatus;
  created_at: number;
  updated_at: number;
}

const toEndpoint = (r: EndpointRecord): WebhookEndpoint => ({
  id: r.id,
  merchantId: r.merchant_id,
  url: r.url,
  description: r.description,
  enabledEvents: JSON.parse(r.enabled_events) as string[],
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const DELIVERY_COLUMNS = `d.id, d.endpoint_id AS endpointId, d.event_id AS eventId, d.status, d.attempts,
  d.cycle_attempts AS cycleAttempts, d.next_attempt_at AS nextAttemptAt, d.last_attempt_at AS lastAttemptAt,
  d.last_status_code AS lastStatusCode, d.last_error AS lastError, d.created_at AS createdAt`;

const EVENT_COLUMNS = `e.id, e.merchant_id AS merchantId, e.type, e.object_id AS objectId, e.data, e.created_at AS createdAt`;

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid("url_invalid", "The webhook URL must be an absolute http(s) URL.", "url");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw invalid("url_invalid", "The webhook URL must use https or http.", "url");
  }
  if (parsed.username || parsed.password) throw invalid("url_invalid", "The webhook URL must not carry credentials.", "url");
  return parsed.toString();
}

function checkEvents(events: string[]): string[] {
  if (events.length === 0) throw invalid("enabled_events_empty", "Subscribe to at least one event type, or '*'.", "enabled_events");
  for (const type of events) {
    if (type !== ALL_EVENTS && !/^[a-z_]+(\.[a-z_]+)+$/.test(type)) {
      throw invalid("enabled_events_invalid", `'${type}' is not an event type.`, "enabled_events");
    }
  }
  return [...new Set(events)];
}

export const webhooks = {
  /** Creates an active endpoint with a fresh secret; the plaintext secret is returned this once and never again. */
  async createEndpoint(sql: Sql, input: NewEndpoint, masterKey: Uint8Array, now: number): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const id = newId("we");
    const secret = generateSecret();
    await sql.run(
      `INSERT INTO webhook_endpoints (id, merchant_id, url, description, secret_ciphertext, enabled_events, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)`,
      id,
      input.merchantId,
      checkUrl(input.url),
      input.description ?? "",
      encryptSecret(secret, masterKey, id),
      JSON.stringify(checkEvents(input.enabledEvents)),
      now,
      now,
    );
    return { endpoint: (await this.getEndpoint(sql, id))!, secret };
  },

  /** The endpoint, or undefined; with `merchantId`, only if it is that merchant's. */
  async getEndpoint(sql: Sql, id: string, merchantId?: string): Promise<WebhookEndpoint | undefined> {
    const r = await sql.get<EndpointRecord>("SELECT * FROM webhook_endpoints WHERE id = ?", id);
    return r && (merchantId === undefined || r.merchant_id === merchantId) ? toEndpoint(r) : undefined;
  },

  async listEndpoints(sql: Sql, merchantId: string): Promise<WebhookEndpoint[]> {
    return (await sql.all<EndpointRecord>("SELECT * FROM webhook_endpoints WHERE merchant_id = ? ORDER BY created_at DESC, id DESC", merchantId))
      .map(toEndpoint);
  },

  /** The endpoint's plaintext signing secret (for signing, or for showing it to its merchant again). */
  async endpointSecret(sql: Sql, id: string, masterKey: Uint8Array): Promise<string | undefined> {
    const r = await sql.get<{ secret_ciphertext: string }>("SELECT secret_ciphertext FROM webhook_endpoints WHERE id = ?", id);
    return r && decryptSecret(r.secret_ciphertext, masterKey, id);
  },

  /** Stops deliveries to the endpoint; its pending ones wait and go out if it is enabled again. */
  async disableEndpoint(sql: Sql, id: string, now: number): Promise<boolean> {
    return (await sql.run("UPDATE webhook_endpoints SET status = 'disabled', updated_at = ? WHERE id = ?", now, id)).changes === 1;
  },

  async enableEndpoint(sql: Sql, id: string, now: number): Promise<boolean> {
    return (await sql.run("UPDATE webhook_endpoints SET status = 'active', updated_at = ? WHERE id = ?", now, id)).changes === 1;
  },

  /** Deletes the endpoint with its deliveries and their attempt log. */
  async deleteEndpoint(sql: Sql, id: string): Promise<boolean> {
    return (await sql.run("DELETE FROM webhook_endpoints WHERE id = ?", id)).changes === 1;
  },

  /**
   * Creates a pending delivery, due at the event's time, for every active endpoint of the event's merchant that
   * is subscribed to its type. Call it inside the transaction that inserts the event row. Idempotent per
   * (endpoint, event). Returns the new delivery ids.
   */
  async enqueueForEvent(sql: Sql, event: Pick<WebhookEvent, "id" | "merchantId" | "type" | "createdAt">): Promise<string[]> {
    if (event.merchantId === null) return [];
    const endpoints = await sql.all<{ id: string }>(
      `SELECT w.id FROM webhook_endpoints w
        WHERE w.merchant_id = ? AND w.status = 'active'
          AND EXISTS (SELECT 1 FROM json_each(w.enabled_events) j WHERE j.value IN (?, ?))
        ORDER BY w.id`,
      event.merchantId,
      ALL_EVENTS,
      event.type,
    );
    const created: string[] = [];
    for (const endpoint of endpoints) {
      const id = newId("msg");
      const { changes } = await sql.run(
        `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, next_attempt_at, created_at)
         VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
        id,
        endpoint.id,
        event.id,
        event.createdAt,
        event.createdAt,
      );
      if (changes === 1) created.push(id);
    }
    return created;
  },

  /** Pending deliveries due at `now` to active endpoints, oldest due first. */
  async dueDeliveries(sql: Sql, now: number, limit: number): Promise<DueDelivery[]> {
    const rows = await sql.all<WebhookDelivery & { url: string; secretCiphertext: string; event: string }>(
      `SELECT ${DELIVERY_COLUMNS}, w.url, w.secret_ciphertext AS secretCiphertext,
              json_object('id', e.id, 'merchantId', e.merchant_id, 'type', e.type, 'objectId', e.object_id,
                          'data', e.data, 'createdAt', e.created_at) AS event
         FROM webhook_deliveries d
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         JOIN events e ON e.id = d.event_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.status = 'active'
        ORDER BY d.next_attempt_at, d.id
        LIMIT ?`,
      now,
      limit,
    );
    return rows.map(({ url, secretCiphertext, event, ...delivery }) => ({
      delivery,
      endpoint: { id: delivery.endpointId, url, secretCiphertext },
      event: JSON.parse(event) as WebhookEvent,
    }));
  },

  /**
   * Takes the due deliveries for sending: each is pushed to `leaseUntil`, so another dispatcher (or a tick
   * after a crash) leaves it alone until then. Run it in a transaction.
   */
  async claimDue(sql: Sql, now: number, limit: number, leaseUntil: number): Promise<DueDelivery[]> {
    const due = await this.dueDeliveries(sql, now, limit);
    for (const { delivery } of due) {
      await sql.run("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?", leaseUntil, delivery.id);
    }
    return due;
  },

  /** Logs one attempt and moves the delivery to `result`; false if the delivery is gone (its endpoint was deleted). */
  async recordAttempt(sql: Sql, attempt: WebhookAttempt, result: AttemptResult): Promise<boolean> {
    const { changes } = await sql.run(
      `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, cycle_attempts = cycle_attempts + 1,
         next_attempt_at = ?, last_attempt_at = ?, last_status_code = ?, last_error = ? WHERE id = ?`,
      result.status,
      result.status === "pending" ? result.nextAttemptAt : null,
      attempt.attemptedAt,
      attempt.statusCode,
      attempt.error,
      attempt.deliveryId,
    );
    if (changes !== 1) return false;
    await sql.run(
      "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
      attempt.deliveryId,
      attempt.attemptedAt,
      attempt.statusCode,
      attempt.error,
      Math.round(attempt.durationMs),
    );
    return true;
  },

  async getDelivery(sql: Sql, id: string): Promise<WebhookDelivery | undefined> {
    return await sql.get<WebhookDelivery>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = ?`, id);
  },

  /** The endpoint's deliveries, newest first, `limit` at a time; `startingAfter` is the last id of the previous page. */
  async listDeliveries(sql: Sql, endpointId: string, cursor: { startingAfter?: string; limit?: number } = {}): Promise<Page<WebhookDelivery>> {
    const limit = Math.min(Math.max(cursor.limit ?? 20, 1), 100);
    const after = cursor.startingAfter;
    const rows = await sql.all<WebhookDelivery>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
        WHERE d.endpoint_id = ?
          ${after === undefined ? "" : "AND (d.created_at, d.id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = ? AND endpoint_id = d.endpoint_id)"}
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT ?`,
      ...(after === undefined ? [endpointId, limit + 1] : [endpointId, after, limit + 1]),
    );
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  },

  /** The attempt log of a delivery, oldest first. */
  async listAttempts(sql: Sql, deliveryId: string): Promise<WebhookAttempt[]> {
    return await sql.all<WebhookAttempt>(
      `SELECT delivery_id AS deliveryId, attempted_at AS attemptedAt, status_code AS statusCode, error, duration_ms AS durationMs
         FROM webhook_attempts WHERE delivery_id = ? ORDER BY id`,
      deliveryId,
    );
  },

  /**
   * Manual redelivery: the message goes out again now, with the same webhook-id, whatever its status, and a
   * failure starts a fresh retry schedule. Returns the delivery, or undefined if there is none.
   */
  async redeliver(sql: Sql, deliveryId: string, now: number): Promise<WebhookDelivery | undefined> {
    await sql.run(
      "UPDATE webhook_deliveries SET status = 'pending', cycle_attempts = 0, next_attempt_at = ? WHERE id = ?",
      now,
      deliveryId,
    );
    return await this.getDelivery(sql, deliveryId);
  },
};

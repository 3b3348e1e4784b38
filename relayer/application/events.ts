// The one way an event is recorded: the events row (and, with it, anything that follows every event).
import { newId } from "../domain/ids.js";
import type { Sql } from "../persistence/database.js";
import { events } from "../persistence/intents.js";
import { webhooks } from "../persistence/webhooks.js";

/**
 * Writes an event row and, in the same (caller's) transaction, the webhook deliveries that announce it: an event
 * is never committed without its messages, and a rolled-back one never goes out.
 */
export async function recordEvent(
  sql: Sql,
  event: { merchantId: string | null; type: string; objectId: string; data: Record<string, unknown> },
  now: number,
): Promise<void> {
  const row = { id: newId("evt"), type: event.type, objectId: event.objectId, merchantId: event.merchantId, data: event.data, createdAt: now };
  await events.insert(sql, row);
  await webhooks.enqueueForEvent(sql, row);
}

// The one way an event is recorded: the events row (and, with it, anything that follows every event).
import { newId } from "../domain/ids.js";
import type { Sql } from "../persistence/database.js";
import { events } from "../persistence/intents.js";

export function recordEvent(
  sql: Sql,
  event: { merchantId: string; type: string; objectId: string; data: Record<string, unknown> },
  now: number,
): void {
  events.insert(sql, { id: newId("evt"), type: event.type, objectId: event.objectId, merchantId: event.merchantId, data: event.data, createdAt: now });
}

// Standard Webhooks signatures (https://www.standardwebhooks.com), as the `standardwebhooks` package verifies them:
// HMAC-SHA256 keyed with the base64-decoded secret (after its `whsec_` prefix) over `${id}.${timestamp}.${body}`,
// sent as `v1,<base64>`; the timestamp is Unix seconds.
import { createHmac } from "node:crypto";

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

const SECRET_PREFIX = "whsec_";

/** The HMAC key a `whsec_...` secret stands for. */
export function secretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
  if (key.length === 0) throw new Error("webhook secret is empty");
  return key;
}

/** Signs `body` (the exact bytes that will be sent) for message `msgId` at `timestamp` (Unix seconds). */
export function sign(secret: string, msgId: string, timestamp: number, body: string): WebhookHeaders {
  if (!Number.isSafeInteger(timestamp)) throw new Error("webhook timestamp must be whole Unix seconds");
  if (msgId.includes(".")) throw new Error("webhook-id must not contain '.'");
  const signature = createHmac("sha256", secretKey(secret)).update(`${msgId}.${timestamp}.${body}`, "utf8").digest("base64");
  return { "webhook-id": msgId, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` };
}

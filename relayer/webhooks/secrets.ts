// Webhook signing secrets: generated in the form the standardwebhooks package expects, stored encrypted.
//
// At rest a secret is AES-256-GCM ciphertext under the master key (WEBHOOK_MASTER_KEY). The endpoint id is
// bound in as associated data, so a ciphertext copied onto another endpoint's row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const SECRET_PREFIX = "whsec_";
const FORMAT = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A fresh signing secret: `whsec_` + base64 of 32 random bytes. */
export const generateSecret = (): string => SECRET_PREFIX + randomBytes(32).toString("base64");

/** Raised when a master key is malformed or a ciphertext does not open under it. */
export class WebhookSecretError extends Error {
  override readonly name = "WebhookSecretError";
}

/**
 * Reads the 32-byte master key from configuration: 64 hex characters (optionally 0x-prefixed) or base64.
 * Anything else is refused rather than stretched or truncated.
 */
export function parseMasterKey(value: string): Buffer {
  const text = value.trim();
  const hex = text.startsWith("0x") ? text.slice(2) : text;
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return Buffer.from(hex, "hex");
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const key = Buffer.from(text, "base64"); // Node reads the standard and the URL-safe alphabet alike
    if (key.length === 32) return key;
  }
  throw new WebhookSecretError("WEBHOOK_MASTER_KEY must be 32 bytes, given as 64 hex characters or base64");
}

function requireKey(masterKey: Uint8Array): void {
  if (masterKey.length !== 32) throw new WebhookSecretError(`webhook master key must be 32 bytes, got ${masterKey.length}`);
}

/** Encrypts `secret` for storage: `v1.<base64 iv>.<base64 tag>.<base64 ciphertext>`. */
export function encryptSecret(secret: string, masterKey: Uint8Array, context = ""): string {
  requireKey(masterKey);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return [FORMAT, iv.toString("base64"), cipher.getAuthTag().toString("base64"), ciphertext.toString("base64")].join(".");
}

/** Opens a stored secret; a wrong master key, another endpoint's context or a tampered value all throw. */
export function decryptSecret(stored: string, masterKey: Uint8Array, context = ""): string {
  requireKey(masterKey);
  const [format, iv, tag, ciphertext, ...rest] = stored.split(".");
  if (format !== FORMAT || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
    throw new WebhookSecretError("stored webhook secret is not in a known format");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", masterKey, Buffer.from(iv, "base64"), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new WebhookSecretError(
      "webhook secret could not be decrypted: the master key (WEBHOOK_MASTER_KEY) is not the one it was encrypted with, or the stored value is corrupted",
    );
  }
}

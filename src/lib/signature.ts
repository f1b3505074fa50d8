/**
 * Standard Webhooks v1 signatures (https://www.standardwebhooks.com/): the signed content is
 * `${id}.${timestamp}.${body}`, the signature `v1,<base64 HMAC-SHA256>`, and secrets look like
 * `whsec_<base64>` (the key is the base64-decoded part). Used for webhooks and the gateway channel.
 */
import { fromBase64, hmacSha256, timingSafeEqual, toBase64 } from "./crypto";

function secretBytes(secret: string): Uint8Array {
  return secret.startsWith("whsec_") ? fromBase64(secret.slice("whsec_".length)) : new TextEncoder().encode(secret);
}

export async function signPayload(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const mac = await hmacSha256(secretBytes(secret), `${id}.${timestamp}.${body}`);
  return `v1,${toBase64(mac)}`;
}

/**
 * The three Standard Webhooks v1 headers for one message (https://www.standardwebhooks.com/, "Signature scheme"):
 * `webhook-id` stays the same on every retry of a webhook so receivers can deduplicate, `webhook-timestamp` is the
 * attempt's time, and `webhook-signature` carries one `v1,<sig>` per active secret, space-separated, so a receiver
 * holding either secret verifies during a rotation.
 */
export async function signedHeaders(secrets: string[], messageId: string, body: string, nowMs = Date.now()): Promise<Record<string, string>> {
  const timestamp = Math.floor(nowMs / 1000);
  const signatures = await Promise.all(secrets.map((secret) => signPayload(secret, messageId, timestamp, body)));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}

/** Checks a message's Standard Webhooks headers (read through `header`) against `secret`. */
export function verifySignedHeaders(secret: string, header: (name: string) => string | null | undefined, body: string): Promise<boolean> {
  return verifyPayload(
    secret,
    { id: header("webhook-id") ?? null, timestamp: header("webhook-timestamp") ?? null, signature: header("webhook-signature") ?? null },
    body,
  );
}

/** Verifies any of the space-separated signatures, within `toleranceSeconds` of now. */
export async function verifyPayload(
  secret: string,
  headers: { id: string | null; timestamp: string | null; signature: string | null },
  body: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<boolean> {
  if (!headers.id || !headers.timestamp || !headers.signature) return false;
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = await signPayload(secret, headers.id, timestamp, body);
  let ok = false;
  for (const candidate of headers.signature.split(" ")) {
    if (timingSafeEqual(candidate, expected)) ok = true;
  }
  return ok;
}

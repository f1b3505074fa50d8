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

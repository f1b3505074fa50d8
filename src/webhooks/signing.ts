/**
 * The three Standard Webhooks v1 headers for one attempt (https://www.standardwebhooks.com/,
 * "Signature scheme"): `webhook-id` stays the same on every retry so receivers can deduplicate,
 * `webhook-timestamp` is the attempt's time, and `webhook-signature` carries one `v1,<sig>` per
 * active secret, space-separated, so a receiver holding either secret verifies during a rotation.
 */
import { signPayload } from "../lib/signature";

export async function signedHeaders(secrets: string[], messageId: string, body: string, nowMs = Date.now()): Promise<Record<string, string>> {
  const timestamp = Math.floor(nowMs / 1000);
  const signatures = await Promise.all(secrets.map((secret) => signPayload(secret, messageId, timestamp, body)));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}

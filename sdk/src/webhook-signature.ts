/**
 * Standard Webhooks v1 (https://www.standardwebhooks.com/, "Signature scheme"), with WebCrypto only so it runs in
 * Node, Workers, Deno and browsers: the signed content is `${webhook-id}.${webhook-timestamp}.${body}`, each
 * signature `v1,<base64 HMAC-SHA256>`, several space-separated while a secret rotates, and secrets `whsec_<base64>`.
 */
import { WebhookVerificationError } from "./errors.js";
import type { FaxEvent } from "./types.js";

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

/** Five minutes either way, as the Standard Webhooks reference libraries allow. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function secretKey(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith("whsec_")) return encoder.encode(secret) as Uint8Array<ArrayBuffer>;
  try {
    return base64ToBytes(secret.slice("whsec_".length));
  } catch {
    throw new WebhookVerificationError("The secret is not `whsec_` followed by base64.");
  }
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

async function hmac(secret: string, content: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", secretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(content)));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** `v1,<signature>` for one message. */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  return `v1,${bytesToBase64(await hmac(secret, `${id}.${timestamp}.${body}`))}`;
}

/** The three headers for a message signed now with `secret` (what `edgefax webhooks listen --forward` sends). */
export async function signedWebhookHeaders(secret: string, id: string, body: string, nowMs = Date.now()): Promise<Record<string, string>> {
  const timestamp = Math.floor(nowMs / 1000);
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": await signWebhook(secret, id, timestamp, body) };
}

/**
 * The event, once its signature is checked against `secret` and its timestamp is within five minutes of now;
 * a WebhookVerificationError otherwise. Pass the body exactly as received (the string or its bytes), not re-serialized JSON.
 */
export async function verifyWebhook(body: string | Uint8Array | ArrayBuffer, headers: HeaderSource, secret: string, options: { nowMs?: number; toleranceSeconds?: number } = {}): Promise<FaxEvent> {
  const text = typeof body === "string" ? body : new TextDecoder().decode(body);
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature.");
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError("webhook-timestamp is not a Unix time in seconds.");
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? TIMESTAMP_TOLERANCE_SECONDS;
  if (now - seconds > tolerance) throw new WebhookVerificationError("The message is too old (webhook-timestamp more than five minutes ago).");
  if (seconds - now > tolerance) throw new WebhookVerificationError("The message is from the future (webhook-timestamp more than five minutes ahead).");
  const expected = await hmac(secret, `${id}.${timestamp}.${text}`);
  let matched = false;
  for (const candidate of signatures.split(" ")) {
    const [version, signature] = candidate.split(",", 2);
    if (version !== "v1" || !signature) continue;
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(signature);
    } catch {
      continue;
    }
    if (constantTimeEqual(bytes, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError("No signature matches: wrong secret, or the body was changed.");
  try {
    return JSON.parse(text) as FaxEvent;
  } catch {
    throw new WebhookVerificationError("The signed body is not JSON.");
  }
}

/** WebCrypto helpers shared by auth, signed URLs, idempotency and webhooks. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEX_DIGITS = encoder.encode("0123456789abcdef");

/**
 * Lowercase hex. The digits are written as ASCII into one buffer and decoded once: it runs on every
 * authenticated request (the key's hash), where a string per byte was most of auth's garbage.
 */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const out = new Uint8Array(view.length * 2);
  for (let i = 0; i < view.length; i++) {
    out[2 * i] = HEX_DIGITS[view[i]! >> 4]!;
    out[2 * i + 1] = HEX_DIGITS[view[i]! & 15]!;
  }
  return decoder.decode(out);
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return fromBase64(padded);
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

export async function hmacSha256(secret: string | Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  const keyBytes = typeof secret === "string" ? encoder.encode(secret) : secret;
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const msg = typeof message === "string" ? encoder.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, msg));
}

/**
 * Constant-time comparison: the time taken depends only on the lengths, never on where the inputs
 * differ, so secrets and signatures cannot be guessed byte by byte.
 */
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === "string" ? encoder.encode(a) : a;
  const y = typeof b === "string" ? encoder.encode(b) : b;
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i % (x.length || 1)] ?? 0) ^ (y[i % (y.length || 1)] ?? 0);
  return diff === 0;
}

/** A random secret with a recognisable prefix, such as fx_test_… or whsec_…. */
export function randomToken(prefix: string, bytes = 24): string {
  return prefix + toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

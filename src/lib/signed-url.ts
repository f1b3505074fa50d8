/**
 * Time-limited signed URLs for R2 objects: `/files/{key}?expires={unix}&signature={hex HMAC-SHA256}`
 * over "key\nexpires" with SIGNING_SECRET. Verification is constant-time; an expired link says so
 * (410) rather than looking forged (403).
 */
import { hmacSha256, timingSafeEqual, toHex } from "./crypto";

export async function signObjectUrl(origin: string, secret: string, key: string, ttlSeconds: number, nowMs = Date.now()) {
  if (!secret) throw new Error("SIGNING_SECRET is not set: run `wrangler secret put SIGNING_SECRET` (npm start writes one to .dev.vars)");
  const expires = Math.floor(nowMs / 1000) + ttlSeconds;
  const signature = toHex(await hmacSha256(secret, `${key}\n${expires}`));
  const path = key.split("/").map(encodeURIComponent).join("/");
  return { url: `${origin}/files/${path}?expires=${expires}&signature=${signature}`, expiresAt: new Date(expires * 1000).toISOString() };
}

export type SignedUrlCheck = { ok: true } | { ok: false; reason: "invalid" | "expired" };

export async function verifyObjectUrl(
  secret: string,
  key: string,
  expires: string | undefined,
  signature: string | undefined,
  nowMs = Date.now(),
): Promise<SignedUrlCheck> {
  if (!secret || !expires || !signature || !/^\d{1,12}$/.test(expires)) return { ok: false, reason: "invalid" };
  const expected = toHex(await hmacSha256(secret, `${key}\n${expires}`));
  // The signature is checked before the expiry, so a forged link never learns whether it "expired".
  if (!timingSafeEqual(signature.toLowerCase(), expected)) return { ok: false, reason: "invalid" };
  if (Number(expires) * 1000 < nowMs) return { ok: false, reason: "expired" };
  return { ok: true };
}

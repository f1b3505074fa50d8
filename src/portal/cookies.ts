/**
 * The portal's cookies. The session cookie is `__Host-` prefixed (RFC 6265bis §4.1.3.2: Secure, Path=/,
 * no Domain, so no subdomain can set or read it), HttpOnly and SameSite=Lax. Secure is sent on https and
 * on loopback hosts, which browsers treat as secure contexts (a `__Host-` cookie without Secure is refused).
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";

export const SESSION_COOKIE = "__Host-edgefax_session";
/** A random value for forms shown before sign-in (double-submit CSRF, src/portal/csrf.ts). */
export const PRE_SESSION_COOKIE = "__Host-edgefax_form";
/** Set by the page script; not a secret, only how times are shown. */
export const TIME_ZONE_COOKIE = "edgefax_tz";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function secureContext(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "https:" || LOOPBACK.has(u.hostname);
}

export function cookieHeader(url: string, name: string, value: string, maxAgeSeconds: number | null): string {
  const parts = [`${name}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (secureContext(url)) parts.push("Secure");
  if (maxAgeSeconds !== null) parts.push(`Max-Age=${maxAgeSeconds}`);
  return parts.join("; ");
}

export function setPortalCookie(c: Context, name: string, value: string, maxAgeSeconds: number | null = null): void {
  c.header("set-cookie", cookieHeader(c.req.url, name, value, maxAgeSeconds), { append: true });
}

export function clearPortalCookie(c: Context, name: string): void {
  setPortalCookie(c, name, "", 0);
}

export function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name);
}

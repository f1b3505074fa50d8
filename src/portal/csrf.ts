/**
 * CSRF protection on every portal form (OWASP CSRF Prevention Cheat Sheet): each POST must come from
 * this origin (Origin, else Fetch Metadata's Sec-Fetch-Site) AND carry a token bound to the session.
 * Before sign-in there is no session, so those forms use a double-submit token bound to a random
 * `__Host-` cookie instead. Tokens are HMACs under SIGNING_SECRET, compared in constant time.
 */
import type { Context } from "hono";
import { hmacSha256, randomToken, timingSafeEqual, toBase64Url } from "../lib/crypto";
import type { PortalEnv } from "./context";
import { PRE_SESSION_COOKIE, readCookie, setPortalCookie } from "./cookies";

export const CSRF_FIELD = "_csrf";

async function mac(env: Env, purpose: string, value: string): Promise<string> {
  return toBase64Url(await hmacSha256(env.SIGNING_SECRET, `${purpose}:${value}`));
}

export function sessionCsrfToken(env: Env, sessionHash: string): Promise<string> {
  return mac(env, "portal-csrf", sessionHash);
}

/** The token for a form shown before sign-in; sets the cookie it is bound to when there is none yet. */
export async function preSessionCsrfToken(c: Context<PortalEnv>): Promise<string> {
  let value = readCookie(c, PRE_SESSION_COOKIE);
  if (!value || !/^[A-Za-z0-9_-]{20,64}$/.test(value)) {
    value = randomToken("", 24);
    setPortalCookie(c, PRE_SESSION_COOKIE, value);
  }
  return mac(c.env, "portal-form", value);
}

/** Whether the request was sent by a page of this origin (a cross-site form post is not). */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin === new URL(c.req.url).origin;
  // No Origin (an older client): Fetch Metadata, when sent, must not say another site.
  const site = c.req.header("sec-fetch-site");
  return site === undefined || site === "same-origin" || site === "none";
}

/** The form's token, checked against the session's (when signed in) or the pre-session cookie's. */
export async function validCsrfToken(c: Context<PortalEnv>, submitted: unknown, sessionHash: string | null): Promise<boolean> {
  if (typeof submitted !== "string" || submitted === "") return false;
  let expected: string;
  if (sessionHash) expected = await sessionCsrfToken(c.env, sessionHash);
  else {
    const cookie = readCookie(c, PRE_SESSION_COOKIE);
    if (!cookie) return false;
    expected = await mac(c.env, "portal-form", cookie);
  }
  return timingSafeEqual(submitted, expected);
}

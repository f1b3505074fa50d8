/**
 * Sessions (issue 19 point 2): the cookie holds a random token, D1 holds its SHA-256 with the member,
 * so revoking a row signs that browser out on its next request. A session ends after IDLE_TIMEOUT_MS
 * without a request, or ABSOLUTE_TIMEOUT_MS after sign-in, whichever comes first.
 */
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { database } from "../db/client";
import { findSession, insertSession, revokeSession, touchSession, type MemberRow } from "../db/portal-store";
import { randomToken, sha256Hex } from "../lib/crypto";
import { clearPortalCookie, readCookie, SESSION_COOKIE, setPortalCookie, TIME_ZONE_COOKIE } from "./cookies";
import { auditAsMember } from "./audit";
import { ipPrefix } from "./client-address";
import { CSRF_FIELD, sameOrigin, sessionCsrfToken, validCsrfToken } from "./csrf";
import type { PortalEnv } from "./context";
import { can, type PortalAction } from "./permissions";
import { refusedPage, forbiddenPage } from "./pages/errors";

export const IDLE_TIMEOUT_MS = 30 * 60_000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 3600_000;
/** last_seen_at is written at most this often, so a busy page costs no write per request. */
const TOUCH_EVERY_MS = 60_000;

type PortalContext = Context<PortalEnv>;

/** Starts a session for the member, sets its cookie and records the sign-in in the audit log. */
export async function startSession(c: Context<PortalEnv>, member: MemberRow): Promise<void> {
  const token = randomToken("", 32);
  const now = Date.now();
  await insertSession(database(c.env.DB), {
    tokenHash: await sha256Hex(token),
    memberId: member.id,
    accountId: member.accountId,
    createdAt: new Date(now).toISOString(),
    lastSeenAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ABSOLUTE_TIMEOUT_MS).toISOString(),
    userAgent: c.req.header("user-agent")?.slice(0, 256) ?? null,
    ipPrefix: ipPrefix(c.req.header("cf-connecting-ip")),
  });
  // No Max-Age: the cookie goes with the browser; the server-side row decides how long it is honoured.
  setPortalCookie(c, SESSION_COOKIE, token);
  auditAsMember(c, { accountId: member.accountId, memberId: member.id }, "portal.sign_in", { type: "portal_member", id: member.id });
}

export async function endSession(c: PortalContext): Promise<void> {
  await revokeSession(database(c.env.DB), c.get("member").sessionHash, new Date().toISOString());
  clearPortalCookie(c, SESSION_COOKIE);
}

function validZone(zone: string | undefined): string {
  if (!zone || zone.length > 64) return "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
}

/** Every portal request: the viewer's time zone. */
export const viewerZone = createMiddleware<PortalEnv>(async (c, next) => {
  c.set("timeZone", validZone(readCookie(c, TIME_ZONE_COOKIE)));
  await next();
});

/**
 * Pages behind sign-in: the member from a live session, else to the sign-in page (a form post without
 * a session gets the refusal page). Every POST must pass the CSRF checks.
 */
export const requireMember = createMiddleware<PortalEnv>(async (c, next) => {
  const token = readCookie(c, SESSION_COOKIE);
  const db = database(c.env.DB);
  const now = Date.now();
  const nowIso = new Date(now).toISOString();
  const sessionHash = token && /^[A-Za-z0-9_-]{40,64}$/.test(token) ? await sha256Hex(token) : null;
  const found = sessionHash ? await findSession(db, sessionHash, nowIso) : undefined;
  const idle = found ? now - Date.parse(found.session.lastSeenAt) > IDLE_TIMEOUT_MS : false;
  if (!found || idle) {
    if (found && idle) await revokeSession(db, found.session.tokenHash, nowIso);
    if (token) clearPortalCookie(c, SESSION_COOKIE);
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return refusedPage(c, "Your session has ended. Sign in again, then repeat what you were doing.", 401);
    return c.redirect(found && idle ? "/portal/signin?expired=1" : "/portal/signin", 303);
  }
  const { session, member, accountName } = found;
  c.set("member", { id: member.id, accountId: member.accountId, accountName, email: member.email, role: member.role, sessionHash: session.tokenHash, sessionId: session.id, mode: session.mode });
  c.set("csrf", await sessionCsrfToken(c.env, session.tokenHash));
  if (c.req.method === "POST") {
    const form = await c.req.parseBody();
    if (!sameOrigin(c) || !(await validCsrfToken(c, form[CSRF_FIELD], session.tokenHash))) {
      return refusedPage(c, "This form was not sent from this site's own page, or it is too old. Go back, reload the page and try again.", 403);
    }
  }
  if (now - Date.parse(session.lastSeenAt) > TOUCH_EVERY_MS) await touchSession(db, session.tokenHash, nowIso);
  await next();
});

/** The permission table's answer for this route's action: a 403 page outside the member's role. */
export function allow(action: PortalAction): MiddlewareHandler<PortalEnv> {
  return createMiddleware<PortalEnv>(async (c, next) => {
    if (!can(c.get("member").role, action)) return forbiddenPage(c, action);
    await next();
  });
}

/** Pre-session form posts (sign-up, sign-in, link confirmation): same origin and the double-submit token. */
export const preSessionCsrf = createMiddleware<PortalEnv>(async (c, next) => {
  if (c.req.method === "POST") {
    const form = await c.req.parseBody();
    if (!sameOrigin(c) || !(await validCsrfToken(c, form[CSRF_FIELD], null))) {
      return refusedPage(c, "This form was not sent from this site's own page, or it is too old. Go back, reload the page and try again.", 403);
    }
  }
  await next();
});

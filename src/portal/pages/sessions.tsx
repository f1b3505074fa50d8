/**
 * A member's own sessions (issue 19 point 2): each browser signed in (created, last seen, user agent,
 * address prefix), ending one, all others, or every one; signing out; and the test/live switch, which
 * is a property of the session (what this browser's pages show and create). Every change is audited.
 */
import type { Context, Hono } from "hono";
import { database } from "../../db/client";
import { listLiveSessions, revokeMemberSession, revokeMemberSessions, setSessionMode } from "../../db/portal-store";
import { auditMember } from "../audit";
import type { PortalEnv } from "../context";
import { clearPortalCookie, SESSION_COOKIE } from "../cookies";
import { Empty, Layout, Notice, PostButton, Table, Time } from "../layout";
import { allow, endSession } from "../session";

const MESSAGES: Record<string, string> = {
  revoked: "That session was ended: its browser is signed out.",
  others: "Every other session was ended; this browser stays signed in.",
};

/** A short, readable name for a user agent (the full string is in the title attribute). */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return "unknown browser";
  const browser = /Edg\//.test(userAgent) ? "Edge" : /Firefox\//.test(userAgent) ? "Firefox" : /Chrom(e|ium)\//.test(userAgent) ? "Chrome" : /Safari\//.test(userAgent) ? "Safari" : null;
  const os = /Windows/.test(userAgent) ? "Windows" : /Android/.test(userAgent) ? "Android" : /iPhone|iPad/.test(userAgent) ? "iOS" : /Mac OS X/.test(userAgent) ? "macOS" : /Linux/.test(userAgent) ? "Linux" : null;
  return browser ? `${browser}${os ? ` on ${os}` : ""}` : userAgent.slice(0, 40);
}

async function sessionsPage(c: Context<PortalEnv>) {
  const member = c.get("member");
  const sessions = await listLiveSessions(database(c.env.DB), member.accountId, member.id, new Date().toISOString());
  const zone = c.get("timeZone");
  const csrf = c.get("csrf");
  const message = MESSAGES[c.req.query("done") ?? ""];
  const others = sessions.filter((s) => s.tokenHash !== member.sessionHash);
  return c.html(
    <Layout title="Your sessions" member={member} csrf={csrf} current="/portal/account">
      {message ? <Notice kind="ok">{message}</Notice> : null}
      <p>
        You are signed in as <strong>{member.email}</strong> ({member.role}) in {sessions.length} browser{sessions.length === 1 ? "" : "s"}, this one included. A session ends after 30
        minutes without activity, and 12 hours after sign-in at the latest.
      </p>
      <Table label="Sessions" head={["Browser", "Address", "Signed in", "Last seen", "Data", ""]}>
        {sessions.map((s) => {
          const current = s.tokenHash === member.sessionHash;
          return (
            <tr>
              <td title={s.userAgent ?? undefined}>
                {browserName(s.userAgent)} {current ? <span class="badge">this browser</span> : null}
              </td>
              <td>{s.ipPrefix ?? <span class="hint">unknown</span>}</td>
              <td>
                <Time iso={s.createdAt} zone={zone} />
              </td>
              <td>
                <Time iso={s.lastSeenAt} zone={zone} />
              </td>
              <td>{s.mode}</td>
              <td>
                {!current && s.id ? (
                  <PostButton action={`/portal/account/sessions/${s.id}/revoke`} csrf={csrf} label="End" ariaLabel={`End the session of ${browserName(s.userAgent)} signed in ${s.createdAt}`} />
                ) : null}
              </td>
            </tr>
          );
        })}
      </Table>
      <h2>End sessions</h2>
      {others.length === 0 ? <Empty>No other browser is signed in.</Empty> : null}
      <div class="actions">
        {others.length > 0 ? <PostButton action="/portal/account/sessions/revoke-others" csrf={csrf} label="Sign out all other browsers" /> : null}
        <PostButton action="/portal/account/signout-everywhere" csrf={csrf} label="Sign out everywhere" kind="danger" />
      </div>
    </Layout>,
  );
}

/** Where to go back to after switching: a portal path of this site, never another origin. */
function backTo(c: Context<PortalEnv>): string {
  const referer = c.req.header("referer");
  if (!referer) return "/portal";
  try {
    const url = new URL(referer);
    if (url.origin !== new URL(c.req.url).origin || !url.pathname.startsWith("/portal")) return "/portal";
    // A detail page of one mode's resource means nothing in the other: back to its list.
    const list = /^\/portal\/(faxes|numbers|webhooks|external-users)\/.+/.exec(url.pathname);
    return list ? `/portal/${list[1]}` : url.pathname;
  } catch {
    return "/portal";
  }
}

export function registerSessionPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/account", allow("account.sessions"), sessionsPage);

  portal.post("/portal/account/sessions/revoke-others", allow("account.sessions"), async (c) => {
    const member = c.get("member");
    const ended = await revokeMemberSessions(database(c.env.DB), member.accountId, member.id, new Date().toISOString(), member.sessionHash);
    if (ended > 0) auditMember(c, "portal.revoke_session", { type: "portal_member", id: member.id });
    return c.redirect("/portal/account?done=others", 303);
  });

  portal.post("/portal/account/sessions/:id/revoke", allow("account.sessions"), async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    // Only the member's own sessions, in this account; ending this browser's own is "Sign out".
    if (id === member.sessionId) return c.redirect("/portal/account", 303);
    const ended = await revokeMemberSession(database(c.env.DB), member.accountId, member.id, id, new Date().toISOString());
    if (!ended) return c.redirect("/portal/account", 303);
    auditMember(c, "portal.revoke_session", { type: "portal_member", id: member.id });
    return c.redirect("/portal/account?done=revoked", 303);
  });

  portal.post("/portal/account/signout-everywhere", allow("account.sessions"), async (c) => {
    const member = c.get("member");
    await revokeMemberSessions(database(c.env.DB), member.accountId, member.id, new Date().toISOString());
    clearPortalCookie(c, SESSION_COOKIE);
    auditMember(c, "portal.sign_out", { type: "portal_member", id: member.id });
    return c.redirect("/portal/signin", 303);
  });

  portal.post("/portal/signout", allow("account.sessions"), async (c) => {
    await endSession(c);
    auditMember(c, "portal.sign_out", { type: "portal_member", id: c.get("member").id });
    return c.redirect("/portal/signin", 303);
  });

  portal.post("/portal/mode", allow("dashboard.view"), async (c) => {
    const member = c.get("member");
    const form = await c.req.parseBody();
    const mode = form.mode === "live" ? "live" : "test";
    if (mode !== member.mode) {
      await setSessionMode(database(c.env.DB), member.accountId, member.sessionHash, mode);
      auditMember(c, "portal.switch_mode", { type: "account", id: member.accountId });
    }
    return c.redirect(backTo(c), 303);
  });
}

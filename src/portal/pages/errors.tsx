/** The portal's refusal pages: outside the role (403), a refused form post, nothing here (404). */
import type { Context } from "hono";
import type { PortalEnv } from "../context";
import { Layout } from "../layout";
import { ROLE_DESCRIPTIONS, type PortalAction } from "../permissions";

export function forbiddenPage(c: Context<PortalEnv>, action: PortalAction) {
  const member = c.get("member");
  return c.html(
    <Layout title="Not allowed for your role" member={member} csrf={c.get("csrf")}>
      <p>
        Your role on {member.accountName} is <strong>{member.role}</strong>: {ROLE_DESCRIPTIONS[member.role]} This page or action (
        <code>{action}</code>) is outside it.
      </p>
      <p>Ask an owner or admin of the account to change your role if you need it.</p>
      <p>
        <a href="/portal">Back to the dashboard</a>
      </p>
    </Layout>,
    403,
  );
}

export function refusedPage(c: Context, message: string, status: 401 | 403 | 429) {
  return c.html(
    <Layout title={status === 429 ? "Too many requests" : status === 401 ? "Please sign in again" : "Request refused"}>
      <p>{message}</p>
      <p>
        <a href="/portal/signin">Sign in</a>
      </p>
    </Layout>,
    status,
  );
}

export function notFoundPage(c: Context<PortalEnv>) {
  return c.html(
    <Layout title="Not found" member={c.get("member") as PortalEnv["Variables"]["member"] | undefined} csrf={c.get("csrf") as string | undefined}>
      <p>There is nothing at {new URL(c.req.url).pathname}.</p>
      <p>
        <a href="/portal">Go to the dashboard</a>
      </p>
    </Layout>,
    404,
  );
}

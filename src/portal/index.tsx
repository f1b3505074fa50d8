/**
 * The partner portal (issue 19), served by the Worker under /portal: server-rendered Hono JSX pages
 * that work without JavaScript, on the same domain modules as the API. Public: sign-up, sign-in, the
 * emailed link's page and the two static files. Everything else needs a session (src/portal/session.ts)
 * and passes the permission table (src/portal/permissions.ts).
 */
import { Hono } from "hono";
import { ApiError } from "../errors/api-error";
import { REQUEST_ERRORS } from "../errors/catalog";
import { log, type Logger } from "../lib/log";
import { PORTAL_CSS, PORTAL_JS } from "./assets";
import type { PortalEnv } from "./context";
import { Layout } from "./layout";
import { registerAuditPages } from "./pages/audit";
import { registerAuthPages } from "./pages/auth";
import { registerBillingPages } from "./pages/billing";
import { notFoundPage } from "./pages/errors";
import { registerExternalUserPages } from "./pages/external-users";
import { registerFaxPages } from "./pages/faxes";
import { registerKeyPages } from "./pages/keys";
import { registerNumberPages } from "./pages/numbers";
import { registerSendPages } from "./pages/send";
import { registerSessionPages } from "./pages/sessions";
import { registerTeamPages } from "./pages/team";
import { registerUsagePages } from "./pages/usage";
import { registerWebhookPages } from "./pages/webhooks";
import { requestBodyLimit } from "../api/middleware/body-limit";
import { requireMember, viewerZone } from "./session";

const PUBLIC = new Set(["/portal/signup", "/portal/signin", "/portal/auth", "/portal/assets/portal.css", "/portal/assets/portal.js"]);

/** Pages are HTML for one person: never cached by others, never framed, scripts and styles only from here. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

export function createPortal(): Hono<PortalEnv> {
  const portal = new Hono<PortalEnv>();

  portal.get("/portal/assets/portal.css", (c) => c.body(PORTAL_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600" }));
  portal.get("/portal/assets/portal.js", (c) => c.body(PORTAL_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" }));

  portal.use("/portal/*", viewerZone);
  // Before anything reads a form (the CSRF check parses it): an oversized body is refused unread.
  portal.use("/portal/*", requestBodyLimit);
  portal.use("/portal/*", async (c, next) => (PUBLIC.has(c.req.path) ? next() : requireMember(c, next)));
  portal.use("/portal/*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    if (c.res.headers.get("content-type")?.startsWith("text/html") && !c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "private, no-cache");
  });

  registerAuthPages(portal);
  registerFaxPages(portal);
  registerSendPages(portal);
  registerNumberPages(portal);
  registerWebhookPages(portal);
  registerTeamPages(portal);
  registerBillingPages(portal);
  registerKeyPages(portal);
  registerSessionPages(portal);
  registerAuditPages(portal);
  registerUsagePages(portal);
  registerExternalUserPages(portal);
  portal.all("/portal/*", (c) => notFoundPage(c));

  // A domain error (an ApiError from the catalog) is shown as a page with the catalog's title and hint.
  portal.onError((error, c) => {
    if (error instanceof ApiError) {
      const entry = REQUEST_ERRORS[error.code];
      return c.html(
        <Layout title={entry.title} member={c.get("member") as PortalEnv["Variables"]["member"] | undefined} csrf={c.get("csrf") as string | undefined}>
          <p>{error.detail ?? entry.title}</p>
          <p class="hint">{entry.next}</p>
          <p>
            <a href="/portal">Back to the dashboard</a>
          </p>
        </Layout>,
        error.status as 400,
      );
    }
    ((c.get("log") as Logger | undefined) ?? log).error("portal page failed", { path: c.req.path, error: String(error), stack: error instanceof Error ? error.stack : undefined });
    return c.html(
      <Layout title="Something went wrong">
        <p>The page could not be shown. Try again in a moment; if it keeps failing, quote the request id {c.get("requestId") as string | undefined}.</p>
      </Layout>,
      500,
    );
  });
  return portal;
}

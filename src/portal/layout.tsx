/** The page frame and the small pieces every page uses: navigation by role, times, empty states, form fields. */
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { decodeCursor } from "../api/pagination";
import type { SignedInMember } from "./context";
import { CSRF_FIELD } from "./csrf";
import { can, type PortalAction } from "./permissions";

const NAV: Array<{ href: string; label: string; action: PortalAction }> = [
  { href: "/portal", label: "Dashboard", action: "dashboard.view" },
  { href: "/portal/faxes", label: "Faxes", action: "faxes.view" },
  { href: "/portal/send", label: "Send a fax", action: "faxes.send" },
  { href: "/portal/numbers", label: "Numbers", action: "numbers.view" },
  { href: "/portal/external-users", label: "External users", action: "external_users.view" },
  { href: "/portal/webhooks", label: "Webhooks", action: "webhooks.view" },
  { href: "/portal/keys", label: "API keys", action: "keys.view" },
  { href: "/portal/billing", label: "Billing", action: "billing.view" },
  { href: "/portal/usage", label: "Usage", action: "billing.view" },
  { href: "/portal/team", label: "Team", action: "team.view" },
  { href: "/portal/audit", label: "Audit log", action: "audit.view" },
  { href: "/portal/account", label: "Your sessions", action: "account.sessions" },
];

export interface PageProps {
  title: string;
  member?: SignedInMember;
  csrf?: string;
  /** The nav entry to mark as the current page. */
  current?: string;
}

export const Layout: FC<PropsWithChildren<PageProps>> = ({ title, member, csrf, current, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · edgefax`}</title>
      <link rel="stylesheet" href="/portal/assets/portal.css" />
      <script src="/portal/assets/portal.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/portal">edgefax</a>
        {member ? (
          <nav aria-label="Portal">
            <ul>
              {NAV.filter((n) => can(member.role, n.action)).map((n) => (
                <li>
                  <a href={n.href} aria-current={current === n.href ? "page" : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {member ? (
          <div class="who">
            <form method="post" action="/portal/mode" class="inline mode-switch">
              <CsrfField token={csrf ?? ""} />
              <input type="hidden" name="mode" value={member.mode === "live" ? "test" : "live"} />
              <span class={`badge mode-${member.mode}`}>{member.mode === "live" ? "Live data" : "Test data"}</span>{" "}
              <button type="submit" class="secondary">
                {member.mode === "live" ? "Switch to test" : "Switch to live"}
              </button>
            </form>
            <span>
              {member.email} · {member.accountName} ({member.role})
            </span>
            <form method="post" action="/portal/signout" class="inline">
              <CsrfField token={csrf ?? ""} />
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          </div>
        ) : null}
      </header>
      <main id="main">
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />;

/** A one-button form (release, revoke, end…): a POST with the CSRF field, so it works without JavaScript. */
export const PostButton: FC<{ action: string; csrf: string; label: Child; kind?: "secondary" | "danger"; ariaLabel?: string }> = ({ action, csrf, label, kind, ariaLabel }) => (
  <form method="post" action={action} class="inline">
    <CsrfField token={csrf} />
    <button type="submit" class={kind ?? "secondary"} aria-label={ariaLabel}>
      {label}
    </button>
  </form>
);

const formats = new Map<string, Intl.DateTimeFormat>();

/** A time in the viewer's zone (UTC until the page script has told us the zone). */
export function formatTime(iso: string, zone: string): string {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone: zone, timeZoneName: "short" });
    formats.set(zone, f);
  }
  return f.format(new Date(iso));
}

export const Time: FC<{ iso: string | null | undefined; zone: string }> = ({ iso, zone }) =>
  iso ? <time datetime={iso}>{formatTime(iso, zone)}</time> : <span class="hint">—</span>;

export const Empty: FC<PropsWithChildren> = ({ children }) => <div class="empty">{children}</div>;

export const Notice: FC<PropsWithChildren<{ kind?: "ok" | "error" }>> = ({ kind, children }) => (
  <div class={`notice ${kind ?? ""}`} role={kind === "error" ? "alert" : "status"}>
    {children}
  </div>
);

/** What a filter form's query had wrong and was ignored (src/portal/list-query.ts), above the results. */
export const Problems: FC<{ problems: string[] }> = ({ problems }) =>
  problems.length > 0 ? (
    <Notice kind="error">
      {problems.map((p) => (
        <p>{p}</p>
      ))}
    </Notice>
  ) : null;

/** A horizontally scrollable table, focusable so keyboard users can scroll it (axe scrollable-region-focusable). */
export const Table: FC<{ label: string; head: string[]; children: Child }> = ({ label, head, children }) => (
  <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
    <table>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col">{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);

/** "Older" link of a cursor list (the same cursors as the API's lists). */
export const Pager: FC<{ next: string | null; base: string; params?: Record<string, string | undefined> }> = ({ next, base, params }) => {
  if (!next) return null;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) q.set(k, v);
  q.set("cursor", next);
  return (
    <p class="pager">
      <a href={`${base}?${q}`}>Older →</a>
    </p>
  );
};

/** A list's `cursor` query parameter as the API's lists read it; a damaged one starts from the newest. */
export function cursorOf(raw: string | undefined): string | undefined {
  try {
    return raw ? decodeCursor(raw) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Dashboard, the fax lists (sent and received, with page previews), a fax's detail (timeline, document,
 * pages) and cancel. Reads go through the same stores and cursors as /v1/faxes.
 */
import type { Context, Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { settings } from "../../config";
import { database } from "../../db/client";
import { findFax, findFaxDocumentKey, listFaxes, listFaxEvents } from "../../db/fax-store";
import { dashboardCounts } from "../../db/portal-store";
import { ApiError } from "../../errors/api-error";
import { faxObject } from "../../fax/fax-stub";
import { faxFileKeys } from "../../fax/render/keys";
import type { Fax } from "../../fax/schema";
import { FAX_STATUSES } from "../../fax/state-machine";
import { isId } from "../../lib/ids";
import { signObjectUrl } from "../../lib/signed-url";
import { documentStore } from "../../storage/documents";
import type { PortalEnv } from "../context";
import { CsrfField, cursorOf, Empty, Layout, Notice, Pager, Table, Time } from "../layout";
import { can } from "../permissions";
import { auditMember } from "../audit";
import { allow } from "../session";
import { notFoundPage } from "./errors";
import { faxReading } from "./fax-reading";
import { fieldCipher } from "../../storage/fields";

const PAGE_SIZE = 25;
/** Statuses whose pages exist as previews: rendered (outbound) or received (inbound). */
const HAS_PREVIEWS = new Set(["sending", "delivered", "failed", "received"]);

async function signed(c: Context<PortalEnv>, key: string): Promise<string> {
  return (await signObjectUrl(new URL(c.req.url).origin, c.env.SIGNING_SECRET, key, settings(c.env).signedUrlTtlSeconds)).url;
}

export const StatusBadge = ({ status }: { status: string }) => <span class={`badge ${status}`}>{status.replace("_", " ")}</span>;

export function registerFaxPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal", allow("dashboard.view"), async (c) => {
    const member = c.get("member");
    const since = new Date(Date.now() - 7 * 24 * 3600_000).toISOString();
    const counts = await dashboardCounts(database(c.env.DB), member.accountId, member.mode, since);
    const total = (direction: string, statuses?: string[]) =>
      counts.faxes.filter((r) => r.direction === direction && (!statuses || statuses.includes(r.status))).reduce((n, r) => n + Number(r.n), 0);
    const zone = c.get("timeZone");
    const sees = (a: Parameters<typeof can>[1]) => can(member.role, a);
    return c.html(
      <Layout title={`Dashboard · ${member.accountName}`} member={member} csrf={c.get("csrf")} current="/portal">
        {sees("faxes.view") ? (
          <section aria-labelledby="week">
            <h2 id="week">The last 7 days</h2>
            <div class="cards">
              <div class="card">
                <div class="n">{total("outbound")}</div>faxes sent
              </div>
              <div class="card">
                <div class="n">{total("outbound", ["delivered"])}</div>delivered
              </div>
              <div class="card">
                <div class="n">{total("outbound", ["failed"])}</div>failed
              </div>
              <div class="card">
                <div class="n">{total("inbound", ["received"])}</div>received
              </div>
            </div>
          </section>
        ) : null}
        <h2>Your account</h2>
        <ul>
          <li>
            Account id <code id="account-id">{member.accountId}</code>
          </li>
          {sees("numbers.view") ? (
            <li>
              {counts.numbers} number{counts.numbers === 1 ? "" : "s"} · <a href="/portal/numbers">numbers</a>
            </li>
          ) : null}
          {sees("webhooks.view") ? (
            <li>
              {counts.endpoints} webhook endpoint{counts.endpoints === 1 ? "" : "s"} · <a href="/portal/webhooks">webhooks</a>
            </li>
          ) : null}
          <li>
            {counts.members} team member{counts.members === 1 ? "" : "s"}
            {sees("team.view") ? (
              <>
                {" "}
                · <a href="/portal/team">team</a>
              </>
            ) : null}
          </li>
        </ul>
        {sees("faxes.send") && counts.numbers === 0 ? (
          <Empty>
            No number yet. {sees("numbers.manage") ? <a href="/portal/numbers">Get a test number</a> : "Ask an owner or admin to get a number"}, then{" "}
            <a href="/portal/send">send a test fax</a> to +15550100001, which always delivers.
          </Empty>
        ) : null}
        {sees("billing.view") ? (
          <p>
            <a href="/portal/billing">Billing</a>: your balance, buying credits, and every transaction.
          </p>
        ) : null}
        <p class="hint">
          Times are shown in {zone === "UTC" ? "UTC" : zone}. Now: <Time iso={new Date().toISOString()} zone={zone} />
        </p>
      </Layout>,
    );
  });

  portal.get("/portal/faxes", allow("faxes.view"), async (c) => {
    const member = c.get("member");
    const direction = c.req.query("direction") === "inbound" ? "inbound" : "outbound";
    const statusQuery = c.req.query("status");
    const status = (FAX_STATUSES as readonly string[]).includes(statusQuery ?? "") ? statusQuery : undefined;
    const before = cursorOf(c.req.query("cursor"));
    const page = await listFaxes<Fax>(database(c.env.DB), member, { direction, status, before, limit: PAGE_SIZE }, fieldCipher(c.env));
    const last = page.data.at(-1);
    const zone = c.get("timeZone");
    const thumbs = await Promise.all(page.data.map((f) => (HAS_PREVIEWS.has(f.status) && f.page_count > 0 ? signed(c, faxFileKeys(member.accountId, f.id).preview(1)) : null)));
    page.data.forEach((f, i) => thumbs[i] && auditMember(c, "fax.issue_page_link", { type: "fax", id: f.id }));
    const label = direction === "inbound" ? "Received faxes" : "Sent faxes";
    return c.html(
      <Layout title="Faxes" member={member} csrf={c.get("csrf")} current="/portal/faxes">
        <nav aria-label="Fax direction" class="actions">
          <a href="/portal/faxes?direction=outbound" aria-current={direction === "outbound" ? "page" : undefined}>
            Sent
          </a>
          <a href="/portal/faxes?direction=inbound" aria-current={direction === "inbound" ? "page" : undefined}>
            Received
          </a>
        </nav>
        <form method="get" action="/portal/faxes" class="actions" style="margin:.8rem 0">
          <input type="hidden" name="direction" value={direction} />
          <label for="fax-status">Status</label>
          <select id="fax-status" name="status">
              <option value="">any</option>
              {FAX_STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {s}
                </option>
              ))}
          </select>
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
        {page.data.length === 0 ? (
          <Empty>
            {direction === "inbound" ? (
              <>No faxes received{status ? ` with status ${status}` : ""} yet. Faxes sent to one of your numbers appear here with their pages.</>
            ) : (
              <>
                No faxes sent{status ? ` with status ${status}` : ""} yet. <a href="/portal/send">Send one</a>, or use the API's POST /v1/faxes.
              </>
            )}
          </Empty>
        ) : (
          <Table label={label} head={["Page 1", direction === "inbound" ? "From" : "To", "Status", "Pages", "Created", ""]}>
            {page.data.map((f, i) => (
              <tr>
                <td>{thumbs[i] ? <img class="thumb" src={thumbs[i]!} alt={`Page 1 of the fax ${direction === "inbound" ? "from" : "to"} ${direction === "inbound" ? f.from : f.to}`} /> : <span class="hint">none yet</span>}</td>
                <td>{direction === "inbound" ? f.from : f.to}</td>
                <td>
                  <StatusBadge status={f.status} /> {f.mode === "test" ? <span class="badge">test</span> : null}
                </td>
                <td>{direction === "inbound" ? f.page_count : `${f.pages_sent}/${f.page_count}`}</td>
                <td>
                  <Time iso={f.created_at} zone={zone} />
                </td>
                <td>
                  <a href={`/portal/faxes/${f.id}`}>Details<span class="skip"> of {f.id}</span></a>
                </td>
              </tr>
            ))}
          </Table>
        )}
        <Pager next={page.hasMore && last ? encodeCursor(last.id) : null} base="/portal/faxes" params={{ direction, status }} />
      </Layout>,
    );
  });

  portal.get("/portal/faxes/:id", allow("faxes.view"), async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    const db = database(c.env.DB);
    const fax = isId(id, "fax") ? await findFax<Fax>(db, member, id, fieldCipher(c.env)) : null;
    if (!fax) return notFoundPage(c);
    const [events, stored] = await Promise.all([listFaxEvents(db, member.accountId, id, fieldCipher(c.env)), findFaxDocumentKey(db, member, id)]);
    const keys = faxFileKeys(member.accountId, id);
    const pageNumbers = Array.from({ length: Math.min(fax.page_count, 20) }, (_, i) => i + 1);
    const present = await Promise.all(pageNumbers.map(async (n) => ((await documentStore(c.env).head(keys.preview(n))) ? signed(c, keys.preview(n)) : null)));
    const documentUrl = stored?.documentKey ? await signed(c, stored.documentKey) : null;
    // Signed links to the customer's document and pages are handed to this browser: recorded like the API's.
    if (present.some(Boolean)) auditMember(c, "fax.issue_page_link", { type: "fax", id });
    if (documentUrl) auditMember(c, "fax.issue_document_link", { type: "fax", id });
    const reading = await faxReading(c, fax);
    const zone = c.get("timeZone");
    const flash = c.req.query("done");
    return c.html(
      <Layout title={`Fax ${fax.direction === "inbound" ? "from" : "to"} ${fax.direction === "inbound" ? fax.from : fax.to}`} member={member} csrf={c.get("csrf")} current="/portal/faxes">
        {flash === "canceled" ? <Notice kind="ok">The fax was canceled.</Notice> : null}
        {flash === "sent" ? <Notice kind="ok">The fax is queued. This page shows its progress when you reload it.</Notice> : null}
        <dl class="facts">
          <dt>Id</dt>
          <dd>
            <code>{fax.id}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={fax.status} /> {fax.mode === "test" ? <span class="badge">test</span> : null}
          </dd>
          <dt>From</dt>
          <dd>{fax.from}</dd>
          <dt>To</dt>
          <dd>{fax.to}</dd>
          <dt>Pages</dt>
          <dd>{fax.direction === "inbound" ? fax.page_count : `${fax.pages_sent} of ${fax.page_count} sent`}</dd>
          {fax.direction === "outbound" ? (
            <>
              <dt>Attempts</dt>
              <dd>
                {fax.attempts} of {fax.max_attempts}
              </dd>
            </>
          ) : null}
          {fax.remote_ident ? (
            <>
              <dt>Remote ident</dt>
              <dd>{fax.remote_ident}</dd>
            </>
          ) : null}
          {fax.error ? (
            <>
              <dt>Error</dt>
              <dd>
                <code>{fax.error.code}</code>: {fax.error.detail} {fax.error.retryable ? "(retryable)" : ""}
              </dd>
            </>
          ) : null}
          <dt>Created</dt>
          <dd>
            <Time iso={fax.created_at} zone={zone} />
          </dd>
          <dt>Completed</dt>
          <dd>
            <Time iso={fax.completed_at} zone={zone} />
          </dd>
          <dt>Document</dt>
          <dd>{documentUrl ? <a href={documentUrl}>Download the PDF</a> : <span class="hint">not stored (removed by retention, or not rendered yet)</span>}</dd>
        </dl>
        {fax.status === "queued" && can(member.role, "faxes.cancel") ? (
          <form method="post" action={`/portal/faxes/${fax.id}/cancel`} class="actions" style="margin-top:1rem">
            <CsrfField token={c.get("csrf")} />
            <button type="submit" class="danger">
              Cancel this fax
            </button>
          </form>
        ) : null}
        <h2>Pages</h2>
        {present.some(Boolean) ? (
          <div class="previews">
            {present.map((url, i) => (url ? <img src={url} alt={`Page ${i + 1} of ${fax.page_count}`} /> : null))}
          </div>
        ) : (
          <Empty>No page previews yet: pages appear once the fax is rendered{fax.direction === "inbound" ? " or received" : ""}.</Empty>
        )}
        {reading}
        <h2>Timeline</h2>
        {events.length === 0 ? (
          <Empty>No events yet.</Empty>
        ) : (
          <Table label="Timeline" head={["Time", "Event", "Details"]}>
            {events.map((e) => (
              <tr>
                <td>
                  <Time iso={e.created_at} zone={zone} />
                </td>
                <td>
                  <code>{e.type}</code>
                </td>
                <td>{eventDetail(e.data)}</td>
              </tr>
            ))}
          </Table>
        )}
      </Layout>,
    );
  });

  portal.post("/portal/faxes/:id/cancel", allow("faxes.cancel"), async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    const fax = isId(id, "fax") ? await findFax<Fax>(database(c.env.DB), member, id, fieldCipher(c.env)) : null;
    if (!fax) return notFoundPage(c);
    const result = await faxObject(c.env, id).cancel();
    if (!result.ok) throw new ApiError("fax.not_cancelable", { detail: `The fax is ${result.status ?? "unknown"}; only queued faxes can be canceled.` });
    auditMember(c, "fax.cancel", { type: "fax", id });
    return c.redirect(`/portal/faxes/${id}?done=canceled`, 303);
  });
}

/** The few fields of an event's data a person reads (page, attempt, error), not the whole JSON. */
function eventDetail(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ["page", "pages_sent", "attempt", "next_attempt_at", "remote_ident"]) if (data[key] !== undefined && data[key] !== null) parts.push(`${key.replace(/_/g, " ")}: ${String(data[key])}`);
  const error = data.error as { code?: string; detail?: string } | undefined;
  if (error?.code) parts.push(`${error.code}${error.detail ? `: ${error.detail}` : ""}`);
  return parts.join(" · ");
}

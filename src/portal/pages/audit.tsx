/**
 * The audit log (issue 19 point 4, on issue 17's log): the account's entries newest first, filtered by
 * action, actor, target and days, paged with the API's cursors; and the JSONL export of the chain for
 * `npm run -s audit:verify`. The same domain functions as GET /v1/audit-events and its export.
 */
import type { Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { AUDIT_ACTIONS } from "../../audit/catalog";
import type { AuditEntry } from "../../audit/chain";
import { auditExportHeaders, auditExportStream } from "../../audit/export";
import { listAuditEntries } from "../../audit/store";
import { database } from "../../db/client";
import { listMembers } from "../../db/portal-store";
import type { PortalEnv } from "../context";
import { cursorOf, Empty, Layout, Pager, Problems, Table, Time } from "../layout";
import { auditQuery } from "../list-query";
import { allow } from "../session";

const PAGE_SIZE = 50;

/** Who acted, as a person reads it: a member's email, a key id, a download link, the platform. */
function actorLabel(actor: AuditEntry["actor"], emails: Map<string, string>): string {
  if (actor.type === "user") return actor.id ? (emails.get(actor.id) ?? `former member ${actor.id}`) : "a member";
  if (actor.type === "api_key") return `API key ${actor.id ?? ""}`.trim();
  if (actor.type === "signed_url") return "a signed link";
  return "edgefax";
}

export function registerAuditPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/audit", allow("audit.view"), async (c) => {
    const member = c.get("member");
    const db = database(c.env.DB);
    const { filter, values, problems } = auditQuery(c.req.query());
    const [page, members] = await Promise.all([listAuditEntries(db, member.accountId, filter, PAGE_SIZE, cursorOf(c.req.query("cursor"))), listMembers(db, member.accountId)]);
    const emails = new Map(members.map((m) => [m.id, m.email]));
    const last = page.data.at(-1);
    const zone = c.get("timeZone");
    const exportQuery = new URLSearchParams(Object.entries({ from: values.from, to: values.to }).filter((e): e is [string, string] => e[1] !== undefined));
    const filtered = Object.keys(values).length > 0;
    return c.html(
      <Layout title="Audit log" member={member} csrf={c.get("csrf")} current="/portal/audit">
        <p>Who did what, when and from where, in an append-only, hash-chained log. Times are shown in your zone; the day filters are UTC days.</p>
        <Problems problems={problems} />
        <form method="get" action="/portal/audit" class="filters">
          <label for="audit-action">Action</label>
          <select id="audit-action" name="action">
            <option value="">any</option>
            {Object.keys(AUDIT_ACTIONS).map((a) => (
              <option value={a} selected={values.action === a}>
                {a}
              </option>
            ))}
          </select>
          <label for="audit-actor">Actor id</label>
          <input id="audit-actor" name="actor" value={values.actor ?? ""} maxlength={64} placeholder="mem_… or key_…" />
          <label for="audit-target">Target id</label>
          <input id="audit-target" name="target" value={values.target ?? ""} maxlength={64} placeholder="fax_…" />
          <label for="audit-from">From (UTC day)</label>
          <input id="audit-from" name="from" type="date" value={values.from ?? ""} />
          <label for="audit-to">To (UTC day, included)</label>
          <input id="audit-to" name="to" type="date" value={values.to ?? ""} />
          <div class="actions">
            <button type="submit">Filter</button>
            {filtered ? <a href="/portal/audit">Clear</a> : null}
          </div>
        </form>
        <p>
          <a href={`/portal/audit/export${exportQuery.size ? `?${exportQuery}` : ""}`} download>
            Export {values.from || values.to ? "these days" : "the whole log"} as JSONL
          </a>{" "}
          <span class="hint">(every entry of the range, unfiltered, so `npm run -s audit:verify FILE.jsonl` can check the chain)</span>
        </p>
        {page.data.length === 0 ? (
          <Empty>{filtered ? "No entry matches these filters. Clear them to see the whole log." : "Nothing recorded yet: sending a fax, adding a number or signing in adds an entry."}</Empty>
        ) : (
          <Table label="Audit log entries" head={["#", "Time", "Actor", "Action", "Target", "From", "Request"]}>
            {page.data.map((e) => (
              <tr>
                <td>{e.seq}</td>
                <td>
                  <Time iso={e.occurred_at} zone={zone} />
                </td>
                <td>{actorLabel(e.actor, emails)}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  {e.target.type === "fax" && e.target.id ? (
                    <a href={`/portal/faxes/${e.target.id}`}>{e.target.id}</a>
                  ) : (
                    <>
                      {e.target.type} <code>{e.target.id ?? ""}</code>
                    </>
                  )}
                </td>
                <td>{e.ip ?? ""}</td>
                <td>
                  <code>{e.request_id ?? ""}</code>
                </td>
              </tr>
            ))}
          </Table>
        )}
        <Pager next={page.hasMore && last ? encodeCursor(last.id) : null} base="/portal/audit" params={values} />
      </Layout>,
    );
  });

  portal.get("/portal/audit/export", allow("audit.view"), async (c) => {
    const member = c.get("member");
    const { filter } = auditQuery({ from: c.req.query("from"), to: c.req.query("to") });
    const body = await auditExportStream(database(c.env.DB), member.accountId, filter.from, filter.to);
    return new Response(body, { headers: auditExportHeaders(member.accountId) });
  });
}

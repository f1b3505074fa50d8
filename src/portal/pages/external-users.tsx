/**
 * External users (issue 19 point 4, on issue 15's partners): the partner's own users with their numbers in
 * the session's test/live context, and each user's inbox (the faxes received on their numbers, newest first,
 * or best match first for a search over OCR text, sender and remote ident). The same stores as
 * GET /v1/external-users and its inbox; every query carries the account and the user.
 */
import type { Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { decodeSearchCursor, encodeSearchCursor } from "../../api/received";
import { database } from "../../db/client";
import { findExternalUser, listExternalUsers } from "../../db/external-user-store";
import { listReceivedFaxes } from "../../db/fax-store";
import { searchFaxText } from "../../db/fax-text-store";
import { numbersOfExternalUsers } from "../../db/number-store";
import type { Fax } from "../../fax/schema";
import { ExternalUserIdSchema } from "../../partners/external-user-id";
import type { PortalEnv } from "../context";
import { cursorOf, Empty, Layout, Pager, Table, Time } from "../layout";
import { allow } from "../session";
import { notFoundPage } from "./errors";
import { StatusBadge } from "./faxes";
import { fieldCipher } from "../../storage/fields";

const PAGE_SIZE = 50;

/** The inbox's `q` as the API takes it (1-100 characters); longer is cut, blank is no search. */
function searchOf(raw: string | undefined): string | undefined {
  const q = raw?.trim().slice(0, 100);
  return q ? q : undefined;
}

/** A search page's offset; a damaged cursor starts from the best match. */
function searchOffset(raw: string | undefined): number {
  try {
    return raw ? decodeSearchCursor(raw) : 0;
  } catch {
    return 0;
  }
}

export function registerExternalUserPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/external-users", allow("external_users.view"), async (c) => {
    const member = c.get("member");
    const db = database(c.env.DB);
    const page = await listExternalUsers(db, member, { limit: PAGE_SIZE, before: cursorOf(c.req.query("cursor")) }, fieldCipher(c.env));
    const numbers = await numbersOfExternalUsers(db, member, page.data.map((u) => u.externalUserId));
    const last = page.data.at(-1);
    const zone = c.get("timeZone");
    return c.html(
      <Layout title="External users" member={member} csrf={c.get("csrf")} current="/portal/external-users">
        <p>Your own users, each with dedicated numbers and an inbox. Create and update them with PUT /v1/external-users/&#123;external_user_id&#125;.</p>
        {page.data.length === 0 ? (
          <Empty>No external users yet. Create one with PUT /v1/external-users/&#123;your user's id&#125;, then give them a number on the Numbers page.</Empty>
        ) : (
          <Table label="External users" head={["External user id", "Name", "Email", `${member.mode} numbers`, "Since", ""]}>
            {page.data.map((u) => {
              const held = numbers.filter((n) => n.externalUserId === u.externalUserId);
              return (
                <tr>
                  <td>
                    <code>{u.externalUserId}</code>
                  </td>
                  <td>{u.name ?? ""}</td>
                  <td>{u.email ?? ""}</td>
                  <td>{held.length === 0 ? <span class="hint">none</span> : held.map((n) => `${n.number} (${n.tier ?? "no tier"})`).join(", ")}</td>
                  <td>
                    <Time iso={u.createdAt} zone={zone} />
                  </td>
                  <td>
                    <a href={`/portal/external-users/${encodeURIComponent(u.externalUserId)}`}>
                      Inbox<span class="skip"> of {u.externalUserId}</span>
                    </a>
                  </td>
                </tr>
              );
            })}
          </Table>
        )}
        <Pager next={page.hasMore && last ? encodeCursor(last.id) : null} base="/portal/external-users" />
      </Layout>,
    );
  });

  portal.get("/portal/external-users/:externalUserId", allow("external_users.view"), async (c) => {
    const member = c.get("member");
    const db = database(c.env.DB);
    const id = ExternalUserIdSchema.safeParse(c.req.param("externalUserId"));
    const user = id.success ? await findExternalUser(db, member, id.data) : undefined;
    if (!user) return notFoundPage(c);
    const numbers = await numbersOfExternalUsers(db, member, [user.externalUserId]);
    const q = searchOf(c.req.query("q"));
    const zone = c.get("timeZone");
    let rows: Array<{ fax: Fax; snippet?: string }>;
    let next: string | null;
    if (q) {
      const offset = searchOffset(c.req.query("cursor"));
      const found = await searchFaxText<Fax>(db, member, q, { limit: PAGE_SIZE, offset, externalUserId: user.externalUserId, toNumbers: numbers.map((n) => n.number) }, fieldCipher(c.env));
      rows = found.hits.map((h) => ({ fax: h.fax, snippet: h.snippet }));
      next = found.hasMore ? encodeSearchCursor(offset + PAGE_SIZE) : null;
    } else {
      const page = await listReceivedFaxes<Fax>(db, member, { externalUserId: user.externalUserId, before: cursorOf(c.req.query("cursor")), limit: PAGE_SIZE }, fieldCipher(c.env));
      rows = page.data.map((fax) => ({ fax }));
      const last = page.data.at(-1);
      next = page.hasMore && last ? encodeCursor(last.id) : null;
    }
    const base = `/portal/external-users/${encodeURIComponent(user.externalUserId)}`;
    return c.html(
      <Layout title={`${user.name ?? user.externalUserId}: inbox`} member={member} csrf={c.get("csrf")} current="/portal/external-users">
        <dl class="facts">
          <dt>External user id</dt>
          <dd>
            <code>{user.externalUserId}</code>
          </dd>
          <dt>Email</dt>
          <dd>{user.email ?? "—"}</dd>
          <dt>Numbers ({member.mode})</dt>
          <dd>{numbers.length === 0 ? "none: give them one on the Numbers page" : numbers.map((n) => `${n.number} (${n.tier ?? "no tier"})`).join(", ")}</dd>
          <dt>Since</dt>
          <dd>
            <Time iso={user.createdAt} zone={zone} />
          </dd>
        </dl>
        <form method="get" action={base} class="filters" role="search">
          <label for="inbox-q">Search the text, sender and remote ident</label>
          <input id="inbox-q" name="q" type="search" value={q ?? ""} maxlength={100} />
          <button type="submit">Search</button>
          {q ? <a href={base}>Clear</a> : null}
        </form>
        {rows.length === 0 ? (
          <Empty>{q ? `No fax in this inbox matches "${q}".` : numbers.length === 0 ? "No faxes: this user has no number yet." : "No faxes received yet. Faxes sent to their numbers appear here once read."}</Empty>
        ) : (
          <Table label={q ? "Search results" : "Inbox"} head={q ? ["From", "Pages", "Received", "Match", ""] : ["From", "To", "Pages", "Received", "Text", ""]}>
            {rows.map(({ fax, snippet }) => (
              <tr>
                <td>{fax.from}</td>
                {q ? null : <td>{fax.to}</td>}
                <td>{fax.page_count}</td>
                <td>
                  <Time iso={fax.completed_at ?? fax.created_at} zone={zone} />
                </td>
                <td>{q ? snippet : fax.ocr ? <StatusBadge status={fax.ocr.status} /> : <span class="hint">—</span>}</td>
                <td>
                  <a href={`/portal/faxes/${fax.id}`}>
                    Open<span class="skip"> the fax from {fax.from}</span>
                  </a>
                </td>
              </tr>
            ))}
          </Table>
        )}
        <Pager next={next} base={base} params={{ q }} />
      </Layout>,
    );
  });
}

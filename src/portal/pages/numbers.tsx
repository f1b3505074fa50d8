/**
 * Numbers: the account's fax numbers in the session's test/live context, grouped by tier and then by
 * external user (partners, issue 15); owners and admins provision (optionally for an external user, with
 * a tier) and release them through the same partner domain functions as POST/DELETE /v1/numbers, events
 * included. Developers read only.
 */
import type { Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { database } from "../../db/client";
import { findNumber, listNumbers, type NumberRow } from "../../db/number-store";
import { ApiError } from "../../errors/api-error";
import { EXTERNAL_USER_ID_RULE, ExternalUserIdSchema } from "../../partners/external-user-id";
import { provisionPartnerNumber, releasePartnerNumber } from "../../partners/numbers";
import { TIER_NAMES, tiers, type TierName } from "../../partners/tiers";
import { auditMember } from "../audit";
import type { PortalEnv } from "../context";
import { CsrfField, cursorOf, Empty, Layout, Notice, Pager, PostButton, Table, Time } from "../layout";
import { can } from "../permissions";
import { allow } from "../session";

const PAGE_SIZE = 100;

/** Tier sections in a fixed order, numbers without a tier (not dedicated to a user) last. */
const SECTIONS: Array<TierName | null> = [...[...TIER_NAMES].reverse(), null];

function field(form: Record<string, unknown>, name: string): string {
  const v = form[name];
  return typeof v === "string" ? v.trim() : "";
}

export function registerNumberPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/numbers", allow("numbers.view"), async (c) => {
    const member = c.get("member");
    const page = await listNumbers(database(c.env.DB), member, PAGE_SIZE, cursorOf(c.req.query("cursor")));
    const last = page.data.at(-1);
    const manage = can(member.role, "numbers.manage");
    const done = c.req.query("done");
    const zone = c.get("timeZone");
    const csrf = c.get("csrf");
    const table = tiers(c.env);
    const byUser = (a: NumberRow, b: NumberRow) => (a.externalUserId ?? "").localeCompare(b.externalUserId ?? "") || a.number.localeCompare(b.number);
    return c.html(
      <Layout title="Numbers" member={member} csrf={csrf} current="/portal/numbers">
        {done === "provisioned" ? <Notice kind="ok">The number is yours.</Notice> : null}
        {done === "released" ? <Notice kind="ok">The number was released.</Notice> : null}
        {page.data.length === 0 ? (
          <Empty>
            No {member.mode} numbers yet.{" "}
            {manage ? (member.mode === "test" ? "Get a test number below: test numbers never reach a phone line." : "Get a live number below from the operator's pool.") : "An owner or admin can get one."}
          </Empty>
        ) : (
          SECTIONS.map((tier) => {
            const rows = page.data.filter((n) => n.tier === tier).sort(byUser);
            if (rows.length === 0) return null;
            const heading = tier ? `${tier[0]!.toUpperCase()}${tier.slice(1)} tier` : "Account numbers (no external user)";
            const id = `tier-${tier ?? "none"}`;
            return (
              <section aria-labelledby={id}>
                <h2 id={id}>
                  {heading} ({rows.length})
                </h2>
                {tier ? (
                  <p class="hint">
                    {table[tier].includedPages} inbound pages a month per number, files kept {table[tier].retentionDays} days.
                  </p>
                ) : null}
                <Table label={heading} head={manage ? ["Number", "External user", "Label", "Since", ""] : ["Number", "External user", "Label", "Since"]}>
                  {rows.map((n) => (
                    <tr>
                      <td>{n.number}</td>
                      <td>{n.externalUserId ? <a href={`/portal/external-users/${encodeURIComponent(n.externalUserId)}`}>{n.externalUserId}</a> : <span class="hint">—</span>}</td>
                      <td>{n.label ?? ""}</td>
                      <td>
                        <Time iso={n.createdAt} zone={zone} />
                      </td>
                      {manage ? (
                        <td>
                          <PostButton action={`/portal/numbers/${n.id}/release`} csrf={csrf} label="Release" ariaLabel={`Release ${n.number}`} />
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </Table>
              </section>
            );
          })
        )}
        <Pager next={page.hasMore && last ? encodeCursor(last.id) : null} base="/portal/numbers" />
        {manage ? (
          <>
            <h2>Get a {member.mode} number</h2>
            <form method="post" action="/portal/numbers" class="stack">
              <CsrfField token={csrf} />
              <p class="hint">
                {member.mode === "test" ? "A fictional +1 555 010 number: it never reaches a phone line." : "A real number from the operator's pool (LIVE_NUMBER_POOL)."} Switch between test and
                live data at the top of the page.
              </p>
              <label for="number-label">Label</label>
              <input id="number-label" name="label" maxlength={100} aria-describedby="number-label-hint" />
              <span id="number-label-hint" class="hint">
                Optional, e.g. Front desk.
              </span>
              <label for="number-user">External user (optional)</label>
              <input id="number-user" name="external_user_id" maxlength={128} aria-describedby="number-user-hint" />
              <span id="number-user-hint" class="hint">
                Dedicate the number to one of your <a href="/portal/external-users">external users</a> ({EXTERNAL_USER_ID_RULE}).
              </span>
              <label for="number-tier">Tier (for an external user's number)</label>
              <select id="number-tier" name="tier">
                {TIER_NAMES.map((t) => (
                  <option value={t}>
                    {t}: {table[t].includedPages} pages a month, {table[t].retentionDays} days
                  </option>
                ))}
              </select>
              <div>
                <button type="submit">Get a number</button>
              </div>
            </form>
          </>
        ) : null}
      </Layout>,
    );
  });

  portal.post("/portal/numbers", allow("numbers.manage"), async (c) => {
    const member = c.get("member");
    const form = await c.req.parseBody();
    const label = field(form, "label").slice(0, 100) || null;
    const rawUser = field(form, "external_user_id");
    const user = rawUser ? ExternalUserIdSchema.safeParse(rawUser) : null;
    if (user && !user.success) throw new ApiError("request.invalid", { detail: `The external user id must be ${EXTERNAL_USER_ID_RULE}.` });
    const externalUserId = user?.data ?? null;
    const tier = externalUserId ? (TIER_NAMES.find((t) => t === form.tier) ?? "personal") : null;
    // The number's mode is the session's context, never a form field: a test context cannot claim a live number.
    const row = await provisionPartnerNumber(c.env, database(c.env.DB), member.accountId, member.mode, { label, externalUserId, tier, areaCode: null });
    auditMember(c, "number.provision", { type: "number", id: row.id });
    return c.redirect("/portal/numbers?done=provisioned", 303);
  });

  portal.post("/portal/numbers/:id/release", allow("numbers.manage"), async (c) => {
    const member = c.get("member");
    const db = database(c.env.DB);
    // Only a number of the session's context: a test context never releases a live number.
    const held = await findNumber(db, member, c.req.param("id"));
    if (!held) throw new ApiError("number.not_found");
    const row = await releasePartnerNumber(c.env, db, member, held.id);
    if (!row) throw new ApiError("number.not_found");
    auditMember(c, "number.release", { type: "number", id: row.id });
    return c.redirect("/portal/numbers?done=released", 303);
  });
}

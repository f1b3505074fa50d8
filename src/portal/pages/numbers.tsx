/** Numbers: the account's fax numbers; owners and admins provision and release them (developers read only). */
import type { Hono } from "hono";
import { encodeCursor } from "../../api/pagination";
import { settings } from "../../config";
import { database } from "../../db/client";
import { listNumbers, provisionNumber, releaseNumber } from "../../db/number-store";
import { ApiError } from "../../errors/api-error";
import type { PortalEnv } from "../context";
import { CsrfField, cursorOf, Empty, Layout, Notice, Pager, Table, Time } from "../layout";
import { can } from "../permissions";
import { allow } from "../session";

export function registerNumberPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/numbers", allow("numbers.view"), async (c) => {
    const member = c.get("member");
    const page = await listNumbers(database(c.env.DB), member.accountId, 50, cursorOf(c.req.query("cursor")));
    const last = page.data.at(-1);
    const manage = can(member.role, "numbers.manage");
    const done = c.req.query("done");
    const zone = c.get("timeZone");
    return c.html(
      <Layout title="Numbers" member={member} csrf={c.get("csrf")} current="/portal/numbers">
        {done === "provisioned" ? <Notice kind="ok">The number is yours.</Notice> : null}
        {done === "released" ? <Notice kind="ok">The number was released.</Notice> : null}
        {done === "unavailable" ? <Notice kind="error">No number is free in the pool right now. Ask the operator to add numbers (LIVE_NUMBER_POOL).</Notice> : null}
        {page.data.length === 0 ? (
          <Empty>No numbers yet. {manage ? "Get a test number below: test numbers never reach a phone line." : "An owner or admin can get one."}</Empty>
        ) : (
          <Table label="Numbers" head={manage ? ["Number", "Mode", "Label", "Since", ""] : ["Number", "Mode", "Label", "Since"]}>
            {page.data.map((n) => (
              <tr>
                <td>{n.number}</td>
                <td>{n.mode}</td>
                <td>{n.label ?? ""}</td>
                <td>
                  <Time iso={n.createdAt} zone={zone} />
                </td>
                {manage ? (
                  <td>
                    <form method="post" action={`/portal/numbers/${n.id}/release`} class="inline">
                      <CsrfField token={c.get("csrf")} />
                      <button type="submit" class="secondary" aria-label={`Release ${n.number}`}>
                        Release
                      </button>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))}
          </Table>
        )}
        <Pager next={page.hasMore && last ? encodeCursor(last.id) : null} base="/portal/numbers" />
        {manage ? (
          <>
            <h2>Get a number</h2>
            <form method="post" action="/portal/numbers" class="stack">
              <CsrfField token={c.get("csrf")} />
              <label for="number-mode">Mode</label>
              <select id="number-mode" name="mode">
                <option value="test">test (a fictional +1 555 010 number)</option>
                <option value="live">live (from the operator's pool)</option>
              </select>
              <label for="number-label">Label</label>
              <input id="number-label" name="label" maxlength={100} aria-describedby="number-label-hint" />
              <span id="number-label-hint" class="hint">Optional, e.g. Front desk.</span>
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
    const form = await c.req.parseBody();
    const mode = form.mode === "live" ? "live" : "test";
    const label = typeof form.label === "string" && form.label.trim() ? form.label.trim().slice(0, 100) : null;
    const row = await provisionNumber(database(c.env.DB), c.get("member").accountId, mode, settings(c.env).liveNumberPool, label);
    return c.redirect(`/portal/numbers?done=${row ? "provisioned" : "unavailable"}`, 303);
  });

  portal.post("/portal/numbers/:id/release", allow("numbers.manage"), async (c) => {
    const row = await releaseNumber(database(c.env.DB), c.get("member").accountId, c.req.param("id"));
    if (!row) throw new ApiError("number.not_found");
    return c.redirect("/portal/numbers?done=released", 303);
  });
}

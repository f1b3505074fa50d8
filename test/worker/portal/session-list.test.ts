/** Issue 19 point 2 (session 2): the sessions page lists each browser and ends one, or all others, CSRF-protected. */
import { describe, expect, it } from "vitest";
import { createPortal } from "../../../src/portal";
import { env } from "cloudflare:test";
import { memberWithRole, ORIGIN, page, post, setCookies } from "./helpers";
import { database } from "../../../src/db/client";
import { findMemberByEmail } from "../../../src/db/portal-store";
import { startSession } from "../../../src/portal/session";
import { Hono } from "hono";
import type { PortalEnv } from "../../../src/portal/context";

/** A sign-in as the emailed link makes it, from a given browser and address. */
async function signIn(accountId: string, email: string, headers: Record<string, string>) {
  const app = new Hono<PortalEnv>();
  app.get("/in", async (c) => {
    await startSession(c, (await findMemberByEmail(database(c.env.DB), accountId, email))!);
    return c.text("ok");
  });
  const res = await app.request(`${ORIGIN}/in`, { headers }, env);
  const cookie = setCookies(res)[0]!.split(";")[0]!;
  const html = await (await page("/portal/account", { cookie })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]!, html };
}

describe("the sessions page", () => {
  it("lists each session with its browser, address prefix and times, and ends one or all others", async () => {
    const m = await memberWithRole("developer");
    const chrome = await signIn(m.accountId, m.email, { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0 Safari/537.36", "cf-connecting-ip": "203.0.113.77" });
    const phone = await signIn(m.accountId, m.email, { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile/15E148 Safari/604.1", "cf-connecting-ip": "2001:db8:85a3::8a2e:370:7334" });
    const html = await (await page("/portal/account", chrome)).text();
    expect(html).toContain("in 3 browsers");
    expect(html).toContain("Chrome on Linux");
    expect(html).toContain("203.0.113.0/24");
    expect(html).toContain("Safari on iOS");
    expect(html).toContain("2001:db8:85a3::/48");
    expect(html).not.toContain("203.0.113.77");
    const ids = [...html.matchAll(/action="\/portal\/account\/sessions\/(ses_[a-z0-9]+)\/revoke"/g)].map((x) => x[1]!);
    expect(ids).toHaveLength(2);
    // The phone's row: end it; the phone is out at once, the others stay.
    const phoneRow = html.split("<tr>").find((r) => r.includes("Safari on iOS"))!;
    const phoneId = /sessions\/(ses_[a-z0-9]+)\/revoke/.exec(phoneRow)![1]!;
    expect((await post(`/portal/account/sessions/${phoneId}/revoke`, chrome, { _csrf: "" })).status).toBe(403);
    expect((await page("/portal", phone)).status).toBe(200);
    const ended = await post(`/portal/account/sessions/${phoneId}/revoke`, chrome);
    expect(ended.headers.get("location")).toBe("/portal/account?done=revoked");
    expect((await page("/portal", phone)).status).toBe(303);
    expect((await page("/portal", m)).status).toBe(200);
    // Another member's session id ends nothing.
    const other = await memberWithRole("developer", { accountId: m.accountId });
    const otherId = /sessions\/(ses_[a-z0-9]+)\/revoke/.exec(await (await page("/portal/account", (await signIn(m.accountId, other.email, {})))).text())?.[1];
    expect(otherId).toBeDefined();
    expect((await post(`/portal/account/sessions/${otherId}/revoke`, chrome)).headers.get("location")).toBe("/portal/account");
    expect((await page("/portal", other)).status).toBe(200);
    // All others: the member's own other sessions end, this one stays.
    const others = await post("/portal/account/sessions/revoke-others", chrome);
    expect(others.headers.get("location")).toBe("/portal/account?done=others");
    expect((await page("/portal", m)).status).toBe(303);
    expect((await page("/portal", chrome)).status).toBe(200);
    expect((await page("/portal", other)).status).toBe(200);
    expect(await (await page("/portal/account", chrome)).text()).toContain("in 1 browser,");
  });

  it("refuses revoke-all-others without the CSRF token", async () => {
    const m = await memberWithRole("billing");
    const res = await createPortal().request(`${ORIGIN}/portal/account/sessions/revoke-others`, { method: "POST", headers: { cookie: m.cookie, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" }, body: "" }, env);
    expect(res.status).toBe(403);
  });
});

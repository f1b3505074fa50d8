/** Issue 19 point 2: server-side sessions (revocation, idle and absolute timeouts, sign-out everywhere) and CSRF on every form. */
import { describe, expect, it } from "vitest";
import { createPortal } from "../../../src/portal";
import { env } from "cloudflare:test";
import { memberWithRole, ORIGIN, page, post, sessionFor, setCookies } from "./helpers";

describe("sessions", () => {
  it("ends at once when revoked: sign-out everywhere signs out every browser of the member, and no one else", async () => {
    const m = await memberWithRole("developer");
    const other = await sessionFor(m.accountId, m.memberId);
    const colleague = await memberWithRole("admin", { accountId: m.accountId });
    expect((await page("/portal/faxes", other)).status).toBe(200);
    const out = await post("/portal/account/signout-everywhere", m);
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/portal/signin");
    expect(setCookies(out)[0]).toMatch(/^__Host-edgefax_session=; .*Max-Age=0/);
    for (const who of [m, other]) {
      const res = await page("/portal/faxes", who);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/portal/signin");
    }
    expect((await page("/portal/faxes", colleague)).status).toBe(200);
  });

  it("sign-out ends only this session", async () => {
    const m = await memberWithRole("billing");
    const other = await sessionFor(m.accountId, m.memberId);
    expect((await post("/portal/signout", m)).status).toBe(303);
    expect((await page("/portal", m)).status).toBe(303);
    expect((await page("/portal", other)).status).toBe(200);
  });

  it("ends after 30 minutes without a request, and 12 hours after sign-in whatever the activity", async () => {
    const m = await memberWithRole("owner");
    const idle = await sessionFor(m.accountId, m.memberId, { lastSeenAt: new Date(Date.now() - 31 * 60_000).toISOString() });
    const res = await page("/portal", idle);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/portal/signin?expired=1");
    const old = await sessionFor(m.accountId, m.memberId, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect((await page("/portal", old)).status).toBe(303);
    const fresh = await sessionFor(m.accountId, m.memberId, { lastSeenAt: new Date(Date.now() - 29 * 60_000).toISOString() });
    expect((await page("/portal", fresh)).status).toBe(200);
  });

  it("ends when the member is removed from the team", async () => {
    const owner = await memberWithRole("owner");
    const dev = await memberWithRole("developer", { accountId: owner.accountId });
    expect((await post(`/portal/team/members/${dev.memberId}/remove`, owner)).status).toBe(303);
    expect((await page("/portal", dev)).status).toBe(303);
  });

  it("sends the session cookie without Secure over plain http to a non-loopback host", async () => {
    const res = await createPortal().request("http://fax.test/portal/signin", {}, env);
    expect(setCookies(res)[0]).toMatch(/^__Host-edgefax_form=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const local = await createPortal().request("http://127.0.0.1:8787/portal/signin", {}, env);
    expect(setCookies(local)[0]).toMatch(/; Secure$/);
  });
});

describe("CSRF", () => {
  it("refuses a form without the token, with another session's token, from another origin, or marked cross-site", async () => {
    const m = await memberWithRole("owner", { withNumber: true });
    const stranger = await memberWithRole("owner");
    const attempts = [
      await post("/portal/numbers", m, { _csrf: "" }),
      await post("/portal/numbers", m, { _csrf: stranger.csrf }),
      await post("/portal/numbers", m, {}, { origin: "https://evil.example" }),
      await post("/portal/numbers", m, {}, { origin: "null" }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("was not sent from this site");
    }
    // No Origin at all: Fetch Metadata decides.
    const { SELF } = await import("cloudflare:test");
    const crossSite = await SELF.fetch(`${ORIGIN}/portal/numbers`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: m.cookie, "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ _csrf: m.csrf }),
    });
    expect(crossSite.status).toBe(403);
    // The same form, properly sent, works.
    const ok = await post("/portal/numbers", m, { mode: "test" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/portal/numbers?done=provisioned");
  });

  it("refuses pre-sign-in forms without the cookie-bound token", async () => {
    const noCookie = await post("/portal/signin", undefined, { _csrf: "abc", email: "a@example.com" });
    expect(noCookie.status).toBe(403);
    const crossSite = await post("/portal/signup", undefined, { company_name: "X", email: "a@example.com" }, { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
  });

  it("answers a form post without a session with the sign-in page's refusal, not the action", async () => {
    const res = await post("/portal/numbers", undefined, { _csrf: "x", mode: "test" });
    expect(res.status).toBe(401);
  });
});

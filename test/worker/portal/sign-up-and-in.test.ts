/** Issue 19 points 1 and 2: sign-up by emailed link, sign-in by magic link, the exact mail sent, no enumeration, rate limits. */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../../src/db/client";
import { insertLink, membershipsOf } from "../../../src/db/portal-store";
import { randomToken, sha256Hex } from "../../../src/lib/crypto";
import { csrfIn, linkIn, memberWithRole, ORIGIN, portalWithMailbox, setCookies } from "./helpers";

const FROM = "edgefax <portal@edgefax.invalid>";

async function signUp(box: ReturnType<typeof portalWithMailbox>, email: string, company = "Acme Clinic") {
  const form = await box.get("/portal/signup");
  expect(form.status).toBe(200);
  return box.post("/portal/signup", { _csrf: csrfIn(await form.text()), company_name: company, email });
}

describe("sign-up", () => {
  it("emails a verification link; following it creates the account with its owner and shows the first test key once", async () => {
    const box = portalWithMailbox();
    const email = `new-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const res = await signUp(box, email.toUpperCase());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your email");
    // The exact message the send_email binding is given.
    expect(box.sent).toHaveLength(1);
    const link = linkIn(box.sent[0]!.text);
    expect(box.sent[0]).toEqual({
      from: FROM,
      to: email,
      subject: "Confirm your edgefax account",
      text: `Someone (we hope you) asked for an edgefax account for Acme Clinic.\n\nConfirm it within 15 minutes:\nhttp://127.0.0.1:8787${link}\n\nIf you did not ask for this, ignore this email: nothing happens until the link is used.\n-- edgefax`,
    });
    // Nothing exists until the link is used; opening it (a mail scanner's GET) uses nothing.
    expect(await membershipsOf(database(env.DB), email)).toHaveLength(0);
    const landing = await box.get(link);
    expect(landing.status).toBe(200);
    const confirmed = await box.post("/portal/auth", { _csrf: csrfIn(await landing.text()), token: new URL(link, ORIGIN).searchParams.get("token")! });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get("cache-control")).toBe("no-store");
    const html = await confirmed.text();
    const key = /(fx_test_[A-Za-z0-9_-]+)/.exec(html)?.[1];
    expect(key).toBeDefined();
    // The key works on the API, for the new account.
    const numbers = await SELF.fetch(`${ORIGIN}/v1/numbers`, { headers: { authorization: `Bearer ${key}` } });
    expect(numbers.status).toBe(200);
    const [membership] = await membershipsOf(database(env.DB), email);
    expect(membership?.member.role).toBe("owner");
    expect(membership?.accountName).toBe("Acme Clinic");
    // Signed in: the dashboard opens, and it never shows the key again.
    const dashboard = await box.get("/portal");
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).not.toContain(key!);
    // The link is single use.
    const again = await box.post("/portal/auth", { _csrf: csrfIn(await (await box.get("/portal/signin")).text()), token: new URL(link, ORIGIN).searchParams.get("token")! });
    expect(again.status).toBe(410);
  });

  it("answers an email that already has an account exactly as a new one, and sends it a sign-in link instead", async () => {
    const existing = await memberWithRole("developer");
    const box = portalWithMailbox();
    const known = await (await signUp(box, existing.email)).text();
    const unknown = await (await signUp(box, `x-${crypto.randomUUID().slice(0, 8)}@example.com`)).text();
    expect(known.replace(/<strong>[^<]+<\/strong>/, "")).toBe(unknown.replace(/<strong>[^<]+<\/strong>/, ""));
    expect(box.sent.map((m) => m.subject)).toEqual(["Your edgefax sign-in link", "Confirm your edgefax account"]);
  });

  it("refuses an invalid form with the reason and sends nothing", async () => {
    const box = portalWithMailbox();
    const res = await signUp(box, "not-an-email");
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("an email address such as");
    expect(box.sent).toHaveLength(0);
  });
});

describe("sign-in by emailed link", () => {
  it("sends a single-use link that signs in, with a __Host- cookie (HttpOnly, Secure, SameSite=Lax)", async () => {
    const m = await memberWithRole("admin");
    const box = portalWithMailbox();
    const form = await box.get("/portal/signin");
    const res = await box.post("/portal/signin", { _csrf: csrfIn(await form.text()), email: m.email });
    expect(res.status).toBe(200);
    expect(box.sent).toHaveLength(1);
    const link = linkIn(box.sent[0]!.text);
    expect(box.sent[0]).toMatchObject({ from: FROM, to: m.email, subject: "Your edgefax sign-in link" });
    expect(box.sent[0]!.text).toContain("Acme admin:\nhttp://127.0.0.1:8787/portal/auth?token=");
    const landing = await box.get(link);
    expect(landing.headers.get("referrer-policy")).toBe("same-origin");
    const token = new URL(link, ORIGIN).searchParams.get("token")!;
    const signedIn = await box.post("/portal/auth", { _csrf: csrfIn(await landing.text()), token });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("location")).toBe("/portal");
    const cookie = setCookies(signedIn).find((c: string) => c.startsWith("__Host-edgefax_session="));
    expect(cookie).toMatch(/^__Host-edgefax_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expect((await box.get("/portal")).status).toBe(200);
    expect((await box.post("/portal/auth", { _csrf: csrfIn(await (await box.get("/portal/signin")).text()), token })).status).toBe(410);
  });

  it("says the same for an unknown email and sends nothing", async () => {
    const m = await memberWithRole("billing");
    const box = portalWithMailbox();
    const csrf = csrfIn(await (await box.get("/portal/signin")).text());
    const unknownEmail = `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const a = await (await box.post("/portal/signin", { _csrf: csrf, email: unknownEmail })).text();
    const b = await (await box.post("/portal/signin", { _csrf: csrf, email: m.email })).text();
    expect(a.replace(unknownEmail, "EMAIL")).toBe(b.replace(m.email, "EMAIL"));
    expect(box.sent.map((x) => x.to)).toEqual([m.email]);
  });

  it("refuses an expired link", async () => {
    const m = await memberWithRole("developer");
    const token = randomToken("", 32);
    await insertLink(database(env.DB), {
      tokenHash: await sha256Hex(token),
      purpose: "signin",
      email: m.email,
      accountId: m.accountId,
      memberId: m.memberId,
      role: null,
      companyName: null,
      invitedBy: null,
      createdAt: new Date(Date.now() - 16 * 60_000).toISOString(),
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const box = portalWithMailbox();
    expect((await box.get(`/portal/auth?token=${token}`)).status).toBe(410);
    const csrf = csrfIn(await (await box.get("/portal/signin")).text());
    expect((await box.post("/portal/auth", { _csrf: csrf, token })).status).toBe(410);
  });

  it("sends at most 3 links a minute to one email, and refuses the 11th request a minute from one address", async () => {
    const m = await memberWithRole("developer");
    const box = portalWithMailbox();
    const csrf = csrfIn(await (await box.get("/portal/signin")).text());
    const address = { "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250)}` };
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await box.post("/portal/signin", { _csrf: csrf, email: m.email }, address)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429]);
    expect(box.sent).toHaveLength(3);
  });
});

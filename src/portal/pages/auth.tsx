/**
 * Sign-up, sign-in by emailed link, and the link landing page (issue 19 points 1 and 2). No passwords.
 * Every answer to "send me a link" is the same whether or not the email has an account (no enumeration);
 * a link is used only by a POST from its landing page, so mail scanners that fetch links cannot spend it.
 */
import type { Context } from "hono";
import type { Hono } from "hono";
import { settings } from "../../config";
import { createAccountWithKey } from "../../db/account-store";
import { database } from "../../db/client";
import { findMember, findUsableLink, insertLink, insertMember, membershipsOf, useLink, type LinkRow } from "../../db/portal-store";
import { randomToken, sha256Hex } from "../../lib/crypto";
import type { PortalEnv } from "../context";
import { CSRF_FIELD, preSessionCsrfToken } from "../csrf";
import { CsrfField, Layout, Notice } from "../layout";
import { sendMail, signinMail, signupMail } from "../mail";
import { clientAddress, PORTAL_LIMITS, withinLimit } from "../rate-limit";
import { preSessionCsrf, startSession } from "../session";
import { refusedPage } from "./errors";

/** Sign-up and sign-in links live 15 minutes; invitations 7 days (src/portal/pages/team.tsx). */
export const LINK_TTL_MS = 15 * 60_000;

const EMAIL = /^[^\s@<>()",;:]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$/;

export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : null;
}

/** A new emailed link: the token goes in the URL, only its hash is stored. */
export async function issueLink(env: Env, row: Omit<LinkRow, "id" | "usedAt" | "tokenHash" | "createdAt" | "expiresAt">, ttlMs: number): Promise<string> {
  return (await issueLinkRow(env, row, ttlMs)).url;
}

/** issueLink, with the stored link's id (an invitation's audit entry names it). */
export async function issueLinkRow(env: Env, row: Omit<LinkRow, "id" | "usedAt" | "tokenHash" | "createdAt" | "expiresAt">, ttlMs: number): Promise<{ url: string; id: string }> {
  const token = randomToken("", 32);
  const now = Date.now();
  const stored = await insertLink(database(env.DB), {
    ...row,
    tokenHash: await sha256Hex(token),
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
  });
  return { url: `${settings(env).publicUrl}/portal/auth?token=${token}`, id: stored.id };
}

function field(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value.trim() : "";
}

/** Sends sign-in links for every account the email belongs to; nothing when it belongs to none. */
async function sendSigninLinks(env: Env, email: string): Promise<void> {
  const memberships = await membershipsOf(database(env.DB), email);
  if (memberships.length === 0) return;
  const links = await Promise.all(
    memberships.map(async ({ member, accountName }) => ({
      accountName,
      link: await issueLink(env, { purpose: "signin", email, accountId: member.accountId, memberId: member.id, role: null, companyName: null, invitedBy: null }, LINK_TTL_MS),
    })),
  );
  await sendMail(env, signinMail(env, email, links));
}

/** Rate limits of a form anyone can post: too many from one address is a 429 page; too many to one email are dropped quietly. */
async function limited(c: Context<PortalEnv>, form: string, email: string | null): Promise<"address" | "email" | null> {
  if (!(await withinLimit(c.env, `${form}:ip:${clientAddress(c.req)}`, PORTAL_LIMITS.perAddress))) return "address";
  if (email && !(await withinLimit(c.env, `${form}:email:${email}`, PORTAL_LIMITS.perEmail))) return "email";
  return null;
}

const CheckEmail = ({ email }: { email: string }) => (
  <Layout title="Check your email">
    <Notice kind="ok">
      If <strong>{email}</strong> can use that, a link is on its way to it. It works once, within 15 minutes.
    </Notice>
    <p>
      No email after a few minutes? Check the spam folder, or <a href="/portal/signin">ask for another link</a>.
    </p>
  </Layout>
);

export function registerAuthPages(portal: Hono<PortalEnv>): void {
  portal.use("/portal/signup", preSessionCsrf);
  portal.use("/portal/signin", preSessionCsrf);
  portal.use("/portal/auth", preSessionCsrf);

  portal.get("/portal/signup", async (c) => {
    const csrf = await preSessionCsrfToken(c);
    return c.html(<SignupForm csrf={csrf} />);
  });

  portal.post("/portal/signup", async (c) => {
    const form = await c.req.parseBody();
    const companyName = field(form, "company_name");
    const email = normalizeEmail(form.email);
    if (!email || companyName.length < 1 || companyName.length > 100) {
      const csrf = await preSessionCsrfToken(c);
      return c.html(<SignupForm csrf={csrf} error="Give your company's name (up to 100 characters) and an email address such as you@example.com." company={companyName} email={field(form, "email")} />, 422);
    }
    const limit = await limited(c, "signup", email);
    if (limit === "address") return refusedPage(c, "Too many sign-up requests from your address. Wait a minute, then try again.", 429);
    if (limit === null) {
      // An email that already has an account gets a sign-in link instead: the page says the same either way.
      const known = (await membershipsOf(database(c.env.DB), email)).length > 0;
      if (known) await sendSigninLinks(c.env, email);
      else {
        const link = await issueLink(c.env, { purpose: "signup", email, accountId: null, memberId: null, role: "owner", companyName, invitedBy: null }, LINK_TTL_MS);
        await sendMail(c.env, signupMail(c.env, email, companyName, link));
      }
    }
    return c.html(<CheckEmail email={email} />);
  });

  portal.get("/portal/signin", async (c) => {
    const csrf = await preSessionCsrfToken(c);
    return c.html(<SigninForm csrf={csrf} expired={c.req.query("expired") === "1"} />);
  });

  portal.post("/portal/signin", async (c) => {
    const form = await c.req.parseBody();
    const email = normalizeEmail(form.email);
    if (!email) {
      const csrf = await preSessionCsrfToken(c);
      return c.html(<SigninForm csrf={csrf} error="Give an email address such as you@example.com." />, 422);
    }
    const limit = await limited(c, "signin", email);
    if (limit === "address") return refusedPage(c, "Too many sign-in requests from your address. Wait a minute, then try again.", 429);
    if (limit === null) await sendSigninLinks(c.env, email);
    return c.html(<CheckEmail email={email} />);
  });

  portal.get("/portal/auth", async (c) => {
    const token = c.req.query("token") ?? "";
    const link = /^[A-Za-z0-9_-]{40,64}$/.test(token) ? await findUsableLink(database(c.env.DB), await sha256Hex(token), new Date().toISOString()) : undefined;
    // same-origin (not no-referrer): the token never leaves in a Referer to another site, and the form's
    // post keeps its Origin (Chromium sends "Origin: null" from a no-referrer page, which the CSRF check refuses).
    c.header("referrer-policy", "same-origin");
    if (!link) return c.html(<DeadLink />, 410);
    const csrf = await preSessionCsrfToken(c);
    const what = link.purpose === "signup" ? `Create the account for ${link.companyName}` : link.purpose === "invite" ? "Accept the invitation" : "Sign in";
    return c.html(
      <Layout title={what}>
        <p>
          Continue as <strong>{link.email}</strong>.
        </p>
        <form method="post" action="/portal/auth" class="stack">
          <CsrfField token={csrf} />
          <input type="hidden" name="token" value={token} />
          <div>
            <button type="submit">{what}</button>
          </div>
        </form>
      </Layout>,
    );
  });

  portal.post("/portal/auth", async (c) => {
    const form = await c.req.parseBody();
    const token = field(form, "token");
    const db = database(c.env.DB);
    const nowIso = new Date().toISOString();
    const link = /^[A-Za-z0-9_-]{40,64}$/.test(token) ? await useLink(db, await sha256Hex(token), nowIso) : undefined;
    if (!link) return c.html(<DeadLink />, 410);
    if (link.purpose === "signup") {
      const created = await createAccountWithKey(c.env.DB, { name: link.companyName ?? link.email, mode: "test" });
      const owner = await insertMember(db, created.accountId, link.email, "owner", nowIso);
      await startSession(c, owner);
      c.header("cache-control", "no-store");
      return c.html(
        <Layout title="Your account is ready">
          <Notice kind="ok">Welcome to edgefax, {link.companyName}.</Notice>
          <h2>Your first test key</h2>
          <p>Copy it now: it is shown only this once, and only its hash is stored. Test keys never reach a phone line.</p>
          <code class="secret" id="first-key">
            {created.key}
          </code>
          <p>
            Next: <a href="/portal/numbers">get a number</a>, then <a href="/portal/send">send a test fax</a>, or go to the <a href="/portal">dashboard</a>.
          </p>
        </Layout>,
      );
    }
    let member = link.purpose === "signin" && link.accountId && link.memberId ? await findMember(db, link.accountId, link.memberId) : undefined;
    if (link.purpose === "invite" && link.accountId && link.role) member = await insertMember(db, link.accountId, link.email, link.role, nowIso);
    if (!member) return c.html(<DeadLink />, 410);
    await startSession(c, member);
    return c.redirect("/portal", 303);
  });
}

const DeadLink = () => (
  <Layout title="This link no longer works">
    <p>Links work once, and sign-in links for 15 minutes. This one was used already, has expired, or is not complete.</p>
    <p>
      <a href="/portal/signin">Ask for a new sign-in link</a> or <a href="/portal/signup">sign up</a>.
    </p>
  </Layout>
);

const SignupForm = (p: { csrf: string; error?: string; company?: string; email?: string }) => (
  <Layout title="Create your edgefax account">
    {p.error ? <Notice kind="error">{p.error}</Notice> : null}
    <p>We email you a link to confirm the address; following it creates the account and shows your first test key.</p>
    <form method="post" action="/portal/signup" class="stack">
      <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
      <label>
        Company name
        <input name="company_name" required maxlength={100} autocomplete="organization" value={p.company ?? ""} />
      </label>
      <label>
        Work email
        <input name="email" type="email" required maxlength={254} autocomplete="email" value={p.email ?? ""} />
      </label>
      <div>
        <button type="submit">Email me a link</button>
      </div>
    </form>
    <p>
      Already have an account? <a href="/portal/signin">Sign in</a>.
    </p>
  </Layout>
);

const SigninForm = (p: { csrf: string; error?: string; expired?: boolean }) => (
  <Layout title="Sign in to edgefax">
    {p.expired ? <Notice>Your session ended after a while without activity. Sign in again.</Notice> : null}
    {p.error ? <Notice kind="error">{p.error}</Notice> : null}
    <p>We email you a sign-in link. There is no password.</p>
    <form method="post" action="/portal/signin" class="stack">
      <input type="hidden" name={CSRF_FIELD} value={p.csrf} />
      <label>
        Email
        <input name="email" type="email" required maxlength={254} autocomplete="email" />
      </label>
      <div>
        <button type="submit">Email me a sign-in link</button>
      </div>
    </form>
    <p>
      New here? <a href="/portal/signup">Create an account</a>.
    </p>
  </Layout>
);

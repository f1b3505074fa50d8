/** Portal test helpers: members with sessions in the real D1, form posts with the session's CSRF token, a recording mail binding. */
import { env, SELF } from "cloudflare:test";
import { createAccountWithKey } from "../../../src/db/account-store";
import { database } from "../../../src/db/client";
import { provisionNumber } from "../../../src/db/number-store";
import { insertMember, insertSession, type MemberRole } from "../../../src/db/portal-store";
import { randomToken, sha256Hex } from "../../../src/lib/crypto";
import { createPortal } from "../../../src/portal";
import { sessionCsrfToken } from "../../../src/portal/csrf";
import type { PortalMail } from "../../../src/portal/mail";

export const ORIGIN = "https://fax.test";

/** Every Set-Cookie line of a response (workerd has Headers.getSetCookie; the workers types lag behind). */
export function setCookies(res: Response): string[] {
  return (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
}

export interface TestMember {
  accountId: string;
  memberId: string;
  key: string;
  cookie: string;
  csrf: string;
  sessionHash: string;
  email: string;
}

/** A session row as sign-in would make it, optionally aged (to test the idle and absolute timeouts). */
export async function sessionFor(accountId: string, memberId: string, times: { lastSeenAt?: string; expiresAt?: string } = {}) {
  const token = randomToken("", 32);
  const sessionHash = await sha256Hex(token);
  const now = new Date().toISOString();
  await insertSession(database(env.DB), {
    tokenHash: sessionHash,
    memberId,
    accountId,
    createdAt: now,
    lastSeenAt: times.lastSeenAt ?? now,
    expiresAt: times.expiresAt ?? new Date(Date.now() + 3600_000).toISOString(),
  });
  return { cookie: `__Host-edgefax_session=${token}`, csrf: await sessionCsrfToken(env, sessionHash), sessionHash };
}

export async function memberWithRole(role: MemberRole, options: { withNumber?: boolean; accountId?: string; key?: string } = {}): Promise<TestMember> {
  const account = options.accountId ? { accountId: options.accountId, key: options.key ?? "" } : await createAccountWithKey(env.DB, { name: `Acme ${role}`, mode: "test" });
  if (options.withNumber) await provisionNumber(database(env.DB), account.accountId, "test", [], null);
  const email = `${role}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const member = await insertMember(database(env.DB), account.accountId, email, role, new Date().toISOString());
  const session = await sessionFor(account.accountId, member.id);
  return { accountId: account.accountId, memberId: member.id, key: account.key, email, ...session };
}

/** GET through the whole Worker with the member's cookie. */
export function page(path: string, who?: Pick<TestMember, "cookie">, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, { redirect: "manual", headers: { ...(who ? { cookie: who.cookie } : {}), ...headers } });
}

/** A same-origin form post with the session's CSRF token (unless `fields._csrf` overrides it). */
export function post(path: string, who: Pick<TestMember, "cookie" | "csrf"> | undefined, fields: Record<string, string | string[]> = {}, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  if (who && !("_csrf" in fields)) body.append("_csrf", who.csrf);
  for (const [k, v] of Object.entries(fields)) for (const one of ([] as string[]).concat(v)) body.append(k, one);
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, ...(who ? { cookie: who.cookie } : {}), ...headers },
    body,
  });
}

/**
 * The portal app with a MAIL binding that records what it is given (the production path: env.MAIL.send),
 * and cookies carried from response to request like a browser's jar.
 */
export function portalWithMailbox() {
  const sent: PortalMail[] = [];
  const testEnv = { ...env, LOCAL_OUTBOX: undefined, MAIL: { send: async (m: PortalMail) => (sent.push(m), { messageId: "test" }) } } as unknown as Env;
  const app = createPortal();
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of setCookies(res)) {
      const [pair] = line.split(";");
      const [name, ...value] = pair!.split("=");
      if (/Max-Age=0/.test(line)) jar.delete(name!);
      else jar.set(name!, value.join("="));
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  return {
    sent,
    jar,
    get: async (path: string, headers: Record<string, string> = {}) => remember(await app.request(`${ORIGIN}${path}`, { headers: { cookie: cookie(), ...headers } }, testEnv)),
    post: async (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      remember(
        await app.request(
          `${ORIGIN}${path}`,
          { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, cookie: cookie(), ...headers }, body: new URLSearchParams(fields) },
          testEnv,
        ),
      ),
  };
}

/** The value of the form's hidden CSRF field in a page. */
export function csrfIn(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no CSRF field in the page");
  return m[1]!;
}

/** The /portal/auth link in a message, as a path. */
export function linkIn(text: string): string {
  const m = /https?:\/\/[^\s/]+(\/portal\/auth\?token=[A-Za-z0-9_-]+)/.exec(text);
  if (!m) throw new Error(`no link in: ${text}`);
  return m[1]!;
}

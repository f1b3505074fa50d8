/**
 * The portal's email: sign-up verification, sign-in links, invitations. In production they go through
 * the Workers `send_email` binding (MAIL, Cloudflare Email Service's message form); under `npm start`
 * the local platform binds LOCAL_OUTBOX instead, which writes each message to a file in the state
 * directory's outbox (scripts/local-worker.mjs; `npm run -s mail:last` prints the newest).
 */
import type { MemberRole } from "../db/portal-store";

export interface PortalMail {
  from: string;
  to: string;
  subject: string;
  text: string;
}

export async function sendMail(env: Env, mail: PortalMail): Promise<void> {
  if (env.LOCAL_OUTBOX) {
    const res = await env.LOCAL_OUTBOX.fetch("http://outbox/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(mail) });
    if (!res.ok) throw new Error(`the local outbox answered ${res.status}`);
    return;
  }
  await env.MAIL.send(mail);
}

export function mailFrom(env: Env): string {
  return env.PORTAL_MAIL_FROM || "edgefax <portal@edgefax.invalid>";
}

const FOOTER = "\n\nIf you did not ask for this, ignore this email: nothing happens until the link is used.\n-- edgefax";

export function signupMail(env: Env, to: string, companyName: string, link: string): PortalMail {
  return {
    from: mailFrom(env),
    to,
    subject: "Confirm your edgefax account",
    text: `Someone (we hope you) asked for an edgefax account for ${companyName}.\n\nConfirm it within 15 minutes:\n${link}${FOOTER}`,
  };
}

export function signinMail(env: Env, to: string, accounts: Array<{ accountName: string; link: string }>): PortalMail {
  const lines = accounts.map((a) => `${a.accountName}:\n${a.link}`).join("\n\n");
  return {
    from: mailFrom(env),
    to,
    subject: "Your edgefax sign-in link",
    text: `Sign in to edgefax with ${accounts.length === 1 ? "this link" : "the link of the account you want"} (each works once, for 15 minutes):\n\n${lines}${FOOTER}`,
  };
}

export function inviteMail(env: Env, to: string, accountName: string, role: MemberRole, invitedBy: string, link: string): PortalMail {
  return {
    from: mailFrom(env),
    to,
    subject: `You are invited to ${accountName} on edgefax`,
    text: `${invitedBy} invited you to join ${accountName} on edgefax as ${role}.\n\nAccept within 7 days:\n${link}${FOOTER}`,
  };
}

/**
 * Team (issue 19 point 3): members and their roles, invitations by email. Owners alone grant, change or
 * remove ownership; the last owner stays. Each change is in the audit log (src/portal/audit.ts).
 */
import type { Context, Hono } from "hono";
import { database } from "../../db/client";
import {
  countOwners,
  findMember,
  listMembers,
  pendingInvitations,
  removeMember,
  setMemberRole,
  withdrawInvitation,
  type MemberRole,
} from "../../db/portal-store";
import type { PortalEnv } from "../context";
import { clearPortalCookie, SESSION_COOKIE } from "../cookies";
import { CsrfField, Layout, Notice, PostButton, Table, Time } from "../layout";
import { inviteMail, sendMail } from "../mail";
import { can, ROLE_DESCRIPTIONS, ROLES } from "../permissions";
import { auditMember } from "../audit";
import { allow } from "../session";
import { issueLinkRow, normalizeEmail } from "./auth";
import { forbiddenPage, notFoundPage } from "./errors";

export const INVITE_TTL_MS = 7 * 24 * 3600_000;

const MESSAGES: Record<string, { text: string; kind?: "error" }> = {
  invited: { text: "The invitation is on its way." },
  role: { text: "The role was changed." },
  removed: { text: "The member was removed and signed out." },
  withdrawn: { text: "The invitation was withdrawn; its link no longer works." },
  last_owner: { text: "The account must keep at least one owner: make someone else owner first.", kind: "error" },
  bad_email: { text: "Give an email address such as colleague@example.com.", kind: "error" },
  already: { text: "That person is already on the team.", kind: "error" },
};

function roleOf(raw: unknown): MemberRole | null {
  return typeof raw === "string" && (ROLES as readonly string[]).includes(raw) ? (raw as MemberRole) : null;
}

async function teamPage(c: Context<PortalEnv>) {
  const member = c.get("member");
  const db = database(c.env.DB);
  const nowIso = new Date().toISOString();
  const [members, invitations] = await Promise.all([listMembers(db, member.accountId), pendingInvitations(db, member.accountId, nowIso)]);
  const zone = c.get("timeZone");
  const csrf = c.get("csrf");
  const manage = can(member.role, "team.manage");
  const ownership = can(member.role, "team.ownership");
  const grantable = ROLES.filter((r) => r !== "owner" || ownership);
  const message = MESSAGES[c.req.query("done") ?? ""];
  return c.html(
    <Layout title="Team" member={member} csrf={csrf} current="/portal/team">
      {message ? <Notice kind={message.kind ?? "ok"}>{message.text}</Notice> : null}
      <Table label="Team members" head={["Email", "Role", "Since", manage ? "Change" : ""]}>
        {members.map((m) => {
          const editable = manage && (ownership || m.role !== "owner");
          return (
            <tr>
              <td>
                {m.email}
                {m.id === member.id ? " (you)" : ""}
              </td>
              <td>{m.role}</td>
              <td>
                <Time iso={m.createdAt} zone={zone} />
              </td>
              <td>
                {editable ? (
                  <div class="actions">
                    <form method="post" action={`/portal/team/members/${m.id}/role`} class="actions">
                      <CsrfField token={csrf} />
                      <label>
                        <span class="skip">Role of {m.email}</span>
                        <select name="role">
                          {grantable.map((r) => (
                            <option value={r} selected={r === m.role}>
                              {r}
                            </option>
                          ))}
                        </select>
                      </label>
                      <button type="submit" class="secondary">
                        Change role<span class="skip"> of {m.email}</span>
                      </button>
                    </form>
                    <PostButton action={`/portal/team/members/${m.id}/remove`} csrf={csrf} kind="danger" label={<>Remove<span class="skip"> {m.email}</span></>} />
                  </div>
                ) : null}
              </td>
            </tr>
          );
        })}
      </Table>
      <h2>Roles</h2>
      <dl class="facts">
        {ROLES.map((r) => (
          <>
            <dt>{r}</dt>
            <dd>{ROLE_DESCRIPTIONS[r]}</dd>
          </>
        ))}
      </dl>
      <h2>Invitations</h2>
      {invitations.length === 0 ? (
        <p class="hint">No open invitations.</p>
      ) : (
        <Table label="Open invitations" head={["Email", "Role", "Expires", ""]}>
          {invitations.map((i) => (
            <tr>
              <td>{i.email}</td>
              <td>{i.role}</td>
              <td>
                <Time iso={i.expiresAt} zone={zone} />
              </td>
              <td>
                {manage ? (
                  <PostButton action={`/portal/team/invitations/${i.id}/withdraw`} csrf={csrf} label={<>Withdraw<span class="skip"> the invitation of {i.email}</span></>} />
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {manage ? (
        <form method="post" action="/portal/team/invitations" class="stack" style="margin-top:1rem">
          <CsrfField token={csrf} />
          <label for="invite-email">Email</label>
          <input id="invite-email" name="email" type="email" required maxlength={254} />
          <label for="invite-role">Role</label>
          <select id="invite-role" name="role">
            {grantable.map((r) => (
              <option value={r} selected={r === "developer"}>
                {r}
              </option>
            ))}
          </select>
          <div>
            <button type="submit">Send the invitation</button>
          </div>
        </form>
      ) : null}
    </Layout>,
  );
}

export function registerTeamPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/team", allow("team.view"), teamPage);

  portal.post("/portal/team/invitations", allow("team.manage"), async (c) => {
    const member = c.get("member");
    const form = await c.req.parseBody();
    const email = normalizeEmail(form.email);
    const role = roleOf(form.role);
    if (!email || !role) return c.redirect("/portal/team?done=bad_email", 303);
    if (role === "owner" && !can(member.role, "team.ownership")) return forbiddenPage(c, "team.ownership");
    const db = database(c.env.DB);
    if ((await listMembers(db, member.accountId)).some((m) => m.email === email)) return c.redirect("/portal/team?done=already", 303);
    const link = await issueLinkRow(c.env, { purpose: "invite", email, accountId: member.accountId, memberId: null, role, companyName: null, invitedBy: member.id }, INVITE_TTL_MS);
    await sendMail(c.env, inviteMail(c.env, email, member.accountName, role, member.email, link.url));
    auditMember(c, "portal.invite_member", { type: "portal_member", id: link.id });
    return c.redirect("/portal/team?done=invited", 303);
  });

  portal.post("/portal/team/invitations/:id/withdraw", allow("team.manage"), async (c) => {
    const withdrawn = await withdrawInvitation(database(c.env.DB), c.get("member").accountId, c.req.param("id"), new Date().toISOString());
    if (!withdrawn) return notFoundPage(c);
    auditMember(c, "portal.withdraw_invitation", { type: "portal_member", id: withdrawn.id });
    return c.redirect("/portal/team?done=withdrawn", 303);
  });

  portal.post("/portal/team/members/:id/role", allow("team.manage"), async (c) => {
    const member = c.get("member");
    const db = database(c.env.DB);
    const target = await findMember(db, member.accountId, c.req.param("id"));
    if (!target) return notFoundPage(c);
    const role = roleOf((await c.req.parseBody()).role);
    if (!role) return c.redirect("/portal/team", 303);
    // Granting ownership, or touching an owner, is the ownership action (owners only).
    if ((role === "owner" || target.role === "owner") && !can(member.role, "team.ownership")) return forbiddenPage(c, "team.ownership");
    if (target.role === "owner" && role !== "owner" && (await countOwners(db, member.accountId)) <= 1) return c.redirect("/portal/team?done=last_owner", 303);
    await setMemberRole(db, member.accountId, target.id, role);
    if (role !== target.role) auditMember(c, "portal.change_role", { type: "portal_member", id: target.id });
    return c.redirect("/portal/team?done=role", 303);
  });

  portal.post("/portal/team/members/:id/remove", allow("team.manage"), async (c) => {
    const member = c.get("member");
    const db = database(c.env.DB);
    const target = await findMember(db, member.accountId, c.req.param("id"));
    if (!target) return notFoundPage(c);
    if (target.role === "owner" && !can(member.role, "team.ownership")) return forbiddenPage(c, "team.ownership");
    if (target.role === "owner" && (await countOwners(db, member.accountId)) <= 1) return c.redirect("/portal/team?done=last_owner", 303);
    await removeMember(db, member.accountId, target.id, new Date().toISOString());
    auditMember(c, "portal.remove_member", { type: "portal_member", id: target.id });
    if (target.id === member.id) {
      clearPortalCookie(c, SESSION_COOKIE);
      return c.redirect("/portal/signin", 303);
    }
    return c.redirect("/portal/team?done=removed", 303);
  });
}

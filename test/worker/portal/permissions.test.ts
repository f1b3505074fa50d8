/**
 * Issue 19 point 3: the one permission table, checked twice. First the table itself against the roles as
 * the issue defines them; then every page and form of every action, for every role, through the Worker:
 * inside the role it is served, outside it is the 403 page.
 */
import { describe, expect, it } from "vitest";
import type { MemberRole } from "../../../src/db/portal-store";
import { can, PERMISSIONS, ROLES, type PortalAction } from "../../../src/portal/permissions";
import { memberWithRole, page, post, sessionFor, type TestMember } from "./helpers";

/** The words: owner everything; admin everything but billing and ownership; billing money; developer keys, webhooks, faxes, numbers read-only. */
const EXPECTED: Record<MemberRole, PortalAction[]> = {
  owner: Object.keys(PERMISSIONS) as PortalAction[],
  admin: (Object.keys(PERMISSIONS) as PortalAction[]).filter((a) => !a.startsWith("billing.") && a !== "team.ownership"),
  billing: ["dashboard.view", "billing.view", "billing.manage", "account.sessions"],
  developer: ["dashboard.view", "faxes.view", "faxes.send", "faxes.cancel", "numbers.view", "external_users.view", "webhooks.view", "webhooks.manage", "keys.view", "keys.manage", "account.sessions"],
};

const FAX = "fax_01jd8x6r3q5v7w9y0a2b4c6d8e";
const WHE = "whe_01jd8x6r3q5v7w9y0a2b4c6d8e";
const MEM = "mem_01jd8x6r3q5v7w9y0a2b4c6d8e";

/** Every route of the portal behind sign-in, by the action it checks. */
const ROUTES: Partial<Record<PortalAction, Array<["GET" | "POST", string]>>> = {
  "dashboard.view": [["GET", "/portal"], ["POST", "/portal/mode"]],
  "faxes.view": [["GET", "/portal/faxes"], ["GET", "/portal/faxes?direction=inbound"], ["GET", `/portal/faxes/${FAX}`]],
  "faxes.send": [["GET", "/portal/send"], ["POST", "/portal/send"]],
  "faxes.cancel": [["POST", `/portal/faxes/${FAX}/cancel`]],
  "numbers.view": [["GET", "/portal/numbers"]],
  "numbers.manage": [["POST", "/portal/numbers"], ["POST", "/portal/numbers/num_01jd8x6r3q5v7w9y0a2b4c6d8e/release"]],
  "external_users.view": [["GET", "/portal/external-users"], ["GET", "/portal/external-users/patient-1"]],
  "audit.view": [["GET", "/portal/audit"], ["GET", "/portal/audit?action=fax.send&from=2026-01-01"], ["GET", "/portal/audit/export"]],
  "webhooks.view": [["GET", "/portal/webhooks"], ["GET", `/portal/webhooks/${WHE}`]],
  "webhooks.manage": [
    ["POST", "/portal/webhooks"],
    ["POST", `/portal/webhooks/${WHE}/ping`],
    ["POST", `/portal/webhooks/${WHE}/rotate`],
    ["POST", `/portal/webhooks/${WHE}/enable`],
    ["POST", `/portal/webhooks/${WHE}/disable`],
    ["POST", `/portal/webhooks/${WHE}/delete`],
    ["POST", `/portal/webhooks/${WHE}/deliveries/msg_01jd8x6r3q5v7w9y0a2b4c6d8e/redeliver`],
  ],
  "team.view": [["GET", "/portal/team"]],
  "team.manage": [
    ["POST", "/portal/team/invitations"],
    ["POST", "/portal/team/invitations/lnk_01jd8x6r3q5v7w9y0a2b4c6d8e/withdraw"],
    ["POST", `/portal/team/members/${MEM}/role`],
    ["POST", `/portal/team/members/${MEM}/remove`],
  ],
  "keys.view": [["GET", "/portal/keys"]],
  "keys.manage": [["POST", "/portal/keys"], ["POST", "/portal/keys/key_01jd8x6r3q5v7w9y0a2b4c6d8e/revoke"]],
  "billing.view": [["GET", "/portal/billing"], ["GET", "/portal/usage"], ["GET", "/portal/usage?group_by=number"], ["GET", "/portal/statements"]],
  "billing.manage": [["POST", "/portal/billing/purchases"], ["POST", "/portal/billing/invoices/inv_01jd8x6r3q5v7w9y0a2b4c6d8e/pay"]],
  "account.sessions": [
    ["GET", "/portal/account"],
    ["POST", "/portal/signout"],
    ["POST", "/portal/account/signout-everywhere"],
    ["POST", "/portal/account/sessions/revoke-others"],
    ["POST", "/portal/account/sessions/ses_01jd8x6r3q5v7w9y0a2b4c6d8e/revoke"],
  ],
};

describe("the permission table", () => {
  it("gives each role exactly the actions the issue gives it", () => {
    for (const role of ROLES) {
      const allowed = (Object.keys(PERMISSIONS) as PortalAction[]).filter((a) => can(role, a));
      expect(allowed.sort(), role).toEqual([...EXPECTED[role]].sort());
    }
  });

  it("names a route for every action that has a page today", () => {
    const withoutPages = (Object.keys(PERMISSIONS) as PortalAction[]).filter((a) => !ROUTES[a]);
    // Ownership is checked inside team.manage's forms (below).
    expect(withoutPages.sort()).toEqual(["team.ownership"]);
  });

  for (const role of ROLES) {
    it(`serves a ${role} every route of its actions and refuses the others with the 403 page`, async () => {
      const member = await memberWithRole(role);
      for (const [action, routes] of Object.entries(ROUTES) as Array<[PortalAction, Array<["GET" | "POST", string]>]>) {
        for (const [method, path] of routes) {
          // A fresh session per request: sign-out routes end the one they are given.
          const who: TestMember = { ...member, ...(await sessionFor(member.accountId, member.memberId)) };
          const res = method === "GET" ? await page(path, who) : await post(path, who);
          const body = await res.text();
          if (can(role, action)) {
            expect(res.status, `${role} ${method} ${path}`).not.toBe(403);
            expect(res.status, `${role} ${method} ${path}: ${body.slice(0, 300)}`).toBeLessThan(500);
            expect(body).not.toContain("Not allowed for your role");
          } else {
            expect(res.status, `${role} ${method} ${path}`).toBe(403);
            expect(body).toContain("Not allowed for your role");
            expect(body).toContain(action);
          }
        }
      }
    });
  }

  it("lets only owners grant ownership or change an owner, and keeps the last owner", async () => {
    const owner = await memberWithRole("owner");
    const admin = await memberWithRole("admin", { accountId: owner.accountId });
    const dev = await memberWithRole("developer", { accountId: owner.accountId });
    expect((await post(`/portal/team/members/${dev.memberId}/role`, admin, { role: "owner" })).status).toBe(403);
    expect((await post(`/portal/team/members/${owner.memberId}/role`, admin, { role: "developer" })).status).toBe(403);
    expect((await post(`/portal/team/members/${owner.memberId}/remove`, admin)).status).toBe(403);
    expect((await post("/portal/team/invitations", admin, { email: "boss@example.com", role: "owner" })).status).toBe(403);
    const demoteLast = await post(`/portal/team/members/${owner.memberId}/role`, owner, { role: "admin" });
    expect(demoteLast.headers.get("location")).toBe("/portal/team?done=last_owner");
    expect((await post(`/portal/team/members/${dev.memberId}/role`, admin, { role: "billing" })).headers.get("location")).toBe("/portal/team?done=role");
    expect((await post(`/portal/team/members/${dev.memberId}/role`, owner, { role: "owner" })).headers.get("location")).toBe("/portal/team?done=role");
    // Now a billing member: the faxes page is outside the role at once (the role is read on every request).
    const billing = await memberWithRole("admin", { accountId: owner.accountId });
    await post(`/portal/team/members/${billing.memberId}/role`, owner, { role: "billing" });
    expect((await page("/portal/faxes", billing)).status).toBe(403);
  });
});

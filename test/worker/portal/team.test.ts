/** Issue 19 point 3: invitations by email (the exact message), accepting one, withdrawing one. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../../src/db/client";
import { listMembers, pendingInvitations } from "../../../src/db/portal-store";
import { csrfIn, linkIn, memberWithRole, ORIGIN, portalWithMailbox } from "./helpers";

describe("invitations", () => {
  it("emails the invitation, and its link signs the person in with the role offered", async () => {
    const admin = await memberWithRole("admin");
    const box = portalWithMailbox();
    box.jar.set("__Host-edgefax_session", admin.cookie.split("=")[1]!);
    const invited = `new-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const res = await box.post("/portal/team/invitations", { _csrf: admin.csrf, email: invited, role: "billing" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/portal/team?done=invited");
    expect(box.sent).toHaveLength(1);
    const link = linkIn(box.sent[0]!.text);
    expect(box.sent[0]).toEqual({
      from: "edgefax <portal@edgefax.invalid>",
      to: invited,
      subject: "You are invited to Acme admin on edgefax",
      text: `${admin.email} invited you to join Acme admin on edgefax as billing.\n\nAccept within 7 days:\nhttp://127.0.0.1:8787${link}\n\nIf you did not ask for this, ignore this email: nothing happens until the link is used.\n-- edgefax`,
    });
    expect((await pendingInvitations(database(env.DB), admin.accountId, new Date().toISOString())).map((i) => i.email)).toEqual([invited]);

    const guest = portalWithMailbox();
    const landing = await guest.get(link);
    expect(await landing.clone().text()).toContain("Accept the invitation");
    const accepted = await guest.post("/portal/auth", { _csrf: csrfIn(await landing.text()), token: new URL(link, ORIGIN).searchParams.get("token")! });
    expect(accepted.status).toBe(303);
    const members = await listMembers(database(env.DB), admin.accountId);
    expect(members.find((m) => m.email === invited)?.role).toBe("billing");
    expect((await guest.get("/portal")).status).toBe(200);
    expect((await guest.get("/portal/faxes")).status).toBe(403);
  });

  it("a withdrawn invitation's link no longer works", async () => {
    const owner = await memberWithRole("owner");
    const box = portalWithMailbox();
    box.jar.set("__Host-edgefax_session", owner.cookie.split("=")[1]!);
    await box.post("/portal/team/invitations", { _csrf: owner.csrf, email: "later@example.com", role: "developer" });
    const link = linkIn(box.sent[0]!.text);
    const [invitation] = await pendingInvitations(database(env.DB), owner.accountId, new Date().toISOString());
    const withdrawn = await box.post(`/portal/team/invitations/${invitation!.id}/withdraw`, { _csrf: owner.csrf });
    expect(withdrawn.headers.get("location")).toBe("/portal/team?done=withdrawn");
    const guest = portalWithMailbox();
    expect((await guest.get(link)).status).toBe(410);
  });
});

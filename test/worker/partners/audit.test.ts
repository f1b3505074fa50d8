// Issue 15 with issue 17 point 2: every action on a partner's users is in the audit log, read back through
// GET /v1/audit-events: the user's creation, change and deletion, its numbers' provisioning, tier change and
// release (a deletion releases them), reads of its faxes' documents, and marking them read or unread.
import { describe, expect, it } from "vitest";
import { api } from "../helpers";
import { auditLines, type AuditEntryLine } from "../audit/helpers";
import { createPartner, endReleaseGrace, putUser, receiveFax } from "./partner-helpers";

describe("the audit log of a partner's users", () => {
  it("records each action on a user, its numbers and its inbox, with the user's record as target", async () => {
    const partner = await createPartner(["amy"]);
    const k = partner.key;
    const number = partner.users.amy!;
    const user = await (await putUser(k, "amy", { name: "Amy B." })).json<{ id: string }>();
    expect((await api(`/v1/numbers/${number.id}`, { method: "PATCH", key: k, json: { tier: "business" } })).status).toBe(200);
    const fax = await receiveFax(number.number, "+14155550801");
    expect((await api(`/v1/faxes/${fax}/image?external_user_id=amy`, { key: k })).status).toBe(200);
    const link = await (await api(`/v1/faxes/${fax}/document?external_user_id=amy`, { key: k })).json<{ url: string }>();
    expect((await api(new URL(link.url).pathname + new URL(link.url).search)).status).toBe(200);
    expect((await api(`/v1/external-users/amy/inbox/${fax}`, { method: "PATCH", key: k, json: { read: false } })).status).toBe(200);
    expect((await api(`/v1/external-users/amy/inbox/${fax}`, { method: "PATCH", key: k, json: { read: true } })).status).toBe(200);
    // Lists and metadata reads are not recorded (README "Audit log").
    expect((await api("/v1/external-users/amy/inbox", { key: k })).status).toBe(200);
    expect((await api("/v1/external-users/amy", { key: k })).status).toBe(200);
    expect((await api("/v1/external-users/amy", { method: "DELETE", key: k })).status).toBe(200);
    await endReleaseGrace(partner.accountId, "amy");
    const recreated = await putUser(k, "amy");
    expect(recreated.status).toBe(201);
    const again = await recreated.json<{ id: string }>();

    const expected: Array<[action: string, actorType: string, targetType: string, targetId: string]> = [
      ["external_user.create", "api_key", "external_user", user.id],
      ["number.provision", "api_key", "number", number.id],
      ["external_user.update", "api_key", "external_user", user.id],
      ["number.update", "api_key", "number", number.id],
      ["fax.read_document", "api_key", "fax", fax],
      ["fax.issue_document_link", "api_key", "fax", fax],
      ["fax.read_document", "signed_url", "fax", fax],
      ["external_user.mark_unread", "api_key", "fax", fax],
      ["external_user.mark_read", "api_key", "fax", fax],
      ["external_user.delete", "api_key", "external_user", user.id],
      ["number.release", "api_key", "number", number.id],
      ["external_user.create", "api_key", "external_user", again.id],
    ];
    await auditLines(partner.accountId, expected.length);
    const page = await (await api("/v1/audit-events?limit=100", { key: k })).json<{ data: AuditEntryLine[] }>();
    const oldestFirst = [...page.data].reverse();
    // Each request's entry is written after its response, so neighbours may land in either order: compare as sets.
    const seen = oldestFirst.map((e) => [e.action, e.actor.type, e.target.type, e.target.id]);
    expect(seen.map((e) => e.join(" ")).sort()).toEqual(expected.map((e) => e.join(" ")).sort());
    expect(oldestFirst.filter((e) => e.actor.type === "api_key").every((e) => e.actor.id === partner.keyId)).toBe(true);
    // One request, one entry, except the deletion: it and the releases it did share the DELETE's request id.
    expect(new Set(oldestFirst.map((e) => e.request_id)).size).toBe(expected.length - 1);
    const deletion = oldestFirst.find((e) => e.action === "external_user.delete")!;
    expect(oldestFirst.find((e) => e.action === "number.release")!.request_id).toBe(deletion.request_id);
    expect(again.id).not.toBe(user.id);

    const byUser = await (await api(`/v1/audit-events?target=${user.id}`, { key: k })).json<{ data: AuditEntryLine[] }>();
    expect(byUser.data.map((e) => e.action).sort()).toEqual(["external_user.create", "external_user.delete", "external_user.update"]);
  });
});

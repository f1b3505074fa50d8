// GET /v1/usage?group_by=external_user groups by the user record, not the partner's id (data-protection gaps
// point 4): a deleted user and a new user given the same external_user_id later are two people, two groups.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers";
import { createPartner, endReleaseGrace, provisionFor, putUser, receiveFax } from "./partner-helpers";

interface UsageRow {
  group: string | null;
  external_user?: { external_user_id: string; deleted: boolean } | null;
  faxes_sent: number;
  faxes_received: number;
  pages_received: number;
}

describe("usage by external user", () => {
  it("keeps a deleted user and a later user of the same external_user_id apart, and names the partner's id beside each", async () => {
    const partner = await createPartner(["dana", "lee"]);
    const recordOf = async (externalUserId: string) =>
      (await env.DB.prepare("SELECT id FROM external_users WHERE account_id = ? AND external_user_id = ? AND deleted_at IS NULL").bind(partner.accountId, externalUserId).first<{ id: string }>())!.id;
    const formerDana = await recordOf("dana");
    const lee = await recordOf("lee");
    await receiveFax(partner.users.dana!.number, "+14155550801", 2);
    const sent = await api("/v1/faxes", { method: "POST", key: partner.key, json: { external_user_id: "dana", to: "+15550100001", cover_page: { subject: "usage" } } });
    expect(sent.status, await sent.clone().text()).toBe(202);
    await receiveFax(partner.users.lee!.number, "+14155550802", 1);

    expect((await api("/v1/external-users/dana", { method: "DELETE", key: partner.key })).status).toBe(200);
    await endReleaseGrace(partner.accountId, "dana");
    expect((await putUser(partner.key, "dana", { name: "Another Dana" })).status).toBe(201);
    const newDana = await recordOf("dana");
    expect(newDana).not.toBe(formerDana);
    const number = await provisionFor(partner.key, "dana");
    await receiveFax(number.number, "+14155550803", 3);
    // A fax of no user: an unassigned number of the account.
    const plain = await api("/v1/numbers", { method: "POST", key: partner.key, json: {} });
    expect(plain.status, await plain.clone().text()).toBe(201);
    await receiveFax((await plain.json<{ number: string }>()).number, "+14155550804", 1);

    const res = await api("/v1/usage?group_by=external_user", { key: partner.key });
    expect(res.status, await res.clone().text()).toBe(200);
    const rows = (await res.json<{ data: UsageRow[] }>()).data;
    const byGroup = new Map(rows.map((r) => [r.group, r]));
    expect(rows).toHaveLength(4);
    expect(byGroup.get(formerDana)).toMatchObject({ external_user: { external_user_id: "dana", deleted: true }, faxes_sent: 1, faxes_received: 1, pages_received: 2 });
    expect(byGroup.get(newDana)).toMatchObject({ external_user: { external_user_id: "dana", deleted: false }, faxes_sent: 0, faxes_received: 1, pages_received: 3 });
    expect(byGroup.get(lee)).toMatchObject({ external_user: { external_user_id: "lee", deleted: false }, faxes_received: 1, pages_received: 1 });
    expect(byGroup.get(null)).toMatchObject({ external_user: null, faxes_received: 1, pages_received: 1 });

    // Other groupings carry no external_user.
    const byDay = await (await api("/v1/usage?group_by=day", { key: partner.key })).json<{ data: UsageRow[] }>();
    expect(byDay.data.every((r) => !("external_user" in r))).toBe(true);

    // An unknown grouping is refused with the catalog's problem.
    await expectProblem(await api("/v1/usage?group_by=external_user_id", { key: partner.key }), 422, "request.invalid");
  });
});

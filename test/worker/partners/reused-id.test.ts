// Issue 15 points 3 and 4: a partner deletes a user and later creates one under the same external_user_id (once the
// former user's numbers are past their release grace period: id-in-grace.test.ts). The new user is someone else:
// an empty inbox, and none of the former user's faxes through any route, even one that arrived on the former
// user's number during its grace period.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Fax } from "../../../src/fax/schema";
import { api, expectProblem } from "../helpers";
import { createPartner, endReleaseGrace, inboxIds, provisionFor, putUser, receiveFax } from "./partner-helpers";

describe("an external_user_id deleted and used again", () => {
  it("names a new user who never sees the former one's faxes", async () => {
    const partner = await createPartner(["dana"]);
    const former = partner.users.dana!;
    const received = await receiveFax(former.number, "+14155550701");
    const sent = await api("/v1/faxes", { method: "POST", key: partner.key, json: { external_user_id: "dana", to: "+15550100001", cover_page: { subject: "old" } } });
    expect(sent.status, await sent.clone().text()).toBe(202);
    const sentId = (await sent.json<{ id: string }>()).id;
    expect(await inboxIds(partner.key, "dana")).toEqual([received]);

    expect((await api("/v1/external-users/dana", { method: "DELETE", key: partner.key })).status).toBe(200);
    // The former number still routes during its grace period: a fax on it is the former user's.
    const late = await receiveFax(former.number, "+14155550702");
    await endReleaseGrace(partner.accountId, "dana");
    expect((await putUser(partner.key, "dana", { name: "Another Dana" })).status).toBe(201);

    // The new user: nothing in any list, search or filter.
    expect(await inboxIds(partner.key, "dana")).toEqual([]);
    expect(await inboxIds(partner.key, "dana", "?q=14155550701")).toEqual([]);
    for (const list of ["/v1/faxes?external_user_id=dana", "/v1/faxes/received?external_user_id=dana", "/v1/faxes/received?external_user_id=dana&search_text=14155550701"]) {
      const res = await api(list, { key: partner.key });
      expect(res.status, list).toBe(200);
      expect((await res.json<{ data: Fax[] }>()).data, list).toEqual([]);
    }
    // ... and no route to the former user's faxes or their files under the id.
    for (const id of [received, sentId, late]) {
      for (const path of ["", "/events", "/document", "/image", "/pages/1", "/text"]) {
        await expectProblem(await api(`/v1/faxes/${id}${path}?external_user_id=dana`, { key: partner.key }), 404, "fax.not_found");
      }
      await expectProblem(await api(`/v1/external-users/dana/inbox/${id}`, { method: "PATCH", key: partner.key, json: { read: true } }), 404, "fax.not_found");
    }

    // The new user's own number and fax.
    const number = await provisionFor(partner.key, "dana");
    const own = await receiveFax(number.number, "+14155550703");
    expect(await inboxIds(partner.key, "dana")).toEqual([own]);
    expect((await api(`/v1/faxes/${own}/document?external_user_id=dana`, { key: partner.key })).status).toBe(200);

    // The former user's faxes are still the partner's (kept until their retention ends), with the id they had.
    for (const id of [received, sentId, late]) {
      const fax = await (await api(`/v1/faxes/${id}`, { key: partner.key })).json<Fax>();
      expect(fax.external_user_id, id).toBe("dana");
    }
    const users = await env.DB.prepare("SELECT f.id, f.user_id, u.deleted_at FROM faxes f JOIN external_users u ON u.id = f.user_id WHERE f.account_id = ? ORDER BY f.id")
      .bind(partner.accountId)
      .all<{ id: string; user_id: string; deleted_at: string | null }>();
    expect(users.results.filter((r) => r.deleted_at !== null).map((r) => r.id).sort()).toEqual([received, sentId, late].sort());
    expect(users.results.filter((r) => r.deleted_at === null).map((r) => r.id)).toEqual([own]);
  });

  it("migration 0010 gives faxes stored before it the user whose number they came on", async () => {
    const partner = await createPartner(["eve"]);
    const before = await receiveFax(partner.users.eve!.number, "+14155550711");
    expect((await api("/v1/external-users/eve", { method: "DELETE", key: partner.key })).status).toBe(200);
    await endReleaseGrace(partner.accountId, "eve");
    expect((await putUser(partner.key, "eve")).status).toBe(201);
    const number = await provisionFor(partner.key, "eve");
    const after = await receiveFax(number.number, "+14155550712");
    // As they were stored before migration 0010, then its statements run again.
    await env.DB.prepare("UPDATE numbers SET user_id = NULL WHERE account_id = ?").bind(partner.accountId).run();
    await env.DB.prepare("UPDATE faxes SET user_id = NULL WHERE account_id = ?").bind(partner.accountId).run();
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0010_"))!;
    for (const query of migration.queries.filter((q) => /^\s*(--[^\n]*\n\s*)*UPDATE/.test(q))) await env.DB.prepare(query).run();

    expect(await inboxIds(partner.key, "eve")).toEqual([after]);
    await expectProblem(await api(`/v1/faxes/${before}?external_user_id=eve`, { key: partner.key }), 404, "fax.not_found");
  });
});

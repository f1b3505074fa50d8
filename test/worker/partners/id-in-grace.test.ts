// Issue 15 points 1 and 3: a deleted user's numbers still route to it during their release grace period, and
// those faxes' events carry its external_user_id; so the id is not given to a new user (whom the partner would
// route them to) until the last of those numbers stops routing.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers";
import { createPartner, endReleaseGrace, inboxIds, putUser, receiveFax } from "./partner-helpers";

async function routesUntil(numberId: string): Promise<string> {
  const row = await env.DB.prepare("SELECT routes_until FROM numbers WHERE id = ?").bind(numberId).first<{ routes_until: string }>();
  return row!.routes_until;
}

describe("PUT of a deleted user's id during its numbers' release grace period", () => {
  it("is refused with the time the former user's numbers stop receiving faxes, and works after it", async () => {
    const partner = await createPartner(["u1"]);
    const former = partner.users.u1!;
    expect((await api("/v1/external-users/u1", { method: "DELETE", key: partner.key })).status).toBe(200);
    const until = await routesUntil(former.id);

    const refused = await expectProblem(await putUser(partner.key, "u1", { name: "Someone else" }), 409, "external_user.id_in_grace");
    expect(refused.detail).toContain(until);
    expect(Date.parse(until)).toBeGreaterThan(Date.now());
    await expectProblem(await api("/v1/external-users/u1", { key: partner.key }), 404, "external_user.not_found");

    // A fax on the former number meanwhile is the former user's, as before.
    const late = await receiveFax(former.number, "+14155550801");

    await endReleaseGrace(partner.accountId, "u1");
    const created = await putUser(partner.key, "u1", { name: "Someone else" });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(await inboxIds(partner.key, "u1")).toEqual([]);
    await expectProblem(await api(`/v1/faxes/${late}?external_user_id=u1`, { key: partner.key }), 404, "fax.not_found");
  });

  it("is refused too while a DELETE has marked the user deleted but not yet released its numbers", async () => {
    const partner = await createPartner(["u1"]);
    // The state between DELETE's two steps: the user row is deleted, its number not released yet.
    await env.DB.prepare("UPDATE external_users SET deleted_at = ? WHERE account_id = ? AND external_user_id = ?").bind(new Date().toISOString(), partner.accountId, "u1").run();
    const before = Date.now();
    const refused = await expectProblem(await putUser(partner.key, "u1", { name: "Someone else" }), 409, "external_user.id_in_grace");
    const until = /until (\S+)\. Choose/.exec(String(refused.detail))?.[1];
    expect(Date.parse(until!)).toBeGreaterThan(before);
  });

  it("names the latest grace end when several numbers were released", async () => {
    const partner = await createPartner(["u1"]);
    const second = await api("/v1/numbers", { method: "POST", key: partner.key, json: { external_user_id: "u1" } });
    expect(second.status).toBe(201);
    const secondId = (await second.json<{ id: string }>()).id;
    expect((await api("/v1/external-users/u1", { method: "DELETE", key: partner.key })).status).toBe(200);
    const later = new Date(Date.now() + 100 * 3600_000).toISOString();
    await env.DB.prepare("UPDATE numbers SET routes_until = ? WHERE id = ?").bind(later, secondId).run();

    const refused = await expectProblem(await putUser(partner.key, "u1"), 409, "external_user.id_in_grace");
    expect(refused.detail).toContain(later);
  });

  it("leaves other ids, other accounts and updates of a live user alone", async () => {
    const partner = await createPartner(["u1", "u2"]);
    expect((await api("/v1/external-users/u1", { method: "DELETE", key: partner.key })).status).toBe(200);
    await expectProblem(await putUser(partner.key, "u1"), 409, "external_user.id_in_grace");

    // Another id of the same account.
    expect((await putUser(partner.key, "u3")).status).toBe(201);
    expect((await putUser(partner.key, "u2", { name: "Renamed" })).status).toBe(200);

    // Another account's u1: its former user is not this account's.
    const other = await createPartner([]);
    expect((await putUser(other.key, "u1")).status).toBe(201);

    // A live user whose own number is in its grace period is replaced as usual.
    expect((await api(`/v1/numbers/${partner.users.u2!.id}`, { method: "DELETE", key: partner.key })).status).toBe(200);
    const updated = await putUser(partner.key, "u2", { name: "Renamed again" });
    expect(updated.status, await updated.clone().text()).toBe(200);
    expect((await updated.json<{ name: string }>()).name).toBe("Renamed again");
  });
});

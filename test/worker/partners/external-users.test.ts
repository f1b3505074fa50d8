import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem } from "../helpers";
import { endReleaseGrace, provisionFor, putUser } from "./partner-helpers";

interface ExternalUser {
  id: string;
  external_user_id: string;
  name: string | null;
  email: string | null;
  metadata: Record<string, string>;
  numbers: { id: string; number: string; tier: string | null }[];
  created_at: string;
  updated_at: string;
}

describe("external users", () => {
  it("PUT creates (201) then replaces (200) the same user, idempotently", async () => {
    const partner = await createTestAccount();
    const created = await putUser(partner.key, "patient-8841", { name: "Dana Rivera", email: "dana@example.com", metadata: { clinic: "north" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v1/external-users/patient-8841");
    const user = await created.json<ExternalUser>();
    expect(user).toMatchObject({ external_user_id: "patient-8841", name: "Dana Rivera", email: "dana@example.com", metadata: { clinic: "north" }, numbers: [] });
    expect(user.id).toMatch(/^usr_/);

    const repeated = await putUser(partner.key, "patient-8841", { name: "Dana Rivera", email: "dana@example.com", metadata: { clinic: "north" } });
    expect(repeated.status).toBe(200);
    expect((await repeated.json<ExternalUser>()).id).toBe(user.id);

    // PUT replaces: what is left out is cleared.
    const replaced = await (await putUser(partner.key, "patient-8841", { name: "Dana R." })).json<ExternalUser>();
    expect(replaced).toMatchObject({ id: user.id, name: "Dana R.", email: null, metadata: {} });
    expect(await (await api("/v1/external-users/patient-8841", { key: partner.key })).json<ExternalUser>()).toMatchObject({ id: user.id, name: "Dana R." });
  });

  it("two racing PUTs of a new user make one user", async () => {
    const partner = await createTestAccount();
    const results = await Promise.all(Array.from({ length: 6 }, () => putUser(partner.key, "racer", { name: "R" })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(results.map(async (r) => (await r.json<ExternalUser>()).id)));
    expect(ids.size).toBe(1);
  });

  it("refuses a bad id, bad fields and unknown fields with a clear 422", async () => {
    const partner = await createTestAccount();
    const spaced = await expectProblem(await putUser(partner.key, "has space"), 422, "request.invalid");
    expect(String(spaced.detail)).toContain("1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'");
    await expectProblem(await putUser(partner.key, "x".repeat(129)), 422, "request.invalid");
    expect((await putUser(partner.key, "x".repeat(128))).status).toBe(201);
    expect((await putUser(partner.key, "org:42.user_7-a")).status).toBe(201);
    await expectProblem(await api("/v1/external-users/has%20space", { key: partner.key }), 422, "request.invalid");
    await expectProblem(await putUser(partner.key, "u1", { email: "not-an-email" }), 422, "request.invalid");
    await expectProblem(await putUser(partner.key, "u1", { metadata: { k: 5 } }), 422, "request.invalid");
    const unknown = await expectProblem(await putUser(partner.key, "u1", { tags: { a: "b" } }), 422, "request.invalid");
    expect(JSON.stringify(unknown.errors)).toContain("metadata");
  });

  it("lists newest first with cursor pages, metadata and creation-time filters", async () => {
    const partner = await createTestAccount();
    for (const [id, clinic] of [["a", "north"], ["b", "south"], ["c", "north"]] as const) {
      expect((await putUser(partner.key, id, { metadata: { clinic } })).status).toBe(201);
    }
    const first = await (await api("/v1/external-users?limit=2", { key: partner.key })).json<{ data: ExternalUser[]; has_more: boolean; next_cursor: string }>();
    expect(first.data.map((u) => u.external_user_id)).toEqual(["c", "b"]);
    expect(first.has_more).toBe(true);
    const second = await (await api(`/v1/external-users?limit=2&cursor=${first.next_cursor}`, { key: partner.key })).json<{ data: ExternalUser[]; has_more: boolean }>();
    expect(second.data.map((u) => u.external_user_id)).toEqual(["a"]);
    expect(second.has_more).toBe(false);

    const north = await (await api("/v1/external-users?metadata[clinic]=north", { key: partner.key })).json<{ data: ExternalUser[] }>();
    expect(north.data.map((u) => u.external_user_id)).toEqual(["c", "a"]);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await (await api(`/v1/external-users?created_after=${future}`, { key: partner.key })).json<{ data: ExternalUser[] }>()).data).toEqual([]);
    expect((await (await api(`/v1/external-users?created_before=${future}`, { key: partner.key })).json<{ data: ExternalUser[] }>()).data.length).toBe(3);
    await expectProblem(await api("/v1/external-users?cursor=nope", { key: partner.key }), 400, "request.cursor_invalid");
    await expectProblem(await api("/v1/external-users?created_after=yesterday", { key: partner.key }), 422, "request.invalid");
  });

  it("DELETE releases the user's numbers; the id can be used again for a new user", async () => {
    const partner = await createTestAccount();
    await putUser(partner.key, "leaver");
    const number = await provisionFor(partner.key, "leaver");
    const shown = await (await api("/v1/external-users/leaver", { key: partner.key })).json<ExternalUser>();
    expect(shown.numbers).toEqual([{ id: number.id, number: number.number, tier: "personal" }]);

    const deleted = await api("/v1/external-users/leaver", { method: "DELETE", key: partner.key });
    expect(deleted.status).toBe(200);
    const body = await deleted.json<ExternalUser & { deleted_at: string; released_numbers: { id: string }[] }>();
    expect(body.deleted_at).toBeTruthy();
    expect(body.released_numbers.map((n) => n.id)).toEqual([number.id]);
    await expectProblem(await api("/v1/external-users/leaver", { key: partner.key }), 404, "external_user.not_found");
    await expectProblem(await api(`/v1/numbers/${number.id}`, { key: partner.key }), 404, "number.not_found");
    await expectProblem(await api("/v1/external-users/leaver", { method: "DELETE", key: partner.key }), 404, "external_user.not_found");

    // Not while the released number still routes to the former user (id-in-grace.test.ts), then again.
    await expectProblem(await putUser(partner.key, "leaver"), 409, "external_user.id_in_grace");
    await endReleaseGrace(partner.accountId, "leaver");
    const again = await putUser(partner.key, "leaver");
    expect(again.status).toBe(201);
    expect((await again.json<ExternalUser>()).id).not.toBe(shown.id);
  });

  it("needs a key, and another partner's users are not found", async () => {
    const partner = await createTestAccount();
    const other = await createTestAccount();
    await putUser(partner.key, "mine");
    await expectProblem(await api("/v1/external-users/mine"), 401, "auth.missing");
    await expectProblem(await api("/v1/external-users/mine", { key: other.key }), 404, "external_user.not_found");
    await expectProblem(await api("/v1/external-users/mine", { method: "DELETE", key: other.key }), 404, "external_user.not_found");
    expect((await (await api("/v1/external-users", { key: other.key })).json<{ data: unknown[] }>()).data).toEqual([]);
    // The same id in another account is another user.
    expect((await putUser(other.key, "mine")).status).toBe(201);
  });
});

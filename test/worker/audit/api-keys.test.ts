import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem } from "../helpers";
import { createKey, type ApiKey } from "./helpers";

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe("API keys as a resource", () => {
  it("creates a key whose secret is shown once and works at once", async () => {
    const account = await createTestAccount();
    const created = await createKey(account.key, { name: "CI sender", scope: "send" });
    expect(created).toMatchObject({ name: "CI sender", mode: "test", scope: "send", revoked_at: null });
    expect(created.key).toMatch(/^fx_test_/);
    expect(created.key.startsWith(created.key_prefix)).toBe(true);
    expect((await api("/v1/faxes", { key: created.key })).status).toBe(200);

    const list = await (await api("/v1/api-keys", { key: account.key })).json<{ data: ApiKey[] }>();
    expect(list.data.map((k) => k.id)).toEqual([created.id, account.keyId]);
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(list.data.every((k) => !("key" in k))).toBe(true);
  });

  it("refuses a live key from a test key, unknown fields and unknown scopes", async () => {
    const account = await createTestAccount();
    await expectProblem(await api("/v1/api-keys", { method: "POST", key: account.key, json: { mode: "live" } }), 403, "auth.forbidden");
    await expectProblem(await api("/v1/api-keys", { method: "POST", key: account.key, json: { scope: "admin" } }), 422, "request.invalid");
    await expectProblem(await api("/v1/api-keys", { method: "POST", key: account.key, json: { scopes: ["read"] } }), 422, "request.invalid");
    const live = await createTestAccount("live");
    expect((await createKey(live.key, { mode: "test" })).mode).toBe("test");
  });

  it("revokes a key and the OAuth tokens issued from it at once", async () => {
    const account = await createTestAccount();
    const other = await createKey(account.key, { name: "to revoke" });
    const token = await (await api("/oauth/token", form({ grant_type: "client_credentials", client_id: other.id, client_secret: other.key }))).json<{ access_token: string }>();
    // Both credentials are in the auth cache now.
    expect((await api("/v1/faxes", { key: other.key })).status).toBe(200);
    expect((await api("/v1/faxes", { key: token.access_token })).status).toBe(200);

    const res = await api(`/v1/api-keys/${other.id}`, { method: "DELETE", key: account.key });
    expect(res.status).toBe(200);
    expect((await res.json<ApiKey>()).revoked_at).not.toBeNull();
    await expectProblem(await api("/v1/faxes", { key: other.key }), 401, "auth.invalid");
    await expectProblem(await api("/v1/faxes", { key: token.access_token }), 401, "auth.invalid");
    // A revoked key cannot get new tokens either.
    await expectProblem(await api("/oauth/token", form({ grant_type: "client_credentials", client_id: other.id, client_secret: other.key })), 401, "oauth.invalid_client");
    // Revoking again answers the revoked key.
    expect((await api(`/v1/api-keys/${other.id}`, { method: "DELETE", key: account.key })).status).toBe(200);
  });

  it("the last active key cannot revoke itself; with another key it can", async () => {
    const account = await createTestAccount();
    await expectProblem(await api(`/v1/api-keys/${account.keyId}`, { method: "DELETE", key: account.key }), 409, "api_key.last_key");
    expect((await api("/v1/faxes", { key: account.key })).status).toBe(200);
    const second = await createKey(account.key, {});
    expect((await api(`/v1/api-keys/${account.keyId}`, { method: "DELETE", key: account.key })).status).toBe(200);
    await expectProblem(await api("/v1/faxes", { key: account.key }), 401, "auth.invalid");
    await expectProblem(await api(`/v1/api-keys/${second.id}`, { method: "DELETE", key: second.key }), 409, "api_key.last_key");
  });

  it("concurrent revocations never leave the account without an active key", async () => {
    const account = await createTestAccount();
    const second = await createKey(account.key, {});
    const [a, b] = await Promise.all([
      api(`/v1/api-keys/${second.id}`, { method: "DELETE", key: account.key }),
      api(`/v1/api-keys/${account.keyId}`, { method: "DELETE", key: second.key }),
    ]);
    // One wins; the other is refused as the last key, or its caller was already revoked.
    expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
    const survivor = a.status === 200 ? account.key : second.key;
    const list = await (await api("/v1/api-keys", { key: survivor })).json<{ data: ApiKey[] }>();
    expect(list.data.filter((k) => k.revoked_at === null)).toHaveLength(1);
  });

  it("another account's key is not found", async () => {
    const a = await createTestAccount();
    const b = await createTestAccount();
    await expectProblem(await api(`/v1/api-keys/${b.keyId}`, { method: "DELETE", key: a.key }), 404, "api_key.not_found");
    expect((await api("/v1/faxes", { key: b.key })).status).toBe(200);
  });
});

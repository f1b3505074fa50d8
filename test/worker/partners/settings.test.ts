import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem } from "../helpers";

interface Settings {
  webhook_url: string | null;
  webhook_endpoint_id: string | null;
  retention_days: number;
  low_balance_threshold: number;
  updated_at: string | null;
  webhook_secret?: string;
}

const patch = (key: string, json: unknown) => api("/v1/settings", { method: "PATCH", key, json });

describe("GET/PATCH /v1/settings", () => {
  it("starts with the defaults", async () => {
    const account = await createTestAccount();
    const res = await api("/v1/settings", { key: account.key });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ webhook_url: null, webhook_endpoint_id: null, retention_days: 30, low_balance_threshold: 10, extraction_schema: null, extraction_schema_version: null, updated_at: null });
  });

  it("webhook_url creates a default endpoint for every event, moves it, and null removes it", async () => {
    const account = await createTestAccount();
    const created = await patch(account.key, { webhook_url: "https://partner.example.com/hooks" });
    expect(created.status).toBe(200);
    const first = await created.json<Settings>();
    expect(first.webhook_url).toBe("https://partner.example.com/hooks");
    expect(first.webhook_endpoint_id).toMatch(/^whe_/);
    expect(first.webhook_secret).toMatch(/^whsec_/);
    expect(first.updated_at).not.toBeNull();

    const endpoint = await (await api(`/v1/webhooks/${first.webhook_endpoint_id}`, { key: account.key })).json<{ url: string; event_types: string[] }>();
    expect(endpoint).toMatchObject({ url: "https://partner.example.com/hooks", event_types: ["*"] });

    const moved = await (await patch(account.key, { webhook_url: "https://partner.example.com/v2/hooks" })).json<Settings>();
    expect(moved.webhook_endpoint_id).toBe(first.webhook_endpoint_id);
    expect(moved.webhook_secret).toBeUndefined();
    expect((await (await api(`/v1/webhooks/${first.webhook_endpoint_id}`, { key: account.key })).json<{ url: string }>()).url).toBe(
      "https://partner.example.com/v2/hooks",
    );
    expect((await (await api("/v1/settings", { key: account.key })).json<Settings>()).webhook_url).toBe("https://partner.example.com/v2/hooks");

    const removed = await (await patch(account.key, { webhook_url: null })).json<Settings>();
    expect(removed).toMatchObject({ webhook_url: null, webhook_endpoint_id: null });
    await expectProblem(await api(`/v1/webhooks/${first.webhook_endpoint_id}`, { key: account.key }), 404, "webhook.not_found");
  });

  it("makes a new default endpoint when the old one was deleted under /v1/webhooks", async () => {
    const account = await createTestAccount();
    const first = await (await patch(account.key, { webhook_url: "https://partner.example.com/a" })).json<Settings>();
    expect((await api(`/v1/webhooks/${first.webhook_endpoint_id}`, { method: "DELETE", key: account.key })).status).toBe(200);
    expect((await (await api("/v1/settings", { key: account.key })).json<Settings>()).webhook_url).toBeNull();
    const second = await (await patch(account.key, { webhook_url: "https://partner.example.com/b" })).json<Settings>();
    expect(second.webhook_endpoint_id).not.toBe(first.webhook_endpoint_id);
    expect(second.webhook_secret).toMatch(/^whsec_/);
  });

  it("changes retention and the low-balance threshold, and null returns retention to the default", async () => {
    const account = await createTestAccount();
    const changed = await (await patch(account.key, { retention_days: 90, low_balance_threshold: 25 })).json<Settings>();
    expect(changed).toMatchObject({ retention_days: 90, low_balance_threshold: 25, webhook_url: null });
    expect(await (await api("/v1/settings", { key: account.key })).json<Settings>()).toMatchObject({ retention_days: 90, low_balance_threshold: 25 });
    // A partial change keeps the other fields.
    expect(await (await patch(account.key, { retention_days: null })).json<Settings>()).toMatchObject({ retention_days: 30, low_balance_threshold: 25 });
  });

  it("refuses invalid values, refused URLs and unknown fields", async () => {
    const account = await createTestAccount();
    const zero = await expectProblem(await patch(account.key, { retention_days: 0 }), 422, "request.invalid");
    expect(JSON.stringify(zero.errors)).toContain("/retention_days");
    await expectProblem(await patch(account.key, { retention_days: 1.5 }), 422, "request.invalid");
    await expectProblem(await patch(account.key, { low_balance_threshold: -1 }), 422, "request.invalid");
    await expectProblem(await patch(account.key, { webhook_url: "not a url" }), 422, "request.invalid");
    await expectProblem(await patch(account.key, { webhook_url: "http://127.0.0.1/hook" }), 422, "webhook.url_refused");
    const unknown = await expectProblem(await patch(account.key, { callback_url: "https://partner.example.com/hooks" }), 422, "request.invalid");
    expect(JSON.stringify(unknown.errors)).toContain("webhook_url");
    // Nothing was stored by the refused requests.
    expect(await (await api("/v1/settings", { key: account.key })).json<Settings>()).toMatchObject({ retention_days: 30, webhook_url: null, updated_at: null });
    await expectProblem(await api("/v1/settings", { method: "PATCH", key: account.key, body: "{", headers: { "content-type": "application/json" } }), 400, "request.malformed_json");
  });

  it("is the caller's own: another account sees its own defaults, and no key gets 401", async () => {
    const one = await createTestAccount();
    const other = await createTestAccount();
    await patch(one.key, { webhook_url: "https://partner.example.com/one", retention_days: 7 });
    expect(await (await api("/v1/settings", { key: other.key })).json<Settings>()).toMatchObject({ webhook_url: null, retention_days: 30 });
    await expectProblem(await api("/v1/settings"), 401, "auth.missing");
  });

  it("is documented in /openapi.json with a closed update body", async () => {
    const doc = await (await api("/openapi.json")).json<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { additionalProperties?: unknown }> } }>();
    expect(Object.keys(doc.paths["/v1/settings"]!).sort()).toEqual(["get", "patch"]);
    expect(doc.components.schemas.SettingsUpdate!.additionalProperties).toBe(false);
  });
});

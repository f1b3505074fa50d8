import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../../../src/lib/crypto";
import { api, createTestAccount, expectProblem } from "../helpers";
import { createEndpoint, newReceiver } from "./receiver";

describe("webhook endpoints", () => {
  it("creates, reads, lists, changes and deletes an endpoint; the secret is shown once", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const created = await createEndpoint(account.key, { url: receiver.url(), event_types: ["fax.delivered", "fax.failed"], description: "orders" });
    expect(created.id).toMatch(/^whe_[0-9a-z]{26}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(fromBase64(created.secret.slice(6)).length).toBeGreaterThanOrEqual(24);
    expect(created.event_types).toEqual(["fax.delivered", "fax.failed"]);

    const read = await (await api(`/v1/webhooks/${created.id}`, { key: account.key })).json<Record<string, unknown>>();
    expect(read).toMatchObject({ id: created.id, url: receiver.url(), description: "orders", enabled: true, disabled_reason: null });
    expect(read).not.toHaveProperty("secret");
    expect(JSON.stringify(read)).not.toContain(created.secret.slice(6));

    // Encrypted at rest: the stored value is AES-GCM ciphertext, not the secret.
    const row = await env.DB.prepare("SELECT secret FROM webhook_endpoints WHERE id = ?").bind(created.id).first<{ secret: string }>();
    expect(row!.secret).toMatch(/^v1:/);
    expect(row!.secret).not.toContain(created.secret.slice(6));

    const second = await createEndpoint(account.key, { url: receiver.url("/other") });
    expect(second.event_types).toEqual(["*"]);
    const page1 = await (await api("/v1/webhooks?limit=1", { key: account.key })).json<{ data: { id: string }[]; has_more: boolean; next_cursor: string }>();
    expect(page1.data.map((e) => e.id)).toEqual([second.id]);
    expect(page1.has_more).toBe(true);
    const page2 = await (await api(`/v1/webhooks?limit=1&cursor=${page1.next_cursor}`, { key: account.key })).json<{ data: { id: string }[]; has_more: boolean }>();
    expect(page2.data.map((e) => e.id)).toEqual([created.id]);
    expect(page2.has_more).toBe(false);

    const patched = await api(`/v1/webhooks/${created.id}`, { method: "PATCH", key: account.key, json: { enabled: false, event_types: ["*"], description: null } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ enabled: false, event_types: ["*"], description: null });

    const deleted = await api(`/v1/webhooks/${created.id}`, { method: "DELETE", key: account.key });
    expect(deleted.status).toBe(200);
    await expectProblem(await api(`/v1/webhooks/${created.id}`, { key: account.key }), 404, "webhook.not_found");
    const remaining = await (await api("/v1/webhooks", { key: account.key })).json<{ data: { id: string }[] }>();
    expect(remaining.data.map((e) => e.id)).toEqual([second.id]);
  });

  it("refuses URLs that are not public https, with a stable problem code", async () => {
    const account = await createTestAccount();
    const refused = [
      "http://hooks.example.com/x",
      "https://127.0.0.1/x",
      "https://localhost:8443/x",
      "https://10.1.2.3/x",
      "https://192.168.0.10/x",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/x",
      "https://[fe80::1]/x",
      "https://metadata.google.internal/x",
      "https://2130706433/x",
      "ftp://hooks.example.com/x",
    ];
    for (const url of refused) {
      const body = await expectProblem(await api("/v1/webhooks", { method: "POST", key: account.key, json: { url } }), 422, "webhook.url_refused");
      expect((body.errors as { pointer: string }[])[0]!.pointer).toBe("/url");
    }
    const endpoint = await createEndpoint(account.key, { url: "https://hooks.example.com/ok" });
    await expectProblem(
      await api(`/v1/webhooks/${endpoint.id}`, { method: "PATCH", key: account.key, json: { url: "https://169.254.169.254/" } }),
      422,
      "webhook.url_refused",
    );
    await expectProblem(await api("/v1/webhooks", { method: "POST", key: account.key, json: { url: "not a url" } }), 422, "request.invalid");
    await expectProblem(
      await api("/v1/webhooks", { method: "POST", key: account.key, json: { url: "https://hooks.example.com/x", event_types: ["fax.exploded"] } }),
      422,
      "request.invalid",
    );
    const list = await (await api("/v1/webhooks", { key: account.key })).json<{ data: unknown[] }>();
    expect(list.data).toHaveLength(1);
  });

  it("hides another account's webhook on every endpoint", async () => {
    const alice = await createTestAccount();
    const mallory = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(alice.key, { url: receiver.url() });
    const ping = await (await api(`/v1/webhooks/${endpoint.id}/ping`, { method: "POST", key: alice.key })).json<{ id: string }>();

    const paths: [string, string, unknown?][] = [
      ["GET", `/v1/webhooks/${endpoint.id}`],
      ["PATCH", `/v1/webhooks/${endpoint.id}`, { enabled: false }],
      ["DELETE", `/v1/webhooks/${endpoint.id}`],
      ["POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, {}],
      ["POST", `/v1/webhooks/${endpoint.id}/ping`],
      ["GET", `/v1/webhooks/${endpoint.id}/deliveries`],
      ["POST", `/v1/webhooks/${endpoint.id}/deliveries/${ping.id}/redeliver`],
    ];
    for (const [method, path, json] of paths) {
      await expectProblem(await api(path, { method, key: mallory.key, ...(json !== undefined ? { json } : {}) }), 404, "webhook.not_found");
    }
    // Alice's delivery id through Mallory's own endpoint, or as a callback delivery, is not found either.
    const own = await createEndpoint(mallory.key, { url: receiver.url("/mallory") });
    await expectProblem(await api(`/v1/webhooks/${own.id}/deliveries/${ping.id}/redeliver`, { method: "POST", key: mallory.key }), 404, "webhook.delivery_not_found");
    await expectProblem(await api(`/v1/webhooks/callback-deliveries/${ping.id}/redeliver`, { method: "POST", key: mallory.key }), 404, "webhook.delivery_not_found");
    expect((await (await api("/v1/webhooks", { key: mallory.key })).json<{ data: { id: string }[] }>()).data.map((e) => e.id)).toEqual([own.id]);
    expect((await (await api(`/v1/webhooks/${own.id}/deliveries`, { key: mallory.key })).json<{ data: unknown[] }>()).data).toEqual([]);

    // Alice's endpoint is untouched.
    const still = await (await api(`/v1/webhooks/${endpoint.id}`, { key: alice.key })).json<{ enabled: boolean }>();
    expect(still.enabled).toBe(true);
  });

  it("needs a key", async () => {
    await expectProblem(await api("/v1/webhooks"), 401, "auth.missing");
  });
});

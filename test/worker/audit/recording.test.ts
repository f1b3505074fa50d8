import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../../src/audit/chain";
import { flushAuditOutbox, recordAudit } from "../../../src/audit/recorder";
import { runScheduledMaintenance } from "../../../src/fax/maintenance";
import { api, createTestAccount, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { auditLines, createKey, type AuditEntryLine } from "./helpers";

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as AuditEntryLine);

describe("the audit log records", () => {
  it("each mutating call and each document read once, with its actor, target, request id, ip and user agent", async () => {
    const account = await createTestAccount();
    const k = account.key;
    const headers = { "cf-connecting-ip": "203.0.113.7", "user-agent": "audit-test/1.0" };
    const sent = await sendFax(k, { to: "+15550100001", documents: [await pdfDocument()] }, headers);
    const fax = await sent.json<{ id: string }>();
    const requestId = sent.headers.get("request-id");
    await waitForFinal(k, fax.id);
    const resent = await (await api(`/v1/faxes/${fax.id}/resend`, { method: "POST", key: k })).json<{ id: string }>();
    const queued = await (await sendFax(k, { to: "+15550100001", send_at: new Date(Date.now() + 3600_000).toISOString(), documents: [await pdfDocument()] })).json<{ id: string }>();
    expect((await api(`/v1/faxes/${queued.id}`, { method: "DELETE", key: k })).status).toBe(200);
    const link = await (await api(`/v1/faxes/${fax.id}/document`, { key: k })).json<{ url: string }>();
    const download = await api(new URL(link.url).pathname + new URL(link.url).search, { headers: { "user-agent": "curl/8" } });
    expect(download.status).toBe(200);
    await download.arrayBuffer();
    expect((await api(`/v1/faxes/${fax.id}/pages/1`, { key: k })).status).toBe(200);
    expect((await api(`/v1/faxes/${fax.id}/image?format=tiff`, { key: k })).status).toBe(200);
    const number = await (await api("/v1/numbers", { method: "POST", key: k })).json<{ id: string }>();
    expect((await api(`/v1/numbers/${number.id}`, { method: "DELETE", key: k })).status).toBe(200);
    const endpoint = await (await api("/v1/webhooks", { method: "POST", key: k, json: { url: "https://example.com/hook", event_types: ["fax.delivered"] } })).json<{ id: string }>();
    expect((await api(`/v1/webhooks/${endpoint.id}`, { method: "PATCH", key: k, json: { description: "changed" } })).status).toBe(200);
    expect((await api(`/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST", key: k })).status).toBe(200);
    expect((await api(`/v1/webhooks/${endpoint.id}`, { method: "DELETE", key: k })).status).toBe(200);
    expect((await api("/v1/webhooks/callback-secret/rotate", { method: "POST", key: k })).status).toBe(200);
    expect((await api("/v1/settings", { method: "PATCH", key: k, json: { retention_days: 10 } })).status).toBe(200);
    const other = await createKey(k, { scope: "read" });
    const token = await api("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: other.id, client_secret: other.key }).toString(),
    });
    expect(token.status).toBe(200);
    expect((await api(`/v1/api-keys/${other.id}`, { method: "DELETE", key: k })).status).toBe(200);
    // Reads of metadata and lists are not audited.
    await api("/v1/faxes", { key: k });
    await api(`/v1/faxes/${fax.id}`, { key: k });

    const expected: Array<[string, string, string | null, string, string]> = [
      ["fax.send", "api_key", account.keyId, "fax", fax.id],
      ["fax.resend", "api_key", account.keyId, "fax", resent.id],
      ["fax.send", "api_key", account.keyId, "fax", queued.id],
      ["fax.cancel", "api_key", account.keyId, "fax", queued.id],
      ["fax.issue_document_link", "api_key", account.keyId, "fax", fax.id],
      ["fax.read_document", "signed_url", null, "fax", fax.id],
      ["fax.issue_page_link", "api_key", account.keyId, "fax", fax.id],
      ["fax.read_image", "api_key", account.keyId, "fax", fax.id],
      ["number.provision", "api_key", account.keyId, "number", number.id],
      ["number.release", "api_key", account.keyId, "number", number.id],
      ["webhook_endpoint.create", "api_key", account.keyId, "webhook_endpoint", endpoint.id],
      ["webhook_endpoint.update", "api_key", account.keyId, "webhook_endpoint", endpoint.id],
      ["webhook_endpoint.rotate_secret", "api_key", account.keyId, "webhook_endpoint", endpoint.id],
      ["webhook_endpoint.delete", "api_key", account.keyId, "webhook_endpoint", endpoint.id],
      ["callback_secret.rotate", "api_key", account.keyId, "account", account.accountId],
      ["settings.update", "api_key", account.keyId, "account", account.accountId],
      ["api_key.create", "api_key", account.keyId, "api_key", other.id],
      ["oauth_token.issue", "api_key", other.id, "api_key", other.id],
      ["api_key.revoke", "api_key", account.keyId, "api_key", other.id],
    ];
    const entries = parse(await auditLines(account.accountId, expected.length));
    await new Promise((r) => setTimeout(r, 200));
    expect(parse(await auditLines(account.accountId, expected.length))).toHaveLength(expected.length);
    const seen = entries.map((e) => [e.action, e.actor.type, e.actor.id, e.target.type, e.target.id]);
    // Appends may finish out of request order; each action is there exactly once.
    expect([...seen].sort()).toEqual([...expected].sort());
    const first = entries.find((e) => e.action === "fax.send" && e.target.id === fax.id)!;
    expect(first).toMatchObject({ request_id: requestId, ip: "203.0.113.7", user_agent: "audit-test/1.0" });
    expect(entries.find((e) => e.action === "fax.read_document")!.user_agent).toBe("curl/8");
    expect(entries.map((e) => e.seq)).toEqual(expected.map((_, i) => i + 1));
    expect(verifyChain(await auditLines(account.accountId, expected.length))).toMatchObject({ ok: true, entries: expected.length });
  });

  it("the retention purge as a system action", async () => {
    const account = await createTestAccount();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(account.key, id);
    await runScheduledMaintenance(env, Date.now() + (Number(env.RETENTION_DAYS) + 1) * 24 * 3600_000);
    const entries = parse(await auditLines(account.accountId, 2));
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ["fax.send", { type: "api_key", id: account.keyId }, { type: "fax", id }],
      ["retention.purge", { type: "system", id: "retention" }, { type: "fax", id }],
    ]);
  });

  it("concurrent requests keep seq gapless and the chain whole", async () => {
    const account = await createTestAccount();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => api("/v1/api-keys", { method: "POST", key: account.key, json: { name: `k${i}`, scope: "read" } })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const lines = await auditLines(account.accountId, 30);
    expect(parse(lines).map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(verifyChain(lines)).toMatchObject({ ok: true, entries: 30 });
  });

  it("a failing append does not fail the caller, and the cron records the entry later, once", async () => {
    const account = await createTestAccount();
    const pending: Promise<unknown>[] = [];
    const brokenChain = { get: () => { throw new Error("Durable Object unreachable"); }, idFromName: (n: string) => env.AUDIT_LOG.idFromName(n) };
    const scope = { env: { DB: env.DB, AUDIT_LOG: brokenChain as unknown as typeof env.AUDIT_LOG }, waitUntil: (w: Promise<unknown>) => pending.push(w), accountId: account.accountId, actor: { type: "system" as const, id: "test" } };
    expect(() => recordAudit(scope, "retention.purge", { type: "fax", id: "fax_x" })).not.toThrow();
    await Promise.all(pending);
    const outbox = await env.DB.prepare("SELECT id FROM audit_outbox WHERE account_id = ?").bind(account.accountId).all();
    expect(outbox.results).toHaveLength(1);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM audit_events WHERE account_id = ?").bind(account.accountId).first<{ n: number }>())!.n).toBe(0);

    // Too recent for the cron: it might still be on its way.
    await flushAuditOutbox(env, Date.now(), 30_000);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM audit_outbox WHERE account_id = ?").bind(account.accountId).first<{ n: number }>())!.n).toBe(1);
    await flushAuditOutbox(env, Date.now() + 60_000);
    await flushAuditOutbox(env, Date.now() + 60_000);
    const entries = parse(await auditLines(account.accountId, 1));
    expect(entries.map((e) => [e.seq, e.action, e.target.id])).toEqual([[1, "retention.purge", "fax_x"]]);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM audit_outbox WHERE account_id = ?").bind(account.accountId).first<{ n: number }>())!.n).toBe(0);
  });

  it("an intent handed over twice (a retry racing the first append) is recorded once", async () => {
    const account = await createTestAccount();
    const intent = { id: "aud_01jd8x6r3q5v7w9y0a2b4c6d8e", occurred_at: new Date().toISOString(), actor: { type: "system" as const, id: "test" }, action: "retention.purge" as const, target: { type: "fax" as const, id: "fax_y" }, request_id: null, ip: null, user_agent: null };
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account.accountId));
    await Promise.all([stub.append(account.accountId, [intent]), stub.append(account.accountId, [intent])]);
    expect(await auditLines(account.accountId, 1)).toHaveLength(1);
  });
});

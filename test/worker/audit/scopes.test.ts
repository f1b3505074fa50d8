import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OPERATION_SCOPES, requiredScope, SCOPE_GRANTS } from "../../../src/api/middleware/scopes";
import { api, createTestAccount, pdfDocument } from "../helpers";
import { createKey } from "./helpers";

async function operations(): Promise<Array<{ method: string; path: string }>> {
  const doc = await (await SELF.fetch("https://fax.test/openapi.json")).json<{ paths: Record<string, Record<string, unknown>> }>();
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith("/v1/"))
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
}

describe("key scopes", () => {
  it("every /v1 operation in /openapi.json has a line in the scope table, and every line an operation", async () => {
    const ops = await operations();
    const named = ops.map((op) => `${op.method} ${op.path}`).sort();
    expect(named.filter((op) => !(op in OPERATION_SCOPES))).toEqual([]);
    expect(Object.keys(OPERATION_SCOPES).filter((op) => !named.includes(op))).toEqual([]);
  });

  it("an operation the table does not name needs full", () => {
    expect(requiredScope("POST", "/v1/something-new")).toBe("full");
    expect(requiredScope("GET", "/v1/faxes/received")).toBe("read");
    expect(requiredScope("HEAD", "/v1/faxes/fax_x")).toBe("read");
    expect(requiredScope("POST", "/v1/faxes/fax_x/resend")).toBe("send");
  });

  it("each scope reaches exactly the operations it grants, on every route", async () => {
    const account = await createTestAccount();
    const keys = {
      full: account.key,
      send: (await createKey(account.key, { scope: "send" })).key,
      read: (await createKey(account.key, { scope: "read" })).key,
    };
    const ops = await operations();
    for (const op of ops) {
      const path = op.path.replace(/\{n\}/g, "1").replace(/\{[^}]+\}/g, "key_00000000000000000000000000");
      const needed = requiredScope(op.method, path);
      for (const [scope, key] of Object.entries(keys) as Array<[keyof typeof SCOPE_GRANTS, string]>) {
        // Bodies that would change something are invalid on purpose: only the scope decision is under test.
        const res = await api(path, { method: op.method, key, ...(op.method === "GET" || op.method === "DELETE" ? {} : { json: { refused_field_for_scope_test: 1 } }) });
        // An open event stream never ends by itself: its headers answer the scope question.
        const body = res.headers.get("content-type")?.includes("text/event-stream") ? (await res.body?.cancel(), "") : await res.text();
        const refused = res.status === 403 && body.includes("auth.scope_insufficient");
        expect(refused, `${scope} ${op.method} ${op.path} → ${res.status} ${body.slice(0, 200)}`).toBe(!SCOPE_GRANTS[scope].includes(needed));
      }
    }
  }, 180_000);

  it("a send key sends and cancels faxes but cannot touch numbers, webhooks or keys; a read key only reads", async () => {
    const account = await createTestAccount();
    const send = (await createKey(account.key, { scope: "send" })).key;
    const read = (await createKey(account.key, { scope: "read" })).key;
    const fax = await api("/v1/faxes", { method: "POST", key: send, json: { to: "+15550100001", documents: [await pdfDocument()] } });
    expect(fax.status).toBe(202);
    const { id } = await fax.json<{ id: string }>();
    expect((await api(`/v1/faxes/${id}`, { key: read })).status).toBe(200);
    expect((await api("/v1/faxes", { method: "POST", key: read, json: { to: "+15550100001", documents: [await pdfDocument()] } })).status).toBe(403);
    expect((await api("/v1/numbers", { method: "POST", key: send })).status).toBe(403);
    expect((await api("/v1/api-keys", { key: send })).status).toBe(403);
    expect((await api("/v1/webhooks", { method: "POST", key: send, json: { url: "https://example.com/hook" } })).status).toBe(403);
    // An OAuth token carries its key's scope.
    const token = await api("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: (await (await api("/v1/api-keys", { key: account.key })).json<{ data: Array<{ id: string; scope: string }> }>()).data.find((k) => k.scope === "read")!.id, client_secret: read }).toString(),
    });
    const { access_token } = await token.json<{ access_token: string }>();
    expect((await api("/v1/faxes", { key: access_token })).status).toBe(200);
    expect((await api(`/v1/faxes/${id}`, { method: "DELETE", key: access_token })).status).toBe(403);
  });
});

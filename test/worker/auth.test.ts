import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem } from "./helpers";

describe("API key authentication", () => {
  it("refuses a request without credentials", async () => {
    const res = await api("/v1/faxes");
    await expectProblem(res, 401, "auth.missing");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("refuses an unknown key and a key with one character changed", async () => {
    const account = await createTestAccount();
    await expectProblem(await api("/v1/faxes", { key: "fx_test_nope" }), 401, "auth.invalid");
    const last = account.key.at(-1) === "A" ? "B" : "A";
    await expectProblem(await api("/v1/faxes", { key: account.key.slice(0, -1) + last }), 401, "auth.invalid");
  });

  it("accepts the key itself", async () => {
    const account = await createTestAccount();
    const res = await api("/v1/faxes", { key: account.key });
    expect(res.status).toBe(200);
  });
});

describe("OAuth 2.0 client credentials", () => {
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  it("issues a bearer token that works like the key", async () => {
    const account = await createTestAccount();
    const res = await api("/oauth/token", form({ grant_type: "client_credentials", client_id: account.keyId, client_secret: account.key }));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const token = await res.json<{ access_token: string; token_type: string; expires_in: number }>();
    expect(token.token_type).toBe("Bearer");
    expect(token.expires_in).toBe(3600);
    const numbers = await api("/v1/numbers", { key: token.access_token });
    expect(numbers.status).toBe(200);
    const body = await numbers.json<{ data: { number: string }[] }>();
    expect(body.data.map((n) => n.number)).toEqual([account.number]);
  });

  it("accepts HTTP Basic client authentication (RFC 6749 §2.3.1)", async () => {
    const account = await createTestAccount();
    const res = await api("/oauth/token", {
      ...form({ grant_type: "client_credentials" }),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${account.keyId}:${account.key}`)}` },
    });
    expect(res.status).toBe(200);
  });

  it("refuses a wrong secret, another key's id, and other grant types", async () => {
    const a = await createTestAccount();
    const b = await createTestAccount();
    const wrong = await expectProblem(await api("/oauth/token", form({ grant_type: "client_credentials", client_id: a.keyId, client_secret: b.key })), 401, "oauth.invalid_client");
    expect(wrong.error).toBe("invalid_client");
    const grant = await expectProblem(await api("/oauth/token", form({ grant_type: "password", client_id: a.keyId, client_secret: a.key })), 400, "oauth.unsupported_grant_type");
    expect(grant.error).toBe("unsupported_grant_type");
    await expectProblem(await api("/oauth/token", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }), 415, "request.unsupported_media_type");
  });
});

describe("revocation reaches every isolate at once (issue 17 point 5)", () => {
  it("refuses a key and its OAuth token on the next request after a revocation this isolate never saw", async () => {
    const { env } = await import("cloudflare:test");
    const account = await createTestAccount();
    const other = await (await api("/v1/api-keys", { method: "POST", key: account.key, json: { mode: "test", name: "elsewhere" } })).json<{ id: string; key: string }>();
    const grant = new URLSearchParams({ grant_type: "client_credentials", client_id: other.id, client_secret: other.key });
    const token = await (await api("/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: grant })).json<{ access_token: string }>();
    // Warm: whatever this isolate might keep about both credentials, it has seen them accepted just now.
    for (let i = 0; i < 3; i++) {
      expect((await api("/v1/faxes", { key: other.key })).status).toBe(200);
      expect((await api("/v1/faxes", { key: token.access_token })).status).toBe(200);
    }
    // Another isolate (or an operator) revokes the key: only D1 changes, nothing in this isolate hears of it.
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id = ?").bind(new Date().toISOString(), other.id, account.accountId).run();
    await expectProblem(await api("/v1/faxes", { key: other.key }), 401, "auth.invalid");
    await expectProblem(await api("/v1/faxes", { key: token.access_token }), 401, "auth.invalid");
    // The account's other key is untouched.
    expect((await api("/v1/faxes", { key: account.key })).status).toBe(200);
  });

  it("concurrent requests share reads, each answered by a read that began after it arrived", async () => {
    const { env } = await import("cloudflare:test");
    const { Hono } = await import("hono");
    const { requireAuth } = await import("../../src/api/middleware/auth");
    const account = await createTestAccount();
    // Counts the statements the auth lookup prepares against the real local D1.
    let prepared = 0;
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (sql: string) => {
            prepared += 1;
            return target.prepare(sql);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const app = new Hono<{ Bindings: Env }>();
    app.use(requireAuth);
    app.get("/whoami", (c) => c.text((c.var as { caller: { accountId: string } }).caller.accountId));
    const request = () => app.request("/whoami", { headers: { authorization: `Bearer ${account.key}` } }, { ...env, DB: db });
    const answers = await Promise.all(Array.from({ length: 25 }, request));
    expect(answers.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(await answers[0]!.text()).toBe(account.accountId);
    // The first read, and one more for everyone who arrived while it was in flight: not one per request.
    expect(prepared).toBeGreaterThanOrEqual(1);
    expect(prepared).toBeLessThanOrEqual(2);
    // Nothing is kept: the next request reads again, and sees a revocation made meanwhile.
    expect((await request()).status).toBe(200);
    expect(prepared).toBeLessThanOrEqual(3);
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(new Date().toISOString(), account.keyId).run();
    // Refused (this bare app has no problem renderer, so the ApiError shows as 500; the API answers 401, above).
    const refused = await request();
    expect(refused.status).toBe(500);
    expect(await refused.text()).not.toContain(account.accountId);
  });
});

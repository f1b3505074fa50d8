/** The API keys page (issue 19 point 4, on issue 17's keys): a key created in the portal works on the API and is shown once; revoking stops it at once. */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { memberWithRole, ORIGIN, page, post } from "./helpers";

describe("API keys page", () => {
  it("creates a key shown once that works on the API, and revoking it stops it at once", async () => {
    const m = await memberWithRole("developer");
    const created = await post("/portal/keys", m, { name: "CI", mode: "test", scope: "read" });
    expect(created.status).toBe(200);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const html = await created.text();
    const key = /id="new-key">(fx_test_[A-Za-z0-9_-]+)</.exec(html)?.[1];
    expect(key).toBeDefined();
    const api = (k: string) => SELF.fetch(`${ORIGIN}/v1/numbers`, { headers: { authorization: `Bearer ${k}` } });
    expect((await api(key!)).status).toBe(200);
    const listed = await (await page("/portal/keys", m)).text();
    expect(listed).not.toContain(key!);
    expect(listed).toContain(`<code>${key!.slice(0, 12)}…</code>`);
    const row = listed.split("<tr>").find((r) => r.includes(key!.slice(0, 12)));
    const id = /action="\/portal\/keys\/(key_[a-z0-9]+)\/revoke"/.exec(row ?? "")?.[1];
    expect(id).toBeDefined();
    // An OAuth token issued from the key, seen accepted (twice: the second is answered by the key's ApiKeyObject).
    const grant = new URLSearchParams({ grant_type: "client_credentials", client_id: id!, client_secret: key! });
    const token = await (await SELF.fetch(`${ORIGIN}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: grant })).json<{ access_token: string }>();
    for (let i = 0; i < 2; i++) {
      expect((await api(key!)).status).toBe(200);
      expect((await api(token.access_token)).status).toBe(200);
    }
    const revoked = await post(`/portal/keys/${id}/revoke`, m);
    expect(revoked.headers.get("location")).toBe("/portal/keys?done=revoked");
    expect((await api(key!)).status).toBe(401);
    expect((await api(token.access_token)).status).toBe(401);
  });
});

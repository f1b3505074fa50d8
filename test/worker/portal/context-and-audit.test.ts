/**
 * Issue 19, session 2: the portal's test/live context (points 5), the role's key scopes (point 3), its
 * actions in the audit log with actor `user` (point 2), and oversized forms refused before parsing (point 6).
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../../src/audit/chain";
import { database } from "../../../src/db/client";
import { listNumbers } from "../../../src/db/number-store";
import { auditLines } from "../audit/helpers";
import { memberWithRole, ORIGIN, page, post } from "./helpers";

const keyOf = (html: string) => /id="new-key">(fx_(test|live)_[A-Za-z0-9_-]+)</.exec(html)?.[1];

async function entries(accountId: string, count: number): Promise<AuditEntry[]> {
  return (await auditLines(accountId, count)).map((l) => JSON.parse(l) as AuditEntry);
}

describe("the test/live context", () => {
  it("creates keys and numbers in the session's mode only, whatever the form says, and lists only that mode", async () => {
    const m = await memberWithRole("owner");
    const testKey = keyOf(await (await post("/portal/keys", m, { scope: "read", mode: "live" })).text());
    expect(testKey).toMatch(/^fx_test_/);
    expect((await post("/portal/numbers", m, { mode: "live" })).headers.get("location")).toBe("/portal/numbers?done=provisioned");
    const heldOf = async (mode: "test" | "live") => (await listNumbers(database(env.DB), { accountId: m.accountId, mode }, 10)).data;
    const held = { data: await heldOf("test") };
    expect(held.data.map((n) => n.mode)).toEqual(["test"]);
    expect(await heldOf("live")).toEqual([]);

    const switched = await post("/portal/mode", m, { mode: "live" }, { referer: `${ORIGIN}/portal/keys` });
    expect(switched.status).toBe(303);
    expect(switched.headers.get("location")).toBe("/portal/keys");
    const keys = await (await page("/portal/keys", m)).text();
    expect(keys).toContain("Live data");
    expect(keys).not.toContain(testKey!.slice(0, 12));
    const liveKey = keyOf(await (await post("/portal/keys", m, { scope: "read", mode: "test" })).text());
    expect(liveKey).toMatch(/^fx_live_/);
    expect((await post("/portal/numbers", m, { mode: "test" })).status).toBe(303);
    const both = [...(await heldOf("live")), ...(await heldOf("test"))];
    expect(both.map((n) => n.mode).sort()).toEqual(["live", "test"]);
    const livePage = await (await page("/portal/numbers", m)).text();
    expect(livePage).toContain(both.find((n) => n.mode === "live")!.number);
    expect(livePage).not.toContain(held.data[0]!.number);
    // A test number cannot be released from the live context.
    expect((await post(`/portal/numbers/${held.data[0]!.id}/release`, m)).status).toBe(404);
    // A redirect back goes only to this site's portal.
    expect((await post("/portal/mode", m, { mode: "test" }, { referer: "https://evil.example/portal/keys" })).headers.get("location")).toBe("/portal");
  });
});

describe("key scopes by role", () => {
  it("lets a developer create send and read keys but not full ones, nor revoke a full key", async () => {
    const dev = await memberWithRole("developer");
    const form = await (await page("/portal/keys", dev)).text();
    expect(form).toContain('<option value="send">');
    expect(form).not.toContain('<option value="full">');
    const refused = await post("/portal/keys", dev, { scope: "full" });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("A developer may not create a full key");
    const send = keyOf(await (await post("/portal/keys", dev, { scope: "send" })).text());
    expect(send).toMatch(/^fx_test_/);
    const me = await (await SELF.fetch(`${ORIGIN}/v1/api-keys`, { headers: { authorization: `Bearer ${dev.key}` } })).json<{ data: Array<{ id: string; scope: string }> }>();
    const full = me.data.find((k) => k.scope === "full")!;
    const revoke = await post(`/portal/keys/${full.id}/revoke`, dev);
    expect(revoke.status).toBe(403);
    const owner = await memberWithRole("owner", { accountId: dev.accountId, key: dev.key });
    expect(keyOf(await (await post("/portal/keys", owner, { scope: "full" })).text())).toBeDefined();
  });
});

describe("the portal's audit entries", () => {
  it("records changes and document links with the member as actor user", async () => {
    const m = await memberWithRole("owner");
    const headers = { "cf-connecting-ip": "198.51.100.9", "user-agent": "portal-test/1" };
    await post("/portal/numbers", m, { label: "Desk" }, headers);
    await post("/portal/keys", m, { scope: "read" }, headers);
    const colleague = await memberWithRole("developer", { accountId: m.accountId });
    expect((await post(`/portal/team/members/${colleague.memberId}/role`, m, { role: "admin" })).status).toBe(303);
    await post("/portal/mode", m, { mode: "live" });
    const got = await entries(m.accountId, 4);
    expect(got.map((e) => e.action).sort()).toEqual(["api_key.create", "number.provision", "portal.change_role", "portal.switch_mode"]);
    for (const e of got) expect(e.actor).toEqual({ type: "user", id: m.memberId });
    const role = got.find((e) => e.action === "portal.change_role")!;
    expect(role.target).toEqual({ type: "portal_member", id: colleague.memberId });
    const provision = got.find((e) => e.action === "number.provision")!;
    expect(provision.ip).toBe("198.51.100.9");
    expect(provision.user_agent).toBe("portal-test/1");
  });

  it("records nothing for a refused change", async () => {
    const dev = await memberWithRole("developer");
    expect((await post("/portal/numbers", dev, {})).status).toBe(403);
    expect((await post("/portal/keys", dev, { scope: "full" })).status).toBe(403);
    await post("/portal/keys", dev, { scope: "read" });
    const got = await entries(dev.accountId, 1);
    expect(got.map((e) => e.action)).toEqual(["api_key.create"]);
  });
});

describe("oversized forms", () => {
  const limit = 64 * 1024 * 1024;
  it("are refused by Content-Length before the form (and its CSRF field) is read", async () => {
    const m = await memberWithRole("developer");
    const res = await SELF.fetch(`${ORIGIN}/portal/send`, {
      method: "POST",
      headers: { cookie: m.cookie, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded", "content-length": String(limit) },
      body: "_csrf=x",
    });
    expect(res.status).toBe(413);
    const html = await res.text();
    expect(html).toContain("The request body is too large");
    expect(html).toContain(`The body is ${limit} bytes`);
  });

  it("are counted as they stream when there is no Content-Length", async () => {
    const m = await memberWithRole("developer");
    const chunk = new Uint8Array(1024 * 1024).fill(97);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 60) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const res = await SELF.fetch(`${ORIGIN}/portal/send`, {
      method: "POST",
      headers: { cookie: m.cookie, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.text()).toContain("The body passed the limit of");
    expect(sent).toBeLessThan(60);
  });
});

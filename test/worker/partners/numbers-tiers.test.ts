// Issue 15 point 2: numbers per user with tiers, area codes, tier changes, release grace and quarantine.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem, gatewayPost } from "../helpers";
import { provisionFor, putUser, receiveFax } from "./partner-helpers";

interface NumberBody {
  id: string;
  number: string;
  mode: string;
  external_user_id: string | null;
  tier: string | null;
  usage?: { month: string; inbound_pages: number; included_pages: number | null; tier_limit_reached: boolean };
}

async function accountEvents(accountId: string, type: string) {
  const rows = await env.DB.prepare("SELECT data FROM account_events WHERE account_id = ? AND type = ? ORDER BY created_at").bind(accountId, type).all<{ data: string }>();
  return rows.results.map((r) => JSON.parse(r.data) as Record<string, any>);
}

describe("numbers for external users", () => {
  it("provisions a dedicated number with a tier (personal by default) and announces it with external_user_id", async () => {
    const partner = await createTestAccount();
    await putUser(partner.key, "u1");
    const personal = await provisionFor(partner.key, "u1");
    expect(personal).toMatchObject({ external_user_id: "u1", tier: "personal", mode: "test" });
    expect(personal.number).toMatch(/^\+1555010\d{4}$/);
    const business = await provisionFor(partner.key, "u1", { tier: "business", area_code: "555", label: "Main line" });
    expect(business).toMatchObject({ external_user_id: "u1", tier: "business" });

    const shown = await (await api(`/v1/numbers/${personal.id}`, { key: partner.key })).json<NumberBody>();
    expect(shown.usage).toMatchObject({ inbound_pages: 0, included_pages: 200, tier_limit_reached: false });
    expect(shown.usage!.month).toBe(new Date().toISOString().slice(0, 7));
    const mine = await (await api("/v1/numbers?external_user_id=u1", { key: partner.key })).json<{ data: NumberBody[] }>();
    expect(mine.data.map((n) => n.id)).toEqual([business.id, personal.id]);

    const events = await accountEvents(partner.accountId, "number.provisioned");
    const forUser = events.filter((e) => e.external_user_id === "u1");
    expect(forUser.map((e) => e.number.id).sort()).toEqual([personal.id, business.id].sort());
    expect(forUser[0]!.number).toMatchObject({ external_user_id: "u1" });
  });

  it("refuses an unknown user, a bad tier and a malformed area code", async () => {
    const partner = await createTestAccount();
    await expectProblem(await api("/v1/numbers", { method: "POST", key: partner.key, json: { external_user_id: "ghost" } }), 404, "external_user.not_found");
    await putUser(partner.key, "u1");
    await expectProblem(await api("/v1/numbers", { method: "POST", key: partner.key, json: { external_user_id: "u1", tier: "gold" } }), 422, "request.invalid");
    await expectProblem(await api("/v1/numbers", { method: "POST", key: partner.key, json: { external_user_id: "u1", area_code: "41" } }), 422, "request.invalid");
    await expectProblem(await api("/v1/numbers", { method: "POST", key: partner.key, json: { external_user_id: "bad id" } }), 422, "request.invalid");
  });

  it("an area code that cannot be met is a 409 naming the area codes available", async () => {
    const partner = await createTestAccount();
    await putUser(partner.key, "u1");
    const test = await expectProblem(await api("/v1/numbers", { method: "POST", key: partner.key, json: { external_user_id: "u1", area_code: "415" } }), 409, "number.area_code_unavailable");
    expect(test.detail).toBe("No test number is free in area code 415. Test numbers are all in area code 555.");
    const live = await createTestAccount("live");
    const pool = env.LIVE_NUMBER_POOL.split(",");
    const liveRefusal = await expectProblem(await api("/v1/numbers", { method: "POST", key: live.key, json: { area_code: "212" } }), 409, "number.area_code_unavailable");
    expect(liveRefusal.detail).toBe(`No live number is free in area code 212. Area codes with free numbers: ${[...new Set(pool.map((n) => n.slice(2, 5)))].join(", ")}.`);
    expect(liveRefusal.errors).toEqual([{ pointer: "/area_code", detail: "available: 555" }]);
  });

  it("PATCH changes the tier: the allowance applies at once, and other fields are refused", async () => {
    const partner = await createTestAccount();
    await putUser(partner.key, "u1");
    const number = await provisionFor(partner.key, "u1");
    const upgraded = await api(`/v1/numbers/${number.id}`, { method: "PATCH", key: partner.key, json: { tier: "business" } });
    expect(upgraded.status).toBe(200);
    expect(await upgraded.json<NumberBody>()).toMatchObject({ tier: "business", usage: { included_pages: 1000 } });
    expect((await (await api(`/v1/numbers/${number.id}`, { key: partner.key })).json<NumberBody>()).tier).toBe("business");
    const down = await (await api(`/v1/numbers/${number.id}`, { method: "PATCH", key: partner.key, json: { tier: "personal", label: "Home" } })).json<NumberBody & { label: string }>();
    expect(down).toMatchObject({ tier: "personal", label: "Home", usage: { included_pages: 200 } });
    await expectProblem(await api(`/v1/numbers/${number.id}`, { method: "PATCH", key: partner.key, json: { tier: "platinum" } }), 422, "request.invalid");
    await expectProblem(await api(`/v1/numbers/${number.id}`, { method: "PATCH", key: partner.key, json: { external_user_id: "u2" } }), 422, "request.invalid");
    await expectProblem(await api("/v1/numbers/num_01jd8x6r3q5v7w9y0a2b4c6d8e", { method: "PATCH", key: partner.key, json: { tier: "business" } }), 404, "number.not_found");
  });
});

describe("releasing a number", () => {
  it("keeps routing calls to the former holder for the grace period, then the gateway gets 404 (SIP 404)", async () => {
    const partner = await createTestAccount();
    await putUser(partner.key, "mover");
    const number = await provisionFor(partner.key, "mover");
    const released = await api(`/v1/numbers/${number.id}`, { method: "DELETE", key: partner.key });
    expect(released.status).toBe(200);
    const [event] = (await accountEvents(partner.accountId, "number.released")).filter((e) => e.number.id === number.id);
    expect(event).toMatchObject({ external_user_id: "mover", number: { id: number.id, tier: "personal" } });
    expect(event!.number.released_at).toBeTruthy();

    // During the grace period the number still routes, and a fax lands in the (former) user's inbox.
    const route = await gatewayPost("/internal/gateway/route", { callee: number.number });
    expect(route.status).toBe(200);
    const faxId = await receiveFax(number.number, "+14155550177");
    const fax = await (await api(`/v1/faxes/${faxId}`, { key: partner.key })).json<{ external_user_id: string }>();
    expect(fax.external_user_id).toBe("mover");
    const row = await env.DB.prepare("SELECT routes_until, released_at FROM numbers WHERE id = ?").bind(number.id).first<{ routes_until: string; released_at: string }>();
    expect(Date.parse(row!.routes_until) - Date.parse(row!.released_at)).toBe(72 * 3600_000);

    // The clock moves past the grace period.
    await env.DB.prepare("UPDATE numbers SET routes_until = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), number.id).run();
    await expectProblem(await gatewayPost("/internal/gateway/route", { callee: number.number }), 404, "number.not_found");
    await expectProblem(
      await gatewayPost("/internal/gateway/inbound", { call_id: "late", caller: "+14155550177", callee: number.number, remote_ident: null, received_at: new Date().toISOString(), tiff: "AA==" }),
      404,
      "number.not_found",
    );
  });

  it("a released number is not handed to anyone during its quarantine, and is afterwards", async () => {
    const first = await createTestAccount("live");
    const second = await createTestAccount("live");
    const got = await api("/v1/numbers", { method: "POST", key: first.key, json: {} });
    expect(got.status).toBe(201);
    const quarantined = await got.json<NumberBody>();
    expect((await api(`/v1/numbers/${quarantined.id}`, { method: "DELETE", key: first.key })).status).toBe(200);

    const taken: string[] = [];
    for (;;) {
      const res = await api("/v1/numbers", { method: "POST", key: second.key, json: {} });
      if (res.status !== 201) {
        const problem = await expectProblem(res, 409, "number.unavailable");
        expect(problem.detail).toContain("quarantine");
        break;
      }
      taken.push((await res.json<NumberBody>()).number);
      expect(taken.length).toBeLessThan(10);
    }
    expect(taken).not.toContain(quarantined.number);

    // 91 days later (the default quarantine is 90), the number is free again.
    const longAgo = new Date(Date.now() - 91 * 24 * 3600_000).toISOString();
    await env.DB.prepare("UPDATE numbers SET released_at = ?, routes_until = ? WHERE id = ?").bind(longAgo, longAgo, quarantined.id).run();
    const again = await api("/v1/numbers", { method: "POST", key: second.key, json: {} });
    expect(again.status).toBe(201);
    expect((await again.json<NumberBody>()).number).toBe(quarantined.number);
  });
});

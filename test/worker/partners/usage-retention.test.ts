// Issue 15 point 6: inbound pages per number per month against the tier, and retention per tier.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../../src/db/client";
import { findNumber } from "../../../src/db/number-store";
import { runScheduledMaintenance } from "../../../src/fax/maintenance";
import type { Fax } from "../../../src/fax/schema";
import { countInboundPages } from "../../../src/partners/usage";
import { api, expectProblem } from "../helpers";
import { createPartner, provisionFor, receiveFax } from "./partner-helpers";

const DAY = 24 * 3600_000;

async function tierEvents(accountId: string) {
  const rows = await env.DB.prepare("SELECT data FROM account_events WHERE account_id = ? AND type = 'usage.tier_limit_reached'").bind(accountId).all<{ data: string }>();
  return rows.results.map((r) => JSON.parse(r.data) as Record<string, any>);
}

/** Pages already counted this month, as if earlier faxes had arrived. */
async function alreadyReceived(accountId: string, numberId: string, pages: number) {
  await env.DB.prepare("INSERT INTO number_inbound_pages (fax_id, account_id, number_id, month, pages, created_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(`fax_earlier_${crypto.randomUUID()}`, accountId, numberId, new Date().toISOString().slice(0, 7), pages, new Date().toISOString())
    .run();
}

describe("quotas per tier", () => {
  it("counts inbound pages per number; a repeated upload counts once", async () => {
    const partner = await createPartner(["alice"]);
    const call = { id: `call-${crypto.randomUUID()}`, at: new Date().toISOString() };
    const first = await receiveFax(partner.users.alice!.number, "+14155550101", 2, call);
    expect(await receiveFax(partner.users.alice!.number, "+14155550101", 2, call)).toBe(first);
    const usage = (await (await api(`/v1/numbers/${partner.users.alice!.id}`, { key: partner.key })).json<{ usage: { inbound_pages: number } }>()).usage;
    expect(usage.inbound_pages).toBe(2);
  });

  it("reaching the allowance never refuses a fax and emits usage.tier_limit_reached once, even for concurrent receives", async () => {
    const partner = await createPartner(["alice"]);
    const number = partner.users.alice!;
    await alreadyReceived(partner.accountId, number.id, 197);
    // Five one-page faxes arrive at once: the third page over 197 reaches 200.
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => receiveFax(number.number, `+1415555020${i}`)));
    expect(new Set(ids).size).toBe(5);
    const events = await tierEvents(partner.accountId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ external_user_id: "alice", number: { id: number.id, number: number.number, tier: "personal" }, included_pages: 200, month: new Date().toISOString().slice(0, 7) });
    const shown = await (await api(`/v1/numbers/${number.id}`, { key: partner.key })).json<{ usage: Record<string, unknown> }>();
    expect(shown.usage).toMatchObject({ inbound_pages: 202, included_pages: 200, tier_limit_reached: true });
    // Every fax is in the inbox: none was refused.
    const inbox = await (await api("/v1/external-users/alice/inbox", { key: partner.key })).json<{ data: Fax[] }>();
    expect(inbox.data.map((f) => f.id).sort()).toEqual([...ids].sort());

    // More faxes the same month: no second event. A new tier is a new allowance: business at 1,000.
    await receiveFax(number.number, "+14155550299");
    expect(await tierEvents(partner.accountId)).toHaveLength(1);
    const upgraded = await (await api(`/v1/numbers/${number.id}`, { method: "PATCH", key: partner.key, json: { tier: "business" } })).json<{ usage: Record<string, unknown> }>();
    expect(upgraded.usage).toMatchObject({ inbound_pages: 203, included_pages: 1000, tier_limit_reached: false });
    await alreadyReceived(partner.accountId, number.id, 796);
    await receiveFax(number.number, "+14155550298");
    const after = await tierEvents(partner.accountId);
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({ number: { tier: "business" }, included_pages: 1000 });
  });

  it("the claim is atomic: of many concurrent counts crossing together, exactly one reports the crossing", async () => {
    const partner = await createPartner(["alice"]);
    const db = database(env.DB);
    const number = (await findNumber(db, { accountId: partner.accountId, mode: "test" }, partner.users.alice!.id))!;
    const small = { ...env, PARTNER_TIERS: JSON.stringify({ personal: { included_pages: 10 } }) };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => countInboundPages(small, db, number, { id: `fax_concurrent_${i}`, page_count: 3, created_at: new Date().toISOString() })),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await tierEvents(partner.accountId)).toHaveLength(1);
    expect(results.find((r) => r !== null)).toMatchObject({ tier: "personal", includedPages: 10 });
  });
});

describe("retention per tier", () => {
  it("purges each fax's files after its number's tier retention, keeps the metadata with purged_at, and answers 410", async () => {
    const partner = await createPartner(["personal-user", "business-user"]);
    const business = await provisionFor(partner.key, "business-user", { tier: "business" });
    const personalFax = await receiveFax(partner.users["personal-user"]!.number, "+14155550301");
    const businessFax = await receiveFax(business.number, "+14155550302");
    const accountFax = await receiveFax(partner.number, "+14155550303");
    const earlyLink = await (await api(`/v1/faxes/${personalFax}/document`, { key: partner.key })).json<{ url: string }>();
    expect((await fetchLink(earlyLink.url)).status).toBe(200);

    // 31 days on: only the account's own number (no tier: RETENTION_DAYS = 30) has expired.
    await runScheduledMaintenance(env, Date.now() + 31 * DAY);
    expect(await purgedAt(partner.key, accountFax)).not.toBeNull();
    expect(await purgedAt(partner.key, personalFax)).toBeNull();

    // 61 days on: personal (60 days) is purged, business (180 days) is not.
    await runScheduledMaintenance(env, Date.now() + 61 * DAY);
    expect(await purgedAt(partner.key, personalFax)).not.toBeNull();
    expect(await purgedAt(partner.key, businessFax)).toBeNull();
    expect((await env.DOCUMENTS.list({ prefix: `faxes/${partner.accountId}/${personalFax}/` })).objects).toEqual([]);
    expect((await env.DOCUMENTS.list({ prefix: `faxes/${partner.accountId}/${businessFax}/` })).objects.length).toBeGreaterThan(0);
    for (const path of [`/v1/faxes/${personalFax}/document`, `/v1/faxes/${personalFax}/image`, `/v1/faxes/${personalFax}/pages/1`]) {
      await expectProblem(await api(path, { key: partner.key }), 410, "document.purged");
    }
    // A link signed before the purge answers 410 too.
    await expectProblem(await fetchLink(earlyLink.url), 410, "document.purged");
    // The fax and its place in the inbox stay.
    expect(await (await api("/v1/external-users/personal-user/inbox", { key: partner.key })).json<{ data: Fax[] }>()).toMatchObject({ data: [{ id: personalFax }] });

    await runScheduledMaintenance(env, Date.now() + 181 * DAY);
    expect(await purgedAt(partner.key, businessFax)).not.toBeNull();
  });

  it("a tier change moves the retention, and the account's retention_days applies to numbers without a tier", async () => {
    const partner = await createPartner(["upgraded"]);
    const userFax = await receiveFax(partner.users.upgraded!.number, "+14155550311");
    const accountFax = await receiveFax(partner.number, "+14155550312");
    expect((await api("/v1/settings", { method: "PATCH", key: partner.key, json: { retention_days: 365 } })).status).toBe(200);
    expect((await api(`/v1/numbers/${partner.users.upgraded!.id}`, { method: "PATCH", key: partner.key, json: { tier: "business" } })).status).toBe(200);
    await runScheduledMaintenance(env, Date.now() + 100 * DAY);
    expect(await purgedAt(partner.key, userFax)).toBeNull();
    expect(await purgedAt(partner.key, accountFax)).toBeNull();
    await runScheduledMaintenance(env, Date.now() + 366 * DAY);
    expect(await purgedAt(partner.key, accountFax)).not.toBeNull();
  });
});

async function purgedAt(key: string, id: string): Promise<string | null> {
  const fax = await (await api(`/v1/faxes/${id}`, { key })).json<Fax>();
  return fax.purged_at;
}

function fetchLink(url: string): Promise<Response> {
  const u = new URL(url);
  return api(`${u.pathname}${u.search}`);
}

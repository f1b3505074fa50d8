// Issue 16 point 5: usage over a range, and monthly statements with numbers added and released mid-month.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { closeStatements, numberLines } from "../../../src/billing/statements";
import { newId } from "../../../src/lib/ids";
import { api, expectProblem } from "../helpers";
import { accountWithCredits } from "./helpers";

async function insertNumber(accountId: string, number: string, createdAt: string, releasedAt: string | null): Promise<void> {
  await env.DB.prepare("INSERT INTO numbers (id, account_id, mode, number, label, created_at, released_at) VALUES (?, ?, 'live', ?, NULL, ?, ?)")
    .bind(newId("num", Date.parse(createdAt)), accountId, number, createdAt, releasedAt)
    .run();
}

async function insertFax(accountId: string, direction: "outbound" | "inbound", from: string, to: string, pages: number, createdAt: string, status: string): Promise<string> {
  const id = newId("fax", Date.parse(createdAt));
  await env.DB.prepare(
    `INSERT INTO faxes (id, account_id, mode, direction, status, "to", "from", page_count, pages_sent, attempts, max_attempts, version, body, created_at, updated_at)
     VALUES (?, ?, 'live', ?, ?, ?, ?, ?, ?, 1, 3, 1, ?, ?, ?)`,
  )
    .bind(id, accountId, direction, status, to, from, pages, pages, JSON.stringify({ id }), createdAt, createdAt)
    .run();
  return id;
}

async function insertLedger(accountId: string, seq: number, kind: string, amount: number, balanceAfter: number, faxId: string | null, createdAt: string): Promise<void> {
  await env.DB.prepare(
    "INSERT INTO credit_transactions (id, account_id, mode, seq, kind, amount, balance_after, fax_id, reference, description, created_at) VALUES (?, ?, 'live', ?, ?, ?, ?, ?, ?, 'test', ?)",
  )
    .bind(newId("txn", Date.parse(createdAt)), accountId, seq, kind, amount, balanceAfter, faxId, `t${seq}`, createdAt)
    .run();
}

describe("number lines", () => {
  it("price each number by tier, prorated by the part of the month it was held", () => {
    const lines = numberLines("2026-11", [
      { number: "+15557000001", tier: "business", createdAt: "2026-09-01T00:00:00Z", releasedAt: null },
      { number: "+15557000002", tier: "personal", createdAt: "2026-11-16T00:00:00Z", releasedAt: null },
      { number: "+15557000003", tier: "business", createdAt: "2026-11-01T00:00:00Z", releasedAt: "2026-11-11T00:00:00Z" },
      { number: "+15557000004", tier: "personal", createdAt: "2026-10-01T00:00:00Z", releasedAt: "2026-10-31T12:00:00Z" },
      { number: "+15557000005", tier: "personal", createdAt: "2026-12-01T00:00:00Z", releasedAt: null },
    ]);
    expect(lines.map((l) => [l.description, l.amount])).toEqual([
      ["+15557000001 (business, $7.50/month): the whole month", 750],
      ["+15557000002 (personal, $2.50/month): 2026-11-16 to 2026-11-30, prorated", 125],
      ["+15557000003 (business, $7.50/month): 2026-11-01 to 2026-11-10, prorated", 250],
    ]);
  });
});

describe("usage and statements", () => {
  it("closes November with its numbers, pages and purchases; open until due, then past_due", async () => {
    const account = await accountWithCredits("live", 0);
    const id = account.accountId;
    await insertNumber(id, "+15557100001", "2026-10-20T09:00:00.000Z", null);
    await insertNumber(id, "+15557100002", "2026-11-16T00:00:00.000Z", null);
    await insertNumber(id, "+15557100003", "2026-11-01T00:00:00.000Z", "2026-11-11T00:00:00.000Z");
    const sent = await insertFax(id, "outbound", "+15557100001", "+15550100001", 3, "2026-11-05T10:00:00.000Z", "delivered");
    await insertFax(id, "outbound", "+15557100002", "+15550100009", 0, "2026-11-20T10:00:00.000Z", "failed");
    await insertFax(id, "inbound", "+15559990000", "+15557100002", 2, "2026-11-20T11:00:00.000Z", "received");
    await insertLedger(id, 1, "purchase", 100, 100, null, "2026-11-02T00:00:00.000Z");
    await insertLedger(id, 2, "reserve", -3, 97, sent, "2026-11-05T10:00:00.000Z");
    await insertLedger(id, 3, "settle", 0, 97, sent, "2026-11-05T10:01:00.000Z");
    await env.DB.prepare(
      "INSERT INTO credit_purchases (id, account_id, mode, bundle, credits, price, currency, provider, status, created_at, completed_at) VALUES (?, ?, 'live', 'credits_100', 100, 1000, 'usd', 'manual', 'completed', ?, ?)",
    )
      .bind(newId("pur"), id, "2026-11-01T23:00:00.000Z", "2026-11-02T00:00:00.000Z")
      .run();

    const usage = async (query: string) => (await api(`/v1/usage?${query}`, { key: account.key })).json<{ data: Record<string, unknown>[]; totals: Record<string, number> }>();
    const byDay = await usage("from=2026-11-01&to=2026-12-01&group_by=day");
    expect(byDay.data).toEqual([
      { group: "2026-11-05", faxes_sent: 1, faxes_received: 0, pages_sent: 3, pages_received: 0, credits: 3 },
      { group: "2026-11-20", faxes_sent: 1, faxes_received: 1, pages_sent: 0, pages_received: 2, credits: 0 },
    ]);
    expect(byDay.totals).toEqual({ faxes_sent: 2, faxes_received: 1, pages_sent: 3, pages_received: 2, credits: 3 });
    expect((await usage("from=2026-11-01&to=2026-12-01&group_by=number")).data.map((r) => [r.group, r.pages_sent, r.pages_received])).toEqual([
      ["+15557100001", 3, 0],
      ["+15557100002", 0, 2],
    ]);
    expect((await usage("from=2026-11-01&to=2026-12-01&group_by=external_user")).data).toEqual([
      { group: null, external_user: null, faxes_sent: 2, faxes_received: 1, pages_sent: 3, pages_received: 2, credits: 3 },
    ]);
    await expectProblem(await api("/v1/usage?from=2026-12-01&to=2026-11-01", { key: account.key }), 422, "request.invalid");
    await expectProblem(await api("/v1/usage?group_by=week", { key: account.key }), 422, "request.invalid");

    // The cron on the first of December closes November, once.
    await closeStatements(env, Date.parse("2026-12-01T00:01:00.000Z"));
    await closeStatements(env, Date.parse("2026-12-01T00:02:00.000Z"));
    const list = await (await api("/v1/invoices", { key: account.key })).json<{ data: { id: string; period: string; status: string }[] }>();
    expect(list.data.map((i) => [i.id === "upcoming" ? "upcoming" : "inv", i.period])).toEqual([
      ["upcoming", new Date().toISOString().slice(0, 7)],
      ["inv", "2026-11"],
    ]);
    const november = await (await api(`/v1/invoices/${list.data[1]!.id}`, { key: account.key })).json<Record<string, unknown> & { lines: { type: string; amount: number; quantity: number }[] }>();
    expect(november.lines.map((l) => [l.type, l.quantity, l.amount])).toEqual([
      ["number", 1, 250],
      ["number", 1, 83],
      ["number", 1, 125],
      ["pages_sent", 3, 0],
      ["pages_received", 2, 0],
      ["purchase", 100, 1000],
    ]);
    expect(november).toMatchObject({ status: "open", total: 1458, amount_paid: 1000, amount_due: 458, currency: "usd", paid_at: null, closed_at: "2026-12-01T00:01:00.000Z", due_at: "2026-12-15T00:01:00.000Z" });

    await closeStatements(env, Date.parse("2026-12-16T00:00:00.000Z"));
    expect((await (await api(`/v1/invoices/${november.id}`, { key: account.key })).json<{ status: string }>()).status).toBe("past_due");
    await expectProblem(await api("/v1/invoices/inv_01jd8x6r3q5v7w9y0a2b4c6d8e", { key: account.key }), 404, "billing.invoice_not_found");
    // Another account sees none of it.
    const other = await accountWithCredits("live", 0);
    await expectProblem(await api(`/v1/invoices/${november.id}`, { key: other.key }), 404, "billing.invoice_not_found");
  });
});

/** Migration 0015: existing external users take the mode of what they hold; one holding both modes is split. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newId } from "../../../src/lib/ids";

const backfill = () => {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0015_"));
  if (!migration) throw new Error("migration 0015 not found");
  // The back-fill only: the column and the index exist already in the test database.
  return migration.queries.filter((q) => !/\b(?:ALTER TABLE|INDEX)\b/.test(q));
};

async function run(sql: string, ...values: unknown[]) {
  await env.DB.prepare(sql).bind(...values).run();
}

describe("migration 0015 back-fills external users' mode", () => {
  it("live-only and empty users of an account with a live key become live; a user of both modes is split", async () => {
    const accountId = newId("acct");
    const now = new Date().toISOString();
    await run("INSERT INTO accounts (id, name, created_at) VALUES (?, 'Old partner', ?)", accountId, now);
    await run("INSERT INTO api_keys (id, account_id, mode, key_hash, key_prefix, created_at) VALUES (?, ?, 'live', ?, 'fx_live_x', ?)", newId("key"), accountId, crypto.randomUUID(), now);
    const user = async (externalUserId: string) => {
      const id = newId("usr");
      await run("INSERT INTO external_users (id, account_id, external_user_id, created_at, updated_at, mode) VALUES (?, ?, ?, ?, ?, 'test')", id, accountId, externalUserId, now, now);
      return id;
    };
    const number = async (userId: string, externalUserId: string, mode: string) => {
      const id = newId("num");
      const e164 = `+1555709${String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10_000).padStart(4, "0")}`;
      await run("INSERT INTO numbers (id, account_id, mode, number, created_at, external_user_id, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)", id, accountId, mode, e164, now, externalUserId, userId);
      return id;
    };
    const fax = async (userId: string, externalUserId: string, mode: string) => {
      const id = newId("fax");
      await run(
        "INSERT INTO faxes (id, account_id, mode, direction, status, `to`, `from`, max_attempts, body, created_at, updated_at, external_user_id, user_id) VALUES (?, ?, ?, 'inbound', 'received', '+15550100001', '+14155552671', 1, '{}', ?, ?, ?, ?)",
        id, accountId, mode, now, now, externalUserId, userId,
      );
      return id;
    };
    const liveOnly = await user("live-only");
    await number(liveOnly, "live-only", "live");
    const both = await user("both");
    const bothTestNumber = await number(both, "both", "test");
    const bothLiveNumber = await number(both, "both", "live");
    const bothTestFax = await fax(both, "both", "test");
    const bothLiveFax = await fax(both, "both", "live");
    const testOnly = await user("test-only");
    await fax(testOnly, "test-only", "test");
    const empty = await user("empty");

    for (const q of backfill()) await env.DB.prepare(q).run();

    const users = (await env.DB.prepare("SELECT id, external_user_id, mode FROM external_users WHERE account_id = ? ORDER BY external_user_id, mode").bind(accountId).all<{ id: string; external_user_id: string; mode: string }>()).results;
    const copy = users.find((u) => u.external_user_id === "both" && u.mode === "live")!;
    expect(users.map((u) => [u.external_user_id, u.mode])).toEqual([["both", "live"], ["both", "test"], ["empty", "live"], ["live-only", "live"], ["test-only", "test"]]);
    expect(users.filter((u) => u.external_user_id === "both" && u.mode === "test").map((u) => u.id)).toEqual([both]);
    expect(copy.id).toMatch(/^usr_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(users.find((u) => u.external_user_id === "empty")!.id).toBe(empty);
    const userOf = async (table: "numbers" | "faxes", id: string) => (await env.DB.prepare(`SELECT user_id FROM ${table} WHERE id = ?`).bind(id).first<{ user_id: string }>())!.user_id;
    expect(await userOf("numbers", bothLiveNumber)).toBe(copy.id);
    expect(await userOf("faxes", bothLiveFax)).toBe(copy.id);
    expect(await userOf("numbers", bothTestNumber)).toBe(both);
    expect(await userOf("faxes", bothTestFax)).toBe(both);

    // Running it again changes nothing (no second copy).
    for (const q of backfill()) await env.DB.prepare(q).run();
    expect((await env.DB.prepare("SELECT count(*) AS n FROM external_users WHERE account_id = ?").bind(accountId).first<{ n: number }>())!.n).toBe(5);
  });
});

/** Migration 0015: existing external users take the mode of what they hold; one holding both modes is split. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newId } from "../../../src/lib/ids";
import { api, createTestAccount } from "../helpers";
import { createKey } from "../audit/helpers";
import { createEndpoint, newReceiver, verified, waitFor, type Receiver } from "../webhooks/receiver";

const backfill = (number = "0015") => {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith(`${number}_`));
  if (!migration) throw new Error(`migration ${number} not found`);
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

describe("migration 0017 gives webhook endpoints a mode without stopping a delivery", () => {
  interface Row { id: string; mode: string; url: string; secret_owner: string | null; deleted_at: string | null }
  const endpointsOf = async (accountId: string) =>
    (await env.DB.prepare("SELECT id, mode, url, secret_owner, deleted_at FROM webhook_endpoints WHERE account_id = ? ORDER BY deleted_at IS NULL, mode").bind(accountId).all<Row>()).results;
  const defaults = async (accountId: string) =>
    env.DB.prepare("SELECT default_webhook_endpoint_id AS live, default_test_webhook_endpoint_id AS test FROM account_settings WHERE account_id = ?").bind(accountId).first<{ live: string | null; test: string | null }>();
  const setDefault = async (key: string, receiver: Receiver) => {
    const res = await api("/v1/settings", { method: "PATCH", key, json: { webhook_url: receiver.url() } });
    expect(res.status).toBe(200);
    return res.json<{ webhook_endpoint_id: string; webhook_secret: string }>();
  };
  const ping = async (key: string, id: string, receiver: Receiver, count: number) => {
    expect((await api(`/v1/webhooks/${id}/ping`, { method: "POST", key })).status).toBe(202);
    return waitFor("the ping", () => receiver.requests.length >= count && receiver.requests[count - 1]);
  };

  it("keeps each endpoint in its key's mode and copies it into the other mode, with its secret and default", async () => {
    // Before 0017: an account with only a test key (npm start's) and one with both, each with a default endpoint.
    const testOnly = await createTestAccount("test");
    const testOnlyReceiver = newReceiver();
    const testOnlyDefault = await setDefault(testOnly.key, testOnlyReceiver);
    const gone = await createEndpoint(testOnly.key, { url: newReceiver().url() });
    expect((await api(`/v1/webhooks/${gone.id}`, { method: "DELETE", key: testOnly.key })).status).toBe(200);
    await env.DB.prepare("UPDATE webhook_endpoints SET mode = 'live' WHERE account_id = ?").bind(testOnly.accountId).run();
    await env.DB.prepare("UPDATE account_settings SET default_webhook_endpoint_id = default_test_webhook_endpoint_id, default_test_webhook_endpoint_id = NULL WHERE account_id = ?").bind(testOnly.accountId).run();
    const both = await createTestAccount("live");
    const bothTestKey = (await createKey(both.key, { mode: "test", name: "test key" })).key;
    const bothReceiver = newReceiver();
    const bothDefault = await setDefault(both.key, bothReceiver);

    for (const q of backfill("0017")) await env.DB.prepare(q).run();

    const [testOnlyGone, testOnlyCopy, testOnlyOriginal] = await endpointsOf(testOnly.accountId);
    expect(testOnlyGone).toMatchObject({ id: gone.id, mode: "test", secret_owner: null });
    expect(testOnlyOriginal).toMatchObject({ id: testOnlyDefault.webhook_endpoint_id, mode: "test", secret_owner: null, deleted_at: null });
    expect(testOnlyCopy).toMatchObject({ mode: "live", url: testOnlyReceiver.url(), secret_owner: testOnlyDefault.webhook_endpoint_id, deleted_at: null });
    expect(testOnlyCopy!.id).toMatch(/^whe_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(await defaults(testOnly.accountId)).toEqual({ test: testOnlyDefault.webhook_endpoint_id, live: testOnlyCopy!.id });
    // The test key still finds its endpoint by the id it knew.
    expect(await (await api("/v1/settings", { key: testOnly.key })).json()).toMatchObject({ webhook_endpoint_id: testOnlyDefault.webhook_endpoint_id, webhook_url: testOnlyReceiver.url() });

    const [bothOriginal, bothCopy] = await endpointsOf(both.accountId);
    expect(bothOriginal).toMatchObject({ id: bothDefault.webhook_endpoint_id, mode: "live", secret_owner: null });
    expect(bothCopy).toMatchObject({ mode: "test", url: bothReceiver.url(), secret_owner: bothDefault.webhook_endpoint_id });
    expect(await defaults(both.accountId)).toEqual({ live: bothDefault.webhook_endpoint_id, test: bothCopy!.id });
    expect(await (await api("/v1/settings", { key: bothTestKey })).json()).toMatchObject({ webhook_endpoint_id: bothCopy!.id, webhook_url: bothReceiver.url() });

    // The copy signs with the secret the receiver knows; after a rotation, with the new one beside it.
    const first = await ping(bothTestKey, bothCopy!.id, bothReceiver, 1);
    expect(verified(bothDefault.webhook_secret, first).type).toBe("webhook.ping");
    const rotated = await api(`/v1/webhooks/${bothCopy!.id}/rotate-secret`, { method: "POST", key: bothTestKey });
    expect(rotated.status).toBe(200);
    const { secret } = await rotated.json<{ secret: string }>();
    const second = await ping(bothTestKey, bothCopy!.id, bothReceiver, 2);
    expect(verified(secret, second).type).toBe("webhook.ping");
    expect(verified(bothDefault.webhook_secret, second).type).toBe("webhook.ping");
    expect((await endpointsOf(both.accountId))[1]!.secret_owner).toBeNull();
  });
});

describe("migration 0018 gives deliveries their event's mode", () => {
  it("a callback delivery takes its fax's mode through its event, an endpoint's delivery its endpoint's, an orphan is live", async () => {
    const account = await createTestAccount("live");
    const now = new Date().toISOString();
    const fax = { test: newId("fax"), live: newId("fax") };
    const event = { test: newId("evt"), live: newId("evt"), gone: newId("evt"), endpoint: newId("evt") };
    for (const mode of ["test", "live"] as const) {
      await run(
        "INSERT INTO faxes (id, account_id, mode, direction, status, \"to\", \"from\", max_attempts, body, created_at, updated_at, version) VALUES (?, ?, ?, 'outbound', 'scheduled', '+15550100001', '+15550100002', 1, '{}', ?, ?, 1)",
        fax[mode], account.accountId, mode, now, now,
      );
      await run("INSERT INTO fax_events (id, account_id, fax_id, type, created_at, data) VALUES (?, ?, ?, 'fax.scheduled', ?, '{}')", event[mode], account.accountId, fax[mode], now);
    }
    const endpoint = await createEndpoint(account.key, { url: newReceiver().url() });
    const delivery = (eventId: string, endpointId: string | null) => ({ id: newId("msg"), eventId, endpointId });
    const rows = {
      test: delivery(event.test, null),
      live: delivery(event.live, null),
      gone: delivery(event.gone, null),
      endpoint: delivery(event.endpoint, endpoint.id),
    };
    for (const r of Object.values(rows)) {
      await run(
        "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, url, mode, event_id, event_type, payload, status, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, 'fax.scheduled', '{}', 'delivered', 1, ?, ?)",
        r.id, account.accountId, r.endpointId, r.endpointId ? null : "https://example.com/cb", r.eventId, now, now,
      );
    }

    for (const q of backfill("0018")) await env.DB.prepare(q).run();

    const modeOf = async (id: string) => (await env.DB.prepare("SELECT mode FROM webhook_deliveries WHERE id = ?").bind(id).first<{ mode: string | null }>())?.mode;
    expect(await modeOf(rows.test.id)).toBe("test");
    expect(await modeOf(rows.live.id)).toBe("live");
    expect(await modeOf(rows.gone.id)).toBe("live");
    expect(await modeOf(rows.endpoint.id)).toBe("live");
  });
});

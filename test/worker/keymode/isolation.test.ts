/**
 * Key mode (src/db/tenant.ts): an account's test data and live data never mix. Every operation of /v1 that
 * names a mode-bound object in its path (from scopes.ts's table, so a new route is covered without a line
 * here) answers a key of the other mode exactly as it answers another account's key: 404, same code.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { OPERATION_SCOPES } from "../../../src/api/middleware/scopes";
import { api, createTestAccount, pdfDocument, sendFax, type TestAccount } from "../helpers";
import { createKey } from "../audit/helpers";
import { provisionFor, putUser, receiveFax } from "../partners/partner-helpers";
import { createEndpoint, newReceiver } from "../webhooks/receiver";

type Mode = "test" | "live";

/** What one mode of the account holds: a scheduled outbound fax, a user with a number and a received fax, a key. */
interface ModeWorld {
  key: string;
  outboundFaxId: string;
  inboundFaxId: string;
  numberId: string;
  externalUserId: string;
  keyId: string;
  endpointId: string;
  deliveryId: string;
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(300);
  return JSON.parse(text) as T;
}

async function populate(key: string, mode: Mode): Promise<ModeWorld> {
  const externalUserId = `pat-${mode}`;
  expect((await putUser(key, externalUserId, { name: `Pat ${mode}` })).status).toBe(201);
  const number = await provisionFor(key, externalUserId);
  const sendAt = new Date(Date.now() + 86_400_000).toISOString();
  const outbound = await json<{ id: string; status: string }>(await sendFax(key, { to: "+15550100001", external_user_id: externalUserId, documents: [await pdfDocument()], send_at: sendAt }));
  expect(outbound.status).toBe("scheduled");
  const inboundFaxId = await receiveFax(number.number, "+14155552671");
  const extraKey = await createKey(key, { name: `extra ${mode}`, mode });
  const endpoint = await createEndpoint(key, { url: newReceiver().url() });
  const ping = await json<{ id: string }>(await api(`/v1/webhooks/${endpoint.id}/ping`, { method: "POST", key }));
  return { key, outboundFaxId: outbound.id, inboundFaxId, numberId: number.id, externalUserId, keyId: extraKey.id, endpointId: endpoint.id, deliveryId: ping.id };
}

/** The operations whose path names a mode-bound object; everything else with a path id is account-level (README). */
const MODE_BOUND = /^\/v1\/(faxes|numbers|external-users|api-keys|webhooks)\/\{/;
/** Account-level or separated elsewhere: a fax's own webhook_url deliveries (README "Test and live data"), statements (test/worker/billing). */
const NOT_MODE_BOUND = /^\/v1\/(webhooks\/callback-|invoices\/)/;

const BODIES: Record<string, unknown> = {
  "PATCH /v1/numbers/{id}": { label: "changed" },
  "PUT /v1/numbers/{id}/extraction-schema": { extraction_schema: null },
  "PATCH /v1/external-users/{external_user_id}/inbox/{fax_id}": { read: true },
  "PATCH /v1/webhooks/{id}": { description: "changed" },
};

const operations = Object.keys(OPERATION_SCOPES).map((op) => {
  const [method, path] = op.split(" ") as [string, string];
  return { op, method, path };
});

/** The concrete requests of an operation against a world's objects (a fax route once per fax). */
function requestsFor(path: string, world: ModeWorld): string[] {
  const fill = (faxId: string) =>
    path
      .replace("/v1/faxes/{id}", `/v1/faxes/${faxId}`)
      .replace("{n}", "1")
      .replace("/v1/numbers/{id}", `/v1/numbers/${world.numberId}`)
      .replace("{external_user_id}", world.externalUserId)
      .replace("{fax_id}", faxId)
      .replace("/v1/api-keys/{id}", `/v1/api-keys/${world.keyId}`)
      .replace("/v1/webhooks/{id}", `/v1/webhooks/${world.endpointId}`)
      .replace("{delivery_id}", world.deliveryId);
  return path.includes("fax") ? [fill(world.outboundFaxId), fill(world.inboundFaxId)] : [fill(world.outboundFaxId)];
}

async function answer(method: string, path: string, key: string, body: unknown): Promise<{ status: number; code: unknown }> {
  const res = await api(path, { method, key, ...(body === undefined ? {} : { json: body }) });
  const text = await res.text();
  let code: unknown = null;
  try {
    code = (JSON.parse(text) as { code?: unknown }).code ?? null;
  } catch {
    // not JSON (a stream or a file): the status tells
  }
  return { status: res.status, code };
}

describe("test and live keys of one account", () => {
  let account: TestAccount;
  const worlds = {} as Record<Mode, ModeWorld>;
  const foreign = {} as Record<Mode, string>;

  beforeAll(async () => {
    account = await createTestAccount("live");
    const created = await createKey(account.key, { mode: "test", name: "test key" });
    // As high a rate limit as createTestAccount's keys: this suite makes more than a default key's 60 requests a minute.
    await env.DB.prepare("UPDATE api_keys SET rate_limit_per_minute = 100000 WHERE id = ?").bind(created.id).run();
    const testKey = created.key;
    worlds.live = await populate(account.key, "live");
    worlds.test = await populate(testKey, "test");
    foreign.test = (await createTestAccount("test")).key;
    foreign.live = (await createTestAccount("live")).key;
  }, 60_000);

  it("classifies every operation with a path id as mode-bound or account-level", () => {
    const unclassified = operations.filter((o) => o.path.includes("{") && !MODE_BOUND.test(o.path) && !NOT_MODE_BOUND.test(o.path));
    expect(unclassified.map((o) => o.op)).toEqual([]);
  });

  for (const [owner, caller] of [["live", "test"], ["test", "live"]] as const) {
    it(`a ${caller} key gets the same 404 as another account's key for every ${owner} object, and changes nothing`, async () => {
      const world = worlds[owner];
      const callerKey = worlds[caller].key;
      const checked: string[] = [];
      for (const { op, method, path } of operations) {
        if (!MODE_BOUND.test(path) || method === "PUT" && path === "/v1/external-users/{external_user_id}") continue;
        // A live key manages every key of the account (it may create test keys): README "API keys and scopes".
        if (caller === "live" && path.startsWith("/v1/api-keys/")) continue;
        for (const url of requestsFor(path, world)) {
          const body = BODIES[op];
          const other = await answer(method, url, foreign[caller], body);
          const got = await answer(method, url, callerKey, body);
          expect(got, `${method} ${url} with the ${caller} key`).toEqual(other);
          expect(got.status, `${method} ${url}`).toBe(404);
          checked.push(`${method} ${url}`);
        }
      }
      expect(checked.length).toBeGreaterThan(25);

      // Nothing of the owner's mode changed.
      const own = world.key;
      expect((await json<{ status: string }>(await api(`/v1/faxes/${world.outboundFaxId}`, { key: own }))).status).toBe("scheduled");
      expect((await json<{ label: string | null }>(await api(`/v1/numbers/${world.numberId}`, { key: own }))).label).toBeNull();
      const user = await json<{ numbers: { id: string }[] }>(await api(`/v1/external-users/${world.externalUserId}`, { key: own }));
      expect(user.numbers.map((n) => n.id)).toEqual([world.numberId]);
      const inbox = await json<{ data: { id: string; read_at: string | null }[] }>(await api(`/v1/external-users/${world.externalUserId}/inbox`, { key: own }));
      expect(inbox.data).toMatchObject([{ id: world.inboundFaxId, read_at: null }]);
      const keys = await json<{ data: { id: string; revoked_at: string | null }[] }>(await api("/v1/api-keys", { key: own }));
      expect(keys.data.find((k) => k.id === world.keyId)?.revoked_at).toBeNull();
      const endpoint = await json<{ enabled: boolean; description: string | null }>(await api(`/v1/webhooks/${world.endpointId}`, { key: own }));
      expect(endpoint).toMatchObject({ enabled: true, description: null });
    }, 60_000);
  }

  for (const mode of ["test", "live"] as const) {
    it(`lists, filters and searches show a ${mode} key only ${mode} objects`, async () => {
      const mine = worlds[mode];
      const theirs = worlds[mode === "test" ? "live" : "test"];
      const ids = async (path: string) => (await json<{ data: { id: string }[] }>(await api(path, { key: mine.key }))).data.map((o) => o.id);

      expect((await ids("/v1/faxes")).sort()).toEqual([mine.outboundFaxId, mine.inboundFaxId].sort());
      expect(await ids("/v1/faxes?direction=inbound")).toEqual([mine.inboundFaxId]);
      expect(await ids(`/v1/faxes?external_user_id=${theirs.externalUserId}`)).toEqual([]);
      expect(await ids("/v1/faxes/received")).toEqual([mine.inboundFaxId]);
      expect(await ids("/v1/faxes/received?search_text=4155552671")).toEqual([mine.inboundFaxId]);
      expect(await ids(`/v1/faxes/received?external_user_id=${theirs.externalUserId}`)).toEqual([]);
      const numbers = await json<{ data: { id: string; mode: string }[] }>(await api("/v1/numbers", { key: mine.key }));
      expect(numbers.data.map((n) => n.mode)).toEqual(numbers.data.map(() => mode));
      expect(numbers.data.map((n) => n.id)).toContain(mine.numberId);
      expect(await ids(`/v1/numbers?external_user_id=${theirs.externalUserId}`)).toEqual([]);
      const users = await json<{ data: { external_user_id: string }[] }>(await api("/v1/external-users", { key: mine.key }));
      expect(users.data.map((u) => u.external_user_id)).toEqual([mine.externalUserId]);
      expect(await ids(`/v1/external-users/${mine.externalUserId}/inbox`)).toEqual([mine.inboundFaxId]);
      expect(await ids(`/v1/external-users/${mine.externalUserId}/inbox?q=4155552671`)).toEqual([mine.inboundFaxId]);
    });
  }

  it("a test key lists only test keys; a live key lists every key", async () => {
    const modesSeenBy = async (key: string) => [...new Set((await json<{ data: { mode: string }[] }>(await api("/v1/api-keys", { key }))).data.map((k) => k.mode))].sort();
    expect(await modesSeenBy(worlds.test.key)).toEqual(["test"]);
    expect(await modesSeenBy(worlds.live.key)).toEqual(["live", "test"]);
  });

  it("the same external_user_id names two users, one per mode, each with its own numbers", async () => {
    const created = await putUser(worlds.test.key, worlds.live.externalUserId, { name: "A test double" });
    expect(created.status).toBe(201);
    const testUser = await json<{ id: string; name: string; numbers: unknown[] }>(await api(`/v1/external-users/${worlds.live.externalUserId}`, { key: worlds.test.key }));
    const liveUser = await json<{ id: string; name: string; numbers: { id: string }[] }>(await api(`/v1/external-users/${worlds.live.externalUserId}`, { key: worlds.live.key }));
    expect(testUser).toMatchObject({ name: "A test double", numbers: [] });
    expect(liveUser).toMatchObject({ name: "Pat live", numbers: [{ id: worlds.live.numberId }] });
    expect(testUser.id).not.toBe(liveUser.id);
    // Deleting the test user leaves the live one and its number alone.
    expect((await api(`/v1/external-users/${worlds.live.externalUserId}`, { method: "DELETE", key: worlds.test.key })).status).toBe(200);
    expect((await json<{ numbers: unknown[] }>(await api(`/v1/external-users/${worlds.live.externalUserId}`, { key: worlds.live.key }))).numbers).toHaveLength(1);
  });

  it("a test key cannot send from a live number, nor a live key from a test number", async () => {
    const liveNumber = (await json<{ number: string }>(await api(`/v1/numbers/${worlds.live.numberId}`, { key: worlds.live.key }))).number;
    const testNumber = (await json<{ number: string }>(await api(`/v1/numbers/${worlds.test.numberId}`, { key: worlds.test.key }))).number;
    for (const [key, from] of [[worlds.test.key, liveNumber], [worlds.live.key, testNumber]] as const) {
      const res = await sendFax(key, { to: "+15550100001", from, documents: [await pdfDocument()] });
      expect(res.status).toBe(422);
      expect((await res.json<{ code: string }>()).code).toBe("fax.sender.invalid");
    }
  });
});

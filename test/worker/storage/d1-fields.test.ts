// Issue 17 point 4: fax metadata and cover-page text are encrypted in D1 (src/db/fax-private.ts), the
// metadata[key]=value filter reads a blind index, and rows written before encryption keep working.
import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { database } from "../../../src/db/client";
import { openUserMetadata, resealExternalUsers } from "../../../src/db/external-user-private";
import { listExternalUsers, upsertExternalUser } from "../../../src/db/external-user-store";
import { openFax } from "../../../src/db/fax-private";
import { resealDeliveries, resealFaxes } from "../../../src/db/fax-reseal";
import { ApiError } from "../../../src/errors/api-error";
import { findFax, listFaxes } from "../../../src/db/fax-store";
import { signedHeaders } from "../../../src/lib/signature";
import { faxObject } from "../../../src/fax/fax-stub";
import { fieldCipher, type FieldCipher } from "../../../src/storage/fields";
import { eventStreamObject } from "../../../src/webhooks/event-stream";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { createEndpoint, newReceiver, verified, waitFor } from "../webhooks/receiver";

type FaxBody = { id: string; metadata: Record<string, string>; cover_page: Record<string, string> | null; resent_from?: string | null };

function unique(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Every row of every table in D1, as text: what someone copying the database would read. */
async function wholeDatabase(): Promise<string> {
  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  const dumps: string[] = [];
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    dumps.push(`${name}: ${JSON.stringify(rows.results)}`);
  }
  return dumps.join("\n");
}

async function listIds(key: string, query: string): Promise<string[]> {
  const res = await api(`/v1/faxes?${query}`, { key });
  expect(res.status).toBe(200);
  return (await res.json<{ data: { id: string }[] }>()).data.map((f) => f.id);
}

async function reseal(table: "faxes" | "deliveries" | "external_users"): Promise<{ scanned: number; resealed: number; unavailable: number; objects?: number }> {
  const body = JSON.stringify({ table, limit: 500 });
  const res = await api("/internal/documents/reseal", { method: "POST", body, headers: { "content-type": "application/json", ...(await signedHeaders([env.SIGNING_SECRET!], `reseal_${crypto.randomUUID()}`, body)) } });
  expect(res.status).toBe(200);
  return res.json();
}

/** Turns the fax's row and events back into what was stored before encryption: the values in clear, no index. */
async function storeInClear(accountId: string, faxId: string): Promise<void> {
  const cipher = fieldCipher(env);
  const row = await env.DB.prepare("SELECT body FROM faxes WHERE id = ?").bind(faxId).first<{ body: string }>();
  await env.DB.prepare("UPDATE faxes SET body = ? WHERE id = ?").bind(JSON.stringify(await openFax(cipher, accountId, JSON.parse(row!.body))), faxId).run();
  const events = await env.DB.prepare("SELECT id, data FROM fax_events WHERE fax_id = ?").bind(faxId).all<{ id: string; data: string }>();
  for (const e of events.results) {
    const data = JSON.parse(e.data) as Record<string, unknown>;
    await env.DB.prepare("UPDATE fax_events SET data = ? WHERE id = ?").bind(JSON.stringify({ ...data, fax: await openFax(cipher, accountId, data.fax as Record<string, unknown>) }), e.id).run();
  }
  await env.DB.prepare("DELETE FROM fax_metadata_index WHERE fax_id = ?").bind(faxId).run();
  // And the fax's own storage, as its FaxObject kept it before.
  await runInDurableObject(faxObject(env, faxId), async (instance, state) => {
    const stored = (await state.storage.get<Record<string, any>>("state"))!;
    await state.storage.put("state", { ...stored, fax: await openFax(cipher, accountId, stored.fax) });
    (instance as unknown as { state: unknown }).state = undefined;
  });
}

async function faxObjectStorage(faxId: string): Promise<string> {
  return runInDurableObject(faxObject(env, faxId), async (_instance, state) => JSON.stringify([...(await state.storage.list()).entries()]));
}

describe("fax metadata and cover page in D1", () => {
  it("are in no D1 row in clear, yet the API, the events, webhooks, resend and the metadata filter see them", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    const metadata = { order_id: unique("ORDER"), patient: unique("Patient Jane Roe") };
    const cover = { to_name: unique("Dr Hidden"), from_name: unique("Clinic North"), subject: unique("Referral of"), message: unique("Confidential lab results") };
    const sent = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata, cover_page: cover })).json<{ id: string }>();
    await waitForFinal(account.key, sent.id);
    await waitFor("the fax's webhooks", () => receiver.requests.length >= 4);

    const resent = await (await api(`/v1/faxes/${sent.id}/resend`, { method: "POST", key: account.key, json: { to: "+15550100002" } })).json<FaxBody>();
    await waitForFinal(account.key, resent.id);

    const dump = await wholeDatabase();
    for (const value of [...Object.values(metadata), ...Object.values(cover)]) expect(dump).not.toContain(value);
    const row = await env.DB.prepare("SELECT body FROM faxes WHERE id = ?").bind(sent.id).first<{ body: string }>();
    expect(JSON.parse(row!.body)).toMatchObject({ metadata: {}, cover_page: null, sealed_fields: expect.stringMatching(/^efxf1\./) });

    // Every way out shows the values: the fax, the list (read from D1), the timeline, webhooks, the resend.
    const fromDo = await (await api(`/v1/faxes/${sent.id}`, { key: account.key })).json<FaxBody>();
    expect(fromDo).toMatchObject({ metadata, cover_page: cover });
    const listed = (await (await api("/v1/faxes", { key: account.key })).json<{ data: FaxBody[] }>()).data;
    expect(listed.find((f) => f.id === sent.id)).toMatchObject({ metadata, cover_page: cover });
    expect(listed.find((f) => f.id === resent.id)).toMatchObject({ metadata, cover_page: cover, resent_from: sent.id });
    const timeline = (await (await api(`/v1/faxes/${sent.id}/events`, { key: account.key })).json<{ data: { data: { fax: FaxBody } }[] }>()).data;
    for (const event of timeline) expect(event.data.fax).toMatchObject({ metadata, cover_page: cover });
    const delivered = receiver.requests.map((r) => verified(endpoint.secret, r)).filter((e) => (e.data.fax as FaxBody | undefined)?.id === sent.id);
    expect(delivered.length).toBeGreaterThanOrEqual(4);
    for (const envelope of delivered) expect(envelope.data.fax).toMatchObject({ metadata, cover_page: cover });

    // The filter, through the blind index.
    expect(await listIds(account.key, `metadata[order_id]=${metadata.order_id}`)).toEqual([resent.id, sent.id]);
    expect(await listIds(account.key, `metadata[order_id]=${metadata.order_id}&metadata[patient]=${encodeURIComponent(metadata.patient)}`)).toEqual([resent.id, sent.id]);
    expect(await listIds(account.key, `metadata[patient]=${metadata.order_id}`)).toEqual([]);
    expect(await listIds(account.key, `metadata[order_id]=${metadata.order_id.toLowerCase()}`)).toEqual([]);
    const indexRows = await env.DB.prepare("SELECT * FROM fax_metadata_index WHERE fax_id = ?").bind(sent.id).all();
    expect(indexRows.results).toHaveLength(2);
  });

  it("a blind index never matches across accounts, and each account's entries differ for the same pair", async () => {
    const a = await createTestAccount();
    const b = await createTestAccount();
    const metadata = { case: unique("shared-case") };
    const faxA = await (await sendFax(a.key, { to: "+15550100001", documents: [await pdfDocument()], metadata })).json<{ id: string }>();
    const faxB = await (await sendFax(b.key, { to: "+15550100001", documents: [await pdfDocument()], metadata })).json<{ id: string }>();
    await waitForFinal(a.key, faxA.id);
    await waitForFinal(b.key, faxB.id);
    expect(await listIds(a.key, `metadata[case]=${metadata.case}`)).toEqual([faxA.id]);
    expect(await listIds(b.key, `metadata[case]=${metadata.case}`)).toEqual([faxB.id]);
    const hashOf = async (faxId: string) => (await env.DB.prepare("SELECT hash FROM fax_metadata_index WHERE fax_id = ?").bind(faxId).first<{ hash: string }>())!.hash;
    expect(await hashOf(faxA.id)).not.toBe(await hashOf(faxB.id));
    // Even a query that forgot the account could not use A's entry to find B's fax.
    const cipher = fieldCipher(env);
    expect(await cipher.indexes(a.accountId, "case", metadata.case)).toEqual([await hashOf(faxA.id)]);
    expect(await cipher.indexes(a.accountId, "case", metadata.case)).not.toContain(await hashOf(faxB.id));
  });

  it("rows stored in clear before encryption are read, filtered and resent; the re-seal encrypts them", async () => {
    const account = await createTestAccount();
    const metadata = { legacy: unique("clear-value") };
    const cover = { subject: unique("clear-subject") };
    const sent = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata, cover_page: cover })).json<{ id: string }>();
    await waitForFinal(account.key, sent.id);
    await storeInClear(account.accountId, sent.id);
    expect(await wholeDatabase()).toContain(metadata.legacy);
    expect(await faxObjectStorage(sent.id)).toContain(metadata.legacy);
    expect(await (await api(`/v1/faxes/${sent.id}`, { key: account.key })).json()).toMatchObject({ metadata, cover_page: cover });

    expect(await listIds(account.key, `metadata[legacy]=${metadata.legacy}`)).toEqual([sent.id]);
    const listed = (await (await api("/v1/faxes", { key: account.key })).json<{ data: FaxBody[] }>()).data;
    expect(listed.find((f) => f.id === sent.id)).toMatchObject({ metadata, cover_page: cover });
    const timeline = (await (await api(`/v1/faxes/${sent.id}/events`, { key: account.key })).json<{ data: { data: { fax: FaxBody } }[] }>()).data;
    expect(timeline[0]!.data.fax).toMatchObject({ metadata, cover_page: cover });
    const resent = await (await api(`/v1/faxes/${sent.id}/resend`, { method: "POST", key: account.key })).json<FaxBody>();
    expect(resent).toMatchObject({ metadata, cover_page: cover });
    await waitForFinal(account.key, resent.id);

    const page = await reseal("faxes");
    expect(page.resealed).toBeGreaterThanOrEqual(1);
    expect(page.objects).toBeGreaterThanOrEqual(1);
    expect(await faxObjectStorage(sent.id)).not.toContain(metadata.legacy);
    expect(await faxObjectStorage(sent.id)).toContain("efxf1.");
    expect(await (await api(`/v1/faxes/${sent.id}`, { key: account.key })).json()).toMatchObject({ metadata, cover_page: cover });
    await reseal("deliveries");
    expect(await wholeDatabase()).not.toContain(metadata.legacy);
    expect(await wholeDatabase()).not.toContain(cover.subject);
    expect(await listIds(account.key, `metadata[legacy]=${metadata.legacy}`)).toEqual([resent.id, sent.id]);
    const again = (await (await api("/v1/faxes", { key: account.key })).json<{ data: FaxBody[] }>()).data;
    expect(again.find((f) => f.id === sent.id)).toMatchObject({ metadata, cover_page: cover });
    // A second run finds nothing to do for this fax.
    const second = await reseal("faxes");
    expect(second.unavailable).toBe(0);
  });

  it("a rotation: the old key still reads and filters, the re-seal moves rows to the new key, a missing key is named", async () => {
    const account = await createTestAccount();
    const metadata = { rotate: unique("rotated") };
    const sent = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata, cover_page: { message: unique("note") } })).json<{ id: string }>();
    await waitForFinal(account.key, sent.id);
    const db = database(env.DB);
    const oldKey = env.DOCUMENT_ENCRYPTION_KEY!;
    const newKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const rotated = fieldCipher({ DOCUMENT_ENCRYPTION_KEY: `${newKey},${oldKey}` });
    const onlyNew = fieldCipher({ DOCUMENT_ENCRYPTION_KEY: newKey });

    // Without the old key: the fax's data is refused, naming the key (never a wrong value).
    const refused = await findFax(db, { accountId: account.accountId, mode: "test" }, sent.id, onlyNew).catch((e: { code: string; detail?: string }) => e);
    expect(refused).toMatchObject({ code: "document.key_unavailable" });
    // With both keys, the old rows read and filter before the re-seal.
    expect(await findFax(db, { accountId: account.accountId, mode: "test" }, sent.id, rotated)).toMatchObject({ metadata });
    const filtered = await listFaxes(db, { accountId: account.accountId, mode: "test" }, { metadata: [["rotate", metadata.rotate]], limit: 10 }, rotated);
    expect(filtered.data.map((f) => f.id)).toEqual([sent.id]);

    let cursor: string | undefined;
    do {
      const page = await resealFaxes(db, rotated, { cursor, limit: 500 });
      expect(page.unavailable).toBe(0);
      cursor = page.cursor ?? undefined;
    } while (cursor);
    do {
      const page = await resealDeliveries(db, { DOCUMENT_ENCRYPTION_KEY: `${newKey},${oldKey}` }, rotated, { cursor, limit: 500 });
      cursor = page.cursor ?? undefined;
    } while (cursor);
    // Now the new key alone reads the fax, its events and filters by its metadata.
    expect(await findFax(db, { accountId: account.accountId, mode: "test" }, sent.id, onlyNew)).toMatchObject({ metadata });
    const afterwards = await listFaxes(db, { accountId: account.accountId, mode: "test" }, { metadata: [["rotate", metadata.rotate]], limit: 10 }, onlyNew);
    expect(afterwards.data.map((f) => f.id)).toEqual([sent.id]);
    const index = await env.DB.prepare("SELECT key_id FROM fax_metadata_index WHERE fax_id = ?").bind(sent.id).all<{ key_id: string }>();
    expect(index.results.map((r) => r.key_id)).toEqual([await onlyNew.currentKeyId()]);
    // Rows under a key the secret no longer has are counted, not touched; the old key alone no longer reads them.
    const back = await resealFaxes(db, fieldCipher({ DOCUMENT_ENCRYPTION_KEY: oldKey }), { limit: 500 });
    expect(back.unavailable).toBeGreaterThanOrEqual(1);
    // Put back for the other tests of this file: the Worker runs with the old key only.
    const restore = { DOCUMENT_ENCRYPTION_KEY: `${oldKey},${newKey}` };
    do {
      const page = await resealFaxes(db, fieldCipher(restore), { cursor, limit: 500 });
      cursor = page.cursor ?? undefined;
    } while (cursor);
    do {
      const page = await resealDeliveries(db, restore, fieldCipher(restore), { cursor, limit: 500 });
      cursor = page.cursor ?? undefined;
    } while (cursor);
    expect(await listIds(account.key, `metadata[rotate]=${metadata.rotate}`)).toEqual([sent.id]);
  });

  it("sealed values are bound to their fax: a body copied to another fax does not decrypt", async () => {
    const account = await createTestAccount();
    const first = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata: { k: unique("one") } })).json<{ id: string }>();
    const second = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata: { k: unique("two") } })).json<{ id: string }>();
    await waitForFinal(account.key, first.id);
    await waitForFinal(account.key, second.id);
    const row = await env.DB.prepare("SELECT body FROM faxes WHERE id = ?").bind(first.id).first<{ body: string }>();
    const moved = { ...JSON.parse(row!.body), id: second.id };
    await env.DB.prepare("UPDATE faxes SET body = ? WHERE id = ?").bind(JSON.stringify(moved), second.id).run();
    await expectProblem(await api("/v1/faxes", { key: account.key }), 500, "document.undecryptable");
  });

  it("Durable Object storage keeps them sealed too: the fax's state and outbox, the event stream log, idempotent replies", async () => {
    const account = await createTestAccount();
    const metadata = { order_id: unique("DO-ORDER") };
    const cover = { message: unique("DO-cover") };
    const body = { to: "+15550100001", documents: [await pdfDocument()], metadata, cover_page: cover };
    const idempotencyKey = unique("idem");
    const first = await sendFax(account.key, body, { "idempotency-key": idempotencyKey });
    expect(first.status).toBe(202);
    const sent = await first.json<FaxBody>();
    await waitForFinal(account.key, sent.id);
    const stream = await api("/v1/events/stream", { key: account.key, headers: { "last-event-id": "evt_0" } });
    await stream.body?.cancel();

    const dump = async (stub: DurableObjectStub) =>
      runInDurableObject(stub, async (_instance, state) => {
        const kv = JSON.stringify([...(await state.storage.list()).entries()]);
        const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray();
        return kv + tables.map((t) => JSON.stringify(state.storage.sql.exec(`SELECT * FROM "${t.name}"`).toArray())).join("\n");
      });
    const idempotency = env.IDEMPOTENCY;
    const stored = {
      fax: await dump(faxObject(env, sent.id)),
      stream: await dump(eventStreamObject(env, account.accountId, "test")),
      idempotency: await dump(idempotency.get(idempotency.idFromName(`${account.accountId}:${idempotencyKey}`))),
    };
    expect(stored.fax).toContain(sent.id);
    expect(stored.idempotency).toContain("efxf1.");
    expect(stored.stream).toContain("efxf1.");
    for (const [where, text] of Object.entries(stored)) for (const value of [metadata.order_id, cover.message]) expect(text, where).not.toContain(value);
    // The idempotent replay is the first reply, values included, though stored sealed.
    const replay = await sendFax(account.key, body, { "idempotency-key": idempotencyKey });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(sent);
    expect(sent).toMatchObject({ metadata, cover_page: cover });
  });

  it("sealed values round-trip any text, and any stored text either opens or fails with a document.* problem (fuzz)", async () => {
    const cipher = fieldCipher(env);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 300 }), fc.string(), async (plain, context) => {
        const sealed = await cipher.seal(context, plain);
        expect(await cipher.open(context, sealed)).toBe(plain);
        await expect(cipher.open(`${context}x`, sealed)).rejects.toMatchObject({ code: "document.undecryptable" });
      }),
      { numRuns: 60 },
    );
    const kid = await cipher.currentKeyId();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string().map((s) => `efxf1.${kid}.${s}`), fc.base64String().map((s) => `efxf1.${kid}.${s}`)), async (stored) => {
        try {
          await cipher.open("ctx", stored);
        } catch (error) {
          expect(error).toBeInstanceOf(ApiError);
          expect((error as ApiError).code).toMatch(/^document\.(key_unavailable|undecryptable)$/);
        }
      }),
      { numRuns: 200 },
    );
  });
});

// Data-protection gaps point 1: external users' metadata is sealed the same way, bound to the account and the
// user's row, and filtered through its own blind index; rows stored in clear keep working until re-sealed.
describe("external users' metadata in D1", () => {
  type UserBody = { id: string; external_user_id: string; metadata: Record<string, string> };
  const putUser = (key: string, id: string, metadata: Record<string, string>) => api(`/v1/external-users/${id}`, { method: "PUT", key, json: { name: "Dana", metadata } });
  const userIds = async (key: string, query: string) => {
    const res = await api(`/v1/external-users?${query}`, { key });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json<{ data: UserBody[] }>()).data.map((u) => u.external_user_id);
  };

  it("are in no D1 row in clear, yet GET, the list and its metadata filter, the inbox and partner webhooks work", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url(), event_types: ["number.provisioned"] });
    const metadata = { clinic: unique("North Clinic"), patient: unique("Jane Roe") };
    const created = await putUser(account.key, "dana", metadata);
    expect(created.status, await created.clone().text()).toBe(201);
    expect(await created.json()).toMatchObject({ external_user_id: "dana", metadata });
    expect((await putUser(account.key, "lee", { clinic: unique("South") })).status).toBe(201);
    expect(await (await api("/v1/external-users/dana", { key: account.key })).json()).toMatchObject({ metadata });

    expect(await userIds(account.key, `metadata[clinic]=${encodeURIComponent(metadata.clinic)}`)).toEqual(["dana"]);
    expect(await userIds(account.key, `metadata[clinic]=${encodeURIComponent(metadata.clinic)}&metadata[patient]=${encodeURIComponent(metadata.patient)}`)).toEqual(["dana"]);
    expect(await userIds(account.key, `metadata[patient]=${encodeURIComponent(metadata.clinic)}`)).toEqual([]);
    expect(await userIds(account.key, "")).toEqual(["lee", "dana"]);
    const listed = (await (await api("/v1/external-users", { key: account.key })).json<{ data: UserBody[] }>()).data;
    expect(listed.find((u) => u.external_user_id === "dana")).toMatchObject({ metadata });
    // Another account with the same pair finds nothing of this one's.
    const other = await createTestAccount();
    expect(await userIds(other.key, `metadata[clinic]=${encodeURIComponent(metadata.clinic)}`)).toEqual([]);

    // A number, a fax in the inbox, and the partner's webhook for the number.
    const number = await (await api("/v1/numbers", { method: "POST", key: account.key, json: { external_user_id: "dana" } })).json<{ id: string }>();
    await waitFor("number.provisioned", () => receiver.requests.length >= 1);
    expect(verified(endpoint.secret, receiver.requests[0]!).data.number).toMatchObject({ id: number.id, external_user_id: "dana" });
    expect((await api("/v1/external-users/dana/inbox", { key: account.key })).status).toBe(200);

    const dump = await wholeDatabase();
    for (const value of Object.values(metadata)) expect(dump).not.toContain(value);
    const row = await env.DB.prepare("SELECT id, metadata FROM external_users WHERE account_id = ? AND external_user_id = 'dana'").bind(account.accountId).first<{ id: string; metadata: string }>();
    expect(row!.metadata).toMatch(/^efxf1\./);
    expect((await env.DB.prepare("SELECT * FROM external_user_metadata_index WHERE user_id = ?").bind(row!.id).all()).results).toHaveLength(2);
    // Equal pairs of a fax and a user never share an index entry.
    const faxHashes = await fieldCipher(env).indexes(account.accountId, "clinic", metadata.clinic);
    expect(dump).not.toContain(faxHashes[0]!);

    // Replacing the metadata replaces the index; the user keeps its id.
    const replaced = { clinic: unique("East") };
    expect(await (await putUser(account.key, "dana", replaced)).json()).toMatchObject({ id: row!.id, metadata: replaced });
    expect(await userIds(account.key, `metadata[clinic]=${encodeURIComponent(metadata.clinic)}`)).toEqual([]);
    expect(await userIds(account.key, `metadata[clinic]=${encodeURIComponent(replaced.clinic)}`)).toEqual(["dana"]);
    expect(await putUser(account.key, "dana", {}).then((r) => r.json())).toMatchObject({ metadata: {} });
    expect(await userIds(account.key, `metadata[clinic]=${encodeURIComponent(replaced.clinic)}`)).toEqual([]);
    expect((await env.DB.prepare("SELECT metadata FROM external_users WHERE id = ?").bind(row!.id).first<{ metadata: string }>())!.metadata).toBe("{}");
    // The deleted user's reply still shows what it had.
    expect((await putUser(account.key, "dana", metadata)).status).toBe(200);
    expect(await (await api("/v1/external-users/dana", { method: "DELETE", key: account.key })).json()).toMatchObject({ metadata });
    expect(await wholeDatabase()).not.toContain(metadata.patient);
  });

  it("rows stored in clear before encryption are read and filtered; a PUT or the re-seal seals them", async () => {
    const account = await createTestAccount();
    const metadata = { legacy: unique("clear-user") };
    const other = { legacy: unique("clear-other") };
    for (const [id, m] of [["old-1", metadata], ["old-2", other]] as const) expect((await putUser(account.key, id, m)).status).toBe(201);
    for (const [id, m] of [["old-1", metadata], ["old-2", other]] as const) {
      await env.DB.prepare("UPDATE external_users SET metadata = ? WHERE account_id = ? AND external_user_id = ?").bind(JSON.stringify(m), account.accountId, id).run();
    }
    await env.DB.prepare("DELETE FROM external_user_metadata_index WHERE account_id = ?").bind(account.accountId).run();
    expect(await wholeDatabase()).toContain(metadata.legacy);
    expect(await (await api("/v1/external-users/old-1", { key: account.key })).json()).toMatchObject({ metadata });
    expect(await userIds(account.key, `metadata[legacy]=${metadata.legacy}`)).toEqual(["old-1"]);

    // A PUT seals the one user it rewrites.
    expect((await putUser(account.key, "old-2", other)).status).toBe(200);
    expect(await wholeDatabase()).not.toContain(other.legacy);
    expect(await userIds(account.key, `metadata[legacy]=${other.legacy}`)).toEqual(["old-2"]);

    const page = await reseal("external_users");
    expect(page.resealed).toBeGreaterThanOrEqual(1);
    expect(page.unavailable).toBe(0);
    expect(await wholeDatabase()).not.toContain(metadata.legacy);
    expect(await userIds(account.key, `metadata[legacy]=${metadata.legacy}`)).toEqual(["old-1"]);
    expect(await (await api("/v1/external-users/old-1", { key: account.key })).json()).toMatchObject({ metadata });
    const userRow = await env.DB.prepare("SELECT id, metadata FROM external_users WHERE account_id = ? AND external_user_id = 'old-1'").bind(account.accountId).first<{ id: string; metadata: string }>();
    const second = await reseal("external_users");
    expect(second.unavailable).toBe(0);
    expect((await env.DB.prepare("SELECT metadata FROM external_users WHERE id = ?").bind(userRow!.id).first<{ metadata: string }>())!.metadata).toBe(userRow!.metadata);
  });

  it("a rotation: both keys read and filter, the re-seal moves users to the new key, then the new key alone does", async () => {
    const account = await createTestAccount();
    const tenant = { accountId: account.accountId, mode: "test" as const };
    const metadata = { rotate: unique("user-rotated") };
    expect((await putUser(account.key, "rot", metadata)).status).toBe(201);
    const db = database(env.DB);
    const oldKey = env.DOCUMENT_ENCRYPTION_KEY!;
    const newKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const rotated = fieldCipher({ DOCUMENT_ENCRYPTION_KEY: `${newKey},${oldKey}` });
    const onlyNew = fieldCipher({ DOCUMENT_ENCRYPTION_KEY: newKey });
    const filtered = async (cipher: FieldCipher) => (await listExternalUsers(db, tenant, { metadata: [["rotate", metadata.rotate]], limit: 10 }, cipher)).data;

    const [before] = await filtered(rotated);
    expect(await openUserMetadata(rotated, before!)).toEqual(metadata);
    await expect(openUserMetadata(onlyNew, before!)).rejects.toMatchObject({ code: "document.key_unavailable" });
    const all = async (cipher: FieldCipher) => {
      let cursor: string | undefined;
      do {
        const page = await resealExternalUsers(db, cipher, { cursor, limit: 500 });
        expect(page.unavailable).toBe(0);
        cursor = page.cursor ?? undefined;
      } while (cursor);
    };
    await all(rotated);
    const [after] = await filtered(onlyNew);
    expect(await openUserMetadata(onlyNew, after!)).toEqual(metadata);
    const index = await env.DB.prepare("SELECT key_id FROM external_user_metadata_index WHERE user_id = ?").bind(after!.id).all<{ key_id: string }>();
    expect(index.results.map((r) => r.key_id)).toEqual([await onlyNew.currentKeyId()]);
    expect((await resealExternalUsers(db, fieldCipher({ DOCUMENT_ENCRYPTION_KEY: oldKey }), { limit: 500 })).unavailable).toBeGreaterThanOrEqual(1);
    // Put back for the other tests: the Worker runs with the old key only.
    await all(fieldCipher({ DOCUMENT_ENCRYPTION_KEY: `${oldKey},${newKey}` }));
    expect(await userIds(account.key, `metadata[rotate]=${metadata.rotate}`)).toEqual(["rot"]);
  });

  it("racing PUTs of a new user end in one record whose metadata and index agree", async () => {
    const account = await createTestAccount();
    const values = Array.from({ length: 5 }, (_, i) => unique(`race-${i}`));
    const answers = await Promise.all(values.map((v) => putUser(account.key, "racer", { v })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const rows = await env.DB.prepare("SELECT id FROM external_users WHERE account_id = ? AND external_user_id = 'racer'").bind(account.accountId).all<{ id: string }>();
    expect(rows.results).toHaveLength(1);
    const final = (await (await api("/v1/external-users/racer", { key: account.key })).json<UserBody>()).metadata.v!;
    expect(values).toContain(final);
    for (const v of values) expect(await userIds(account.key, `metadata[v]=${v}`)).toEqual(v === final ? ["racer"] : []);
  });

  it("a user's sealed metadata copied to another user does not decrypt", async () => {
    const account = await createTestAccount();
    expect((await putUser(account.key, "first", { k: unique("one") })).status).toBe(201);
    expect((await putUser(account.key, "second", { k: unique("two") })).status).toBe(201);
    await env.DB.prepare("UPDATE external_users SET metadata = (SELECT metadata FROM external_users WHERE account_id = ?1 AND external_user_id = 'first') WHERE account_id = ?1 AND external_user_id = 'second'")
      .bind(account.accountId)
      .run();
    await expectProblem(await api("/v1/external-users/second", { key: account.key }), 500, "document.undecryptable");
  });

  it("any metadata round-trips and is found by each of its pairs, never by another value (fuzz)", async () => {
    const account = await createTestAccount();
    const tenant = { accountId: account.accountId, mode: "test" as const };
    const db = database(env.DB);
    const cipher = fieldCipher(env);
    let n = 0;
    const text = (min: number, max: number) => fc.string({ unit: "grapheme", minLength: min, maxLength: max });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(text(1, 40), text(0, 60), { minKeys: 1, maxKeys: 5 }), text(0, 60), async (metadata, other) => {
        const externalUserId = `fuzz-${n++}`;
        const { user } = await upsertExternalUser(db, tenant, externalUserId, { name: null, email: null, metadata }, cipher);
        expect(await openUserMetadata(cipher, user)).toEqual(metadata);
        for (const [key, value] of Object.entries(metadata)) {
          const found = await listExternalUsers(db, tenant, { metadata: [[key, value]], limit: 100 }, cipher);
          expect(found.data.map((u) => u.externalUserId)).toContain(externalUserId);
          if (other !== value) {
            const none = await listExternalUsers(db, tenant, { metadata: [[key, other]], limit: 100 }, cipher);
            expect(none.data.map((u) => u.externalUserId)).not.toContain(externalUserId);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

// Data-protection gaps point 2: documents:rewrap re-seals what Durable Objects keep sealed (the replies an
// Idempotency-Key replays, each account's event-stream log), so after a rotation the old key can leave
// DOCUMENT_ENCRYPTION_KEY at once: an idempotent replay and a Last-Event-ID resume still work without it.
import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { signedHeaders } from "../../../src/lib/signature";
import { isSealedField, sealedKeyId } from "../../../src/storage/fields";
import { eventStreamObject } from "../../../src/webhooks/event-stream";
import { SseReader } from "../events/sse";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { restoreEnv, useEnv } from "../inbound/fixtures";
import { waitFor } from "../webhooks/receiver";

const TABLES = ["faxes", "deliveries", "external_users", "idempotency", "streams"] as const;

async function resealPage(table: string, cursor: string | null): Promise<Response> {
  const body = JSON.stringify({ table, cursor, limit: 500 });
  return api("/internal/documents/reseal", { method: "POST", body, headers: { "content-type": "application/json", ...(await signedHeaders([env.SIGNING_SECRET!], `reseal_${crypto.randomUUID()}`, body)) } });
}

async function resealAll(): Promise<Record<string, { resealed: number; unavailable: number }>> {
  const totals: Record<string, { resealed: number; unavailable: number }> = {};
  for (const table of TABLES) {
    totals[table] = { resealed: 0, unavailable: 0 };
    let cursor: string | null = null;
    do {
      const res = await resealPage(table, cursor);
      expect(res.status, await res.clone().text()).toBe(200);
      const page = await res.json<{ resealed: number; unavailable: number; cursor: string | null }>();
      totals[table]!.resealed += page.resealed;
      totals[table]!.unavailable += page.unavailable;
      cursor = page.cursor;
    } while (cursor);
  }
  return totals;
}

/** The key ids the account's test-mode stream log and the Idempotency-Key's reply are sealed under. */
async function storedKeyIds(accountId: string, idempotencyKey: string): Promise<{ log: string[]; reply: string }> {
  const log = await runInDurableObject(eventStreamObject(env, accountId, "test"), async (_instance, state) =>
    state.storage.sql.exec<{ event: string }>("SELECT event FROM log").toArray().map((r) => (isSealedField(r.event) ? sealedKeyId(r.event) : "clear")),
  );
  const ns = env.IDEMPOTENCY;
  const reply = await runInDurableObject(ns.get(ns.idFromName(`${accountId}:${idempotencyKey}`)), async (_instance, state) => {
    const record = await state.storage.get<{ response: { body: string } }>("record");
    return isSealedField(record!.response.body) ? sealedKeyId(record!.response.body) : "clear";
  });
  return { log: [...new Set(log)], reply };
}

afterEach(() => restoreEnv());

describe("a key rotation reaches Durable Object storage", () => {
  it("after the re-wrap, with the old key removed, an idempotent replay and a Last-Event-ID resume still work", async () => {
    const oldKey = env.DOCUMENT_ENCRYPTION_KEY!;
    const newKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const account = await createTestAccount();
    const body = { to: "+15550100001", documents: [await pdfDocument()], metadata: { order: `rot-${crypto.randomUUID()}` }, cover_page: { message: "rotated" } };
    const idempotencyKey = `rotation-${crypto.randomUUID()}`;
    const first = await sendFax(account.key, body, { "idempotency-key": idempotencyKey });
    expect(first.status).toBe(202);
    const sent = await first.json<{ id: string }>();
    await waitForFinal(account.key, sent.id);
    const timeline = (await (await api(`/v1/faxes/${sent.id}/events`, { key: account.key })).json<{ data: { id: string }[] }>()).data.map((e) => e.id);
    expect(timeline.length).toBeGreaterThanOrEqual(3);
    // Every event reached the stream log (the publish path feeds it), sealed under the key of the day.
    await waitFor("the stream log", async () => (await runInDurableObject(eventStreamObject(env, account.accountId, "test"), async (_i, state) => state.storage.sql.exec("SELECT id FROM log").toArray().length)) >= timeline.length);
    const oldId = (await storedKeyIds(account.accountId, idempotencyKey)).reply;
    expect(await storedKeyIds(account.accountId, idempotencyKey)).toEqual({ log: [oldId], reply: oldId });

    // The rotation: the new key first, the old one after it; then the re-wrap of D1 and Durable Objects.
    useEnv({ DOCUMENT_ENCRYPTION_KEY: `${newKey},${oldKey}` });
    const totals = await resealAll();
    for (const table of TABLES) expect(totals[table]!.unavailable, table).toBe(0);
    expect(totals.idempotency!.resealed).toBeGreaterThanOrEqual(1);
    expect(totals.streams!.resealed).toBeGreaterThanOrEqual(timeline.length);
    const moved = await storedKeyIds(account.accountId, idempotencyKey);
    expect(moved.reply).not.toBe(oldId);
    expect(moved).toEqual({ log: [moved.reply], reply: moved.reply });
    // A second run finds nothing of this account's left to move.
    const again = await resealAll();
    expect(again.idempotency!.unavailable + again.streams!.unavailable).toBe(0);

    // The old key leaves the secret at once.
    useEnv({ DOCUMENT_ENCRYPTION_KEY: newKey });
    const replay = await sendFax(account.key, body, { "idempotency-key": idempotencyKey });
    expect(replay.status, await replay.clone().text()).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toMatchObject({ id: sent.id, metadata: body.metadata, cover_page: body.cover_page });

    const resumed = await api("/v1/events/stream", { key: account.key, headers: { "last-event-id": timeline[0]! } });
    expect(resumed.status).toBe(200);
    const reader = new SseReader(resumed);
    const after = timeline.slice(1);
    await reader.until(() => after.every((id) => reader.events().some((e) => e.id === id)));
    await reader.drop();
    const frames = reader.events().filter((e) => after.includes(e.id));
    expect(frames.map((e) => e.id)).toEqual(after);
    for (const frame of frames) expect(JSON.parse(frame.data).data.fax).toMatchObject({ id: sent.id, metadata: body.metadata });

    // Put back for the other tests (the Worker runs with the old key only): a rotation back to it.
    useEnv({ DOCUMENT_ENCRYPTION_KEY: `${oldKey},${newKey}` });
    for (const [table, total] of Object.entries(await resealAll())) expect(total.unavailable, table).toBe(0);
  });

  it("without the re-wrap, removing the old key leaves the reply unreadable: the problem names the key", async () => {
    const account = await createTestAccount();
    const idempotencyKey = `no-rewrap-${crypto.randomUUID()}`;
    const body = { to: "+15550100001", documents: [await pdfDocument()], metadata: { order: "no-rewrap" } };
    expect((await sendFax(account.key, body, { "idempotency-key": idempotencyKey })).status).toBe(202);
    useEnv({ DOCUMENT_ENCRYPTION_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))) });
    await expectProblem(await sendFax(account.key, body, { "idempotency-key": idempotencyKey }), 500, "document.key_unavailable");
  });

  it("the Durable Object tables' cursors: any text is a page or 422 request.invalid, never a server error (fuzz)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("idempotency", "streams"), fc.oneof(fc.string({ maxLength: 40 }), fc.nat().map(String), fc.constant("1e3"), fc.constant("-1")), async (table, cursor) => {
        const res = await resealPage(table, cursor);
        if (res.status === 200) {
          // (unavailable counts rows other tests left under keys this Worker does not have: not this property's concern.)
          expect(await res.json()).toMatchObject({ scanned: expect.any(Number), resealed: expect.any(Number), unavailable: expect.any(Number) });
        } else {
          await expectProblem(res, 422, "request.invalid");
        }
      }),
      { numRuns: 40 },
    );
    await expectProblem(await resealPage("idempotency", "not-a-row"), 422, "request.invalid");
  });
});

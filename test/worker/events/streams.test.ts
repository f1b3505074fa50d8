// Event streams (issue 18 point 1): SSE of the webhook envelopes, resumable with Last-Event-ID (nothing
// lost, nothing twice), heartbeats, scoped to the caller's account and mode, the fax stream closing
// once the fax is final.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PlatformEvent } from "../../../src/events/catalog";
import { sha256Hex } from "../../../src/lib/crypto";
import { newId } from "../../../src/lib/ids";
import { emitAccountEvent } from "../../../src/webhooks/account-events";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { createEndpoint, newReceiver, waitFor } from "../webhooks/receiver";
import { SseReader } from "./sse";

const stream = (path: string, key: string, lastEventId?: string) =>
  api(path, { key, headers: lastEventId ? { "last-event-id": lastEventId } : {} });

async function opened(path: string, key: string, lastEventId?: string): Promise<SseReader> {
  const res = await stream(path, key, lastEventId);
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return new SseReader(res);
}

async function timeline(key: string, faxId: string): Promise<PlatformEvent[]> {
  return (await (await api(`/v1/faxes/${faxId}/events`, { key })).json<{ data: PlatformEvent[] }>()).data;
}

describe("event streams", () => {
  it("streams a fax's events as webhooks carry them, in sequence, and closes when the fax is final", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    await createEndpoint(account.key, { url: receiver.url() });
    const fax = await (await sendFax(account.key, { to: "+15550100007", documents: [await pdfDocument(2)] })).json<{ id: string }>();
    const sse = await opened(`/v1/faxes/${fax.id}/stream`, account.key);
    await sse.until(() => false, 20_000);
    expect(sse.ended).toBe(true);
    const frames = sse.events();
    expect(frames.at(-1)!.event).toBe("fax.delivered");
    expect(frames.map((f) => JSON.parse(f.data).data.sequence)).toEqual(frames.map((_, i) => i + 1));
    for (const f of frames) expect(JSON.parse(f.data)).toMatchObject({ id: f.id, type: f.event });
    // Byte for byte the envelopes the webhook endpoint got.
    await waitFor("every webhook", () => receiver.requests.length >= frames.length);
    const bodies = new Map(receiver.requests.map((r) => [JSON.parse(r.body).id as string, r.body]));
    for (const f of frames) expect(f.data).toBe(bodies.get(f.id));
    expect(frames.map((f) => f.id)).toEqual((await timeline(account.key, fax.id)).map((e) => e.id));

    // Reconnecting after the final event: 204 (an EventSource stops); from an earlier event: the rest, then the close.
    expect((await stream(`/v1/faxes/${fax.id}/stream`, account.key, frames.at(-1)!.id)).status).toBe(204);
    const rest = await opened(`/v1/faxes/${fax.id}/stream`, account.key, frames[1]!.id);
    await rest.until(() => false);
    expect(rest.ended).toBe(true);
    expect(rest.events().map((f) => f.id)).toEqual(frames.slice(2).map((f) => f.id));
  }, 40_000);

  it("resumes after a dropped connection with Last-Event-ID: nothing lost, nothing twice", async () => {
    const account = await createTestAccount();
    const first = await opened("/v1/events/stream", account.key);
    const faxes: string[] = [];
    for (let i = 0; i < 3; i++) {
      faxes.push((await (await sendFax(account.key, { to: "+15550100007", documents: [await pdfDocument(3)] })).json<{ id: string }>()).id);
    }
    await first.until((frames) => frames.filter((f) => f.data).length >= 4);
    await first.drop();
    const seen = first.events();
    // Events go on while the client is away.
    await waitForFinal(account.key, faxes[0]!);
    const second = await opened("/v1/events/stream", account.key, seen.at(-1)!.id);
    const delivered = () => second.events().filter((f) => f.event === "fax.delivered").length + seen.filter((f) => f.event === "fax.delivered").length;
    await second.until(() => delivered() >= faxes.length, 30_000);
    const ids = [...seen, ...second.events()].map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const all = (await Promise.all(faxes.map((id) => timeline(account.key, id)))).flat();
    expect([...ids].sort()).toEqual(all.map((e) => e.id).sort());
    // Each fax's events arrive in its order, across the reconnection too.
    for (const id of faxes) {
      const order = [...seen, ...second.events()].map((f) => JSON.parse(f.data)).filter((e) => e.data.fax.id === id).map((e) => e.data.sequence);
      expect(order).toEqual(order.map((_, i) => i + 1));
    }
    await second.drop();
  }, 45_000);

  it("resumes from D1 when Last-Event-ID is older than the stream's log", async () => {
    const account = await createTestAccount();
    const faxId = newId("fax");
    const events = Array.from({ length: 3 }, (_, i) => ({ id: newId("evt", Date.now() + i), type: "fax.page_sent", data: { sequence: i + 1, page: i, fax: { id: faxId, mode: "test" } } }));
    const insert = env.DB.prepare("INSERT INTO fax_events (id, account_id, fax_id, type, created_at, data, sequence) VALUES (?, ?, ?, ?, ?, ?, ?)");
    await env.DB.batch(events.map((e, i) => insert.bind(e.id, account.accountId, faxId, e.type, new Date(Date.now() + i).toISOString(), JSON.stringify(e.data), i + 1)));
    const sse = await opened("/v1/events/stream", account.key, events[0]!.id);
    await sse.until((frames) => frames.filter((f) => f.data).length >= 2);
    expect(sse.events().map((f) => f.id)).toEqual([events[1]!.id, events[2]!.id]);
    await sse.drop();
  });

  it("sends heartbeats and only the caller's account, mode and types", async () => {
    const account = await createTestAccount();
    const other = await createTestAccount();
    // A live key of the same account.
    const liveKey = `fx_live_${crypto.randomUUID().replace(/-/g, "")}`;
    await env.DB.prepare("INSERT INTO api_keys (id, account_id, mode, key_hash, key_prefix, created_at) VALUES (?, ?, 'live', ?, ?, ?)")
      .bind(newId("key"), account.accountId, await sha256Hex(liveKey), liveKey.slice(0, 12), new Date().toISOString())
      .run();
    const all = await opened("/v1/events/stream", account.key);
    const onlyDelivered = await opened("/v1/events/stream?types=fax.delivered,number.provisioned", account.key);
    const live = await opened("/v1/events/stream", liveKey);
    const others = await opened("/v1/events/stream", other.key);

    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await emitAccountEvent(env, { accountId: account.accountId, mode: "live", type: "number.provisioned", data: { number: { id: "num_x", mode: "live" } } });
    await all.until((frames) => frames.some((f) => f.event === "fax.delivered"));
    await onlyDelivered.until((frames) => frames.some((f) => f.event === "fax.delivered"));
    await live.until((frames) => frames.some((f) => f.event === "number.provisioned"));
    await others.until((frames) => frames.filter((f) => f.comment === "heartbeat").length >= 2, 5_000);

    expect(all.events().every((f) => JSON.parse(f.data).data.fax.id === fax.id)).toBe(true);
    expect(onlyDelivered.events().map((f) => f.event)).toEqual(["fax.delivered"]);
    expect(live.events().map((f) => f.event)).toEqual(["number.provisioned"]);
    expect(others.events()).toEqual([]);
    // Heartbeats are SSE comment lines.
    expect(others.frames.some((f) => f.comment === "heartbeat")).toBe(true);
    for (const s of [all, onlyDelivered, live, others]) await s.drop();

    await expectProblem(await stream(`/v1/faxes/${fax.id}/stream`, other.key), 404, "fax.not_found");
    const unknown = await expectProblem(await stream("/v1/events/stream?types=fax.delivered,fax.teleported", account.key), 422, "request.invalid");
    expect(unknown.detail).toMatch(/fax\.teleported.*valid types: fax\.queued/);
    await expectProblem(await stream("/v1/events/stream", account.key, "not-an-id"), 422, "request.invalid");
  });
});

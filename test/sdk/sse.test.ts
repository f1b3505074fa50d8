// The SDK's Server-Sent Events: the parser (WHATWG HTML §9.2) and the reader's resume with Last-Event-ID against
// a small SSE server that drops the connection mid-stream: nothing lost, nothing repeated, heartbeats ignored.
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { parseEventStream } from "../../sdk/src/index";
import { Edgefax } from "../../sdk/src/node";
import { fakeApi } from "./fake-api";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("parseEventStream", () => {
  it("reads fields split anywhere across chunks, CRLF, LF and CR endings, comments and multi-line data", async () => {
    const events = await collect(
      parseEventStream(streamOf(": heartbeat\n\nid: 1\nevent: fax.queued\nda", "ta: {\"a\":1}\r", "\n\r\nid:2\r", "event:x\rdata:line1\rdata: line2\r\rretry: 1500\ndata\n\n")),
    );
    expect(events).toEqual([
      { id: "1", event: "fax.queued", data: '{"a":1}', retry: undefined },
      { id: "2", event: "x", data: "line1\nline2", retry: undefined },
      { id: "2", event: "message", data: "", retry: 1500 },
    ]);
  });

  it("drops an event whose blank line never came, and ids containing NUL", async () => {
    expect(await collect(parseEventStream(streamOf("id: a\u0000b\ndata: 1\n\ndata: 2\n")))).toEqual([{ id: undefined, event: "message", data: "1", retry: undefined }]);
  });
});

const envelope = (n: number, type = "fax.page_sent") => ({ id: `evt_${n}`, type, created_at: "2026-11-23T15:00:00.000Z", data: { fax: { id: "fax_1", pages_sent: n } } });
const frame = (n: number, type?: string) => `id: evt_${n}\nevent: ${type ?? "fax.page_sent"}\ndata: ${JSON.stringify(envelope(n, type))}\n\n`;

describe("stream resume", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it("reconnects with Last-Event-ID after a drop and ends after the fax's final event", async () => {
    // Events 1..5 then delivered (6). The first connection dies after event 2, the second after 4 (mid-frame).
    const all = [1, 2, 3, 4, 5].map((n) => frame(n)).concat(frame(6, "fax.delivered"));
    const api = await fakeApi((req, res: ServerResponse, i) => {
      const after = req.headers["last-event-id"];
      const start = after ? Number(String(after).slice(4)) : 0;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("retry: 50\n: heartbeat\n\n");
      if (i === 0) return res.write(all.slice(0, 2).join(""), () => res.socket?.destroy());
      if (i === 1) return res.write(all.slice(start, 4).join("") + all[4]!.slice(0, 20), () => res.socket?.destroy());
      res.end(all.slice(start).join(""));
    });
    close = api.close;
    const client = new Edgefax({ apiKey: "k", baseUrl: api.url });
    const events = await collect(client.faxes.stream("fax_1"));
    expect(events.map((e) => e.id)).toEqual(["evt_1", "evt_2", "evt_3", "evt_4", "evt_5", "evt_6"]);
    expect(events[5]).toEqual(envelope(6, "fax.delivered"));
    expect(api.requests.map((r) => [r.url, r.headers["last-event-id"], r.headers.accept])).toEqual([
      ["/v1/faxes/fax_1/stream", undefined, "text/event-stream"],
      ["/v1/faxes/fax_1/stream", "evt_2", "text/event-stream"],
      ["/v1/faxes/fax_1/stream", "evt_4", "text/event-stream"],
    ]);
  });

  it("skips an event a server repeats on resume, and passes types and lastEventId on the account stream", async () => {
    const api = await fakeApi((req, res, i) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (i === 0) return res.end("retry: 10\n" + frame(1, "fax.delivered") + frame(2, "fax.failed"));
      res.end(frame(2, "fax.failed") + frame(3, "fax.delivered"));
    });
    close = api.close;
    const client = new Edgefax({ apiKey: "k", baseUrl: api.url });
    const seen: string[] = [];
    for await (const event of client.events.stream({ types: ["fax.delivered", "fax.failed"], lastEventId: "evt_0" })) {
      seen.push(event.id);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(["evt_1", "evt_2", "evt_3"]);
    expect(api.requests[0]!.url).toBe("/v1/events/stream?types=fax.delivered%2Cfax.failed");
    expect(api.requests.map((r) => r.headers["last-event-id"])).toEqual(["evt_0", "evt_2"]);
  });

  it("keeps reconnecting through a server that answers 503 for a while (a restart), then reads on", async () => {
    const api = await fakeApi((_req, res, i) => {
      if (i < 4) return (res.writeHead(503, { "retry-after": "0" }), res.end());
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(frame(1) + frame(2, "fax.delivered"));
    });
    close = api.close;
    const events = await collect(new Edgefax({ apiKey: "k", baseUrl: api.url }).faxes.stream("fax_1"));
    expect(events.map((e) => e.id)).toEqual(["evt_1", "evt_2"]);
    expect(api.requests).toHaveLength(5);
  }, 20_000);

  it("throws a refused stream (4xx) instead of reconnecting", async () => {
    const api = await fakeApi((_req, res) => (res.writeHead(404, { "content-type": "application/problem+json" }), res.end(JSON.stringify({ status: 404, code: "fax.not_found", detail: "No such fax", next: "", title: "", type: "", instance: "", request_id: "r" }))));
    close = api.close;
    await expect(collect(new Edgefax({ apiKey: "k", baseUrl: api.url }).faxes.stream("fax_x"))).rejects.toMatchObject({ code: "fax.not_found" });
    expect(api.requests).toHaveLength(1);
  });
});

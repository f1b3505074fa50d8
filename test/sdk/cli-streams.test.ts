// The CLI's long-running commands against a scripted API that speaks the events stream's contract
// (text/event-stream, id = event id, event = type, data = the webhook envelope, Last-Event-ID on reconnect):
// `webhooks listen --forward` re-signs each event for a local receiver (checked with the `standardwebhooks`
// reference library), and `receive --follow --out` downloads each received fax once.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk, CLI } from "./build";
import { fakeApi, json } from "./fake-api";

const envelope = (n: number, type: string, fax: Record<string, unknown>) => ({ id: `evt_${n}`, type, created_at: "2026-11-23T15:00:00.000Z", data: { fax } });
const frame = (event: { id: string; type: string }) => `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/** Runs the CLI until `done()` holds (or 30 s pass), then stops it with SIGINT as Ctrl-C would. */
async function runUntil(args: string[], env: Record<string, string>, done: () => boolean) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  for (let waited = 0; !done() && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill("SIGINT");
  return { code: await exited, stdout: () => stdout, stderr: () => stderr };
}

beforeAll(() => buildSdk(), 180_000);

describe("edgefax webhooks listen --forward", () => {
  const received: { headers: Record<string, string>; body: string }[] = [];
  let receiver: ReturnType<typeof createServer>;
  let receiverUrl: string;

  beforeAll(async () => {
    receiver = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      received.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(received.length === 2 ? 500 : 204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it("forwards each event once, signed with the given secret, resuming after a dropped stream", async () => {
    const events = [envelope(1, "fax.queued", { id: "fax_a" }), envelope(2, "fax.delivered", { id: "fax_a" }), envelope(3, "fax.failed", { id: "fax_b" })];
    const api = await fakeApi((req, res, i) => {
      expect(req.url).toBe("/v1/events/stream?types=fax.queued%2Cfax.delivered%2Cfax.failed");
      res.writeHead(200, { "content-type": "text/event-stream" });
      // The first connection drops after two events; the second resumes after Last-Event-ID.
      if (i === 0) return res.write(`retry: 20\n: heartbeat\n\n${frame(events[0]!)}${frame(events[1]!)}`, () => res.socket?.destroy());
      const after = Number(String(req.headers["last-event-id"]).slice(4));
      res.write(events.slice(after).map(frame).join(""));
    });
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    try {
      const run = await runUntil(
        ["webhooks", "listen", "--forward", receiverUrl, "--secret", secret, "--types", "fax.queued,fax.delivered,fax.failed"],
        { EDGEFAX_API_KEY: "fx_test_k", EDGEFAX_BASE_URL: api.url },
        () => received.length >= 3,
      );
      expect(received.map((r) => JSON.parse(r.body).id)).toEqual(["evt_1", "evt_2", "evt_3"]);
      for (const [index, message] of received.entries()) {
        expect(new Webhook(secret).verify(message.body, message.headers)).toEqual(events[index]);
        expect(message.headers["webhook-id"]).toBe(events[index]!.id);
      }
      expect(api.requests.map((r) => r.headers["last-event-id"])).toEqual([undefined, "evt_2"]);
      expect(run.stdout()).toContain("fax.delivered    evt_2  → 500");
      expect(run.stdout()).toContain("fax.failed       evt_3  → 204");
      expect(run.stderr()).toContain(`signed with ${secret}`);
      expect(run.code).toBe(130);
    } finally {
      await api.close();
    }
  }, 60_000);
});

describe("edgefax receive --follow --out", () => {
  it("downloads the faxes received so far, then each new one from the stream, once each", async () => {
    const pdf = (id: string) => `%PDF-1.7 ${id}`;
    const api = await fakeApi((req, res) => {
      const url = new URL(req.url, "http://x");
      if (url.pathname === "/v1/faxes/received") return json(res, 200, { data: [{ id: "fax_old", from: "+15550109999", created_at: "x" }], has_more: false, next_cursor: null });
      if (url.pathname === "/v1/events/stream") {
        expect(url.searchParams.get("types")).toBe("fax.received");
        res.writeHead(200, { "content-type": "text/event-stream" });
        return res.write([frame(envelope(1, "fax.received", { id: "fax_old", from: "+15550109999" })), frame(envelope(2, "fax.received", { id: "fax_new", from: "+15550108888" }))].join(""));
      }
      const image = /^\/v1\/faxes\/(fax_\w+)\/image$/.exec(url.pathname);
      if (image && url.searchParams.get("format") === "pdf") return res.writeHead(200, { "content-type": "application/pdf" }).end(pdf(image[1]!));
      res.writeHead(404).end();
    });
    const out = await mkdtemp(join(tmpdir(), "edgefax-receive-"));
    try {
      const run = await runUntil(["receive", "--follow", "--out", out], { EDGEFAX_API_KEY: "fx_test_k", EDGEFAX_BASE_URL: api.url }, () =>
        api.requests.some((r) => r.url.startsWith("/v1/faxes/fax_new/image")),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await readdir(out)).sort()).toEqual(["fax_new.pdf", "fax_old.pdf"]);
      expect(await readFile(join(out, "fax_new.pdf"), "utf8")).toBe(pdf("fax_new"));
      expect(api.requests.filter((r) => r.url.includes("/image")).map((r) => r.url)).toEqual(["/v1/faxes/fax_old/image?format=pdf", "/v1/faxes/fax_new/image?format=pdf"]);
      expect(run.stdout()).toContain(`fax_new from +15550108888 → ${join(out, "fax_new.pdf")}`);
    } finally {
      await api.close();
    }
  }, 60_000);
});

/**
 * Webhooks against a real `npm start` (workerd through Miniflare: local D1, Queues, Durable Objects, cron) and a
 * real HTTP receiver on 127.0.0.1 (node:http). Every request the receiver gets is verified with the
 * reference implementation (`standardwebhooks`). ENVIRONMENT=local allows http receivers on loopback.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server";

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** A webhook receiver that answers with `status`, records everything, and dedupes by webhook-id. */
class Receiver {
  status = 200;
  readonly requests: Received[] = [];
  readonly accepted = new Map<string, Received>();
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const received: Received = { path: req.url ?? "", headers: flatHeaders(req), body, at: Date.now() };
        this.requests.push(received);
        if (this.status >= 200 && this.status < 300 && !this.accepted.has(received.headers["webhook-id"]!)) {
          this.accepted.set(received.headers["webhook-id"]!, received);
        }
        res.writeHead(this.status, { "content-type": "text/plain" }).end(this.status === 200 ? "ok" : "unavailable");
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") out[k] = v;
  return out;
}

type Envelope = { id: string; type: string; created_at: string; data: { fax?: { id: string } } };

let stateDir: string;
let platform: LocalPlatform | undefined;
let key: string;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  stateDir = await makeStateDir();
  // Short retries so a failed attempt's retry is due within seconds.
  platform = await startLocalPlatform({ stateDir, vars: { WEBHOOK_RETRY_SCHEDULE: "3,3,3,3,3,3,3,3,3,3,3" } });
  key = await createKey(stateDir);
}, 150_000);

afterAll(async () => {
  await platform?.stop();
  await receiver.stop();
  if (stateDir) await removeStateDir(stateDir);
}, 30_000);

function api(pathname: string, init: { method?: string; json?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (init.json !== undefined) headers["content-type"] = "application/json";
  return fetch(`${platform!.url}${pathname}`, {
    method: init.method ?? "GET",
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    signal: AbortSignal.timeout(15_000),
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, every?: () => Promise<void>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastNudge = 0;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (every && Date.now() - lastNudge > 3_000) {
      lastNudge = Date.now();
      await every();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the local cron does every minute, now: `npm start` answers /__scheduled with the scheduled() handler. */
async function runCron(): Promise<void> {
  await fetch(`${platform!.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.arrayBuffer());
}

/** The verified events about one fax that reached one endpoint (each endpoint has its own path). */
function faxEventsOf(endpoint: Endpoint, faxId: string, requests: Iterable<Received>): Map<string, Envelope> {
  const wh = new Webhook(endpoint.secret);
  const byWebhookId = new Map<string, Envelope>();
  for (const request of requests) {
    if (request.path !== endpoint.path) continue;
    const envelope = wh.verify(request.body, request.headers) as Envelope;
    if (envelope.data.fax?.id === faxId) byWebhookId.set(request.headers["webhook-id"]!, envelope);
  }
  return byWebhookId;
}

async function sendFax(): Promise<string> {
  const res = await api("/v1/faxes", { method: "POST", json: { to: "+15550100001", cover_page: { subject: "webhooks" } } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

interface Endpoint {
  id: string;
  secret: string;
  path: string;
}

async function createEndpoint(path: string): Promise<Endpoint> {
  const created = await api("/v1/webhooks", { method: "POST", json: { url: receiver.url(path) } });
  expect(created.status).toBe(201);
  return { ...((await created.json()) as { id: string; secret: string }), path };
}

describe("webhooks on the local platform", () => {
  it("delivers signed fax events to a receiver on this machine", async () => {
    receiver.status = 200;
    const endpoint = await createEndpoint("/first");
    // Loopback over http is a local-only relaxation; private networks stay refused.
    const refused = await api("/v1/webhooks", { method: "POST", json: { url: "https://10.0.0.1/hooks" } });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { code: string }).code).toBe("webhook.url_refused");

    const faxId = await sendFax();
    const events = await until("four signed events", () => {
      const found = faxEventsOf(endpoint, faxId, receiver.requests);
      return found.size >= 4 ? found : undefined;
    }, 30_000);
    expect([...events.values()].map((e) => e.type).sort()).toEqual(["fax.delivered", "fax.page_sent", "fax.queued", "fax.sending"]);
  });

  it("restarting npm start between an event and its delivery loses nothing", async () => {
    const endpoint = await createEndpoint("/second");
    receiver.status = 503;
    const before = receiver.requests.length;
    const faxId = await sendFax();
    // Every event happened and its first attempt failed: the retries now wait in the (in-memory) queue.
    const failed = await until("four failed first attempts", () => {
      const found = faxEventsOf(endpoint, faxId, receiver.requests.slice(before));
      return found.size >= 4 ? found : undefined;
    }, 30_000);
    const ping = (await (await api(`/v1/webhooks/${endpoint.id}/ping`, { method: "POST" })).json()) as { id: string };

    await platform!.stop();
    receiver.status = 200;
    await platform!.restart();

    const expected = [...failed.keys(), ping.id];
    await until("every delivery after the restart", () => expected.every((id) => receiver.accepted.has(id)), 90_000, runCron);
    const delivered = faxEventsOf(endpoint, faxId, receiver.accepted.values());
    expect([...delivered.values()].map((e) => e.type).sort()).toEqual(["fax.delivered", "fax.page_sent", "fax.queued", "fax.sending"]);
    // A webhook-id always carries the same event, before and after the restart.
    for (const [id, envelope] of faxEventsOf(endpoint, faxId, receiver.requests)) expect(delivered.get(id)?.id).toBe(envelope.id);

    const log = (await (await api(`/v1/webhooks/${endpoint.id}/deliveries?limit=100`)).json()) as { data: { id: string; status: string; attempt_count: number }[] };
    for (const id of expected) {
      const delivery = log.data.find((d) => d.id === id);
      expect(delivery?.status).toBe("succeeded");
    }
  }, 180_000);
});

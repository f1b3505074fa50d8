/**
 * A webhook receiver for pool tests. An external HTTP server cannot run inside workerd, so outbound
 * `fetch` to the receiver's host is intercepted (every other request passes through untouched): each
 * request is recorded exactly as it went on the wire, and answered by the test's handler.
 */
import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { expect, vi } from "vitest";
import { api } from "../helpers";

export interface ReceivedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  /** The sender's abort signal (its timeout), so an answer can hang until the sender gives up. */
  signal: AbortSignal;
}

export type Answer = (request: ReceivedRequest, index: number) => Response | Promise<Response>;

const receivers = new Map<string, Receiver>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const receiver = receivers.get(new URL(request.url).host);
    if (!receiver) return original(input, init);
    return receiver.take(request);
  });
}

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  answer: Answer = () => new Response("ok", { status: 200 });

  constructor(readonly host: string) {
    install();
    receivers.set(host, this);
  }

  url(path = "/hooks"): string {
    return `https://${this.host}${path}`;
  }

  async take(request: Request): Promise<Response> {
    const received: ReceivedRequest = {
      url: request.url,
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
      at: Date.now(),
      signal: request.signal,
    };
    const index = this.requests.length;
    this.requests.push(received);
    return this.answer(received, index);
  }

  /** Successful requests only, deduplicated by webhook-id as a receiver should. */
  accepted(): Map<string, ReceivedRequest> {
    return this.acceptedIds;
  }
  private acceptedIds = new Map<string, ReceivedRequest>();

  /** Records a request as processed when the answer was 2xx (call from `answer`). */
  accept(request: ReceivedRequest): void {
    if (!this.acceptedIds.has(request.headers["webhook-id"]!)) this.acceptedIds.set(request.headers["webhook-id"]!, request);
  }
}

let hostCounter = 0;
export function newReceiver(): Receiver {
  hostCounter += 1;
  return new Receiver(`receiver-${hostCounter}-${crypto.randomUUID().slice(0, 8)}.example.com`);
}

/** Verifies one recorded request with the reference implementation; returns the parsed envelope. */
export function verified(secret: string, request: ReceivedRequest): { id: string; type: string; created_at: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(request.body, request.headers) as { id: string; type: string; created_at: string; data: Record<string, unknown> };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function createEndpoint(key: string, body: Record<string, unknown>): Promise<{ id: string; secret: string; url: string; event_types: string[] }> {
  const res = await api("/v1/webhooks", { method: "POST", key, json: body });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as { id: string; secret: string; url: string; event_types: string[] };
}

export interface DeliveryView {
  id: string;
  endpoint_id: string | null;
  event_id: string;
  event_type: string;
  status: string;
  attempt_count: number;
  next_retry_at: string | null;
  last_status_code: number | null;
  dead_lettered_at: string | null;
  attempts: { number: number; attempted_at: string; status_code: number | null; latency_ms: number; response_excerpt: string | null; error: string | null; next_retry_at: string | null }[];
}

export async function deliveries(key: string, endpointId: string, query = ""): Promise<DeliveryView[]> {
  const res = await api(`/v1/webhooks/${endpointId}/deliveries?limit=100${query}`, { key });
  expect(res.status).toBe(200);
  return (await res.json<{ data: DeliveryView[] }>()).data;
}

export { env };

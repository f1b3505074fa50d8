/**
 * A fake edge (the Worker's /internal/gateway/* and a signed-file URL) on 127.0.0.1, a scripted sendFax,
 * and a fake SIP listener, so the gateway service can be driven without a Worker or a phone line.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTiff } from "../../../src/codec/index.js";
import type { AnswerFaxesOptions, FaxCallResult, FaxListener, SendFaxOptions } from "../../../src/gateway/fax-call.js";
import type { ZodType } from "zod";
import { EDGE_PATHS, GatewayEventSchema, GatewayInboundSchema, GatewayRouteSchema } from "../../../src/contract/gateway.js";
import { signedHeaders, verifySignedHeaders } from "../../../src/lib/signature.js";
import type { GatewayConfig } from "../../../src/gateway/service/config.js";

export const SECRET = "whsec_dGVzdC1nYXRld2F5LXNlY3JldC0xMjM0NTY3ODkw";

export interface EdgeRequest {
  path: string;
  body: Record<string, unknown>;
  signed: boolean;
  /** For the contract's paths: what src/contract/gateway.ts finds wrong with the body (the Worker would answer 400). */
  violations: string[];
}

/** The schema the Worker validates each of the contract's paths against. */
const CONTRACT: Record<string, ZodType> = {
  [EDGE_PATHS.events]: GatewayEventSchema,
  [EDGE_PATHS.inbound]: GatewayInboundSchema,
  [EDGE_PATHS.route]: GatewayRouteSchema,
};

export interface FakeEdge {
  url: string;
  requests: EdgeRequest[];
  events(): Array<Record<string, unknown>>;
  /** Answers for a path, used in order; the last one repeats. Default 200 {}. */
  script(path: string, statuses: number[]): void;
  /** Numbers the route check knows. */
  numbers: Set<string>;
  /** Bytes served at /files/fax.tif. */
  tiff: Uint8Array;
  close(): Promise<void>;
}

export async function startFakeEdge(): Promise<FakeEdge> {
  const requests: EdgeRequest[] = [];
  const scripts = new Map<string, number[]>();
  const numbers = new Set<string>();
  const edge = { tiff: new Uint8Array() } as { tiff: Uint8Array };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const path = req.url ?? "/";
        if (req.method === "GET" && path.startsWith("/files/")) {
          if (path.includes("missing")) return res.writeHead(404).end();
          res.writeHead(200, { "content-type": "image/tiff" });
          return res.end(Buffer.from(edge.tiff));
        }
        const text = Buffer.concat(chunks).toString("utf8");
        const h = (n: string) => (typeof req.headers[n] === "string" ? (req.headers[n] as string) : null);
        const signed = await verifySignedHeaders(SECRET, h, text);
        const body = JSON.parse(text) as Record<string, unknown>;
        const checked = CONTRACT[path]?.safeParse(body);
        const violations = checked && !checked.success ? checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) : [];
        requests.push({ path, body, signed, violations });
        const scripted = scripts.get(path);
        let status = violations.length > 0 ? 400 : scripted && scripted.length > 0 ? (scripted.length > 1 ? scripted.shift()! : scripted[0]!) : 200;
        if (path === "/internal/gateway/route" && status === 200 && !numbers.has(String(body.callee))) status = 404;
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(status < 300 ? { fax_id: "fax_test", status: "ok" } : { code: "error" }));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    events: () => requests.filter((r) => r.path === "/internal/gateway/events").map((r) => r.body),
    script: (path, statuses) => scripts.set(path, [...statuses]),
    numbers,
    get tiff() {
      return edge.tiff;
    },
    set tiff(v: Uint8Array) {
      edge.tiff = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A TIFF-F of `pages` small fine-resolution pages, each with a different pattern. */
export function testTiff(pages: number, yResolution = 196): Uint8Array {
  return writeTiff(
    Array.from({ length: pages }, (_, i) => {
      const width = 1728;
      const height = 40;
      const data = new Uint8Array((width / 8) * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width / 8; x++) data[y * (width / 8) + x] = (x + y * (i + 1)) % 7 === 0 ? 0xf0 : 0;
      return { bitmap: { width, height, data }, xResolution: 204, yResolution };
    }),
    { scheme: "mh" },
  );
}

export function job(over: Partial<Record<string, unknown>> = {}, edgeUrl = "http://127.0.0.1:9"): Record<string, unknown> {
  const n = Math.random().toString(36).slice(2, 10);
  return {
    fax_id: `fax_${n}`,
    attempt_id: `att_${n}`,
    to: "+15557010001",
    from: "+15557010002",
    header_text: "ACME",
    resolution: "fine",
    page_count: 1,
    tiff_url: `${edgeUrl}/files/faxes/acct/fax/fax.tif?expires=1&signature=x`,
    ...over,
  };
}

export async function postJob(gatewayUrl: string, body: unknown, opts: { secret?: string; timestamp?: number; tamper?: boolean; unsigned?: boolean } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const nowMs = opts.timestamp !== undefined ? opts.timestamp * 1000 : Date.now();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (!opts.unsigned) Object.assign(headers, await signedHeaders([opts.secret ?? SECRET], id, text, nowMs));
  const res = await fetch(`${gatewayUrl}/jobs`, { method: "POST", headers, body: opts.tamper ? text.replace("+15557010001", "+15557010009") : text });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** sendFax that records each call and finishes only when the test says so. */
export interface ScriptedSendFax {
  calls: Array<{ opts: SendFaxOptions; finish(result?: Partial<FaxCallResult>): void }>;
  fn: (opts: SendFaxOptions) => Promise<FaxCallResult>;
}

export function scriptedSendFax(): ScriptedSendFax {
  const calls: ScriptedSendFax["calls"] = [];
  return {
    calls,
    fn: (opts) =>
      new Promise<FaxCallResult>((resolve) => {
        calls.push({
          opts,
          finish: (result = {}) =>
            resolve({ success: true, failureCode: null, t30Result: "OK", pagesTransferred: Array.isArray(opts.pages) ? opts.pages.length : opts.pages.count, negotiated: null, remoteIdent: "REMOTE CSI", t38: null, pages: [], durationMs: 1, ...result }),
        });
      }),
  };
}

/** answerFaxes stand-in: records the options (accept, onFax) for the test to drive. */
export function fakeListener(): { options: AnswerFaxesOptions | null; active: number; fn: (opts: AnswerFaxesOptions) => Promise<FaxListener> } {
  const state = { options: null as AnswerFaxesOptions | null, active: 0 };
  return Object.assign(state, {
    fn: async (opts: AnswerFaxesOptions): Promise<FaxListener> => {
      state.options = opts;
      return {
        ua: null as never,
        port: 5099,
        get active() {
          return state.active;
        },
        close: () => undefined,
      };
    },
  });
}

export function testConfig(edgeUrl: string, over: Partial<GatewayConfig> = {}): GatewayConfig & { cleanup(): void } {
  const spoolDir = mkdtempSync(join(tmpdir(), "edgefax-gw-spool-"));
  return {
    http: { address: "127.0.0.1", port: 0 },
    sip: { address: "127.0.0.1", port: 0 },
    publicAddress: null,
    trunk: { address: "127.0.0.1", port: 5098 },
    trunkCredentials: null,
    register: false,
    dids: null,
    edgeUrl,
    secret: SECRET,
    maxCalls: 4,
    maxQueue: 10,
    spoolDir,
    shutdownGraceMs: 0,
    routeCheck: true,
    ecm: true,
    logLevel: "error",
    heartbeatMs: 20_000,
    maxTiffBytes: 1024 * 1024,
    tiffTimeoutMs: 5_000,
    callTimeoutMs: 900_000,
    ...over,
    cleanup: () => rmSync(spoolDir, { recursive: true, force: true }),
  };
}

/** Polls `check` every 10 ms, at most `tries` times; throws with `what` if it never holds. */
export async function until(what: string, check: () => boolean, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

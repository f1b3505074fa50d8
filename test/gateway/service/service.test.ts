/**
 * The gateway service against a fake edge on 127.0.0.1: signed jobs, the call queue, repeated attempts,
 * graceful shutdown handing calls back, progress reports, inbound faxes and the spool, edge retries.
 * sendFax and the SIP listener are stand-ins here; the real call path is in test/interop/gateway.
 */
import { readdirSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodePage, readTiff, readTiffRaw } from "../../../src/codec/index.js";
import type { ReceivedFax } from "../../../src/gateway/fax-call.js";
import { ConfigError, loadConfig } from "../../../src/gateway/service/config.js";
import { createEdgeClient, EdgeUnreachableError } from "../../../src/gateway/service/edge-client.js";
import { createSpool, receivedTiff, sipUserNumber } from "../../../src/gateway/service/inbound.js";
import { silentLogger } from "../../../src/lib/log.js";
import { startGatewayService, type GatewayService } from "../../../src/gateway/service/service.js";
import type { FaxPageSource, ReceivedPage } from "../../../src/gateway/t30/index.js";
import { fakeListener, job, postJob, scriptedSendFax, SECRET, startFakeEdge, testConfig, testTiff, until, type FakeEdge } from "./helpers.js";

const FAST = [1, 1, 1];

let edge: FakeEdge;
let cleanups: Array<() => unknown>;

beforeEach(async () => {
  edge = await startFakeEdge();
  edge.tiff = testTiff(1);
  cleanups = [];
});

afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  // Everything the gateway posted on the contract's paths is what src/contract/gateway.ts (the Worker's validator) accepts.
  expect(edge.requests.filter((r) => r.violations.length > 0)).toEqual([]);
  await edge.close();
});

async function start(over: Parameters<typeof testConfig>[1] = {}, deps: { send?: ReturnType<typeof scriptedSendFax>; listener?: ReturnType<typeof fakeListener> } = {}) {
  const config = testConfig(edge.url, over);
  const send = deps.send ?? scriptedSendFax();
  const listener = deps.listener ?? fakeListener();
  const service: GatewayService = await startGatewayService(config, { sendFax: send.fn, answerFaxes: listener.fn, log: silentLogger, edgeBackoffMs: FAST });
  cleanups.push(config.cleanup, () => service.stop(0));
  return { service, send, listener, config };
}

describe("POST /jobs signature", () => {
  it("refuses unsigned, wrongly signed, stale and tampered jobs with 401, and takes a good one", async () => {
    const { service, send } = await start();
    const body = job({}, edge.url);
    expect((await postJob(service.httpUrl, body, { unsigned: true })).status).toBe(401);
    expect((await postJob(service.httpUrl, body, { secret: "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==" })).status).toBe(401);
    expect((await postJob(service.httpUrl, body, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
    expect((await postJob(service.httpUrl, body, { tamper: true })).status).toBe(401);
    expect(send.calls).toHaveLength(0);
    const ok = await postJob(service.httpUrl, body);
    expect(ok).toEqual({ status: 202, body: { attempt_id: body.attempt_id, status: "started" } });
    await until("the call is placed", () => send.calls.length === 1);
    const opts = send.calls[0]!.opts;
    expect(opts.to).toBe("sip:+15557010001@127.0.0.1:5098");
    expect(opts.uaOptions?.user).toBe("+15557010002");
    expect(opts.localIdent).toBe("+15557010002");
    expect(opts.headerInfo).toBe("ACME");
    // The service hands the call a page source that decodes as the call goes (pagesFromTiff).
    const pages = opts.pages as FaxPageSource;
    expect(pages.count).toBe(1);
    expect(pages.page(0).resolution).toBe("fine");
    expect(pages.page(0).bitmap.width).toBe(1728);
  });

  it("refuses a signed job that breaks the contract with 422", async () => {
    const { service } = await start();
    const res = await postJob(service.httpUrl, job({ to: "5557010001" }, edge.url));
    expect(res.status).toBe(422);
  });
});

describe("the call queue", () => {
  it("runs at most max_calls at once, queues FIFO up to the bound and refuses beyond it with 503", async () => {
    const { service, send } = await start({ maxCalls: 2, maxQueue: 2 });
    const bodies = ["+15550000001", "+15550000002", "+15550000003", "+15550000004", "+15550000005"].map((to) => job({ to }, edge.url));
    const answers = [];
    for (const b of bodies) answers.push((await postJob(service.httpUrl, b)).body.status ?? "refused");
    expect(answers).toEqual(["started", "started", "queued", "queued", "refused"]);
    await until("two calls", () => send.calls.length === 2);
    expect(service.stats).toMatchObject({ active: 2, queued: 2 });
    send.calls[1]!.finish();
    await until("the first queued job starts", () => send.calls.length === 3);
    send.calls[0]!.finish();
    await until("the second queued job starts", () => send.calls.length === 4);
    expect(send.calls.map((c) => c.opts.to.slice(4, 16))).toEqual(["+15550000001", "+15550000002", "+15550000003", "+15550000004"]);
  });

  it("dials a repeated attempt id only once", async () => {
    const { service, send } = await start();
    const body = job({}, edge.url);
    expect((await postJob(service.httpUrl, body)).body.status).toBe("started");
    expect(await postJob(service.httpUrl, body)).toEqual({ status: 202, body: { attempt_id: body.attempt_id, status: "duplicate" } });
    await until("the call", () => send.calls.length === 1);
    send.calls[0]!.finish();
    await until("delivered", () => edge.events().some((e) => e.kind === "delivered"));
    expect((await postJob(service.httpUrl, body)).body.status).toBe("duplicate");
    expect(send.calls).toHaveLength(1);
  });
});

describe("progress reports", () => {
  it("reports ringing, negotiated, each confirmed page and delivered, in order and signed", async () => {
    edge.tiff = testTiff(3);
    const { service, send } = await start();
    const body = job({ page_count: 3 }, edge.url);
    await postJob(service.httpUrl, body);
    await until("the call", () => send.calls.length === 1);
    const { opts, finish } = send.calls[0]!;
    opts.onEvent?.({ type: "sip", state: "ringing" });
    opts.onEvent?.({ type: "t30", event: { type: "negotiated", negotiated: { bitRate: 14400, modem: "v17", scheme: "mmr", resolution: "fine", ecm: true, width: 1728 }, remoteIdent: "REMOTE CSI" } });
    for (const [page, accepted] of [[1, true], [2, false], [2, true], [3, true]] as const) opts.onEvent?.({ type: "t30", event: { type: "page", page, bytes: 100, badRows: 0, accepted } });
    finish({ pagesTransferred: 3 });
    await until("delivered", () => edge.events().some((e) => e.kind === "delivered"));
    const ref = { fax_id: body.fax_id, attempt_id: body.attempt_id };
    expect(edge.events()).toEqual([
      { ...ref, kind: "ringing" },
      { ...ref, kind: "negotiated", detail: { bit_rate: 14400, modem: "v17", scheme: "mmr", resolution: "fine", ecm: true, width: 1728, remote_ident: "REMOTE CSI" } },
      { ...ref, kind: "page_sent", page: 1 },
      { ...ref, kind: "page_sent", page: 2 },
      { ...ref, kind: "page_sent", page: 3 },
      { ...ref, kind: "delivered", remote_ident: "REMOTE CSI" },
    ]);
    expect(edge.requests.every((r) => r.signed)).toBe(true);
  });

  it("passes the engine's failure code, T.30 result and pages through unchanged", async () => {
    const { service, send } = await start();
    const body = job({}, edge.url);
    await postJob(service.httpUrl, body);
    await until("the call", () => send.calls.length === 1);
    send.calls[0]!.finish({ success: false, failureCode: "fax.partial", t30Result: "RTN after page 2: page not confirmed", pagesTransferred: 1 });
    await until("failed", () => edge.events().some((e) => e.kind === "failed"));
    expect(edge.events().at(-1)).toEqual({ fax_id: body.fax_id, attempt_id: body.attempt_id, kind: "failed", code: "fax.partial", detail: "RTN after page 2: page not confirmed", t30_result: "RTN after page 2: page not confirmed", pages_sent: 1 });
  });

  it("sends heartbeats while a call runs", async () => {
    const { service, send } = await start({ heartbeatMs: 20 });
    await postJob(service.httpUrl, job({}, edge.url));
    await until("the call", () => send.calls.length === 1);
    await until("two heartbeats", () => edge.events().filter((e) => e.kind === "heartbeat").length >= 2);
    send.calls[0]!.finish();
    await until("delivered", () => edge.events().some((e) => e.kind === "delivered"));
    expect(edge.events().at(-1)!.kind).toBe("delivered");
  });

  it("fails the attempt (retryable gateway.unavailable) when the TIFF-F cannot be fetched, without dialling", async () => {
    const { service, send } = await start();
    await postJob(service.httpUrl, job({ tiff_url: `${edge.url}/files/missing.tif` }, edge.url));
    await until("failed", () => edge.events().some((e) => e.kind === "failed"));
    expect(edge.events()[0]).toMatchObject({ kind: "failed", code: "gateway.unavailable", pages_sent: 0 });
    expect(send.calls).toHaveLength(0);
  });

  it("fails an over-sized TIFF-F without dialling", async () => {
    edge.tiff = new Uint8Array(4096);
    const { service, send } = await start({ maxTiffBytes: 1000 });
    await postJob(service.httpUrl, job({}, edge.url));
    await until("failed", () => edge.events().some((e) => e.kind === "failed"));
    expect(String(edge.events()[0]!.detail)).toContain("cap");
    expect(send.calls).toHaveLength(0);
  });
});

describe("graceful shutdown", () => {
  it("stops taking jobs, hands back queued and still-running calls as gateway.lost, and drops the late result", async () => {
    const { service, send } = await start({ maxCalls: 1 });
    const running = job({}, edge.url);
    const waiting = job({}, edge.url);
    await postJob(service.httpUrl, running);
    await postJob(service.httpUrl, waiting);
    await until("the first call", () => send.calls.length === 1);
    expect(send.calls[0]!.opts.signal?.aborted).toBe(false);
    await service.stop(0);
    // The handed-back call is hung up (CANCEL or BYE in sendFax), not left running.
    expect(send.calls[0]!.opts.signal?.aborted).toBe(true);
    const failed = edge.events().filter((e) => e.kind === "failed");
    expect(failed).toHaveLength(2);
    expect(failed.find((e) => e.attempt_id === waiting.attempt_id)).toMatchObject({ code: "gateway.lost", pages_sent: 0 });
    expect(failed.find((e) => e.attempt_id === running.attempt_id)).toMatchObject({ code: "gateway.lost", detail: "The gateway shut down during the call." });
    await expect(postJob(service.httpUrl, job({}, edge.url))).rejects.toThrow();
    send.calls[0]!.finish();
    await new Promise((r) => setImmediate(r));
    expect(edge.events().filter((e) => e.attempt_id === running.attempt_id).map((e) => e.kind)).toEqual(["failed"]);
    expect(send.calls).toHaveLength(1);
  });

  it("lets a call that ends within the grace period report its own result", async () => {
    const { service, send } = await start({ maxCalls: 1 });
    const body = job({}, edge.url);
    await postJob(service.httpUrl, body);
    await until("the call", () => send.calls.length === 1);
    const stopping = service.stop(60_000);
    await until("draining", () => service.stats.draining);
    expect((await fetch(`${service.httpUrl}/health`).catch(() => null))?.status ?? 503).toBe(503);
    send.calls[0]!.finish();
    await stopping;
    expect(edge.events().map((e) => e.kind)).toEqual(["delivered"]);
  });
});

describe("inbound calls", () => {
  function receivedFax(pages: ReceivedPage[], over: Partial<ReceivedFax> = {}): ReceivedFax {
    return { success: true, failureCode: null, t30Result: "OK", pagesTransferred: pages.length, negotiated: null, remoteIdent: "SENDER TSI", t38: null, pages, durationMs: 1, callId: "call-1@127.0.0.1", caller: "sip:+15557010002@127.0.0.1", callee: "sip:+15557010001@127.0.0.1:5090", ...over };
  }
  function pagesFrom(tiff: Uint8Array): ReceivedPage[] {
    return readTiff(tiff).map((p) => ({ bitmap: p.bitmap, coded: encodePage(p.bitmap, { scheme: "mr", k: 4, eol: true, rtc: true }), scheme: "mr", resolution: "fine", badRows: 0 }));
  }

  it("answers only numbers the edge routes here (404 otherwise) and refuses calls while shutting down (503)", async () => {
    edge.numbers.add("+15557010001");
    const { service, listener } = await start();
    const accept = listener.options!.accept!;
    expect(await accept({ callId: "a", caller: "sip:x@h", callee: "sip:+15557010001@127.0.0.1:5090" })).toBe(true);
    expect(await accept({ callId: "b", caller: "sip:x@h", callee: "sip:+15557019999@127.0.0.1:5090" })).toBe(404);
    expect(edge.requests.filter((r) => r.path === "/internal/gateway/route").map((r) => r.body)).toEqual([{ callee: "+15557010001" }, { callee: "+15557019999" }]);
    await service.stop(0);
    expect(await accept({ callId: "c", caller: "sip:x@h", callee: "sip:+15557010001@127.0.0.1:5090" })).toBe(503);
  });

  it("uploads a received fax as a signed TIFF-F with the same pixels, caller, callee and TSI", async () => {
    const { listener } = await start();
    const source = testTiff(2);
    await listener.options!.onFax(receivedFax(pagesFrom(source)));
    const upload = edge.requests.find((r) => r.path === "/internal/gateway/inbound")!;
    expect(upload.signed).toBe(true);
    expect(upload.body).toMatchObject({ call_id: "call-1@127.0.0.1", caller: "+15557010002", callee: "+15557010001", remote_ident: "SENDER TSI" });
    const got = readTiff(Buffer.from(String(upload.body.tiff), "base64"));
    const want = readTiff(source);
    expect(got.map((p) => p.yResolution)).toEqual([196, 196]);
    expect(got.map((p) => Buffer.from(p.bitmap.data).toString("hex"))).toEqual(want.map((p) => Buffer.from(p.bitmap.data).toString("hex")));
  });

  it("keeps a received fax in the spool while the edge is down, and delivers it later with the same call id and time", async () => {
    const { service, listener, config } = await start();
    edge.script("/internal/gateway/inbound", [503, 503, 503, 503, 503, 503, 503, 503, 200]);
    await listener.options!.onFax(receivedFax(pagesFrom(testTiff(1))));
    expect(readdirSync(config.spoolDir).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    const first = edge.requests.filter((r) => r.path === "/internal/gateway/inbound");
    expect(first).toHaveLength(4);
    expect(await service.flushSpool()).toBe(0); // 4 more tries, all 503
    expect(await service.flushSpool()).toBe(1);
    const uploads = edge.requests.filter((r) => r.path === "/internal/gateway/inbound");
    expect(new Set(uploads.map((u) => `${u.body.call_id} ${u.body.received_at}`)).size).toBe(1);
    expect(readdirSync(config.spoolDir).filter((f) => f.endsWith(".json"))).toHaveLength(0);
  });

  it("delivers what an earlier run left in the spool as soon as it starts", async () => {
    const config = testConfig(edge.url);
    cleanups.push(config.cleanup);
    const leftover = { call_id: "earlier@127.0.0.1", caller: "+15557010002", callee: "+15557010001", remote_ident: null, received_at: "2026-11-23T10:00:00.000Z", tiff: "SUkqAA==" };
    createSpool(config.spoolDir).put(leftover);
    const service = await startGatewayService(config, { sendFax: scriptedSendFax().fn, answerFaxes: fakeListener().fn, log: silentLogger, edgeBackoffMs: FAST });
    cleanups.push(() => service.stop(0));
    await until("the upload", () => edge.requests.some((r) => r.path === "/internal/gateway/inbound"));
    expect(edge.requests.find((r) => r.path === "/internal/gateway/inbound")!.body).toEqual(leftover);
    await until("the spool is empty", () => readdirSync(config.spoolDir).filter((f) => f.endsWith(".json")).length === 0);
  });

  it("does not upload a call that ended without pages", async () => {
    const { listener } = await start();
    await listener.options!.onFax(receivedFax([], { success: false, failureCode: "fax.not_a_fax", t30Result: "T1 expired" }));
    expect(edge.requests.filter((r) => r.path === "/internal/gateway/inbound")).toHaveLength(0);
  });
});

describe("pieces", () => {
  it("keeps received coded data as it came when it decodes to the same pixels", () => {
    const source = readTiff(testTiff(1));
    const coded = encodePage(source[0]!.bitmap, { scheme: "mh", eol: true, byteAlign: false, rtc: true });
    const tiff = receivedTiff([{ bitmap: source[0]!.bitmap, coded, scheme: "mh", resolution: "standard", badRows: 0 }]);
    const raw = readTiffRaw(tiff);
    expect(raw[0]!.scheme).toBe("mh");
    expect(Buffer.from(raw[0]!.data).equals(Buffer.from(coded))).toBe(true);
    expect(raw[0]!.yResolution).toBe(98);
  });

  it("re-encodes pages whose coded data does not say what was decoded", () => {
    const source = readTiff(testTiff(1));
    const tiff = receivedTiff([{ bitmap: source[0]!.bitmap, coded: new Uint8Array([0, 1, 0xff, 3]), scheme: "mh", resolution: "fine", badRows: 2 }]);
    expect(readTiffRaw(tiff)[0]!.scheme).toBe("mmr");
    expect(Buffer.from(readTiff(tiff)[0]!.bitmap.data).equals(Buffer.from(source[0]!.bitmap.data))).toBe(true);
  });

  it("takes the E.164 number from a SIP URI's user part", () => {
    expect(sipUserNumber("sip:+15557010001@127.0.0.1:5090")).toBe("+15557010001");
    expect(sipUserNumber("sip:15557010001@carrier.example;user=phone")).toBe("+15557010001");
    expect(sipUserNumber("sip:sipp@127.0.0.1:5061")).toBe("sipp");
  });

  it("retries edge POSTs on 5xx and network errors, never on other 4xx", async () => {
    const client = createEdgeClient({ edgeUrl: edge.url, secret: SECRET, backoffMs: FAST });
    edge.script("/a", [503, 500, 200]);
    expect((await client.post("/a", { n: 1 })).status).toBe(200);
    expect(edge.requests.filter((r) => r.path === "/a")).toHaveLength(3);
    edge.script("/b", [401]);
    expect((await client.post("/b", {})).status).toBe(401);
    expect(edge.requests.filter((r) => r.path === "/b")).toHaveLength(1);
    edge.script("/c", [502]);
    await expect(client.post("/c", {})).rejects.toBeInstanceOf(EdgeUnreachableError);
    expect(edge.requests.filter((r) => r.path === "/c")).toHaveLength(4);
    const down = createEdgeClient({ edgeUrl: "http://127.0.0.1:9", secret: SECRET, backoffMs: [1] });
    await expect(down.post("/d", {})).rejects.toBeInstanceOf(EdgeUnreachableError);
  });

  it("reads its configuration from flags over the environment, and refuses REGISTER", () => {
    const env = { EDGE_URL: "http://127.0.0.1:8787/", GATEWAY_SECRET: "s", GATEWAY_MAX_CALLS: "8" };
    const c = loadConfig(["--trunk", "sbc.example.net:5060", "--max-calls", "2", "--dids", "+1 555 701 0001"], env);
    expect(c).toMatchObject({ edgeUrl: "http://127.0.0.1:8787", maxCalls: 2, trunk: { address: "sbc.example.net", port: 5060 }, dids: ["+15557010001"], register: false });
    expect(loadConfig([], env)).toMatchObject({ maxCalls: 8, trunk: null, sip: { address: "127.0.0.1", port: 5090 }, maxQueue: 100 });
    expect(() => loadConfig(["--register"], env)).toThrow(ConfigError);
    expect(() => loadConfig([], { EDGE_URL: "http://x" })).toThrow(/GATEWAY_SECRET/);
  });
});

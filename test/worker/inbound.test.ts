import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import "../../src/codec/worker";
import { readTiff, writeTiff } from "../../src/codec";
import { dispatchToGateway } from "../../src/fax/gateway-client";
import type { Fax } from "../../src/fax/schema";
import { toBase64 } from "../../src/lib/crypto";
import { api, createTestAccount, expectProblem, gatewayPost, pdfDocument, sendFax, stripedPage as page, waitForFax, rewriteFaxState } from "./helpers";

describe("inbound faxes from the gateway", () => {
  it("stores a received TIFF-F, lists it for polling, serves PDF/TIFF/PNG, and marks it downloaded", async () => {
    const account = await createTestAccount("live");
    const tiff = writeTiff([page(1), page(2)].map((bitmap) => ({ bitmap, xResolution: 204, yResolution: 196 })), { scheme: "mh" });
    const upload = { call_id: `call-${crypto.randomUUID()}`, caller: "+14155552671", callee: account.number, remote_ident: "+1 415 555 2671", received_at: new Date().toISOString(), tiff: toBase64(tiff) };
    const res = await gatewayPost("/internal/gateway/inbound", upload);
    expect(res.status, await res.clone().text()).toBe(200);
    const { fax_id, status } = await res.json<{ fax_id: string; status: string }>();
    expect(status, JSON.stringify(await (await api(`/v1/faxes/${fax_id}`, { key: account.key })).json())).toBe("received");

    // A repeated upload of the same call is the same fax.
    const again = await (await gatewayPost("/internal/gateway/inbound", upload)).json<{ fax_id: string }>();
    expect(again.fax_id).toBe(fax_id);

    const listed = await (await api("/v1/faxes/received?image_downloaded=false", { key: account.key })).json<{ data: Fax[] }>();
    expect(listed.data.map((f) => f.id)).toEqual([fax_id]);
    const fax = listed.data[0]!;
    expect(fax).toMatchObject({ direction: "inbound", status: "received", page_count: 2, from: "+14155552671", to: account.number, remote_ident: "+1 415 555 2671", image_downloaded: false });

    const search = await (await api(`/v1/faxes/received?search_text=${encodeURIComponent("415 555")}`, { key: account.key })).json<{ data: Fax[] }>();
    expect(search.data.length).toBe(1);
    const none = await (await api("/v1/faxes/received?search_text=nomatch", { key: account.key })).json<{ data: Fax[] }>();
    expect(none.data).toEqual([]);
    const future = await (await api(`/v1/faxes/received?min_completed_timestamp=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { key: account.key })).json<{ data: Fax[] }>();
    expect(future.data).toEqual([]);

    const tiffBack = new Uint8Array(await (await api(`/v1/faxes/${fax_id}/image?format=tiff`, { key: account.key })).arrayBuffer());
    expect(tiffBack).toEqual(tiff);
    const pages = readTiff(tiffBack);
    expect(pages.map((p) => p.bitmap.data)).toEqual([page(1).data, page(2).data]);
    const pdf = await api(`/v1/faxes/${fax_id}/image`, { key: account.key });
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(new TextDecoder().decode(new Uint8Array(await pdf.arrayBuffer()).slice(0, 5))).toBe("%PDF-");
    const png = new Uint8Array(await (await api(`/v1/faxes/${fax_id}/image?format=png&page=2`, { key: account.key })).arrayBuffer());
    expect([...png.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    await expectProblem(await api(`/v1/faxes/${fax_id}/image?format=png&page=3`, { key: account.key }), 404, "fax.page_not_found");

    const after = await (await api("/v1/faxes/received?image_downloaded=false", { key: account.key })).json<{ data: Fax[] }>();
    expect(after.data).toEqual([]);
    const downloaded = await (await api("/v1/faxes/received?image_downloaded=true", { key: account.key })).json<{ data: Fax[] }>();
    expect(downloaded.data.map((f) => f.id)).toEqual([fax_id]);
    // fax.received waits for the reading of the pages (here: no OCR service is configured, so it fails fast).
    const read = await waitForFax(account.key, fax_id, (f) => f.ocr?.status !== "pending");
    expect(read.ocr).toMatchObject({ status: "failed", pages_failed: [1, 2] });
    const events = (await (await api(`/v1/faxes/${fax_id}/events`, { key: account.key })).json<{ data: { type: string }[] }>()).data.map((e) => e.type);
    expect(events).toEqual(["fax.received"]);

    // Another account sees nothing of it.
    const other = await createTestAccount("live");
    await expectProblem(await api(`/v1/faxes/${fax_id}/image`, { key: other.key }), 404, "fax.not_found");
    expect((await (await api("/v1/faxes/received", { key: other.key })).json<{ data: Fax[] }>()).data).toEqual([]);
  });

  it("refuses unsigned, wrongly signed and unknown-number uploads", async () => {
    const account = await createTestAccount("live");
    const upload = { call_id: "c1", caller: "+14155552671", callee: account.number, remote_ident: null, received_at: new Date().toISOString(), tiff: "AAAA" };
    await expectProblem(await api("/internal/gateway/inbound", { method: "POST", json: upload }), 401, "auth.invalid");
    await expectProblem(await gatewayPost("/internal/gateway/inbound", upload, "not-the-secret"), 401, "auth.invalid");
    await expectProblem(await gatewayPost("/internal/gateway/inbound", { ...upload, callee: "+15557099999" }), 404, "number.not_found");
    await expectProblem(await gatewayPost("/internal/gateway/inbound", { ...upload, tiff: undefined }), 422, "request.invalid");
  });

  it("fails an inbound fax whose TIFF is garbage, without losing the call", async () => {
    const account = await createTestAccount("live");
    const res = await gatewayPost("/internal/gateway/inbound", { call_id: "garbage-1", caller: "+14155552671", callee: account.number, remote_ident: null, received_at: new Date().toISOString(), tiff: toBase64(crypto.getRandomValues(new Uint8Array(512))) });
    expect(res.status).toBe(200);
    const { fax_id, status } = await res.json<{ fax_id: string; status: string }>();
    expect(status).toBe("failed");
    const fax = await (await api(`/v1/faxes/${fax_id}`, { key: account.key })).json<Fax>();
    expect(fax.error?.code).toBe("document.unreadable");
  });
});

describe("progress from the gateway", () => {
  async function sendingLiveFax() {
    const account = await createTestAccount("live");
    const { id } = await (await sendFax(account.key, { to: "+14155552671", documents: [await pdfDocument(2)], send_at: new Date(Date.now() + 3600_000).toISOString(), options: { max_attempts: 2, retry_delay: 600 } })).json<{ id: string }>();
    // The state a dispatched attempt is in: sending, attempt att_gw (what the dispatch job would have created).
    await rewriteFaxState(id, (stored) => {
      stored.fax.status = "sending";
      stored.fax.attempts = 1;
      stored.releaseAtMs = null;
      stored.attempt = { id: "att_gw", number: 1, startedAtMs: Date.now(), lastHeardMs: Date.now() };
    });
    return { account, id };
  }

  it("turns page and delivery reports into the fax's state and events; repeats and stale attempts change nothing", async () => {
    const { account, id } = await sendingLiveFax();
    const post = (body: Record<string, unknown>) => gatewayPost("/internal/gateway/events", { fax_id: id, attempt_id: "att_gw", ...body });
    expect((await post({ kind: "ringing" })).status).toBe(200);
    expect((await post({ kind: "page_sent", page: 1 })).status).toBe(200);
    expect((await post({ kind: "page_sent", page: 1 })).status).toBe(200);
    await gatewayPost("/internal/gateway/events", { fax_id: id, attempt_id: "att_old", kind: "failed", code: "fax.busy", detail: "late", t30_result: null });
    expect((await post({ kind: "page_sent", page: 2 })).status).toBe(200);
    const done = await (await post({ kind: "delivered", remote_ident: "REMOTE CSI" })).json<{ status: string }>();
    expect(done.status).toBe("delivered");
    const fax = await (await api(`/v1/faxes/${id}`, { key: account.key })).json<Fax>();
    expect(fax).toMatchObject({ status: "delivered", pages_sent: 2, remote_ident: "REMOTE CSI" });
    const events = (await (await api(`/v1/faxes/${id}/events`, { key: account.key })).json<{ data: { type: string }[] }>()).data.map((e) => e.type);
    expect(events).toEqual(["fax.scheduled", "fax.page_sent", "fax.page_sent", "fax.delivered"]);
  });

  it("passes the T.30 failure code through unchanged, and retries when it is retryable", async () => {
    const { account, id } = await sendingLiveFax();
    await gatewayPost("/internal/gateway/events", { fax_id: id, attempt_id: "att_gw", kind: "failed", code: "fax.training_failed", detail: "FTT at 2400", t30_result: "FTT at the lowest speed", pages_sent: 0 });
    const fax = await waitForFax(account.key, id, (f) => f.last_error !== null);
    expect(fax.status).toBe("queued");
    expect(fax.last_error).toEqual({ code: "fax.training_failed", retryable: true, detail: "FTT at 2400", t30_result: "FTT at the lowest speed" });
    await expectProblem(await gatewayPost("/internal/gateway/events", { fax_id: id, attempt_id: "att_gw", kind: "failed", code: "made.up", detail: "", t30_result: null }), 422, "request.invalid");
  });
});

describe("the job the Worker hands to the gateway", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is POST {GATEWAY_URL}/jobs, signed so the standardwebhooks reference implementation verifies it", async () => {
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      seen.push(new Request(input as RequestInfo, init));
      return new Response("{}", { status: 202 });
    });
    const fax = { id: "fax_x", to: "+14155552671", from: "+15557010001", header_text: "ACME", options: { resolution: "fine" }, page_count: 2 } as unknown as Fax;
    const result = await dispatchToGateway(env, "https://gateway.example", fax, "att_1", "acct_x");
    expect(result).toEqual({ ok: true });
    expect(seen.length).toBe(1);
    const request = seen[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://gateway.example/jobs");
    const body = await request.text();
    const job = JSON.parse(body);
    expect(job).toEqual({ fax_id: "fax_x", attempt_id: "att_1", to: "+14155552671", from: "+15557010001", header_text: "ACME", resolution: "fine", page_count: 2, tiff_url: expect.any(String) });
    // The TIFF-F link is this Worker's signed, expiring URL to the rendered fax.
    const tiffUrl = new URL(job.tiff_url);
    expect(tiffUrl.pathname).toBe("/files/faxes/acct_x/fax_x/fax.tif");
    expect(Number(tiffUrl.searchParams.get("expires")) * 1000).toBeGreaterThan(Date.now());
    const secret = `whsec_${btoa(env.GATEWAY_SECRET!)}`;
    const headers = Object.fromEntries(request.headers);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(body.replace("att_1", "att_2"), headers)).toThrow();
  });
});

describe("routing for the loopback carrier", () => {
  it("answers whether a number is provisioned on this instance", async () => {
    const account = await createTestAccount("live");
    const known = await gatewayPost("/internal/gateway/route", { callee: account.number });
    expect(known.status).toBe(200);
    expect(await known.json()).toEqual({ callee: account.number, mode: "live" });
    await expectProblem(await gatewayPost("/internal/gateway/route", { callee: "+15557099998" }), 404, "number.not_found");
    await expectProblem(await api("/internal/gateway/route", { method: "POST", json: { callee: account.number } }), 401, "auth.invalid");
  });
});

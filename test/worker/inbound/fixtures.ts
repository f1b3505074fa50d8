/** Received faxes for the inbound pipeline's tests: pages, a gateway upload, a fake Workers AI, a fake OCR service. */
import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { expect, vi } from "vitest";
import "../../../src/codec/worker";
import { encodePage, writeCodedTiff, type Bitmap } from "../../../src/codec";
import type { OcrPageRequest } from "../../../src/contract/ocr";
import type { Fax } from "../../../src/fax/schema";
import { toBase64 } from "../../../src/lib/crypto";
import { signPayload } from "../../../src/lib/signature";
import { api, waitForFax } from "../helpers";

export const FINE_ROWS = 2200;

/** A page with some black bars (content is irrelevant to a fake engine; the size is what the requests show). */
export function barsPage(width: number, height: number, seed: number): Bitmap {
  const stride = width / 8;
  const data = new Uint8Array(stride * height);
  for (let y = 40; y < height - 40; y += 60) {
    for (let x = 10 + (seed % 7); x < stride - 10; x++) if ((x + y / 60) % 5 !== 0) data.fill(0xff, y * stride + x, y * stride + x + 1);
  }
  return { width, height, data };
}

export interface UploadPage {
  bitmap: Bitmap;
  yResolution: 98 | 196;
  /** Replace the coded data with garbage: a page the line destroyed. */
  damaged?: boolean;
}

export function faxTiff(pages: UploadPage[]): Uint8Array {
  return writeCodedTiff(
    pages.map((p) => ({
      width: p.bitmap.width,
      height: p.bitmap.height,
      xResolution: 204,
      yResolution: p.yResolution,
      data: p.damaged ? crypto.getRandomValues(new Uint8Array(4000)) : encodePage(p.bitmap, { scheme: "mh", byteAlign: true }),
    })),
    { scheme: "mh" },
  );
}

/** POST /internal/gateway/inbound as the gateway sends it; resolves with the new fax's id. */
export async function receiveFax(to: string, pages: UploadPage[], from = "+14155552671", remoteIdent = "ACME CLINIC"): Promise<string> {
  const body = JSON.stringify({ call_id: `call-${crypto.randomUUID()}`, caller: from, callee: to, remote_ident: remoteIdent, received_at: new Date().toISOString(), tiff: toBase64(faxTiff(pages)) });
  const id = `msg_${crypto.randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await api("/internal/gateway/inbound", {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": await signPayload(env.GATEWAY_SECRET!, id, timestamp, body) },
    body,
  });
  if (res.status !== 200) throw new Error(`inbound upload answered ${res.status}: ${await res.text()}`);
  return (await res.json<{ fax_id: string }>()).fax_id;
}

export function waitForExtraction(key: string, faxId: string, timeoutMs = 20_000): Promise<Fax> {
  return waitForFax(key, faxId, (f) => !!f.ocr && f.ocr.status !== "pending" && !!f.extraction && f.extraction.status !== "pending", timeoutMs);
}

export interface PageText {
  page: number;
  status: string;
  text: string;
  error: string | null;
  attempts: number;
}

/** GET /v1/faxes/{id}/text's pages. */
export async function pageTexts(key: string, faxId: string): Promise<PageText[]> {
  return (await (await api(`/v1/faxes/${faxId}/text`, { key })).json<{ pages: PageText[] }>()).pages;
}

/** The OCR request Workers AI gets for one band of a page (`prompt` says which band). */
export function aiOcrRequest(model: string, systemPrompt: string, prompt: string) {
  return {
    model,
    inputs: {
      messages: [
        { role: "system", content: systemPrompt },
        {
          role: "user",
          content: [
            { type: "text", text: prompt },
            { type: "image_url", image_url: { url: expect.stringMatching(/^data:image\/png;base64,[A-Za-z0-9+/=]+$/) } },
          ],
        },
      ],
      max_tokens: 2048,
      temperature: 0,
    },
  };
}

export interface AiCall {
  model: string;
  inputs: Record<string, any>;
}

/** A fake AI binding: records every request and answers through `answer` (which may throw like the real binding). */
export class FakeAi {
  readonly calls: AiCall[] = [];
  constructor(private readonly answer: (call: AiCall, index: number) => unknown | Promise<unknown>) {}
  async run(model: string, inputs: Record<string, any>): Promise<unknown> {
    const call = { model, inputs: structuredClone(inputs) };
    this.calls.push(call);
    return this.answer(call, this.calls.length - 1);
  }
  ocrCalls(): AiCall[] {
    return this.calls.filter((c) => !c.inputs.response_format);
  }
  extractionCalls(): AiCall[] {
    return this.calls.filter((c) => !!c.inputs.response_format);
  }
}

/** Workers AI's answer shape for llama-4-scout (a text response with usage). */
export function aiText(response: unknown) {
  return { response, tool_calls: [], usage: { prompt_tokens: 1200, completion_tokens: 80, total_tokens: 1280 } };
}

/** How the binding fails when JSON mode cannot be met (InferenceUpstreamError, code 5024). */
export function jsonModeError(): Error {
  return Object.assign(new Error("5024: JSON Mode couldn't be met"), { name: "InferenceUpstreamError" });
}

type MutableEnv = Record<string, unknown>;
const saved = new Map<string, unknown>();

/** Sets Worker vars and bindings for this test (the pool shares one env object with the Worker); restoreEnv undoes it. */
export function useEnv(values: Record<string, unknown>): void {
  const target = env as unknown as MutableEnv;
  for (const [k, v] of Object.entries(values)) {
    if (!saved.has(k)) saved.set(k, target[k]);
    target[k] = v;
  }
}

export function restoreEnv(): void {
  const target = env as unknown as MutableEnv;
  for (const [k, v] of saved) target[k] = v;
  saved.clear();
}

/** Decodes a PNG data URL's width and height (IHDR). */
export function pngSize(dataUrl: string): { width: number; height: number } {
  const b64 = dataUrl.replace(/^data:image\/png;base64,/, "");
  const bytes = Uint8Array.from(atob(b64.slice(0, 64)), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export const OCR_SECRET = "whsec_dGVzdC1vY3Itc2VjcmV0LTAxMjM0NTY3ODk=";

export interface OcrServiceCall {
  request: OcrPageRequest;
  /** The Standard Webhooks signature checked out with OCR_SECRET. */
  verified: boolean;
}

/**
 * A fake local OCR service at http://ocr.test (the real one needs Node and tesseract.js): records each signed
 * page request and answers through `answer`, which may throw to act as a service that cannot be reached.
 * Also points the Worker at it (OCR_PROVIDER local, OCR_URL, OCR_SECRET); restoreEnv and vi.restoreAllMocks undo it.
 */
export function fakeOcrService(answer: (call: OcrServiceCall, index: number) => Response | Promise<Response>, vars: Record<string, unknown> = {}): OcrServiceCall[] {
  const calls: OcrServiceCall[] = [];
  const original = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).host !== "ocr.test") return original(input, init);
    const body = await request.text();
    let verified = true;
    try {
      new Webhook(OCR_SECRET).verify(body, Object.fromEntries(request.headers));
    } catch {
      verified = false;
    }
    expect(request.url).toBe("http://ocr.test/pages");
    const call = { request: JSON.parse(body) as OcrPageRequest, verified };
    calls.push(call);
    return answer(call, calls.length - 1);
  });
  useEnv({ OCR_PROVIDER: "local", OCR_URL: "http://ocr.test/", OCR_SECRET, ...vars });
  return calls;
}

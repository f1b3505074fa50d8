/** Test helpers: accounts with keys in the real local D1, and requests through the real Worker. */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { expect } from "vitest";
import { ledger } from "../../src/billing/ledger";
import { createAccountWithKey } from "../../src/db/account-store";
import { database } from "../../src/db/client";
import { provisionNumber } from "../../src/db/number-store";
import { faxObject } from "../../src/fax/fax-stub";
import type { Bitmap } from "../../src/codec/types";
import type { Fax } from "../../src/fax/schema";
import { toBase64 } from "../../src/lib/crypto";
import { signPayload } from "../../src/lib/signature";
import { callbackSecretSealer } from "../../src/webhooks/secrets";

export interface TestAccount {
  accountId: string;
  keyId: string;
  key: string;
  number: string;
  /** The callback secret shown with the key (it signs deliveries to a fax's webhook_url). */
  callbackSecret: string;
}

export async function createTestAccount(mode: "test" | "live" = "test", rateLimitPerMinute: number | null = 100_000): Promise<TestAccount> {
  const created = await createAccountWithKey(env.DB, { name: "Test", mode, rateLimitPerMinute, callbackSecret: callbackSecretSealer(env) });
  // Live accounts get a number of their own outside the operator's pool, so tests never exhaust it.
  const ownLiveNumber = `+1555702${String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10_000).padStart(4, "0")}`;
  const number = await provisionNumber(database(env.DB), created.accountId, mode, [ownLiveNumber], null);
  // A live ledger starts at zero credits (a test one starts funded): give it enough for any test's sends.
  if (mode === "live") await ledger(env, created.accountId, "live").append({ accountId: created.accountId, mode }, { kind: "grant", amount: 1_000, reference: "test:setup", description: "Test setup" });
  return { accountId: created.accountId, keyId: created.keyId, key: created.key, number: number?.number ?? "", callbackSecret: created.callbackSecret! };
}

export function api(path: string, init: RequestInit & { key?: string; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set("authorization", `Bearer ${init.key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return SELF.fetch(`https://fax.test${path}`, { ...init, headers, body });
}

export async function makePdf(pages = 1, text = "Hello fax"): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([612, 792]);
    page.drawText(`${text} — page ${i + 1}`, { x: 72, y: 700, size: 24, font });
  }
  return doc.save();
}

export async function pdfDocument(pages = 1) {
  return { content: toBase64(await makePdf(pages)), content_type: "application/pdf" as const };
}

export async function sendFax(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return api("/v1/faxes", { method: "POST", key, json: body, headers });
}

const FINAL = new Set(["delivered", "failed", "canceled", "received"]);

/** Polls until the fax reaches a final status (simulated time is compressed in tests). */
export async function waitForFinal(key: string, id: string, timeoutMs = 20_000): Promise<Fax> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(`/v1/faxes/${id}`, { key });
    expect(res.status).toBe(200);
    const fax = await res.json<Fax>();
    if (FINAL.has(fax.status)) return fax;
    if (Date.now() > deadline) throw new Error(`fax ${id} still ${fax.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls GET /v1/faxes/{id} until `done` holds, for at most `timeoutMs`. */
export async function waitForFax(key: string, id: string, done: (fax: Fax) => boolean, timeoutMs = 15_000): Promise<Fax> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fax = await (await api(`/v1/faxes/${id}`, { key })).json<Fax>();
    if (done(fax)) return fax;
    if (Date.now() > deadline) throw new Error(`fax ${id} did not reach the expected state: ${JSON.stringify(fax)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(typeof body.next).toBe("string");
  expect(body.type).toMatch(new RegExp(`/errors/${code.replace(/\./g, "\\.")}$`));
  return body;
}

/**
 * Rewrites a FaxObject's stored state, to put a fax where a crash, a lost message or a silent
 * gateway would leave it; the object re-reads its state on the next call.
 */
export async function rewriteFaxState(faxId: string, mutate: (stored: Record<string, any>) => void, options: { deleteAlarm?: boolean } = {}): Promise<void> {
  await runInDurableObject(faxObject(env, faxId), async (instance, state) => {
    const stored = (await state.storage.get<Record<string, any>>("state"))!;
    mutate(stored);
    await state.storage.put("state", stored);
    if (options.deleteAlarm) await state.storage.deleteAlarm();
    (instance as unknown as { state: unknown }).state = undefined;
  });
}

/** A message from the gateway to the Worker, signed with GATEWAY_SECRET as the gateway signs it. */
export async function gatewayPost(path: string, body: unknown, secret = env.GATEWAY_SECRET!): Promise<Response> {
  const text = JSON.stringify(body);
  const id = `msg_${crypto.randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": await signPayload(secret, id, timestamp, text) },
    body: text,
  });
}

/** A fax page with a pattern that depends on `seed`, so pages tell apart after a round trip. */
export function stripedPage(seed: number, height = 96): Bitmap {
  const width = 1728;
  const data = new Uint8Array((width / 8) * height);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 13) % 5 === 0 ? 0xf0 : 0;
  return { width, height, data };
}

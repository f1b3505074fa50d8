// Issue 13 point 5: each direction has its own documented shape. An inbound fax carries none of the sending
// fields, its call id is its own `call_id`, and `metadata` stays the user's (also for faxes stored before).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import "../../src/codec/worker";
import { writeTiff, type Bitmap } from "../../src/codec";
import { toBase64 } from "../../src/lib/crypto";
import { signPayload } from "../../src/lib/signature";
import { api, createTestAccount, pdfDocument, rewriteFaxState, sendFax, waitForFax, waitForFinal } from "./helpers";

const OUTBOUND_ONLY = ["pages_sent", "attempts", "max_attempts", "next_attempt_at", "last_error", "options", "header_text", "cover_page", "webhook_url", "send_at", "estimated_delivery", "resent_from"];
const INBOUND_KEYS = ["id", "direction", "mode", "status", "to", "from", "page_count", "call_id", "remote_ident", "image_downloaded", "ocr", "extraction", "error", "metadata", "external_user_id", "created_at", "updated_at", "completed_at", "purged_at"].sort();

function page(): Bitmap {
  const data = new Uint8Array((1728 / 8) * 96);
  for (let i = 0; i < data.length; i += 9) data[i] = 0xf0;
  return { width: 1728, height: 96, data };
}

async function receiveFax(number: string, callId: string): Promise<string> {
  const tiff = writeTiff([{ bitmap: page(), xResolution: 204, yResolution: 196 }], { scheme: "mh" });
  const text = JSON.stringify({ call_id: callId, caller: "+14155552671", callee: number, remote_ident: "REMOTE TSI", received_at: new Date().toISOString(), tiff: toBase64(tiff) });
  const id = `msg_${crypto.randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await api("/internal/gateway/inbound", {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": await signPayload(env.GATEWAY_SECRET!, id, timestamp, text) },
    body: text,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json<{ fax_id: string }>()).fax_id;
}

describe("a fax's shape follows its direction", () => {
  it("an inbound fax has the inbound shape everywhere: GET, both lists and its fax.received event", async () => {
    const account = await createTestAccount("live");
    const callId = `call-${crypto.randomUUID()}@192.0.2.7`;
    const id = await receiveFax(account.number, callId);
    // fax.received waits for the reading of the pages (no OCR service is configured here, so it fails fast).
    await waitForFax(account.key, id, (f) => f.ocr?.status !== "pending" && f.extraction?.status !== "pending");
    const one = await (await api(`/v1/faxes/${id}`, { key: account.key })).json<Record<string, unknown>>();
    const listed = (await (await api("/v1/faxes?direction=inbound", { key: account.key })).json<{ data: Record<string, unknown>[] }>()).data[0]!;
    const received = (await (await api("/v1/faxes/received", { key: account.key })).json<{ data: Record<string, unknown>[] }>()).data[0]!;
    const events = (await (await api(`/v1/faxes/${id}/events`, { key: account.key })).json<{ data: { type: string; data: { fax: Record<string, unknown> } }[] }>()).data;
    const event = events.find((e) => e.type === "fax.received")!.data.fax;
    for (const [where, fax] of Object.entries({ one, listed, received, event })) {
      expect(Object.keys(fax).sort(), where).toEqual(INBOUND_KEYS);
      for (const key of OUTBOUND_ONLY) expect(fax, where).not.toHaveProperty(key);
      expect(fax, where).toMatchObject({ direction: "inbound", status: "received", call_id: callId, metadata: {}, page_count: 1, image_downloaded: false });
    }
  });

  it("an inbound fax stored with the call id in metadata reads as before point 5 was fixed: call_id moved out", async () => {
    const account = await createTestAccount("live");
    const callId = `call-${crypto.randomUUID()}`;
    const id = await receiveFax(account.number, callId);
    await rewriteFaxState(id, (stored) => {
      delete stored.fax.call_id;
      stored.fax.metadata = { call_id: callId };
    });
    const fax = await (await api(`/v1/faxes/${id}`, { key: account.key })).json<Record<string, unknown>>();
    expect(fax).toMatchObject({ call_id: callId, metadata: {} });
  });

  it("an outbound fax has no inbound fields", async () => {
    const account = await createTestAccount();
    const created = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], metadata: { call_id: "mine" } })).json<Record<string, unknown>>();
    const fax = await waitForFinal(account.key, created.id as string);
    for (const shown of [created, fax as unknown as Record<string, unknown>]) {
      expect(shown).not.toHaveProperty("image_downloaded");
      expect(shown).not.toHaveProperty("call_id");
      expect(shown).not.toHaveProperty("ocr");
      expect(shown).not.toHaveProperty("extraction");
      expect(shown).toMatchObject({ direction: "outbound", external_user_id: null, purged_at: null });
      // A user's own metadata key named call_id is the user's.
      expect(shown.metadata).toEqual({ call_id: "mine" });
    }
  });

  it("/openapi.json documents both shapes as a union on direction", async () => {
    const spec = await (await api("/openapi.json")).json<{ components: { schemas: Record<string, any> } }>();
    const { Fax, InboundFax, OutboundFax } = spec.components.schemas;
    expect(Fax.discriminator?.propertyName).toBe("direction");
    expect(Fax.oneOf.map((s: { $ref: string }) => s.$ref).sort()).toEqual(["#/components/schemas/InboundFax", "#/components/schemas/OutboundFax"]);
    expect(Object.keys(InboundFax.properties).sort()).toEqual(INBOUND_KEYS);
    expect(OutboundFax.properties).toHaveProperty("pages_sent");
    expect(OutboundFax.properties).not.toHaveProperty("call_id");
  });
});

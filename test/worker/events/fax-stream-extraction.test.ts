// The fax stream of a received fax stays open for extraction (issue 18, wave-2 follow-up): fax.extracted,
// which the OCR pipeline emits after fax.received, is the stream's last event; a fax with no schema has its
// extraction skipped before fax.received, which then says so and ends the stream.
import { afterEach, describe, expect, it } from "vitest";
import { api, createTestAccount } from "../helpers";
import { aiText, barsPage, FakeAi, receiveFax, restoreEnv, useEnv } from "../inbound/fixtures";
import { SseReader } from "./sse";

const SCHEMA = { type: "object", properties: { patient_name: { type: "string" } } };

async function faxStream(key: string, faxId: string, lastEventId?: string): Promise<Response> {
  return api(`/v1/faxes/${faxId}/stream`, { key, headers: lastEventId ? { "last-event-id": lastEventId } : {} });
}

async function streamToEnd(key: string, faxId: string) {
  const res = await faxStream(key, faxId);
  expect(res.status).toBe(200);
  const sse = new SseReader(res);
  await sse.until(() => false, 25_000);
  expect(sse.ended).toBe(true);
  return sse.events().map((f) => ({ id: f.id, type: f.event, fax: JSON.parse(f.data).data.fax as { status: string; extraction: { status: string } | null } }));
}

afterEach(() => restoreEnv());

describe("the fax stream of a received fax", () => {
  it("stays open after fax.received and closes after fax.extracted", async () => {
    const account = await createTestAccount("live");
    expect((await api("/v1/settings", { method: "PATCH", key: account.key, json: { extraction_schema: SCHEMA } })).status).toBe(200);
    useEnv({ OCR_PROVIDER: "workers-ai", AI: new FakeAi((call) => aiText(call.inputs.response_format ? { patient_name: "Jane Doe" } : "Patient Name: Jane Doe")) });
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 600, 1), yResolution: 196 }]);
    const events = await streamToEnd(account.key, faxId);
    const types = events.map((e) => e.type);
    expect(types).toContain("fax.received");
    expect(types.at(-1)).toBe("fax.extracted");
    expect(types.indexOf("fax.received")).toBeLessThan(types.indexOf("fax.extracted"));
    expect(events.find((e) => e.type === "fax.received")!.fax.extraction!.status).toBe("pending");
    expect(events.at(-1)!.fax.extraction!.status).toBe("done");
    // Everything seen and the fax settled: reconnecting answers 204, which stops an EventSource.
    expect((await faxStream(account.key, faxId, events.at(-1)!.id)).status).toBe(204);
    // From fax.received on, the rest is fax.extracted and the close.
    const rest = new SseReader(await faxStream(account.key, faxId, events.find((e) => e.type === "fax.received")!.id));
    await rest.until(() => false);
    expect(rest.ended).toBe(true);
    expect(rest.events().map((f) => f.event)).toEqual(types.slice(types.indexOf("fax.received") + 1));
  }, 40_000);

  it("ends with fax.received, which says extraction was skipped, when there is no schema", async () => {
    const account = await createTestAccount("live");
    useEnv({ OCR_PROVIDER: "workers-ai", AI: new FakeAi(() => aiText("Some text")) });
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 600, 2), yResolution: 196 }]);
    const events = await streamToEnd(account.key, faxId);
    expect(events.at(-1)!.type).toBe("fax.received");
    expect(events.at(-1)!.fax.extraction!.status).toBe("skipped");
    expect(events.map((e) => e.type)).not.toContain("fax.extracted");
    const fax = await (await api(`/v1/faxes/${faxId}`, { key: account.key })).json<{ extraction: { status: string }; ocr: { status: string } }>();
    expect(fax.ocr.status).toBe("done");
    expect(fax.extraction.status).toBe("skipped");
  }, 40_000);
});

/**
 * The inbound pipeline end to end in workerd (issue 14 points 1-4): a fax arrives from the gateway, the real queue
 * runs the reading job, Workers AI is a fake that checks every request and answers as the real binding does.
 */
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import "../../../src/codec/worker";
import { readPbm } from "../../../src/codec";
import type { Fax } from "../../../src/fax/schema";
import { handleInboundJob } from "../../../src/inbound/pipeline";
import { EXTRACTION_SYSTEM_PROMPT, OCR_SYSTEM_PROMPT } from "../../../src/inbound/workers-ai";
import { fromBase64 } from "../../../src/lib/crypto";
import { api, createTestAccount, expectProblem, waitForFax, type TestAccount } from "../helpers";
import { aiOcrRequest, aiText, barsPage, FakeAi, fakeOcrService, FINE_ROWS, jsonModeError, pngSize, receiveFax, restoreEnv, useEnv, waitForExtraction, type AiCall } from "./fixtures";

const MODEL = "@cf/meta/llama-4-scout-17b-16e-instruct";
const SCHEMA = {
  type: "object",
  properties: {
    patient_name: { type: "string", description: "The patient's full name" },
    date_of_birth: { type: "string", format: "date" },
    claim_number: { type: "string" },
    total: { type: "number", description: "Invoice total" },
  },
};

interface TimelineEvent {
  type: string;
  data: Record<string, any>;
}

async function timeline(key: string, faxId: string): Promise<TimelineEvent[]> {
  return (await (await api(`/v1/faxes/${faxId}/events`, { key })).json<{ data: TimelineEvent[] }>()).data;
}

async function numberId(account: TestAccount): Promise<string> {
  const numbers = await (await api("/v1/numbers", { key: account.key })).json<{ data: { id: string; number: string }[] }>();
  return numbers.data.find((n) => n.number === account.number)!.id;
}

async function setSchema(account: TestAccount, schema: unknown): Promise<Response> {
  return api(`/v1/numbers/${await numberId(account)}/extraction-schema`, { method: "PUT", key: account.key, json: { extraction_schema: schema } });
}

const isOcrCall = (call: AiCall) => !call.inputs.response_format;

afterEach(() => {
  restoreEnv();
  vi.restoreAllMocks();
});

describe("the workers-ai provider", () => {
  it("reads every page through the vision model, extracts into the number's schema after a JSON-mode failure, and emits both events", async () => {
    const account = await createTestAccount("live");
    expect((await setSchema(account, SCHEMA)).status).toBe(200);
    // Page 2's second band is blank: the model answers with nothing.
    const pageTexts = ["Patient Name: Jane Doe\nDOB: 03/07/1980", "Invoice Total: $1,234.50", "Notes: [?] [?] next week", ""];
    let ocrAnswers = 0;
    let extractionAnswers = 0;
    const ai = new FakeAi((call) => {
      if (isOcrCall(call)) return aiText(pageTexts[ocrAnswers++]);
      return extractionAnswers++ === 0 ? Promise.reject(jsonModeError()) : aiText({ patient_name: "Jane Doe", date_of_birth: "03/07/1980", total: "$1,234.50", unasked: "dropped" });
    });
    // One page at a time: the fake answers in request order.
    useEnv({ OCR_PROVIDER: "workers-ai", AI: ai, OCR_PAGE_CONCURRENCY: "1" });

    // A fine page (two bands for the model) and a standard one (rows doubled: the same two bands).
    const faxId = await receiveFax(account.number, [
      { bitmap: barsPage(1728, FINE_ROWS, 1), yResolution: 196 },
      { bitmap: barsPage(1728, FINE_ROWS / 2, 2), yResolution: 98 },
    ]);
    const fax = await waitForExtraction(account.key, faxId);

    // OCR: exactly these requests, one per band, each a PNG data URL 1344 px across; bands cover the scaled page.
    const ocr = ai.ocrCalls();
    expect(ocr).toHaveLength(4);
    for (const [i, call] of ocr.entries()) {
      expect(call).toEqual(aiOcrRequest(MODEL, OCR_SYSTEM_PROMPT, `Part ${(i % 2) + 1} of 2 of a fax page, top to bottom. Transcribe it.`));
    }
    const sizes = ocr.map((c) => pngSize(c.inputs.messages[1].content[1].image_url.url));
    expect(sizes.every((s) => s.width === 1344 && s.height <= 1344)).toBe(true);
    expect(sizes[0]!.height + sizes[1]!.height).toBe(Math.round(FINE_ROWS * (1344 / 1728)));
    expect(sizes[2]!.height + sizes[3]!.height).toBe(Math.round(FINE_ROWS * (1344 / 1728)));

    // Extraction: the page text with the schema itself as response_format, retried once after "JSON Mode couldn't be met".
    const extraction = ai.extractionCalls();
    expect(extraction).toHaveLength(2);
    const text = "Patient Name: Jane Doe\nDOB: 03/07/1980\nInvoice Total: $1,234.50\n\f\nNotes: [?] [?] next week";
    for (const call of extraction) {
      expect(call).toEqual({
        model: MODEL,
        inputs: {
          messages: [
            { role: "system", content: EXTRACTION_SYSTEM_PROMPT },
            { role: "user", content: `The fax's text:\n\n${text}` },
          ],
          response_format: { type: "json_schema", json_schema: SCHEMA },
          max_tokens: 2048,
          temperature: 0,
        },
      });
    }

    // Page 2 had 2 of 5 words illegible: confidence 60, flagged. Dates become ISO 8601, numbers plain, missing fields null.
    expect(fax.ocr).toMatchObject({ status: "done", engine: MODEL, confidence: 80, pages_failed: [], pages_flagged: [2], detail: null });
    expect(fax.extraction).toMatchObject({
      status: "done",
      data: { patient_name: "Jane Doe", date_of_birth: "1980-03-07", claim_number: null, total: 1234.5 },
      schema_version: expect.stringMatching(/^sch_[0-9a-f]{12}$/),
      detail: "Answered on the retry.",
    });

    const events = await timeline(account.key, faxId);
    expect(events.map((e) => e.type)).toEqual(["fax.received", "fax.extracted"]);
    const received = events[0]!.data;
    expect(received).toMatchObject({ ocr_text: text, ocr_status: "done", ocr_text_truncated: false, page_count: 2, from: "+14155552671", to: account.number, remote_ident: "ACME CLINIC", external_user_id: null });
    const document = await SELF.fetch(new URL(new URL(received.document_url).pathname + new URL(received.document_url).search, "https://fax.test"));
    expect(document.status).toBe(200);
    expect(new TextDecoder().decode(new Uint8Array(await document.arrayBuffer()).slice(0, 5))).toBe("%PDF-");
    expect(events[1]!.data).toMatchObject({ extracted_data: fax.extraction!.data, extraction_status: "done", schema_version: fax.extraction!.schema_version });

    const pages = await (await api(`/v1/faxes/${faxId}/text`, { key: account.key })).json<{ pages: unknown[] }>();
    expect(pages.pages).toEqual([
      { page: 1, status: "done", text: pageTexts[0] + "\n" + pageTexts[1], confidence: 100, flagged: false, error: null, attempts: 1 },
      { page: 2, status: "done", text: pageTexts[2], confidence: 60, flagged: true, error: null, attempts: 1 },
    ]);

    // A redelivered job does nothing twice: no model call, no event.
    const calls = ai.calls.length;
    await handleInboundJob({ faxId, kind: "read" }, env);
    await handleInboundJob({ faxId, kind: "extract", run: 1 }, env);
    expect(ai.calls.length).toBe(calls);
    expect((await timeline(account.key, faxId)).map((e) => e.type)).toEqual(["fax.received", "fax.extracted"]);
  });

  it("fails extraction after JSON mode fails twice: every field null, fax.extracted says failed", async () => {
    const account = await createTestAccount("live");
    await setSchema(account, SCHEMA);
    const ai = new FakeAi((call) => (isOcrCall(call) ? aiText("PATIENT: Ann Lee") : Promise.reject(jsonModeError())));
    useEnv({ OCR_PROVIDER: "workers-ai", AI: ai });
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 3), yResolution: 196 }]);
    const fax = await waitForExtraction(account.key, faxId);
    expect(ai.extractionCalls()).toHaveLength(2);
    expect(fax.extraction).toMatchObject({ status: "failed", data: { patient_name: null, date_of_birth: null, claim_number: null, total: null }, detail: expect.stringContaining("JSON Mode couldn't be met") });
    const events = await timeline(account.key, faxId);
    expect(events.map((e) => e.type)).toEqual(["fax.received", "fax.extracted"]);
    expect(events[1]!.data).toMatchObject({ extraction_status: "failed", extracted_data: { patient_name: null, date_of_birth: null, claim_number: null, total: null } });
  });

  it("answers off-schema values with null and retries an answer that is not a JSON object", async () => {
    const account = await createTestAccount("live");
    await setSchema(account, SCHEMA);
    let extraction = 0;
    const ai = new FakeAi((call) => {
      if (isOcrCall(call)) return aiText("x");
      return extraction++ === 0 ? aiText("Sure! Here is the JSON you asked for") : aiText(JSON.stringify({ patient_name: 42, date_of_birth: "not a date", total: "12 apples" }));
    });
    useEnv({ OCR_PROVIDER: "workers-ai", AI: ai });
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 4), yResolution: 196 }]);
    const fax = await waitForExtraction(account.key, faxId);
    expect(ai.extractionCalls()).toHaveLength(2);
    expect(fax.extraction).toMatchObject({ status: "done", data: { patient_name: "42", date_of_birth: null, claim_number: null, total: null } });
  });

  it("ends with a clear status when a page is damaged and another times out; no schema means no extraction", async () => {
    const account = await createTestAccount("live");
    const ai = new FakeAi((_call, index) => (index === 0 ? aiText("Page one text") : new Promise(() => {})));
    useEnv({ OCR_PROVIDER: "workers-ai", AI: ai, OCR_PAGE_TIMEOUT_SECONDS: "1" });
    const faxId = await receiveFax(account.number, [
      { bitmap: barsPage(1728, 800, 5), yResolution: 196 },
      { bitmap: barsPage(1728, 800, 6), yResolution: 196, damaged: true },
      { bitmap: barsPage(1728, 800, 7), yResolution: 196 },
    ]);
    const fax = await waitForExtraction(account.key, faxId);
    expect(fax.ocr).toMatchObject({ status: "done", pages_failed: [2, 3], detail: expect.stringContaining("2 of 3 pages could not be read") });
    expect(fax.extraction).toMatchObject({ status: "skipped", data: null });
    const pages = (await (await api(`/v1/faxes/${faxId}/text`, { key: account.key })).json<{ pages: { page: number; status: string; error: string | null }[] }>()).pages;
    expect(pages.map((p) => [p.page, p.status])).toEqual([
      [1, "done"],
      [2, "failed"],
      [3, "failed"],
    ]);
    expect(pages[1]!.error).toMatch(/page 2 is damaged: \d+ of 800 rows could not be decoded/);
    expect(pages[2]!.error).toBe("the OCR engine did not answer within 1 s");
    expect(ai.calls).toHaveLength(2); // the damaged page never reached the model
    const events = await timeline(account.key, faxId);
    expect(events.map((e) => e.type)).toEqual(["fax.received"]);
    expect(events[0]!.data.ocr_text).toBe("Page one text");
  });

  it("sends fax.received without text at the deadline, once, when reading is slow", async () => {
    const account = await createTestAccount("live");
    const ai = new FakeAi(async () => {
      await new Promise((r) => setTimeout(r, 2_500));
      return aiText("Late text");
    });
    useEnv({ OCR_PROVIDER: "workers-ai", AI: ai, OCR_DEADLINE_SECONDS: "1" });
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 8), yResolution: 196 }]);
    const early = await waitForFax(account.key, faxId, () => true);
    expect(early.ocr?.status).toBe("pending");
    const deadline = Date.now() + 10_000;
    let events: TimelineEvent[] = [];
    while (Date.now() < deadline && events.length === 0) {
      events = await timeline(account.key, faxId);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(events.map((e) => e.type)).toEqual(["fax.received"]);
    expect(events[0]!.data).toMatchObject({ ocr_text: null, ocr_status: "pending" });
    const read = await waitForExtraction(account.key, faxId);
    expect(read.ocr?.status).toBe("done");
    expect((await timeline(account.key, faxId)).map((e) => e.type)).toEqual(["fax.received"]);
    expect((await (await api(`/v1/faxes/${faxId}/text`, { key: account.key })).json<{ pages: { text: string }[] }>()).pages[0]!.text).toBe("Late text");
  });

  it("fails every page with a clear detail when the AI binding is missing", async () => {
    const account = await createTestAccount("live");
    useEnv({ OCR_PROVIDER: "workers-ai", AI: undefined });
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 9), yResolution: 196 }]);
    const fax = await waitForExtraction(account.key, faxId);
    expect(fax.ocr).toMatchObject({ status: "failed", pages_failed: [1], detail: expect.stringContaining("the AI binding is missing") });
  });
});

describe("the local provider", () => {
  it("posts each page signed to the OCR service as PBM, then extracts by the labels forms print", async () => {
    const account = await createTestAccount("live");
    await setSchema(account, SCHEMA);
    const requests = fakeOcrService(() => Response.json({ text: "PATIENT: John Q Public        Birth Date: 12/31/1975\nClaim #: CLM-2291\nAmount Due: 88.00", confidence: 71.5, engine: "tesseract.js test", ms: 3 }));
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 1100, 10), yResolution: 98 }]);
    const fax = await waitForExtraction(account.key, faxId);

    expect(requests).toHaveLength(1);
    const { request, verified } = requests[0]!;
    expect(verified).toBe(true);
    expect(request).toMatchObject({ fax_id: faxId, page: 1, x_resolution: 204, y_resolution: 98 });
    const [pbm] = readPbm(fromBase64(request.pbm));
    expect(pbm).toEqual(barsPage(1728, 1100, 10));

    expect(fax.ocr).toMatchObject({ status: "done", engine: "tesseract.js test", confidence: 71.5, pages_flagged: [1] });
    expect(fax.extraction).toMatchObject({ status: "done", data: { patient_name: "John Q Public", date_of_birth: "1975-12-31", claim_number: "CLM-2291", total: null } });

    // A schema change, then POST /extract: a new run with the new version, and fax.extracted again.
    const before = fax.extraction!.schema_version;
    await setSchema(account, { ...SCHEMA, properties: { ...SCHEMA.properties, amount_due: { type: "number" } } });
    const queued = await api(`/v1/faxes/${faxId}/extract`, { method: "POST", key: account.key });
    expect(queued.status).toBe(202);
    expect((await queued.json<{ extraction: { status: string } }>()).extraction.status).toBe("pending");
    const again = await waitForExtraction(account.key, faxId);
    expect(again.extraction!.schema_version).not.toBe(before);
    expect(again.extraction!.data).toMatchObject({ amount_due: 88, patient_name: "John Q Public" });
    expect(requests).toHaveLength(1); // the pages were not read again
    expect((await timeline(account.key, faxId)).map((e) => e.type)).toEqual(["fax.received", "fax.extracted", "fax.extracted"]);
    // A stale run's result is refused.
    await handleInboundJob({ faxId, kind: "extract", run: 1 }, env);
    expect((await timeline(account.key, faxId)).length).toBe(3);
  });
});

describe("text and search", () => {
  it("searches OCR text, sender and remote ident with FTS5, ranked, with a snippet; hostile input is plain text; other accounts see nothing", async () => {
    const account = await createTestAccount("live");
    const texts = ["Referral for Margaret Okonkwo, cardiology consult", "Invoice 4471 from Okonkwo Supplies: total 20.00", "Nothing of note"];
    let n = 0;
    useEnv({ OCR_PROVIDER: "workers-ai", AI: new FakeAi(() => aiText(texts[n++ % texts.length])) });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 20 + i), yResolution: 196 }], `+1415555${2600 + i}`, i === 2 ? "OKONKWO LAW" : "CLINIC");
      await waitForExtraction(account.key, id);
      ids.push(id);
    }
    const search = async (q: string, key = account.key) => {
      const res = await api(`/v1/faxes/received?search_text=${encodeURIComponent(q)}`, { key });
      expect(res.status, await res.clone().text()).toBe(200);
      return res.json<{ data: (Fax & { search: { rank: number; snippet: string } })[]; has_more: boolean; next_cursor: string | null }>();
    };
    const okonkwo = await search("okonkwo");
    expect(okonkwo.data.map((f) => f.id).sort()).toEqual([...ids].sort());
    // The remote ident weighs more than page text.
    expect(okonkwo.data[0]!.id).toBe(ids[2]);
    expect(okonkwo.data.every((f, i, all) => i === 0 || all[i - 1]!.search.rank <= f.search.rank)).toBe(true);
    const referral = await search("cardiology margaret");
    expect(referral.data.map((f) => f.id)).toEqual([ids[0]]);
    expect(referral.data[0]!.search.snippet).toContain("[Margaret]");
    expect((await search("cardio")).data.map((f) => f.id)).toEqual([ids[0]]); // the last word matches as a prefix
    expect((await search("4155552601")).data.map((f) => f.id)).toEqual([ids[1]]); // national digits of the sender

    // Paging by rank.
    const first = await api(`/v1/faxes/received?search_text=okonkwo&limit=2`, { key: account.key });
    const page1 = await first.json<{ data: Fax[]; next_cursor: string }>();
    expect(page1.data).toHaveLength(2);
    const page2 = await (await api(`/v1/faxes/received?search_text=okonkwo&limit=2&cursor=${page1.next_cursor}`, { key: account.key })).json<{ data: Fax[]; has_more: boolean }>();
    expect([...page1.data, ...page2.data].map((f) => f.id).sort()).toEqual([...ids].sort());
    expect(page2.has_more).toBe(false);

    // FTS5 syntax is plain text: never an error, never a broader match.
    for (const hostile of ['"', '""', "*", "okonkwo OR nothing", "NOT okonkwo", "body:okonkwo", "okon*", "NEAR(okonkwo margaret)", "^okonkwo", "-", "'); DROP TABLE faxes; --", "\u0000", "🙂", "a".repeat(200)]) {
      const result = await search(hostile);
      expect(Array.isArray(result.data)).toBe(true);
    }
    expect((await search("okonkwo OR nothing")).data).toEqual([]); // "or" and "nothing" are words to match, not operators
    expect((await search("body:okonkwo")).data.map((f) => f.id).sort()).toEqual([]); // "body" is a word, not a column filter

    // Another account: nothing of it, not its text either.
    const other = await createTestAccount("live");
    expect((await search("okonkwo", other.key)).data).toEqual([]);
    await expectProblem(await api(`/v1/faxes/${ids[0]}/text`, { key: other.key }), 404, "fax.not_found");
    await expectProblem(await api(`/v1/faxes/${ids[0]}/extract`, { method: "POST", key: other.key }), 404, "fax.not_found");
  });

  it("refuses text and extraction for a fax that was not received", async () => {
    const account = await createTestAccount("test");
    const sent = await (await api("/v1/faxes", { method: "POST", key: account.key, json: { to: "+15550100001", cover_page: { subject: "x" } } })).json<{ id: string }>();
    await waitForFax(account.key, sent.id, (f) => f.status !== "queued");
    await expectProblem(await api(`/v1/faxes/${sent.id}/text`, { key: account.key }), 409, "fax.not_received");
    await expectProblem(await api(`/v1/faxes/${sent.id}/extract`, { method: "POST", key: account.key }), 409, "fax.not_received");
  });
});

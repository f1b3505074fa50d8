/**
 * How a received fax's pages are read (issue 14 point 1): several pages at once (OCR_PAGE_CONCURRENCY), so a
 * long fax is not read one page after another; and a page the OCR service cannot take (unreachable, 5xx) is
 * read again by a later queue job with a growing delay, shown as `retrying`, and fails after OCR_PAGE_ATTEMPTS.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Fax } from "../../../src/fax/schema";
import { api, createTestAccount, waitForFax } from "../helpers";
import { barsPage, fakeOcrService, pageTexts, receiveFax, restoreEnv, waitForExtraction, type PageText } from "./fixtures";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const engineAnswer = (text: string) => Response.json({ text, confidence: 95, engine: "tesseract.js test", ms: 1 });

afterEach(() => {
  restoreEnv();
  vi.restoreAllMocks();
});

describe("reading a received fax's pages", () => {
  it("reads OCR_PAGE_CONCURRENCY pages at a time and keeps the text in page order", async () => {
    const account = await createTestAccount("live");
    let inFlight = 0;
    let mostInFlight = 0;
    let [firstStart, lastEnd] = [Infinity, 0];
    const calls = fakeOcrService(
      async (call) => {
        inFlight++;
        firstStart = Math.min(firstStart, Date.now());
        mostInFlight = Math.max(mostInFlight, inFlight);
        // Later pages answer sooner: the order of answers is not the order of pages.
        await sleep(400 - call.request.page * 25);
        inFlight--;
        lastEnd = Date.now();
        return engineAnswer(`Text of page ${call.request.page}`);
      },
      { OCR_PAGE_CONCURRENCY: "3" },
    );
    const pages = Array.from({ length: 10 }, (_, i) => ({ bitmap: barsPage(1728, 400, 40 + i), yResolution: 98 as const }));
    const faxId = await receiveFax(account.number, pages);
    const fax = await waitForExtraction(account.key, faxId);

    expect(mostInFlight).toBe(3);
    expect(calls.map((c) => c.request.page).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(calls.every((c) => c.verified)).toBe(true);
    // The engine's answers take 2.6 s in all (375 ms for page 1 down to 150 ms for page 10): three at a time, about 0.9 s.
    expect(lastEnd - firstStart).toBeLessThan(1_800);
    expect(fax.ocr).toMatchObject({ status: "done", pages_failed: [] });
    const texts = await pageTexts(account.key, faxId);
    expect(texts.map((p) => [p.page, p.status, p.text, p.attempts])).toEqual(pages.map((_, i) => [i + 1, "done", `Text of page ${i + 1}`, 1]));
    const events = (await (await api(`/v1/faxes/${faxId}/events`, { key: account.key })).json<{ data: { type: string; data: { ocr_text: string } }[] }>()).data;
    expect(events[0]!.data.ocr_text).toBe(pages.map((_, i) => `Text of page ${i + 1}`).join("\n\f\n"));
  });

  it("reads again, later, the pages the OCR service could not take, and fails a page after OCR_PAGE_ATTEMPTS", async () => {
    const account = await createTestAccount("live");
    // Attempt 1: the service is down for both pages. Attempt 2: page 1 is read, page 2 gets a 503, and keeps getting it.
    const calls = fakeOcrService(
      (call, index) => {
        if (index < 2) throw new TypeError("Network connection lost.");
        return call.request.page === 1 ? engineAnswer("Page one, at last") : new Response("upstream busy", { status: 503 });
      },
      { OCR_PAGE_ATTEMPTS: "3", OCR_RETRY_SECONDS: "1" },
    );
    const faxId = await receiveFax(account.number, [
      { bitmap: barsPage(1728, 400, 60), yResolution: 98 },
      { bitmap: barsPage(1728, 400, 61), yResolution: 98 },
    ]);

    // While it waits for a retry, each page says so, with its attempts, and the ocr stage is still pending.
    let waiting: PageText[] = [];
    for (let i = 0; i < 200 && !(waiting.length === 2 && waiting.every((p) => p.status === "retrying")); i++) {
      waiting = await pageTexts(account.key, faxId);
      if (waiting.length < 2) await sleep(20);
    }
    expect(waiting.map((p) => [p.page, p.status, p.attempts])).toEqual([
      [1, "retrying", 1],
      [2, "retrying", 1],
    ]);
    expect(waiting[0]!.error).toBe("the OCR service could not be reached: Network connection lost.");
    const pending = await waitForFax(account.key, faxId, () => true);
    expect(pending.ocr?.status).toBe("pending");
    expect(calls).toHaveLength(2); // no retry before its delay

    const fax: Fax = await waitForExtraction(account.key, faxId);
    expect(calls.map((c) => c.request.page).sort()).toEqual([1, 1, 2, 2, 2]);
    expect(fax.ocr).toMatchObject({ status: "done", pages_failed: [2], detail: expect.stringContaining("1 of 2 pages could not be read") });
    const texts = await pageTexts(account.key, faxId);
    expect(texts.map((p) => [p.page, p.status, p.text, p.attempts])).toEqual([
      [1, "done", "Page one, at last", 2],
      [2, "failed", "", 3],
    ]);
    expect(texts[1]!.error).toBe("the OCR service answered 503: upstream busy (3 attempts)");
  });

  it("fails the reading once no page could be read after OCR_PAGE_ATTEMPTS, and refuses nothing twice", async () => {
    const account = await createTestAccount("live");
    const calls = fakeOcrService(
      () => {
        throw new TypeError("connect ECONNREFUSED 127.0.0.1:8790");
      },
      { OCR_PAGE_ATTEMPTS: "2", OCR_RETRY_SECONDS: "1" },
    );
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 400, 62), yResolution: 196 }]);
    const fax = await waitForExtraction(account.key, faxId);
    expect(calls).toHaveLength(2);
    expect(fax.ocr).toMatchObject({ status: "failed", pages_failed: [1], detail: "1 of 1 pages could not be read: the OCR service could not be reached: connect ECONNREFUSED 127.0.0.1:8790 (2 attempts)" });
    const events = (await (await api(`/v1/faxes/${faxId}/events`, { key: account.key })).json<{ data: { type: string; data: { ocr_status: string; ocr_text: string } }[] }>()).data;
    expect(events.map((e) => e.type)).toEqual(["fax.received"]);
    expect(events[0]!.data).toMatchObject({ ocr_status: "failed", ocr_text: "" });
  });
});

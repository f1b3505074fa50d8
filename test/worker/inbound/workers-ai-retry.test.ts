/**
 * Workers AI's transient failures (out of capacity 3040, timeout 3007, a 5xx upstream, the network) make a page
 * `retrying` and a later queue job reads it again, like a page the local OCR service could not take; other
 * failures fail the page at once (issue 14 point 3 of session 3). The fake binding checks every request.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { isTransientAiError, OCR_SYSTEM_PROMPT } from "../../../src/inbound/workers-ai";
import { createTestAccount, waitForFax } from "../helpers";
import { aiOcrRequest, aiText, barsPage, FakeAi, jsonModeError, pageTexts, receiveFax, restoreEnv, useEnv, waitForExtraction, type PageText } from "./fixtures";

const MODEL = "@cf/meta/llama-4-scout-17b-16e-instruct";
const aiError = (message: string, name = "InferenceUpstreamError") => Object.assign(new Error(message), { name });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The one OCR request a single-band page sends, every time it is read. */
const ocrRequest = aiOcrRequest(MODEL, OCR_SYSTEM_PROMPT, "A fax page. Transcribe it.");

/** A 1-page fax read by a binding that always fails with `message`; resolves when its reading has settled. */
async function alwaysFailing(message: string, attempts: string, seed: number) {
  const account = await createTestAccount("live");
  const ai = new FakeAi(() => {
    throw aiError(message);
  });
  useEnv({ OCR_PROVIDER: "workers-ai", AI: ai, OCR_PAGE_ATTEMPTS: attempts, OCR_RETRY_SECONDS: "1" });
  const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, seed), yResolution: 196 }]);
  return { ai, fax: await waitForExtraction(account.key, faxId), pages: await pageTexts(account.key, faxId) };
}

afterEach(() => {
  restoreEnv();
  vi.restoreAllMocks();
});

describe("which Workers AI failures are worth another attempt", () => {
  it("retries capacity, timeouts, 5xx and the network; not a missing model, a too-large request, the daily limit or JSON mode", () => {
    for (const error of [
      aiError("3040: Capacity temporarily exceeded, please try again."),
      aiError("AiError: 3040: No more data centers to forward the request to"),
      aiError("3007: Request timeout"),
      aiError("internal error"),
      aiError("InferenceUpstreamError: 503 Service Unavailable"),
      aiError("Network connection lost.", "Error"),
      new TypeError("fetch failed"),
    ])
      expect(isTransientAiError(error), error.message).toBe(true);
    for (const error of [
      aiError("5007: No such model @cf/none or task"),
      aiError("3006: Request is too large"),
      aiError("3036: You have used up your daily free allocation of 10,000 neurons."),
      jsonModeError(),
      new Error("Workers AI answered without text"),
      "a string thrown",
    ])
      expect(isTransientAiError(error), String(error)).toBe(false);
  });
});

describe("the workers-ai provider's transient failures", () => {
  it("make the page retrying, read again after OCR_RETRY_SECONDS with the same request, until it is read", async () => {
    const account = await createTestAccount("live");
    const ai = new FakeAi((_call, index) => {
      if (index === 0) throw aiError("3040: Capacity temporarily exceeded, please try again.");
      if (index === 1) throw aiError("Network connection lost.", "Error");
      return aiText("Patient Name: Jane Doe");
    });
    useEnv({ OCR_PROVIDER: "workers-ai", AI: ai, OCR_PAGE_ATTEMPTS: "3", OCR_RETRY_SECONDS: "1" });
    const faxId = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 70), yResolution: 196 }]);

    let waiting: PageText[] = [];
    for (let i = 0; i < 200 && waiting[0]?.status !== "retrying"; i++) {
      waiting = await pageTexts(account.key, faxId);
      if (waiting[0]?.status !== "retrying") await sleep(20);
    }
    expect(waiting).toEqual([{ page: 1, status: "retrying", text: "", confidence: null, flagged: false, attempts: 1, error: "Workers AI could not take the page: 3040: Capacity temporarily exceeded, please try again." }]);
    expect((await waitForFax(account.key, faxId, () => true)).ocr?.status).toBe("pending");

    const fax = await waitForExtraction(account.key, faxId);
    expect(ai.calls).toHaveLength(3);
    for (const call of ai.calls) expect(call).toEqual(ocrRequest);
    expect(ai.calls[2]!.inputs.messages[1].content[1].image_url.url).toBe(ai.calls[0]!.inputs.messages[1].content[1].image_url.url);
    expect(fax.ocr).toMatchObject({ status: "done", engine: MODEL, pages_failed: [], detail: null, confidence: 100 });
    // The page keeps the last failure it got over (as a page of the local service does).
    expect((await pageTexts(account.key, faxId)).map((p) => [p.status, p.text, p.attempts, p.error])).toEqual([["done", "Patient Name: Jane Doe", 3, "Workers AI could not take the page: Network connection lost."]]);
  });

  it("fails the page after OCR_PAGE_ATTEMPTS transient failures, with the attempts in its detail", async () => {
    const { ai, fax } = await alwaysFailing("3040: Capacity temporarily exceeded, please try again.", "2", 71);
    expect(ai.calls).toEqual([ocrRequest, ocrRequest]);
    expect(fax.ocr).toMatchObject({
      status: "failed",
      pages_failed: [1],
      detail: "1 of 1 pages could not be read: Workers AI could not take the page: 3040: Capacity temporarily exceeded, please try again. (2 attempts)",
    });
  });

  it("fails the page at once on a failure that would come again (no such model)", async () => {
    const { ai, fax, pages } = await alwaysFailing("5007: No such model @cf/meta/llama-4-scout-17b-16e-instruct or task", "3", 72);
    expect(ai.calls).toEqual([ocrRequest]);
    expect(fax.ocr).toMatchObject({ status: "failed", pages_failed: [1], detail: "1 of 1 pages could not be read: 5007: No such model @cf/meta/llama-4-scout-17b-16e-instruct or task" });
    expect(pages.map((p) => [p.status, p.attempts])).toEqual([["failed", 1]]);
  });
});

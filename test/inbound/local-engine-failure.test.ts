/**
 * The real engine's pool when a tesseract.js thread dies under a page (src/inbound/local-engine/engine.ts and
 * reading-pool.ts): the page is read by a fresh thread, and the next page too. The thread is stopped the moment
 * the page is posted to it (seen by wrapping worker_threads' postMessage), so it cannot have answered: no timing.
 */
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { startFaxOcrEngine, type FaxOcrEngine } from "../../src/inbound/local-engine/engine.js";
import { characterErrorRate, makeFaxForm } from "../fixtures/fax-forms.js";

const post = Worker.prototype.postMessage;
let engine: FaxOcrEngine | undefined;
afterAll(async () => {
  Worker.prototype.postMessage = post;
  await engine?.stop();
});

describe("the local OCR engine when a worker thread dies", () => {
  it("reads the page on a fresh worker and goes on reading", async () => {
    engine = await startFaxOcrEngine({ workers: 1 });
    const form = await makeFaxForm(1, "fine");
    const readers = new Set<Worker>();
    let killed = false;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: readonly never[]) {
      const result = post.call(this, message, transfer);
      if ((message as { action?: string } | null)?.action === "recognize") {
        readers.add(this);
        if (!killed) {
          killed = true;
          void this.terminate();
        }
      }
      return result;
    };
    const reading = await engine.read(form.page);
    // The page went to the thread that was stopped, then to the one that replaced it.
    expect(readers.size).toBe(2);
    expect(characterErrorRate(form.lines, reading.text), reading.text).toBeLessThanOrEqual(0.01);
    const next = await engine.read(form.page);
    expect(next.text).toBe(reading.text);
    expect(readers.size).toBe(2);
  });
});

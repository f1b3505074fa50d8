/**
 * Progressive rendering in Node, and the ahead-of-time callback module that gives workerd the same: a page
 * that runs past `maxPageMs` is abandoned between PDFium's steps, not after the page. (The Worker suite,
 * test/worker/render/guards.test.ts, checks the same inside workerd.)
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import "../../src/codec/node.js";
import { RenderError } from "../../src/fax/render/errors.js";
import { renderPdfToFax } from "../../src/fax/render/pdf-to-fax.js";
import { nodePdfium, PDFIUM_WASM_URL } from "../../src/fax/render/pdfium-node.js";
import { PdfiumHolder } from "../../src/fax/render/pdfium.js";
import { pdfWithManyPaths, steppingClock } from "../fixtures/render-deadline.js";

const compile = (bytes: Uint8Array) => new (WebAssembly.Module as unknown as new (b: Uint8Array) => WebAssembly.Module)(bytes);
const callbackBytes = readFileSync(new URL("../../src/fax/render/pause-callback.wasm", import.meta.url));

describe("pause-callback.wasm", () => {
  it("is the module its comment describes: one import e.f (i32) -> i32, re-exported as f", () => {
    const module = compile(callbackBytes);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "e", name: "f", kind: "function" }]);
    expect(WebAssembly.Module.exports(module)).toEqual([{ name: "f", kind: "function" }]);
    const seen: number[] = [];
    const { f } = new WebAssembly.Instance(module, { e: { f: (x: number) => (seen.push(x), x + 1) } }).exports as { f: (x: number) => number };
    expect(f(41)).toBe(42);
    expect(seen).toEqual([41]);
  });
});

describe("a page past the time limit", () => {
  const holders: [string, PdfiumHolder][] = [
    ["Node (Emscripten's own callback)", nodePdfium],
    [
      "the callback module workerd uses",
      new PdfiumHolder(() => ({ bytes: readFileSync(PDFIUM_WASM_URL), callbackModule: compile(callbackBytes) })),
    ],
  ];
  for (const [name, holder] of holders) {
    it(`is abandoned mid-page: ${name}`, async () => {
      const pdf = await pdfWithManyPaths(2000);
      const calm = steppingClock(Number.POSITIVE_INFINITY, 0);
      expect((await renderPdfToFax(holder, pdf, { resolution: "fine", imageConversion: "auto", header: null, now: calm.now })).pageCount).toBe(1);
      expect(calm.readings()).toBeGreaterThan(6);
      const clock = steppingClock(3, 60_000);
      const error = await renderPdfToFax(holder, pdf, { resolution: "fine", imageConversion: "auto", header: null, limits: { maxPageMs: 10_000 }, now: clock.now }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RenderError);
      expect(error).toMatchObject({ code: "document.unreadable" });
      expect((error as RenderError).detail).toMatch(/Page 1 took longer than 10 s/);
      expect(clock.readings()).toBe(4);
      // PDFium stays usable after an abandoned page.
      expect((await renderPdfToFax(holder, pdf, { resolution: "standard", imageConversion: "auto", header: null })).pageCount).toBe(1);
    });
  }
});

// The gateway streams an outbound TIFF-F into the call page by page (issue 18 point 1): pagesFromTiff decodes
// each page when the T.30 engine first asks for it and lets sent pages go, so page 1 is coded and on the line
// before the last page is decoded. Checked by the order of decodes and page codings in a whole call, our
// sender against our receiver over the in-memory T.38 loopback.
import { describe, expect, it } from "vitest";
import { writeTiff } from "../../../src/codec/index.js";
import { pagesFromTiff } from "../../../src/gateway/service/outbound.js";
import { loadCodecCoder, type PageCoder } from "../../../src/gateway/t30/page-coding.js";
import { runPair } from "../t30/harness.js";
import { testBitmap } from "../t30/pages.js";

const DPI = { standard: 98, fine: 196 } as const;

function tiffOf(resolutions: ("standard" | "fine")[]): Uint8Array {
  return writeTiff(
    resolutions.map((r, i) => ({ bitmap: testBitmap(i + 1, r === "fine" ? 480 : 240), xResolution: 204, yResolution: DPI[r] })),
    { scheme: "mh" },
  );
}

/** Sends the TIFF through pagesFromTiff and returns the call's outcome with the order of decodes and codings. */
async function sendStreamed(tiff: Uint8Array, ecm: boolean) {
  const order: string[] = [];
  const pages = pagesFromTiff(tiff, (index) => order.push(`decode ${index + 1}`));
  const codec = await loadCodecCoder();
  let coded = 0;
  const coder: PageCoder = { decode: codec.decode, encode: (bitmap, params) => (order.push(`code ${++coded}`), codec.encode(bitmap, params)) };
  const result = await runPair({ role: "sender", callingParty: true, pages, ecm, coder }, { role: "receiver", callingParty: false, ecm });
  return { result, order, pages };
}

describe("pagesFromTiff in a call", () => {
  it("decodes page 1 before dialling and each later page only as the page before it is coded (ECM)", async () => {
    const tiff = tiffOf(["fine", "fine", "fine", "fine", "fine"]);
    const { result, order, pages } = await sendStreamed(tiff, true);
    expect(result.sender.success, result.sender.t30Result).toBe(true);
    expect(result.receiver.pages).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect(result.receiver.pages[i]!.bitmap.data).toEqual(testBitmap(i + 1, 480).data);
    // Page 1 was decoded when the source was opened; page n+1 when page n was coded (the engine looks one
    // page ahead for MPS or EOP), so page 1 was on the line before page 5 existed as a bitmap.
    expect(order).toEqual(["decode 1", "code 1", "decode 2", "code 2", "decode 3", "code 3", "decode 4", "code 4", "decode 5", "code 5"]);
    // Sent pages are let go: only the last two are still held.
    expect(() => pages.page(2)).toThrow(/let go/);
    expect(pages.page(3).resolution).toBe("fine");
  });

  it("streams without ECM too, across a change of resolution (EOM back to phase B)", async () => {
    const tiff = tiffOf(["standard", "standard", "fine"]);
    const { result, order } = await sendStreamed(tiff, false);
    expect(result.sender.success, result.sender.t30Result).toBe(true);
    expect(result.receiver.pages.map((p) => p.resolution)).toEqual(["standard", "standard", "fine"]);
    expect(result.frames("a")).toContain("EOM");
    expect(order.indexOf("code 1")).toBeLessThan(order.indexOf("decode 3"));
    expect(order.filter((o) => o.startsWith("decode"))).toEqual(["decode 1", "decode 2", "decode 3"]);
  });

  it("checks the whole file before the first page and refuses reads out of order", () => {
    expect(() => pagesFromTiff(new Uint8Array([0x49, 0x49, 42, 0, 99, 0, 0, 0]))).toThrow();
    const decoded: number[] = [];
    const pages = pagesFromTiff(tiffOf(["standard", "standard", "standard"]), (i) => decoded.push(i));
    expect(pages.count).toBe(3);
    expect(decoded).toEqual([0]);
    expect(() => pages.page(3)).toThrow(RangeError);
    pages.page(2);
    expect(decoded).toEqual([0, 1, 2]);
    expect(() => pages.page(0)).toThrow(/let go/);
  });
});

// Decoding a long TIFF-F one page at a time (issue 18 point 4): decodeTiffPages yields the same pages as
// readTiff, lazily, and the codec CLI's decode of 200 fine pages holds one page's bitmap, not all 200
// (peak RSS measured in a child against the same CLI decoding one page).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeTiffPages, readTiff, writeTiff } from "../../src/codec/node";
import { styledBitmap } from "../fixtures/bitmaps";

const work = mkdtempSync(join(tmpdir(), "edgefax-stream-decode-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fine = { xResolution: 204, yResolution: 196 };

function peakRssMib(tiff: string): number {
  const child = spawnSync(process.execPath, ["--import", "tsx", "--import", "./bench/peak-rss.mjs", "src/codec/cli.ts", "decode", tiff, join(work, "out.pbm")], { encoding: "utf8" });
  expect(child.status, child.stderr).toBe(0);
  return Number(/peak_rss_mib=(\d+)/.exec(child.stderr)![1]);
}

describe("decodeTiffPages", () => {
  it("yields the pages readTiff returns, one at a time, and checks the file before the first", () => {
    const pages = [0, 1, 2].map((seed) => ({ bitmap: styledBitmap("runs", 1728, 300, seed), ...fine }));
    const tiff = writeTiff(pages, { scheme: "mh" });
    const iterator = decodeTiffPages(tiff);
    const first = iterator.next();
    expect(first.done).toBe(false);
    expect([first.value, ...iterator]).toEqual(readTiff(tiff));
    expect(() => decodeTiffPages(new Uint8Array([0x49, 0x49, 42, 0, 99, 0, 0, 0])).next()).toThrow();
  });

  it("lets the codec CLI decode 200 fine pages in little more memory than one", () => {
    const page = { bitmap: styledBitmap("runs", 1728, 2200, 7, 0.05), ...fine };
    const bitmapMib = (216 * 2200 * 200) / 2 ** 20; // 90.6 MiB of bitmaps, and as much again of PBM, if held at once
    writeFileSync(join(work, "one.tif"), writeTiff([page], { scheme: "mh" }));
    writeFileSync(join(work, "many.tif"), writeTiff(Array.from({ length: 200 }, () => page), { scheme: "mh" }));
    const one = peakRssMib(join(work, "one.tif"));
    const many = peakRssMib(join(work, "many.tif"));
    console.log(`codec decode peak RSS: 1 page ${one} MiB, 200 pages ${many} MiB (${bitmapMib.toFixed(0)} MiB of bitmaps)`);
    expect(readFileSync(join(work, "out.pbm")).length).toBeGreaterThan(200 * 216 * 2200);
    // Holding every page (as readTiff and one writePbm did) costs the bitmaps and the PBM: 2 × 91 MiB over one page.
    expect(many - one).toBeLessThan(bitmapMib);
  }, 120_000);
});

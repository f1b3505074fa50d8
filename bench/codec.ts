/**
 * `npm run bench:codec`: pages per second of our codec beside libtiff's tiffcp, on the same pages, in one run.
 *
 * Pages: 104 generated A4 fax pages (test/fixtures/pages.ts, seeds 1..13): text, dense small print, a cover
 * sheet and a dithered photo, each at standard (1728 x 1143) and fine (1728 x 2287) resolution.
 *
 * Method (per scheme mh = G3 1-D, mr = G3 2-D, mmr = G4), wall-clock, median of RUNS repetitions, ours and tiffcp
 * interleaved within each repetition so that other load on the machine falls on both alike:
 * - ours, encode: writeTiff(all 104 pages) in this Node process (bitmap -> coded strips -> a TIFF file in memory).
 *   ours, decode: readTiff(that file) (TIFF parse, strip decode -> bitmaps). Warm-up passes first, so JIT and
 *   WASM compilation are not counted; nothing touches the disk.
 * - libtiff, encode: `tiffcp -c <g3:1d|g3:2d|g4> all.none.tif out.tif` (uncompressed 104-page TIFF in, coded out);
 *   libtiff, decode: `tiffcp -c none out.tif back.tif`. Each is timed as the process's wall time minus the wall
 *   time of the same command on a 1-page file (process start, libtiff init, one page), then divided by 103 pages.
 *   tiffcp reads and writes files (in the page cache on tmpfs/disk), which we do not: that costs it a little
 *   memcpy-level time per page, stated here rather than hidden. tiffcp's strips follow its default RowsPerStrip
 *   (8 KiB strips for none, whole page for fax codings), so it does not pay extra per strip.
 * - ratio = our pages/s / tiffcp's pages/s; >= 1.0 meets the target.
 * - memory: the codec's WASM linear memory after the runs, minus the largest page bitmap it has held.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codecMemoryBytes, readTiff, writeTiff } from "../src/codec/node.js";
import type { CodingScheme } from "../src/codec/index.js";
import { fixturePages, uncompressedTiff } from "../test/fixtures/pages.js";
import type { FixturePage } from "../test/fixtures/pages.js";

const RUNS = 7;
const SEEDS = 13;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timeIt(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function wall(cmd: string, args: string[]): number {
  return timeIt(() => execFileSync(cmd, args, { stdio: "ignore" }));
}

const dir = mkdtempSync(join(tmpdir(), "edgefax-bench-"));
try {
  const pages: FixturePage[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) pages.push(...fixturePages(seed));
  const n = pages.length;
  const allNone = join(dir, "all.none.tif");
  const oneNone = join(dir, "one.none.tif");
  writeFileSync(allNone, uncompressedTiff(pages));
  writeFileSync(oneNone, uncompressedTiff(pages.slice(0, 1)));
  const bitmapBytes = Math.max(...pages.map((p) => p.bitmap.data.length));
  const rawMiB = pages.reduce((s, p) => s + p.bitmap.data.length, 0) / 2 ** 20;
  console.log(`# ${n} pages (${rawMiB.toFixed(1)} MiB of 1-bit bitmaps), median of ${RUNS} runs, Node ${process.version}`);

  const rows: string[][] = [];
  const libFlag: Record<CodingScheme, string> = { mh: "g3:1d", mr: "g3:2d", mmr: "g4" };
  for (const scheme of ["mh", "mr", "mmr"] as CodingScheme[]) {
    const input = pages.map((p) => ({ bitmap: p.bitmap, xResolution: p.xResolution, yResolution: p.yResolution }));
    let file = writeTiff(input, { scheme }); // warm-up: JIT, WASM tiers, memory growth
    for (let i = 0; i < 2; i++) readTiff(writeTiff(input, { scheme }));
    const check = readTiff(file);
    if (check.some((p, i) => p.badRows !== 0 || Buffer.compare(Buffer.from(p.bitmap.data), Buffer.from((pages[i] as FixturePage).bitmap.data)) !== 0)) {
      throw new Error(`${scheme}: round trip mismatch`);
    }
    const coded = join(dir, `all.${scheme}.tif`);
    const oneCoded = join(dir, `one.${scheme}.tif`);
    const back = join(dir, `back.${scheme}.tif`);
    execFileSync("tiffcp", ["-c", libFlag[scheme], oneNone, oneCoded]);
    execFileSync("tiffcp", ["-c", libFlag[scheme], allNone, coded]);
    // Interleaved, so that load from other processes on the machine falls on both sides alike.
    const ours = { enc: [] as number[], dec: [] as number[] };
    const lib = { enc: [] as number[], dec: [] as number[] };
    for (let r = 0; r < RUNS; r++) {
      ours.enc.push(timeIt(() => (file = writeTiff(input, { scheme }))));
      lib.enc.push(wall("tiffcp", ["-c", libFlag[scheme], allNone, coded]) - wall("tiffcp", ["-c", libFlag[scheme], oneNone, oneCoded]));
      ours.dec.push(timeIt(() => readTiff(file)));
      lib.dec.push(wall("tiffcp", ["-c", "none", coded, back]) - wall("tiffcp", ["-c", "none", oneCoded, back]));
    }
    const libSize = readFileSync(coded).length;
    const ourEncRate = (n / median(ours.enc)) * 1000;
    const ourDecRate = (n / median(ours.dec)) * 1000;
    const libEncRate = ((n - 1) / median(lib.enc)) * 1000;
    const libDecRate = ((n - 1) / median(lib.dec)) * 1000;
    rows.push([
      scheme,
      ourEncRate.toFixed(0),
      libEncRate.toFixed(0),
      (ourEncRate / libEncRate).toFixed(2),
      ourDecRate.toFixed(0),
      libDecRate.toFixed(0),
      (ourDecRate / libDecRate).toFixed(2),
      `${(file.length / 1024).toFixed(0)} / ${(libSize / 1024).toFixed(0)}`,
    ]);
  }

  const header = ["scheme", "enc ours p/s", "enc tiffcp p/s", "enc ratio", "dec ours p/s", "dec tiffcp p/s", "dec ratio", "file KiB ours / libtiff"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i] as number)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
  const memory = codecMemoryBytes();
  console.log(
    `codec WASM memory: ${(memory / 2 ** 20).toFixed(2)} MiB total; largest page bitmap ${(bitmapBytes / 2 ** 20).toFixed(2)} MiB; ` +
      `working memory beyond it ${((memory - bitmapBytes) / 2 ** 20).toFixed(2)} MiB (target < 4 MiB)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

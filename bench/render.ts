/**
 * `npm run bench:render`: pages per second of our render pipeline (PDFium WASM → 1-bit → header → MH → TIFF-F)
 * beside Ghostscript's tiffg4 device on the same PDF, in one run; plus the memory a 50-page render takes.
 *
 * Input: a 10-page US Letter text PDF made here with pdf-lib (45 lines of 10.5 pt Helvetica/Times per page).
 * Method, wall-clock, median of RUNS repetitions, ours and gs interleaved so load on the machine falls on both:
 * - ours: renderPdfToFax at fine resolution (204 × 196), image_conversion auto, header stamped, MH coding, the
 *   TIFF-F assembled in memory, in this Node process with PDFium already instantiated (as in a Worker isolate
 *   after its first fax). PDFium's instantiation is reported separately ("init").
 * - gs: `gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg4 -r204x196 -sOutputFile=OUT in.pdf`, the whole process (how it is
 *   used). Also shown: gs with its start-up subtracted (the same command on a 1-page PDF, scaled), the stricter
 *   comparison of per-page work alone.
 * - ratio = our pages/s ÷ gs pages/s; ≥ 1.0 meets the target.
 * - memory: the CLI renders a 50-page PDF in a child Node with --max-old-space-size=64 and reports the peak of
 *   JS heap + external memory (ArrayBuffers and both WASM memories: what a Worker isolate's 128 MB covers).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import "../src/codec/node.js";
import { renderPdfToFax } from "../src/fax/render/pdf-to-fax.js";
import { nodePdfium } from "../src/fax/render/pdfium-node.js";

const RUNS = 7;
const PAGES = 10;

async function textPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const fonts = [await doc.embedFont(StandardFonts.Helvetica), await doc.embedFont(StandardFonts.TimesRoman)];
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([612, 792]);
    for (let line = 0; line < 45; line++) {
      page.drawText(`Page ${i + 1}, line ${line + 1}: the quick brown fox jumps over the lazy dog. 0123456789 (${"abcdefghij".repeat(2)})`, {
        x: 50,
        y: 740 - line * 15.5,
        size: 10.5,
        font: fonts[line % 2]!,
      });
    }
  }
  return doc.save();
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const work = mkdtempSync(join(tmpdir(), "edgefax-bench-render-"));
try {
  const pdf = await textPdf(PAGES);
  const one = await textPdf(1);
  const pdfPath = join(work, "in.pdf");
  const onePath = join(work, "one.pdf");
  writeFileSync(pdfPath, pdf);
  writeFileSync(onePath, one);
  const gs = (input: string) =>
    execFileSync("gs", ["-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=tiffg4", "-r204x196", `-sOutputFile=${join(work, "gs.tif")}`, input]);
  const header = { text: "ACME Clinic", from: "+15550101234", date: new Date() };
  const ours = () => renderPdfToFax(nodePdfium, pdf, { resolution: "fine", imageConversion: "auto", header });

  let t = process.hrtime.bigint();
  await nodePdfium.get();
  const initSeconds = seconds(t);
  t = process.hrtime.bigint();
  const first = await ours();
  const firstSeconds = seconds(t);
  if (first.pageCount !== PAGES) throw new Error(`rendered ${first.pageCount} pages`);
  gs(pdfPath); // warm the page cache and gs's font loading

  const oursRuns: number[] = [];
  const gsRuns: number[] = [];
  const gsOneRuns: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    t = process.hrtime.bigint();
    await ours();
    oursRuns.push(seconds(t));
    t = process.hrtime.bigint();
    gs(pdfPath);
    gsRuns.push(seconds(t));
    t = process.hrtime.bigint();
    gs(onePath);
    gsOneRuns.push(seconds(t));
  }
  const oursRate = PAGES / median(oursRuns);
  const gsRate = PAGES / median(gsRuns);
  // Start-up = one-page time minus one page's share of the 10-page per-page time.
  const gsPerPage = (median(gsRuns) - median(gsOneRuns)) / (PAGES - 1);
  const gsWorkRate = gsPerPage > 0 ? 1 / gsPerPage : Number.POSITIVE_INFINITY;

  const pdf50 = join(work, "fifty.pdf");
  writeFileSync(pdf50, await textPdf(50));
  const child = spawnSync(process.execPath, ["--max-old-space-size=64", "--import", "tsx", "src/fax/render/cli.ts", pdf50, join(work, "fifty.tif"), "--stats", "--header", "ACME"], {
    encoding: "utf8",
  });
  const memory = child.status === 0 ? (JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, number>) : null;

  const f = (n: number) => n.toFixed(1);
  console.log(`render: ${PAGES}-page text PDF (US Letter) → TIFF-F, fine 204×196, MH, header stamped; median of ${RUNS}`);
  console.log(`  PDFium init (once per isolate)       ${(initSeconds * 1000).toFixed(0)} ms; first document ${(firstSeconds * 1000).toFixed(0)} ms`);
  console.log(`  ours (warm, in-process)              ${f(oursRate)} pages/s  (${((median(oursRuns) / PAGES) * 1000).toFixed(1)} ms/page)`);
  console.log(`  gs tiffg4 (whole process)            ${f(gsRate)} pages/s`);
  console.log(`  gs tiffg4 (start-up subtracted)      ${f(gsWorkRate)} pages/s`);
  console.log(`  ratio ours / gs                      ${(oursRate / gsRate).toFixed(2)}×  (vs gs without start-up: ${(oursRate / gsWorkRate).toFixed(2)}×)`);
  console.log(`  TIFF-F size                          ${(first.tiff.length / PAGES / 1024).toFixed(1)} KiB/page (MH)`);
  if (memory) {
    console.log(
      `memory: 50-page PDF in a child with --max-old-space-size=64: peak JS heap ${memory.peak_js_heap_mib} MiB, ` +
        `JS heap + external ${memory.peak_isolate_mib} MiB (PDFium heap ${memory.pdfium_heap_mib} MiB, codec ${memory.codec_memory_mib} MiB), ` +
        `process RSS ${memory.peak_rss_mib} MiB, ${memory.ms} ms`,
    );
  } else {
    console.log(`memory: the 50-page child render failed: ${child.stderr}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

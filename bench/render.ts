/**
 * `npm run bench:render`: the marginal cost of a page in our render pipeline (PDFium WASM → 1-bit → header → MH →
 * TIFF-F) beside Ghostscript's tiffg4 device, on the same PDFs, in one run; plus the memory a 50-page render and
 * a 200-page TIFF decode take.
 *
 * Input: US Letter text PDFs made here with pdf-lib (45 lines of 10.5 pt Helvetica/Times per page), of 1 and
 * PAGES (100) pages. Method, wall-clock, median of RUNS repetitions, ours and gs interleaved so load on the
 * machine falls on both:
 * - marginal ms/page = (time for PAGES pages − time for 1 page) / (PAGES − 1): what one more page costs, with
 *   start-up (a gs process, PDFium's document load) taken out of both sides alike. Target: ours ≤ gs.
 * - ours: renderPdfToFax at fine resolution (204 × 196), image_conversion auto, header stamped, MH coding, the
 *   TIFF-F assembled in memory, in this Node process with PDFium already instantiated (as in a Worker isolate
 *   after its first fax). Also its CPU time per page (process.cpuUsage), which a loaded machine disturbs less.
 * - gs: `gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg4 -r204x196 -sOutputFile=OUT in.pdf`, the whole process, with its
 *   CPU time from bash's `times`.
 * - where ours goes: the same marginal CPU time for PDFium alone (each page loaded and rendered into the grey
 *   fax-grid page with the pipeline's flags, nothing else), the floor no work outside PDFium can lower; the
 *   rest (1-bit conversion, header, MH coding, TIFF-F) is the difference.
 * - memory: the render CLI renders a 50-page PDF in a child Node with --max-old-space-size=64 and reports the
 *   peak of JS heap + external memory (what a Worker isolate's 128 MB covers); the codec CLI decodes a 200-page
 *   TIFF-F to PBM in a child, which reports its peak RSS (pages are decoded and written one at a time).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { readTiffRaw, writeCodedTiff } from "../src/codec/node.js";
import { FAX_LINE_PELS, RENDER_FLAGS } from "../src/fax/render/pdf-pages.js";
import { renderPdfToFax } from "../src/fax/render/pdf-to-fax.js";
import { copyIn, heap } from "../src/fax/render/pdfium.js";
import { nodePdfium } from "../src/fax/render/pdfium-node.js";

const RUNS = 5;
const PAGES = 100;

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

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

const work = mkdtempSync(join(tmpdir(), "edgefax-bench-render-"));
try {
  const pdf = await textPdf(PAGES);
  const one = await textPdf(1);
  const pdfPath = join(work, "in.pdf");
  const onePath = join(work, "one.pdf");
  writeFileSync(pdfPath, pdf);
  writeFileSync(onePath, one);
  /** Runs gs through bash, whose `times` then reports the child's CPU seconds (user + sys). */
  const gs = (input: string): number => {
    const out = execFileSync("bash", ["-c", `gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg4 -r204x196 -sOutputFile="$1" "$2"; times`, "bash", join(work, "gs.tif"), input], {
      encoding: "utf8",
    });
    const children = out.trim().split("\n").at(-1)!.split(/\s+/);
    return children.reduce((sum, time) => {
      const [, minutes, secs] = /(\d+)m([\d.]+)s/.exec(time) ?? [];
      return sum + Number(minutes) * 60 + Number(secs);
    }, 0);
  };
  const header = { text: "ACME Clinic", from: "+15550101234", date: new Date() };
  const ours = (input: Uint8Array) => renderPdfToFax(nodePdfium, input, { resolution: "fine", imageConversion: "auto", header });

  /** PDFium's share: each page loaded and rendered as renderPdfPages does (US Letter: 1722 pels centred, 2156 rows). */
  const pdfiumAlone = async (input: Uint8Array) => {
    const pdfium = await nodePdfium.get();
    const { api } = pdfium;
    const { malloc, free } = pdfium.runtime.wasmExports;
    const data = copyIn(pdfium, input);
    const doc = api.FPDF_LoadMemDocument(data, input.length, "");
    const rows = 2156;
    const grey = malloc(FAX_LINE_PELS * rows);
    for (let i = 0; i < api.FPDF_GetPageCount(doc); i++) {
      const page = api.FPDF_LoadPage(doc, i);
      const bmp = api.FPDFBitmap_CreateEx(FAX_LINE_PELS, rows, 1, grey, FAX_LINE_PELS);
      heap(pdfium).fill(255, grey, grey + FAX_LINE_PELS * rows);
      api.FPDF_RenderPageBitmap(bmp, page, 3, 0, 1722, rows, 0, RENDER_FLAGS);
      api.FPDFBitmap_Destroy(bmp);
      api.FPDF_ClosePage(page);
    }
    free(grey);
    api.FPDF_CloseDocument(doc);
    free(data);
  };

  let t = process.hrtime.bigint();
  await nodePdfium.get();
  const initSeconds = seconds(t);
  t = process.hrtime.bigint();
  const first = await ours(pdf);
  const firstSeconds = seconds(t);
  if (first.pageCount !== PAGES) throw new Error(`rendered ${first.pageCount} pages`);
  gs(pdfPath); // warm the page cache and gs's font loading

  const runs = { ours: [] as number[], oursOne: [] as number[], oursCpu: [] as number[], oursOneCpu: [] as number[], gs: [] as number[], gsOne: [] as number[], gsCpu: [] as number[], gsOneCpu: [] as number[], pdfiumCpu: [] as number[], pdfiumOneCpu: [] as number[] };
  await pdfiumAlone(pdf);
  for (let run = 0; run < RUNS; run++) {
    t = process.hrtime.bigint();
    const cpu = cpuSeconds();
    await ours(pdf);
    runs.oursCpu.push(cpuSeconds() - cpu);
    runs.ours.push(seconds(t));
    t = process.hrtime.bigint();
    const cpuOne = cpuSeconds();
    await ours(one);
    runs.oursOneCpu.push(cpuSeconds() - cpuOne);
    runs.oursOne.push(seconds(t));
    t = process.hrtime.bigint();
    runs.gsCpu.push(gs(pdfPath));
    runs.gs.push(seconds(t));
    t = process.hrtime.bigint();
    runs.gsOneCpu.push(gs(onePath));
    runs.gsOne.push(seconds(t));
    let cpuAlone = cpuSeconds();
    await pdfiumAlone(pdf);
    runs.pdfiumCpu.push(cpuSeconds() - cpuAlone);
    cpuAlone = cpuSeconds();
    await pdfiumAlone(one);
    runs.pdfiumOneCpu.push(cpuSeconds() - cpuAlone);
  }
  const marginalMs = (many: number[], single: number[]) => ((median(many) - median(single)) / (PAGES - 1)) * 1000;
  const oursMs = marginalMs(runs.ours, runs.oursOne);
  const gsMs = marginalMs(runs.gs, runs.gsOne);
  const oursCpuMs = marginalMs(runs.oursCpu, runs.oursOneCpu);
  const gsCpuMs = marginalMs(runs.gsCpu, runs.gsOneCpu);
  const pdfiumCpuMs = marginalMs(runs.pdfiumCpu, runs.pdfiumOneCpu);

  const pdf50 = join(work, "fifty.pdf");
  writeFileSync(pdf50, await textPdf(50));
  const child = spawnSync(process.execPath, ["--max-old-space-size=64", "--import", "tsx", "src/fax/render/cli.ts", pdf50, join(work, "fifty.tif"), "--stats", "--header", "ACME"], {
    encoding: "utf8",
  });
  const memory = child.status === 0 ? (JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, number>) : null;

  // A 200-page TIFF-F (the 100-page render twice over), decoded to PBM by the codec CLI in a child.
  const tiff200 = join(work, "two-hundred.tif");
  const pages = readTiffRaw(first.tiff);
  writeFileSync(tiff200, writeCodedTiff([...pages, ...pages].map((p) => ({ width: p.width, height: p.height, xResolution: p.xResolution, yResolution: p.yResolution, data: p.data })), { scheme: "mh", byteAlign: true }));
  const decode = spawnSync(process.execPath, ["--import", "tsx", "--import", "./bench/peak-rss.mjs", "src/codec/cli.ts", "decode", tiff200, join(work, "two-hundred.pbm")], { encoding: "utf8" });
  const decodePeak = /peak_rss_mib=(\d+)/.exec(decode.stderr)?.[1];

  const f = (n: number) => n.toFixed(1);
  console.log(`render: text PDFs (US Letter) → TIFF-F, fine 204×196, MH, header stamped; ${PAGES} and 1 pages; median of ${RUNS}`);
  console.log(`  PDFium init (once per isolate)       ${(initSeconds * 1000).toFixed(0)} ms; first ${PAGES}-page document ${(firstSeconds * 1000).toFixed(0)} ms`);
  console.log(`  marginal per page, wall-clock        ours ${f(oursMs)} ms, gs tiffg4 ${f(gsMs)} ms: ratio ${(oursMs / gsMs).toFixed(2)}× (≤ 1.00 meets the target)`);
  console.log(`  marginal per page, CPU time          ours ${f(oursCpuMs)} ms, gs tiffg4 ${f(gsCpuMs)} ms: ratio ${(oursCpuMs / gsCpuMs).toFixed(2)}× (steadier on a loaded machine)`);
  console.log(`  where ours goes (CPU)                PDFium alone (page load + render) ${f(pdfiumCpuMs)} ms, the rest (1-bit, header, MH, TIFF-F) ${f(oursCpuMs - pdfiumCpuMs)} ms`);
  console.log(`  whole ${PAGES}-page document             ours ${f(median(runs.ours) * 1000)} ms, gs ${f(median(runs.gs) * 1000)} ms`);
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
  console.log(
    decode.status === 0 && decodePeak
      ? `memory: decoding a 200-page TIFF-F (${(readFileSync(tiff200).length / 1e6).toFixed(1)} MB) to PBM with the codec CLI: peak RSS ${decodePeak} MiB`
      : `memory: the 200-page decode failed: ${decode.stderr}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

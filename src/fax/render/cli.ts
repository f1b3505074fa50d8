/**
 * The render pipeline from a shell, with the same code the Worker runs:
 *
 *   npm run -s render -- IN.pdf OUT.tif [--resolution standard|fine] [--conversion auto|monochrome|halftone]
 *                        [--scheme mh|mmr] [--header "ACME Clinic"] [--from +15550101234] [--previews DIR] [--stats]
 *   npm run -s render -- --to-pdf IN.tif OUT.pdf [--previews DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { codecMemoryBytes } from "../../codec/node";
import type { ImageConversion } from "./bilevel";
import { RenderError } from "./errors";
import { renderPdfToFax } from "./pdf-to-fax";
import type { FaxResolution } from "./pdf-pages";
import { nodePdfium } from "./pdfium-node";
import { previewPng } from "./preview";
import { readReceivedPages, receivedPagePreview, receivedPagesToPdf } from "./received-pages";

const USAGE = `usage:
  render IN.pdf OUT.tif [--resolution standard|fine] [--conversion auto|monochrome|halftone] [--scheme mh|mmr]
                        [--header TEXT] [--from NUMBER] [--previews DIR] [--max-pages N] [--stats]
  render --to-pdf IN.tif OUT.pdf [--previews DIR]`;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`--${name} must be one of ${allowed.join(", ")}`);
}

/** Peaks of process.memoryUsage(), sampled after each page. */
function memoryPeak() {
  const peak = { heap: 0, external: 0, isolate: 0, rss: 0, sample() {} };
  peak.sample = () => {
    const m = process.memoryUsage();
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.isolate = Math.max(peak.isolate, m.heapUsed + m.external);
    peak.rss = Math.max(peak.rss, m.rss);
  };
  return peak;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "to-pdf": { type: "boolean" },
      resolution: { type: "string" },
      conversion: { type: "string" },
      scheme: { type: "string" },
      header: { type: "string" },
      from: { type: "string" },
      previews: { type: "string" },
      "max-pages": { type: "string" },
      stats: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [input, output] = positionals;
  if (values.help || !input || !output || positionals.length !== 2) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const previews = values.previews;
  if (previews) mkdirSync(previews, { recursive: true });
  const maxPages = values["max-pages"] ? Number(values["max-pages"]) : 200;

  if (values["to-pdf"]) {
    const pages = readReceivedPages(readFileSync(input), maxPages);
    writeFileSync(output, await receivedPagesToPdf(pages));
    if (previews) pages.forEach((page, i) => writeFileSync(join(previews, `${i + 1}.png`), receivedPagePreview(page)));
    console.error(`${output}: ${pages.length} page(s)`);
    return 0;
  }

  const resolution = oneOf<FaxResolution>(values.resolution, ["standard", "fine"], "fine", "resolution");
  const imageConversion = oneOf<ImageConversion>(values.conversion, ["auto", "monochrome", "halftone"], "auto", "conversion");
  const scheme = oneOf(values.scheme, ["mh", "mmr"] as const, "mh", "scheme");
  const header = values.header !== undefined || values.from !== undefined ? { text: values.header ?? null, from: values.from ?? null, date: new Date() } : null;
  const started = performance.now();
  const peak = memoryPeak();
  const { tiff, pageCount } = await renderPdfToFax(nodePdfium, readFileSync(input), {
    resolution,
    imageConversion,
    header,
    scheme,
    limits: { maxPages },
    onPage: (page) => {
      peak.sample();
      if (previews) writeFileSync(join(previews, `${page.number}.png`), previewPng(page.bitmap, page.xResolution, page.yResolution));
    },
  });
  writeFileSync(output, tiff);
  const ms = performance.now() - started;
  console.error(`${output}: ${pageCount} page(s), ${resolution}, ${scheme}, ${tiff.length} bytes, ${ms.toFixed(0)} ms`);
  if (values.stats) {
    const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
    const pdfiumHeap = (await nodePdfium.get()).runtime.HEAPU8.length;
    // What a Worker isolate would hold: the JS heap plus everything outside it (ArrayBuffers, both WASM memories).
    console.log(JSON.stringify({ pages: pageCount, ms: Math.round(ms), peak_js_heap_mib: mib(peak.heap), peak_external_mib: mib(peak.external), peak_isolate_mib: mib(peak.isolate), pdfium_heap_mib: mib(pdfiumHeap), codec_memory_mib: mib(codecMemoryBytes()), peak_rss_mib: mib(peak.rss) }));
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof RenderError ? `${error.code}: ${error.detail}` : error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);

/**
 * The offline OCR engine (issue 14 point 2), Node only: tesseract.js 7 with the `4.0.0_best_int` English model
 * from @tesseract.js-data/eng, loaded from the package (never the network: langPath is a directory, cacheMethod
 * "none"). Worker code must never import this folder (tesseract.js would not fit the Worker's 3 MiB; a
 * dependency-cruiser rule says so).
 *
 * What TOOLCHAIN.md measured on fax forms, applied here: page segmentation mode 4 (one column of text of
 * variable sizes; the default mode loses form labels), rows doubled on 204×98 pages (CER 4.4% → 1.0%), isolated
 * black pixels removed (line noise), and nothing else (2× upscaling both ways is catastrophic on noisy pages).
 * Where the model is weakest (standard pages, pages with line noise), a second preparation of the page is read
 * beside the first, on another worker of the pool (reading-pool.ts), and the two are merged word by word
 * (second-reading.ts).
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import type { Worker as NodeWorker } from "node:worker_threads";
import { createWorker, OEM, PSM, type Page, type Worker } from "tesseract.js";
import { bitmapToPng, type Bitmap } from "../../codec/node";
import { squarePixels } from "../../fax/render/preview";
import { startReadingPool, type EngineImage, type PageEngine } from "./reading-pool";
import { combineReadings, secondPreparation, type DetailedReading, type Preparation, type ReadLine } from "./second-reading";

const require = createRequire(import.meta.url);
const MODEL = "4.0.0_best_int";
const VERSION = (require("tesseract.js/package.json") as { version: string }).version;
export const ENGINE_NAME = `tesseract.js ${VERSION} eng ${MODEL}`;

export interface FaxPage {
  bitmap: Bitmap;
  xResolution: number;
  yResolution: number;
}

export interface EngineReading {
  text: string;
  /** 0-100: tesseract's mean word confidence. */
  confidence: number;
}

/** A black pixel none of whose 8 neighbours is black is line noise, not ink (a period is several pixels at 204 dpi). */
export function removeIsolatedPixels(b: Bitmap): Bitmap {
  const stride = (b.width + 7) >> 3;
  const out = new Uint8Array(b.data);
  const black = (x: number, y: number) => x >= 0 && y >= 0 && x < b.width && y < b.height && ((b.data[y * stride + (x >> 3)]! >> (7 - (x & 7))) & 1) === 1;
  for (let y = 0; y < b.height; y++) {
    const row = y * stride;
    for (let byte = 0; byte < stride; byte++) {
      if (b.data[row + byte] === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        const x = byte * 8 + bit;
        if (!black(x, y)) continue;
        let neighbours = 0;
        for (let dy = -1; dy <= 1 && neighbours === 0; dy++) for (let dx = -1; dx <= 1; dx++) if ((dx || dy) && black(x + dx, y + dy)) neighbours++;
        if (neighbours === 0) out[row + byte]! &= ~(0x80 >> bit);
      }
    }
  }
  return { width: b.width, height: b.height, data: out };
}

/**
 * The page as the engine should see it: isolated pixels removed on the page's own grid (after doubling, every
 * pixel of a 204×98 page would have its copy as a neighbour and none would be isolated), then square pixels.
 */
export function prepareFaxPage(page: FaxPage): Bitmap {
  return squarePixels(removeIsolatedPixels(page.bitmap), page.xResolution, page.yResolution);
}

export interface FaxOcrEngine {
  readonly name: string;
  read(page: FaxPage): Promise<EngineReading>;
  stop(): Promise<void>;
}

/** The fax's resolution across (204 dpi) is the prepared page's, since its pixels are square. */
const FAX_DPI = 204;

/** tesseract's page as text, lines of words with their confidences, and the mean word confidence. */
function detailedReading(page: Page): DetailedReading {
  const lines: ReadLine[] = (page.blocks ?? []).flatMap((block) =>
    block.paragraphs.flatMap((paragraph) =>
      paragraph.lines.map((line, i) => ({
        words: line.words.map((w) => ({ text: w.text, confidence: w.confidence })),
        confidence: line.confidence,
        paragraphEnd: i === paragraph.lines.length - 1,
      })),
    ),
  );
  return { text: page.text.replace(/[ \t]+\n/g, "\n").trim(), confidence: page.confidence, lines };
}

/** How many tesseract workers read pages at once by default: one per core, at most 4 (each holds ~55 MiB). */
export function defaultEngineWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

const encoded = (preparation: Preparation): EngineImage => ({ image: bitmapToPng(preparation.bitmap), dpi: preparation.dpi });

/**
 * One tesseract worker (a thread reading one page at a time, ~0.5 s of one core per 204-dpi page), warmed up on a
 * blank page so the first real fax does not pay for the model's first use. Its thread dying (out of memory, a
 * crash in the WASM) fails the reading under it and marks it broken, for the pool to replace it.
 */
async function startTesseractEngine(langPath: string): Promise<PageEngine> {
  let died: (error: Error) => void = () => undefined;
  const death = new Promise<never>((_, reject) => (died = reject));
  death.catch(() => undefined);
  let broken = false;
  // errorHandler: without one, tesseract.js rethrows a refused job on its message handler, which would stop the
  // whole service; the job's own promise is rejected either way.
  const worker: Worker = await createWorker("eng", OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: "none", errorHandler: () => undefined });
  const thread = (worker as unknown as { worker: NodeWorker }).worker;
  const onDeath = (reason: unknown) => {
    broken = true;
    died(new Error(`the OCR engine's thread stopped (${reason instanceof Error ? reason.message : `exit code ${String(reason)}`})`));
  };
  thread.on("error", onDeath);
  thread.on("exit", onDeath);
  // The prepared page has square pixels at the fax's 204 dpi across.
  await worker.setParameters({ tessedit_pageseg_mode: PSM.SINGLE_COLUMN, user_defined_dpi: String(FAX_DPI) });
  let dpi = FAX_DPI;
  await worker.recognize(Buffer.from(bitmapToPng({ width: 64, height: 64, data: new Uint8Array(8 * 64) })));
  return {
    get broken() {
      return broken;
    },
    async read(image) {
      const reading = (async () => {
        if (dpi !== image.dpi) {
          await worker.setParameters({ user_defined_dpi: String(image.dpi) });
          dpi = image.dpi;
        }
        return detailedReading((await worker.recognize(Buffer.from(image.image), {}, { text: true, blocks: true })).data);
      })();
      return Promise.race([reading, death]);
    },
    async stop() {
      thread.off("exit", onDeath);
      if (!broken) await worker.terminate();
    },
  };
}

/**
 * The engine the OCR service reads pages with: a pool of `workers` tesseract workers (reading-pool.ts) fed as
 * pages arrive (the Worker posts OCR_PAGE_CONCURRENCY at once). A page that gets a second reading takes two
 * workers at once, side by side; each page is prepared only when a worker is free to read it.
 */
export async function startFaxOcrEngine(options: { workers?: number } = {}): Promise<FaxOcrEngine> {
  const langPath = path.join(path.dirname(require.resolve("@tesseract.js-data/eng/package.json")), MODEL);
  const engines = Math.max(1, Math.floor(options.workers ?? defaultEngineWorkers()));
  const pool = await startReadingPool({ engines, startEngine: () => startTesseractEngine(langPath) });
  return {
    name: ENGINE_NAME,
    async read(page) {
      const order = pool.nextPage();
      let second: Promise<DetailedReading | null> = Promise.resolve(null);
      const first = await pool.read(order, () => {
        const prepared = prepareFaxPage(page);
        const preparation = secondPreparation(page, prepared, FAX_DPI);
        // Queued under the same page: an engine takes it next, beside this one.
        if (preparation) second = pool.read(order, () => encoded(preparation)).catch(() => null);
        return encoded({ bitmap: prepared, dpi: FAX_DPI });
      });
      // A second reading that failed leaves the first, which is a whole reading of the page.
      const other = await second;
      const reading = other ? combineReadings(first, other) : first;
      return { text: reading.text, confidence: Math.round(reading.confidence * 10) / 10 };
    },
    stop: () => pool.stop(),
  };
}

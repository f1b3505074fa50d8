/**
 * The offline OCR engine (issue 14 point 2), Node only: tesseract.js 7 with the `4.0.0_best_int` English model
 * from @tesseract.js-data/eng, loaded from the package (never the network: langPath is a directory, cacheMethod
 * "none"). Worker code must never import this folder (tesseract.js would not fit the Worker's 3 MiB; a
 * dependency-cruiser rule says so).
 *
 * What TOOLCHAIN.md measured on fax forms, applied here: page segmentation mode 4 (one column of text of
 * variable sizes; the default mode loses form labels), rows doubled on 204×98 pages (CER 4.4% → 1.0%), isolated
 * black pixels removed (line noise), and nothing else (2× upscaling both ways is catastrophic on noisy pages).
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { createWorker, OEM, PSM, type Worker } from "tesseract.js";
import { bitmapToPng, type Bitmap } from "../../codec/node";
import { squarePixels } from "../../fax/render/preview";

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

/** How many tesseract workers read pages at once by default: one per core, at most 4 (each holds ~55 MiB). */
export function defaultEngineWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * A pool of `workers` tesseract workers (each a thread reading one page at a time, ~1 s of one core per page):
 * pages of a fax arrive together (the Worker posts OCR_PAGE_CONCURRENCY at once) and are read side by side.
 * Each worker reads a blank page before the engine is handed out, so the first real fax does not pay for the
 * model's first use.
 */
export async function startFaxOcrEngine(options: { workers?: number } = {}): Promise<FaxOcrEngine> {
  const langPath = path.join(path.dirname(require.resolve("@tesseract.js-data/eng/package.json")), MODEL);
  const count = Math.max(1, Math.floor(options.workers ?? defaultEngineWorkers()));
  const workers = await Promise.all(
    Array.from({ length: count }, async () => {
      const worker: Worker = await createWorker("eng", OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: "none" });
      // The prepared page has square pixels at the fax's 204 dpi across.
      await worker.setParameters({ tessedit_pageseg_mode: PSM.SINGLE_COLUMN, user_defined_dpi: "204" });
      await worker.recognize(Buffer.from(bitmapToPng({ width: 64, height: 64, data: new Uint8Array(8 * 64) })));
      return worker;
    }),
  );
  const idle = [...workers];
  const waiting: ((worker: Worker) => void)[] = [];
  const release = (worker: Worker) => {
    const next = waiting.shift();
    if (next) next(worker);
    else idle.push(worker);
  };
  return {
    name: ENGINE_NAME,
    async read(page) {
      const png = Buffer.from(bitmapToPng(prepareFaxPage(page)));
      const worker = idle.pop() ?? (await new Promise<Worker>((resolve) => waiting.push(resolve)));
      try {
        const { data } = await worker.recognize(png);
        return { text: data.text.replace(/[ \t]+\n/g, "\n").trim(), confidence: Math.round(data.confidence * 10) / 10 };
      } finally {
        release(worker);
      }
    },
    async stop() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

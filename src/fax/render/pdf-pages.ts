/**
 * A PDF into 1-bit fax pages, one page at a time: PDFium renders each page straight onto the fax grid
 * (1728 pels across at 204 dpi, 98 or 196 lines per inch down; PDFium stretches the page to any
 * width × height, so there is no square-pixel render followed by a lossy 1-bit rescale), in 8-bit grey with
 * 1-bit glyphs (RENDER_FLAGS); ./bilevel.ts turns it to 1 bit, reading PDFium's buffer in place;
 * ./header.ts stamps the header. One grey buffer serves every page of a document, and only one page's
 * bitmaps exist at a time.
 *
 * Page geometry (T.4 §2.2): a page is printed at its real size, centred on the 215 mm line; one wider than
 * 1728 pels (US Letter is 1734) is shrunk to fit; a landscape page is turned a quarter clockwise first,
 * as fax machines feed it. A page longer than `maxPageInches` is shrunk until it fits.
 *
 * Guards, so a hostile or broken file fails fast with a stable code (./errors.ts):
 * - pages: counted before anything is rendered (`document.too_many_pages` past `maxPages`);
 * - memory: PDFium's heap is capped (./pdfium.ts); images larger than `maxImagePixels` are refused before
 *   PDFium decodes them;
 * - complexity: objects are counted through nested forms before rendering (`maxPageObjects`), which also
 *   stops forms that draw each other thousands of times over;
 * - time: pages render progressively (FPDF_RenderPageBitmap_Start / FPDF_RenderPage_Continue with a pause
 *   callback that hands control back about every 100 objects), so a page past `maxPageMs` is abandoned
 *   mid-render with `document.unreadable`, in Node and in workerd alike (workerd forbids the run-time
 *   compilation Emscripten's `addFunction` uses to make a callback; ./pause-callback.wasm, compiled ahead of
 *   time, stands in for it: see ./pdfium.ts). What cannot be interrupted: parsing the page's content stream
 *   (FPDF_LoadPage does it in one call; the time is checked right after it, and `maxPageObjects` bounds it) and
 *   decoding a single image (bounded by `maxImagePixels`). If no callback can be made at all, the page
 *   renders in one call and the time is checked after it. The Worker's CPU limit remains the backstop.
 */
import type { Bitmap } from "../../codec";
import { greyToBilevel, type ImageConversion } from "./bilevel";
import { RenderError } from "./errors";
import { stampHeader, type HeaderInfo } from "./header";
import { copyIn, FPDF_ERR, heap, type Pdfium, type PdfiumHolder } from "./pdfium";

export type FaxResolution = "standard" | "fine";

export const FAX_LINE_PELS = 1728;
export const FAX_DPI: Record<FaxResolution, { x: number; y: number }> = {
  standard: { x: 204, y: 98 },
  fine: { x: 204, y: 196 },
};

export interface RenderLimits {
  maxPages: number;
  /** Longest page kept at its size; longer pages are shrunk to this (inches). */
  maxPageInches: number;
  /** Largest image (width × height) a page may hold, before PDFium decodes it. */
  maxImagePixels: number;
  /** Page objects, counted through nested forms. */
  maxPageObjects: number;
  /** Rendering time per page, ms. */
  maxPageMs: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxPages: 200,
  maxPageInches: 24,
  maxImagePixels: 64_000_000,
  maxPageObjects: 500_000,
  maxPageMs: 10_000,
};

export interface PdfRenderOptions {
  resolution: FaxResolution;
  imageConversion: ImageConversion;
  /** Stamped on top of every page; null for none (the CLI's default). */
  header: HeaderInfo | null;
  limits?: Partial<RenderLimits>;
  /** Injected for tests; Date.now by default. */
  now?: () => number;
}

export interface RenderedFaxPage {
  /** 1-based. */
  number: number;
  pageCount: number;
  bitmap: Bitmap;
  xResolution: number;
  yResolution: number;
  halftoneShare: number;
}

// fpdfview.h
const FPDFBITMAP_GRAY = 1;
const FPDF_ANNOT = 0x01;
const FPDF_PRINTING = 0x800;
const FPDF_RENDER_NO_SMOOTHTEXT = 0x1000;
// fpdf_progressive.h
const FPDF_RENDER_TOBECONTINUED = 1;
const FPDF_RENDER_FAILED = 3;
// fpdf_edit.h
const FPDF_PAGEOBJ_TEXT = 1;
const FPDF_PAGEOBJ_IMAGE = 3;
const FPDF_PAGEOBJ_FORM = 5;
const MAX_FORM_DEPTH = 16;
/** Pauses between yields to the event loop (PDFium offers to pause about every 100 objects). */
const PAUSES_PER_YIELD = 8;

/**
 * Glyphs are drawn 1-bit by FreeType (its monochrome rasteriser: a pel is ink when its centre is inside the
 * outline, with dropout control so that no stroke thinner than a pel vanishes), the decision a 1-bit renderer
 * such as pdftoppm -mono makes, instead of antialiased edges cut afterwards. Measured on a 45-line text page
 * at fine resolution: PDFium takes 6.0 ms instead of 7.5, and ./bilevel.ts has no grey glyph edges left to
 * inspect. On its own it moved agreement with poppler on the interop suite's 6-8 pt page only from 97.1% to
 * 97.4% (fine) and 96.0% to 96.3% (standard); with the half-pel correction of halfPelUp, to 98.2% and 98.3%.
 * Paths stay antialiased: filled without antialiasing, 0.25 pt rules vanish at 98 lpi (measured, and
 * test/worker/render/outbound.test.ts checks it), whereas in grey the thin-stroke rule of ./bilevel.ts keeps
 * them whole.
 */
export const RENDER_FLAGS = FPDF_ANNOT | FPDF_PRINTING | FPDF_RENDER_NO_SMOOTHTEXT;

/**
 * A pause struct, IFSDK_PAUSE (fpdf_progressive.h): { int version; FPDF_BOOL (*NeedToPauseNow)(IFSDK_PAUSE*);
 * void* user; }, whose callback asks to pause at every opportunity, so that control comes back here about every
 * 100 objects. 0 if this runtime cannot give PDFium a callback.
 */
const pauseStructs = new WeakMap<Pdfium, number>();

function pauseStruct(pdfium: Pdfium): number {
  let ptr = pauseStructs.get(pdfium);
  if (ptr === undefined) {
    const fn = pdfium.addCallback(() => 1);
    ptr = fn === 0 ? 0 : pdfium.runtime.wasmExports.malloc(12);
    if (ptr !== 0) {
      const view = new DataView(heap(pdfium).buffer);
      view.setInt32(ptr, 1, true);
      view.setInt32(ptr + 4, fn, true);
      view.setInt32(ptr + 8, 0, true);
    }
    pauseStructs.set(pdfium, ptr);
  }
  return ptr;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Memory in PDFium's heap that one document's pages share: a few numbers, and the grey page the pages render into. */
interface PageMemory {
  /** 32 bytes for out-parameters. */
  scratch: number;
  /** FAX_LINE_PELS × `rows` bytes of grey; reused by every page that fits, replaced by a larger one otherwise. */
  grey: number;
  rows: number;
}

/**
 * Renders every page of `pdf`, yielding each as a 1-bit fax page. Throws RenderError for documents that
 * cannot be faxed. An exception from inside PDFium discards its instance (`holder.discard()`).
 */
export async function* renderPdfPages(holder: PdfiumHolder, pdf: Uint8Array, opts: PdfRenderOptions): AsyncGenerator<RenderedFaxPage> {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const pdfium = await holder.get();
  const { api } = pdfium;
  const { malloc, free } = pdfium.runtime.wasmExports;
  let dataPtr = 0;
  let doc = 0;
  const memory: PageMemory = { scratch: 0, grey: 0, rows: 0 };
  try {
    dataPtr = copyIn(pdfium, pdf);
    memory.scratch = malloc(32);
    if (dataPtr === 0 || memory.scratch === 0) throw new RenderError("document.unreadable", "The document is too large to render.");
    doc = api.FPDF_LoadMemDocument(dataPtr, pdf.length, "");
    if (doc === 0) {
      const error = api.FPDF_GetLastError();
      throw new RenderError(
        "document.unreadable",
        error === FPDF_ERR.PASSWORD || error === FPDF_ERR.SECURITY
          ? "The PDF is encrypted with a password. Send it without the password."
          : "The PDF is damaged or is not a PDF.",
      );
    }
    const pageCount = api.FPDF_GetPageCount(doc);
    if (pageCount < 1) throw new RenderError("document.unreadable", "The PDF has no pages.");
    if (pageCount > limits.maxPages) {
      throw new RenderError("document.too_many_pages", `The document has ${pageCount} pages; a fax may have at most ${limits.maxPages}.`);
    }
    const dpi = FAX_DPI[opts.resolution];
    for (let index = 0; index < pageCount; index++) {
      const { bitmap: page, halftoneShare } = await renderPage(pdfium, doc, index, opts, limits, now, memory);
      if (opts.header) stampHeader(page, dpi.y, opts.header, index + 1, pageCount);
      yield { number: index + 1, pageCount, bitmap: page, xResolution: dpi.x, yResolution: dpi.y, halftoneShare };
    }
  } catch (error) {
    if (!(error instanceof RenderError)) {
      // A trap or abort inside PDFium (often a failed allocation under the heap cap) leaves it unusable.
      holder.discard();
      doc = 0;
      dataPtr = 0;
      memory.scratch = 0;
      memory.grey = 0;
      throw new RenderError("document.unreadable", "The document could not be rendered: it is damaged or needs more memory than a fax page allows.", {
        cause: error,
      });
    }
    throw error;
  } finally {
    try {
      if (doc !== 0) api.FPDF_CloseDocument(doc);
      if (dataPtr !== 0) free(dataPtr);
      if (memory.scratch !== 0) free(memory.scratch);
      if (memory.grey !== 0) free(memory.grey);
    } catch {
      holder.discard();
    }
  }
}

async function renderPage(
  pdfium: Pdfium,
  doc: number,
  index: number,
  opts: PdfRenderOptions,
  limits: RenderLimits,
  now: () => number,
  memory: PageMemory,
): Promise<{ bitmap: Bitmap; halftoneShare: number }> {
  const { api } = pdfium;
  const tooSlow = () =>
    new RenderError("document.unreadable", `Page ${index + 1} took longer than ${limits.maxPageMs / 1000} s to render; the PDF is too complex to fax.`);
  const started = now();
  // Parses the page's whole content stream, in one call (PDFium has no progressive page loading).
  const page = api.FPDF_LoadPage(doc, index);
  if (page === 0) throw new RenderError("document.unreadable", `Page ${index + 1} of the PDF is damaged.`);
  let bmp = 0;
  try {
    const widthPt = api.FPDF_GetPageWidthF(page);
    const heightPt = api.FPDF_GetPageHeightF(page);
    if (!(widthPt > 0 && heightPt > 0 && widthPt < 1e6 && heightPt < 1e6)) {
      throw new RenderError("document.unreadable", `Page ${index + 1} of the PDF has no usable size.`);
    }
    const landscape = widthPt > heightPt;
    const across = landscape ? heightPt : widthPt;
    const down = landscape ? widthPt : heightPt;
    const dpi = FAX_DPI[opts.resolution];
    let scale = Math.min(1, FAX_LINE_PELS / ((across / 72) * dpi.x));
    scale = Math.min(scale, limits.maxPageInches / (down / 72));
    const contentWidth = Math.max(1, Math.min(FAX_LINE_PELS, Math.round((across / 72) * dpi.x * scale)));
    const rows = Math.max(1, Math.round((down / 72) * dpi.y * scale));
    const offset = (FAX_LINE_PELS - contentWidth) >> 1;
    const rotate = landscape ? 1 : 0; // a quarter turn clockwise: a landscape page's top edge lands on the right

    const textShift = halfPelUp(pdfium, page, offset, contentWidth, rows, rotate, memory.scratch);
    visitPageObjects(pdfium, page, index, limits, memory.scratch, textShift);
    if (now() - started > limits.maxPageMs) throw tooSlow();

    const grey = greyBuffer(pdfium, memory, rows);
    if (grey === 0) throw new RenderError("document.unreadable", `Page ${index + 1} needs more memory than a fax page allows.`);
    bmp = api.FPDFBitmap_CreateEx(FAX_LINE_PELS, rows, FPDFBITMAP_GRAY, grey, FAX_LINE_PELS);
    if (bmp === 0) throw new RenderError("document.unreadable", `Page ${index + 1} needs more memory than a fax page allows.`);
    // Paper white. A native fill of PDFium's heap: FPDFBitmap_FillRect, in WASM, took 0.25 ms a fine page, this 0.05.
    heap(pdfium).fill(255, grey, grey + FAX_LINE_PELS * rows);
    const pause = pauseStruct(pdfium);
    if (pause === 0) {
      // No callback possible: one uninterruptible call, timed afterwards.
      api.FPDF_RenderPageBitmap(bmp, page, offset, 0, contentWidth, rows, rotate, RENDER_FLAGS);
    } else {
      let status = api.FPDF_RenderPageBitmap_Start(bmp, page, offset, 0, contentWidth, rows, rotate, RENDER_FLAGS, pause);
      let pauses = 0;
      try {
        while (status === FPDF_RENDER_TOBECONTINUED) {
          // Deployed, a Worker's Date.now() stands still while JS runs and moves only between turns of the event
          // loop (Cloudflare, "Performance and timers"), so yield through a timer every few pauses: the clock read
          // after a yield is at worst that of the turn before, and a page past the limit is caught a step late,
          // not never. (Locally, workerd's and Node's clocks run during work too.)
          if (++pauses % PAUSES_PER_YIELD === 0) await yieldToEventLoop();
          if (now() - started > limits.maxPageMs) throw tooSlow();
          status = api.FPDF_RenderPage_Continue(page, pause);
        }
      } finally {
        api.FPDF_RenderPage_Close(page);
      }
      if (status === FPDF_RENDER_FAILED) throw new RenderError("document.unreadable", `Page ${index + 1} of the PDF could not be rendered.`);
    }
    if (now() - started > limits.maxPageMs) throw tooSlow();
    // A view of PDFium's heap, not a copy: it is read before anything else can allocate in (and so move) the heap.
    const pels = heap(pdfium).subarray(grey, grey + FAX_LINE_PELS * rows);
    return greyToBilevel(pels, FAX_LINE_PELS, rows, FAX_LINE_PELS, opts.imageConversion);
  } finally {
    if (bmp !== 0) api.FPDFBitmap_Destroy(bmp);
    api.FPDF_ClosePage(page);
  }
}

/** The document's grey page buffer, at least `rows` tall (0 if the heap cannot hold it). */
function greyBuffer(pdfium: Pdfium, memory: PageMemory, rows: number): number {
  if (memory.grey !== 0 && memory.rows >= rows) return memory.grey;
  const { malloc, free } = pdfium.runtime.wasmExports;
  if (memory.grey !== 0) free(memory.grey);
  memory.grey = malloc(FAX_LINE_PELS * rows);
  memory.rows = memory.grey === 0 ? 0 : rows;
  return memory.grey;
}

/**
 * The page-space vector (points) that moves a glyph half a pel up on the fax page, whatever the rotation.
 *
 * Why: PDFium places each glyph bitmap at its origin rounded to the nearest pel (CFX_RenderDevice::
 * DrawNormalText), where poppler takes the pel the origin falls in (Splash::fillChar floors it). Measured
 * against pdftoppm -mono on the interop suite's pages, our text sat half a pel low, and of the upward moves
 * tried (0.3 to 1 pel), exactly half a pel was best: on 6-8 pt print agreement went from 97.4% to 98.2% (fine)
 * and from 96.3% to 98.3% (standard). Rules and images keep their place; moving the whole page up instead
 * cost 0.6-1.4 points on the ruled table, whose rules poppler does not floor. Across there is no such constant
 * offset (PDFium also nudges glyphs to keep their spacing, and poppler's glyphs sat left of PDFium's in one
 * font and right in another), so only the vertical half pel is corrected.
 */
function halfPelUp(pdfium: Pdfium, page: number, offset: number, width: number, rows: number, rotate: number, scratch: number): { x: number; y: number } {
  const { api } = pdfium;
  const view = () => new Float64Array(heap(pdfium).buffer, scratch, 4);
  if (!api.FPDF_DeviceToPage(page, offset, 0, width, rows, rotate, offset, 0, scratch, scratch + 8)) return { x: 0, y: 0 };
  if (!api.FPDF_DeviceToPage(page, offset, 0, width, rows, rotate, offset, rows, scratch + 16, scratch + 24)) return { x: 0, y: 0 };
  const [x0, y0, x1, y1] = view() as unknown as [number, number, number, number];
  // Device (offset, 0) → (offset, rows) is `rows` pels down; half a pel up is -0.5/rows of that.
  return { x: ((x1 - x0) * -0.5) / rows, y: ((y1 - y0) * -0.5) / rows };
}

/**
 * One walk over the page's objects, through nested forms, before rendering:
 * - refuses pages whose images would be too large to decode, or with absurd numbers of objects;
 * - moves text objects by `textShift` (page space; see halfPelUp), mapped into each form's own space.
 */
function visitPageObjects(pdfium: Pdfium, page: number, index: number, limits: RenderLimits, scratch: number, textShift: { x: number; y: number }): void {
  const { api } = pdfium;
  let objects = 0;
  const visit = (count: number, get: (i: number) => number, depth: number, shiftX: number, shiftY: number) => {
    objects += count;
    if (objects > limits.maxPageObjects) {
      throw new RenderError("document.unreadable", `Page ${index + 1} has more than ${limits.maxPageObjects} drawing objects; the PDF is too complex to fax.`);
    }
    for (let i = 0; i < count; i++) {
      const obj = get(i);
      if (obj === 0) continue;
      const type = api.FPDFPageObj_GetType(obj);
      if (type === FPDF_PAGEOBJ_TEXT) {
        if (shiftX !== 0 || shiftY !== 0) api.FPDFPageObj_Transform(obj, 1, 0, 0, 1, shiftX, shiftY);
      } else if (type === FPDF_PAGEOBJ_IMAGE) {
        if (!api.FPDFImageObj_GetImagePixelSize(obj, scratch, scratch + 4)) continue;
        const view = new DataView(heap(pdfium).buffer);
        const pixels = view.getUint32(scratch, true) * view.getUint32(scratch + 4, true);
        if (pixels > limits.maxImagePixels) {
          throw new RenderError("document.unreadable", `Page ${index + 1} holds an image of ${Math.round(pixels / 1e6)} megapixels; the limit is ${Math.round(limits.maxImagePixels / 1e6)}.`);
        }
      } else if (type === FPDF_PAGEOBJ_FORM) {
        if (depth >= MAX_FORM_DEPTH) throw new RenderError("document.unreadable", `Page ${index + 1} nests drawings more than ${MAX_FORM_DEPTH} deep.`);
        // The form's matrix maps its space to its parent's: the same shift, in form space, is its inverse applied.
        let inner = { x: 0, y: 0 };
        if ((shiftX !== 0 || shiftY !== 0) && api.FPDFPageObj_GetMatrix(obj, scratch)) {
          const [a, b, c, d] = new Float32Array(heap(pdfium).buffer, scratch, 6) as unknown as [number, number, number, number];
          const det = a * d - b * c;
          if (det !== 0 && Number.isFinite(det)) inner = { x: (d * shiftX - c * shiftY) / det, y: (a * shiftY - b * shiftX) / det };
        }
        visit(api.FPDFFormObj_CountObjects(obj), (j) => api.FPDFFormObj_GetObject(obj, j), depth + 1, inner.x, inner.y);
      }
    }
  };
  visit(api.FPDFPage_CountObjects(page), (i) => api.FPDFPage_GetObject(page, i), 0, textShift.x, textShift.y);
}

/**
 * A PDF into 1-bit fax pages, one page at a time: PDFium renders each page straight onto the fax grid
 * (1728 pels across at 204 dpi, 98 or 196 lines per inch down; PDFium stretches the page to any
 * width × height, so there is no square-pixel render followed by a lossy 1-bit rescale), in 8-bit grey;
 * ./bilevel.ts turns it to 1 bit; ./header.ts stamps the header. Only one page's bitmaps exist at a time.
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
 * - time: where the runtime allows it (Node), pages render progressively (FPDF_RenderPageBitmap_Start with a
 *   pause callback) and a page past `maxPageMs` is abandoned mid-render. workerd forbids the run-time WASM
 *   compilation Emscripten's `addFunction` needs for the callback, and its clock stands still during
 *   synchronous work anyway, so there each page renders in one call and the time is checked after it: the
 *   first page over `maxPageMs` ends the document. The Worker's CPU limit is the backstop for a single page.
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
const FPDF_RENDER_TOBECONTINUED = 1;
const FPDF_RENDER_DONE = 2;
const FPDF_RENDER_FAILED = 3;
// fpdf_edit.h
const FPDF_PAGEOBJ_IMAGE = 3;
const FPDF_PAGEOBJ_FORM = 5;
const MAX_FORM_DEPTH = 16;
/** Pauses between yields to the event loop (PDFium asks to pause about every 100 objects). */
const PAUSES_PER_YIELD = 8;

const pauseStructs = new WeakMap<Pdfium, number>();

/**
 * IFSDK_PAUSE (fpdf_progressive.h): { int version; FPDF_BOOL (*NeedToPauseNow)(IFSDK_PAUSE*); void* user; },
 * asking to pause at every opportunity (about every 100 objects). 0 where callbacks cannot be made (workerd).
 */
function pauseStruct(pdfium: Pdfium): number {
  let ptr = pauseStructs.get(pdfium);
  if (ptr === undefined) {
    let fn = 0;
    try {
      fn = pdfium.runtime.addFunction(() => 1, "ii");
    } catch {
      // "Wasm code generation disallowed by embedder": workerd.
    }
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

/**
 * Renders every page of `pdf`, yielding each as a 1-bit fax page. Throws RenderError for documents that
 * cannot be faxed. An exception from inside PDFium discards its instance (`holder.discard()`).
 */
export async function* renderPdfPages(holder: PdfiumHolder, pdf: Uint8Array, opts: PdfRenderOptions): AsyncGenerator<RenderedFaxPage> {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const pdfium = await holder.get();
  const { api } = pdfium;
  let dataPtr = 0;
  let doc = 0;
  try {
    dataPtr = copyIn(pdfium, pdf);
    if (dataPtr === 0) throw new RenderError("document.unreadable", "The document is too large to render.");
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
      const bitmap = await renderPage(pdfium, doc, index, opts, limits, now);
      const { bitmap: page, halftoneShare } = bitmap;
      if (opts.header) stampHeader(page, dpi.y, opts.header, index + 1, pageCount);
      yield { number: index + 1, pageCount, bitmap: page, xResolution: dpi.x, yResolution: dpi.y, halftoneShare };
    }
  } catch (error) {
    if (!(error instanceof RenderError)) {
      // A trap or abort inside PDFium (often a failed allocation under the heap cap) leaves it unusable.
      holder.discard();
      doc = 0;
      dataPtr = 0;
      throw new RenderError("document.unreadable", "The document could not be rendered: it is damaged or needs more memory than a fax page allows.", {
        cause: error,
      });
    }
    throw error;
  } finally {
    try {
      if (doc !== 0) api.FPDF_CloseDocument(doc);
      if (dataPtr !== 0) pdfium.runtime.wasmExports.free(dataPtr);
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
): Promise<{ bitmap: Bitmap; halftoneShare: number }> {
  const { api } = pdfium;
  const started = now();
  const page = api.FPDF_LoadPage(doc, index);
  if (page === 0) throw new RenderError("document.unreadable", `Page ${index + 1} of the PDF is damaged.`);
  let bmp = 0;
  try {
    checkPageObjects(pdfium, page, index, limits);
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

    bmp = api.FPDFBitmap_CreateEx(FAX_LINE_PELS, rows, FPDFBITMAP_GRAY, 0, 0);
    if (bmp === 0) throw new RenderError("document.unreadable", `Page ${index + 1} needs more memory than a fax page allows.`);
    api.FPDFBitmap_FillRect(bmp, 0, 0, FAX_LINE_PELS, rows, 0xffffffff);
    const pause = pauseStruct(pdfium);
    const rotate = landscape ? 1 : 0; // a quarter turn clockwise: a landscape page's top edge lands on the right
    const flags = FPDF_ANNOT | FPDF_PRINTING;
    const tooSlow = () =>
      new RenderError("document.unreadable", `Page ${index + 1} took longer than ${limits.maxPageMs / 1000} s to render; the PDF is too complex to fax.`);
    let status = FPDF_RENDER_DONE;
    if (pause === 0) {
      api.FPDF_RenderPageBitmap(bmp, page, offset, 0, contentWidth, rows, rotate, flags);
    } else {
      status = api.FPDF_RenderPageBitmap_Start(bmp, page, offset, 0, contentWidth, rows, rotate, flags, pause);
      let pauses = 0;
      try {
        while (status === FPDF_RENDER_TOBECONTINUED) {
          if (++pauses % PAUSES_PER_YIELD === 0) await yieldToEventLoop();
          if (now() - started > limits.maxPageMs) throw tooSlow();
          status = api.FPDF_RenderPage_Continue(page, pause);
        }
      } finally {
        api.FPDF_RenderPage_Close(page);
      }
    }
    if (now() - started > limits.maxPageMs) throw tooSlow();
    if (status === FPDF_RENDER_FAILED) throw new RenderError("document.unreadable", `Page ${index + 1} of the PDF could not be rendered.`);
    const stride = api.FPDFBitmap_GetStride(bmp);
    const buffer = api.FPDFBitmap_GetBuffer(bmp);
    const grey = heap(pdfium).subarray(buffer, buffer + stride * rows);
    return greyToBilevel(grey, FAX_LINE_PELS, rows, stride, opts.imageConversion);
  } finally {
    if (bmp !== 0) api.FPDFBitmap_Destroy(bmp);
    api.FPDF_ClosePage(page);
  }
}

/** Refuses pages whose images would be too large to decode, or with absurd numbers of objects. */
function checkPageObjects(pdfium: Pdfium, page: number, index: number, limits: RenderLimits): void {
  const { api } = pdfium;
  const size = pdfium.runtime.wasmExports.malloc(8);
  let objects = 0;
  const visit = (count: number, get: (i: number) => number, depth: number) => {
    objects += count;
    if (objects > limits.maxPageObjects) {
      throw new RenderError("document.unreadable", `Page ${index + 1} has more than ${limits.maxPageObjects} drawing objects; the PDF is too complex to fax.`);
    }
    for (let i = 0; i < count; i++) {
      const obj = get(i);
      if (obj === 0) continue;
      const type = api.FPDFPageObj_GetType(obj);
      if (type === FPDF_PAGEOBJ_IMAGE && api.FPDFImageObj_GetImagePixelSize(obj, size, size + 4)) {
        const view = new DataView(heap(pdfium).buffer);
        const pixels = view.getUint32(size, true) * view.getUint32(size + 4, true);
        if (pixels > limits.maxImagePixels) {
          throw new RenderError("document.unreadable", `Page ${index + 1} holds an image of ${Math.round(pixels / 1e6)} megapixels; the limit is ${Math.round(limits.maxImagePixels / 1e6)}.`);
        }
      } else if (type === FPDF_PAGEOBJ_FORM) {
        if (depth >= MAX_FORM_DEPTH) throw new RenderError("document.unreadable", `Page ${index + 1} nests drawings more than ${MAX_FORM_DEPTH} deep.`);
        visit(api.FPDFFormObj_CountObjects(obj), (j) => api.FPDFFormObj_GetObject(obj, j), depth + 1);
      }
    }
  };
  try {
    visit(api.FPDFPage_CountObjects(page), (i) => api.FPDFPage_GetObject(page, i), 0);
  } finally {
    pdfium.runtime.wasmExports.free(size);
  }
}

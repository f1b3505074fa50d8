/**
 * The render step of an outbound fax in the Worker (the `fax-jobs` consumer): the merged PDF in R2 becomes
 * `fax.tif` (what the gateway sends) and one PNG preview per page, stored as they are rendered.
 */
// The Worker entry of the codec: it loads the WASM module (wrangler CompiledWasm) before first use.
import "../../codec/worker";
import { documentStore } from "../../storage/documents";
import type { ImageConversion } from "./bilevel";
import { RenderError } from "./errors";
import type { HeaderInfo } from "./header";
import { faxFileKeys } from "./keys";
import { renderPdfToFax } from "./pdf-to-fax";
import type { FaxResolution, RenderLimits } from "./pdf-pages";
import { workerPdfium } from "./pdfium-worker";
import { previewPng } from "./preview";

export interface OutboundRender {
  accountId: string;
  faxId: string;
  documentKey: string;
  resolution: FaxResolution;
  imageConversion: ImageConversion;
  header: HeaderInfo | null;
  limits?: Partial<RenderLimits>;
}

export interface RenderedFax {
  tiffKey: string;
  previewKeys: string[];
  pageCount: number;
}

export async function renderOutboundFax(env: Env, job: OutboundRender): Promise<RenderedFax> {
  const store = documentStore(env);
  const object = await store.get(job.documentKey);
  if (!object) throw new RenderError("document.unreadable", "The fax's document is no longer stored.");
  const keys = faxFileKeys(job.accountId, job.faxId);
  const previewKeys: string[] = [];
  const metadata = { accountId: job.accountId, faxId: job.faxId };
  const { tiff, pageCount } = await renderPdfToFax(workerPdfium, await object.bytes(), {
    resolution: job.resolution,
    imageConversion: job.imageConversion,
    header: job.header,
    limits: job.limits,
    onPage: async (page) => {
      const key = keys.preview(page.number);
      await store.put(key, previewPng(page.bitmap, page.xResolution, page.yResolution), { contentType: "image/png", customMetadata: metadata });
      previewKeys.push(key);
    },
  });
  await store.put(keys.tiff, tiff, { contentType: "image/tiff", customMetadata: metadata });
  return { tiffKey: keys.tiff, previewKeys, pageCount };
}

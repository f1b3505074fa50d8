/**
 * A received TIFF-F into what the API serves for an inbound fax (docs/architecture.md "Flows", inbound): the TIFF as
 * received, a PDF whose pages embed the CCITT data exactly as it came off the line (one CCITTFaxDecode image
 * per page, no re-encoding), and a PNG preview per page. Pages are decoded one at a time for the previews,
 * so a long fax never holds more than one bitmap.
 */
// The Worker entry of the codec: it loads the WASM module (wrangler CompiledWasm) before first use.
import "../../codec/worker";
import { settings } from "../../config";
import { documentStore } from "../../storage/documents";
import { faxFileKeys } from "./keys";
import { readReceivedPages, receivedPagePreview, receivedPagesToPdf } from "./received-pages";

export interface InboundRender {
  pdfKey: string;
  tiffKey: string;
  previewKeys: string[];
  pageCount: number;
}

export async function renderInboundFax(env: Env, accountId: string, faxId: string, tiffBytes: Uint8Array): Promise<InboundRender> {
  const pages = readReceivedPages(tiffBytes, settings(env).maxPages);
  const keys = faxFileKeys(accountId, faxId);
  const metadata = { accountId, faxId };
  const store = documentStore(env);
  await store.put(keys.tiff, tiffBytes, { contentType: "image/tiff", customMetadata: metadata });
  await store.put(keys.document, await receivedPagesToPdf(pages), { contentType: "application/pdf", customMetadata: metadata });
  const previewKeys: string[] = [];
  for (const [i, page] of pages.entries()) {
    const key = keys.preview(i + 1);
    await store.put(key, receivedPagePreview(page), { contentType: "image/png", customMetadata: metadata });
    previewKeys.push(key);
  }
  return { pdfKey: keys.document, tiffKey: keys.tiff, previewKeys, pageCount: pages.length };
}

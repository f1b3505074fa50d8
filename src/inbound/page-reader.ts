/** What every OCR provider does (issue 14 point 2): read one received page into text with a confidence. */
import type { ReceivedPage } from "./page-images";

export interface PageReading {
  text: string;
  /** 0-100; null when the engine gives none. */
  confidence: number | null;
  engine: string;
}

export interface PageReader {
  readonly engine: string;
  readPage(faxId: string, page: ReceivedPage, signal: AbortSignal): Promise<PageReading>;
}

/** The configured provider cannot run at all (no binding, no URL): every page fails with this detail. */
export class ProviderUnavailableError extends Error {}

/** The provider could not take the page now (unreachable, overloaded): the page is worth reading again later. */
export class TransientPageError extends Error {}

/**
 * Document intake for outbound faxes: sniffing, limits, merging into one PDF, the cover page,
 * TIFF-F pages embedded as CCITT images, and fetching document_url safely.
 */
export type { IncomingDocument, CoverPage, DocumentLimits, DocumentType, AssembledFax } from "./types";
export { sniffDocumentType } from "./sniff";
export { assembleFaxDocument, redrawCover } from "./assemble";
export { fetchDocumentUrl, type FetchDocumentOptions } from "./fetch-url";
export { addCcittPages, ccittPagesToPdf, ccittDecodeParms, type CcittPage } from "./ccitt-pdf";
export { isForbiddenHost, assertFetchableUrl, ForbiddenUrlError } from "../../lib/ssrf";

/**
 * Loading a client's PDF with pdf-lib, defensively: the page count is read from the page tree
 * before anything expensive, the tree is walked with a cycle guard, and every failure becomes a
 * document.* error that names the document.
 */
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFNumber,
  PDFPageLeaf,
  PDFPageTree,
  PDFRef,
  PDFStream,
  type PDFObject,
} from "pdf-lib";
import { documentError } from "./errors";
import type { PdfUnlocker } from "./types";

/** Real page trees are a few levels deep; deeper ones only exist to exhaust a recursive reader. */
const MAX_PAGE_TREE_DEPTH = 32;

const EOF_MARKER = Array.from("%%EOF", (c) => c.charCodeAt(0));

/**
 * PDF 1.7 §7.5.5: the last line of a file is "%%EOF". Readers tolerate trailing junk, so look in
 * the last 1024 bytes. pdf-lib parses objects front to back and would happily load the first half
 * of a truncated file, sending a fax with pages missing; this catches that.
 */
function hasEofMarker(bytes: Uint8Array): boolean {
  const start = Math.max(0, bytes.length - 1024);
  outer: for (let i = bytes.length - EOF_MARKER.length; i >= start; i--) {
    for (let j = 0; j < EOF_MARKER.length; j++) {
      if (bytes[i + j] !== EOF_MARKER[j]) continue outer;
    }
    return true;
  }
  return false;
}

export interface LoadedPdf {
  doc: PDFDocument;
  pageCount: number;
}

/**
 * Loads a PDF and counts its pages, refusing it as soon as it would take the fax past
 * `pagesLeft` pages. `label` names the document in error details ("Document /documents/0").
 */
export async function loadSourcePdf(bytes: Uint8Array, pointer: string, label: string, pagesLeft: number, unlock?: PdfUnlocker): Promise<LoadedPdf> {
  if (!hasEofMarker(bytes)) {
    throw documentError("document.unreadable", pointer, `${label} is an incomplete PDF: it has no %%EOF marker at the end, so it looks truncated.`);
  }
  let doc: PDFDocument;
  try {
    doc = await parsePdf(bytes);
  } catch (err) {
    throw documentError("document.unreadable", pointer, `${label} is not a readable PDF: ${plainReason(err)}.`);
  }
  // pdf-lib parses an encrypted file (ignoreEncryption) but cannot decrypt its streams.
  if (doc.isEncrypted) doc = await openEncrypted(bytes, pointer, label, unlock);
  const pageCount = countPages(doc, pointer, label, pagesLeft);
  return { doc, pageCount };
}

function parsePdf(bytes: Uint8Array): Promise<PDFDocument> {
  return PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
}

/**
 * An encrypted PDF that opens without a password (owner password only, as EHR exports often are) is
 * decrypted by `unlock` (PDFium, ../render/pdf-unlock.ts); one that needs a password to open is refused.
 */
async function openEncrypted(bytes: Uint8Array, pointer: string, label: string, unlock: PdfUnlocker | undefined): Promise<PDFDocument> {
  const unlocked = unlock ? await unlock(bytes) : ({ opened: false, reason: "damaged" } as const);
  if (!unlocked.opened) {
    throw documentError(
      "document.unreadable",
      pointer,
      unlocked.reason === "password"
        ? `${label} is an encrypted PDF that needs a password to open. Remove the password or print it to a new PDF, then send it again.`
        : `${label} is an encrypted PDF that could not be decrypted: it appears to be damaged.`,
    );
  }
  let doc: PDFDocument;
  try {
    doc = await parsePdf(unlocked.bytes);
  } catch (err) {
    throw documentError("document.unreadable", pointer, `${label} is not a readable PDF: ${plainReason(err)}.`);
  }
  if (doc.isEncrypted) throw documentError("document.unreadable", pointer, `${label} is an encrypted PDF that could not be decrypted.`);
  return doc;
}

function plainReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // pdf-lib messages are long and mention internals; keep the first sentence.
  const first = message.split(/\.\s|\n/)[0]?.trim() ?? "";
  return first === "" ? "its structure is damaged" : first.slice(0, 200);
}

/**
 * Counts leaves of the page tree (PDF 1.7 §7.7.3) without trusting /Count beyond a fast refusal,
 * visiting each node once: a cyclic or shared tree is damaged (every page object must have exactly
 * one parent) and would send pdf-lib's recursive traversal into a loop.
 */
function countPages(doc: PDFDocument, pointer: string, label: string, pagesLeft: number): number {
  const damaged = (why: string) => documentError("document.unreadable", pointer, `${label} is a damaged PDF: ${why}.`);
  const tooMany = (count: string) =>
    documentError(
      "document.too_many_pages",
      pointer,
      `${label} has ${count} pages, which takes the fax past its limit (${pagesLeft} pages left for this document).`,
    );

  const catalog = doc.context.lookup(doc.context.trailerInfo.Root);
  if (!(catalog instanceof PDFDict)) throw damaged("it has no document catalog");
  const root = catalog.get(PDFName.of("Pages"));
  const rootNode = root instanceof PDFRef ? doc.context.lookup(root) : root;
  if (!(rootNode instanceof PDFPageTree)) throw damaged("it has no page tree");

  // §7.7.3.2: /Count is the number of leaves below the root. Trust it only to refuse early.
  const claimed = rootNode.get(PDFName.of("Count"));
  if (claimed instanceof PDFNumber && claimed.asNumber() > pagesLeft) throw tooMany(String(claimed.asNumber()));

  const seen = new Set<PDFObject>();
  const stack: Array<{ node: PDFObject | undefined; depth: number }> = [{ node: rootNode, depth: 0 }];
  let leaves = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: PDFObject | undefined; depth: number };
    if (node === undefined) throw damaged("a page is missing from the file");
    if (seen.has(node)) throw damaged("its page tree loops back on itself");
    seen.add(node);
    if (node instanceof PDFPageLeaf) {
      leaves++;
      if (leaves > pagesLeft) throw tooMany(`more than ${pagesLeft}`);
      checkContents(doc, node, damaged);
      continue;
    }
    if (!(node instanceof PDFPageTree)) throw damaged("its page tree holds an object that is not a page");
    if (depth >= MAX_PAGE_TREE_DEPTH) throw damaged("its page tree is nested too deeply");
    const kids = node.get(PDFName.of("Kids"));
    const kidsArray = kids instanceof PDFRef ? doc.context.lookup(kids) : kids;
    if (!(kidsArray instanceof PDFArray)) throw damaged("a page tree node has no /Kids");
    // pdf-lib's traversal casts every kid to a reference; a direct object there would break it.
    const children: Array<{ node: PDFObject | undefined; depth: number }> = [];
    for (let i = 0; i < kidsArray.size(); i++) {
      const kid = kidsArray.get(i);
      if (!(kid instanceof PDFRef)) throw damaged("a page tree node lists a page that is not a reference");
      children.push({ node: doc.context.lookup(kid), depth: depth + 1 });
    }
    // Depth-first, left to right: the order pages are shown in.
    stack.push(...children.reverse());
  }
  if (leaves === 0) throw documentError("document.unreadable", pointer, `${label} has no pages.`);
  return leaves;
}

/** §7.7.3.3: /Contents is a stream or an array of streams; a dangling reference means lost data. */
function checkContents(doc: PDFDocument, leaf: PDFPageLeaf, damaged: (why: string) => Error): void {
  const raw = leaf.get(PDFName.of("Contents"));
  if (raw === undefined) return; // a blank page
  const resolved = raw instanceof PDFRef ? doc.context.lookup(raw) : raw;
  if (resolved instanceof PDFStream) return;
  if (resolved instanceof PDFArray) {
    for (let i = 0; i < resolved.size(); i++) {
      const part = resolved.get(i);
      const stream = part instanceof PDFRef ? doc.context.lookup(part) : part;
      if (!(stream instanceof PDFStream)) throw damaged("a page's content is missing from the file");
    }
    return;
  }
  throw damaged("a page's content is missing from the file");
}

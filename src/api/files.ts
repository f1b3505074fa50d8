/**
 * GET /files/{key}: R2 objects behind time-limited signed URLs (src/lib/signed-url.ts), decrypted on the
 * way out as they stream (src/storage/documents.ts). Single byte ranges are served (RFC 9110 §14):
 * only the chunks a range covers are read and decrypted.
 */
import { database } from "../db/client";
import { findFaxDocumentKey } from "../db/fax-store";
import { ApiError } from "../errors/api-error";
import { parseFaxFileKey } from "../fax/render/keys";
import { verifyObjectUrl } from "../lib/signed-url";
import { documentStore } from "../storage/documents";
import type { App } from "./context";
import { auditAs } from "./audit";
import { documentGone } from "./document-gone";

/** Which audit action a download through a signed URL is (faxFileKeys' layout). */
function readAction(key: string) {
  return key.endsWith("/document.pdf") ? "fax.read_document" : key.endsWith("/fax.tif") ? "fax.read_image" : "fax.read_page";
}

/**
 * `bytes=first-last`, `bytes=first-` or `bytes=-suffix` against an object of `size` bytes (RFC 9110 §14.1.2).
 * null: no usable single range (absent, several, or another unit), so the whole object is sent;
 * "unsatisfiable": a range that starts past the end.
 */
export function byteRange(header: string | undefined, size: number): { offset: number; length: number } | null | "unsatisfiable" {
  const match = header?.trim().match(/^bytes=(\d*)-(\d*)$/i);
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Math.min(Number(match[2]), size);
    return suffix === 0 ? "unsatisfiable" : { offset: size - suffix, length: suffix };
  }
  const first = Number(match[1]);
  const last = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (first >= size) return "unsatisfiable";
  if (last < first) return null;
  return { offset: first, length: last - first + 1 };
}

export function registerFileRoutes(app: App): void {
  app.get("/files/*", async (c) => {
    const url = new URL(c.req.url);
    const key = url.pathname.slice("/files/".length).split("/").map(decodeURIComponent).join("/");
    const check = await verifyObjectUrl(c.env.SIGNING_SECRET, key, url.searchParams.get("expires") ?? undefined, url.searchParams.get("signature") ?? undefined);
    if (!check.ok) throw new ApiError(check.reason === "expired" ? "signed_url.expired" : "signed_url.invalid");
    const store = documentStore(c.env);
    const rangeHeader = c.req.header("range");
    const head = rangeHeader ? await store.head(key) : null;
    const range = head ? byteRange(rangeHeader, head.size) : null;
    if (range === "unsatisfiable") {
      throw new ApiError("request.range_not_satisfiable", { detail: `The document has ${head!.size} bytes.`, headers: { "content-range": `bytes */${head!.size}` } });
    }
    const object = await store.get(key, range ? { range } : {});
    if (!object) {
      // A link signed before the retention purge outlives the file: say it is gone for good.
      const owner = parseFaxFileKey(key);
      const stored = owner ? await findFaxDocumentKey(database(c.env.DB), { accountId: owner.accountId, mode: null }, owner.faxId) : null;
      throw documentGone(stored?.purgedAt ?? null);
    }
    const headers = new Headers({
      "cache-control": "private, no-store",
      "content-disposition": `attachment; filename="${key.split("/").pop() ?? "document"}"`,
      "accept-ranges": "bytes",
      etag: object.etag,
    });
    if (object.contentType) headers.set("content-type", object.contentType);
    if (object.range) headers.set("content-range", `bytes ${object.range.offset}-${object.range.offset + object.range.length - 1}/${object.size}`);
    const owner = parseFaxFileKey(key);
    // The holder of a signed URL is not known by name: the actor is the link, the entry keeps ip and user agent.
    if (owner) auditAs(c, owner.accountId, { type: "signed_url", id: null }, readAction(key), { type: "fax", id: owner.faxId });
    // A fixed length, so the client gets Content-Length although the body is decrypted as it streams.
    const sized = new FixedLengthStream(object.range ? object.range.length : object.size);
    // Damage past the first chunk shows only while streaming: the client sees the download cut, the log says why.
    object.body.pipeTo(sized.writable).catch((error) => c.get("log").warn("download ended early", { key, error: error instanceof Error ? error.message : String(error) }));
    return new Response(sized.readable, { status: object.range ? 206 : 200, headers });
  });
}

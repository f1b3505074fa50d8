/** GET /files/{key}: R2 objects behind time-limited signed URLs (src/lib/signed-url.ts). */
import { database } from "../db/client";
import { findFaxDocumentKey } from "../db/fax-store";
import { ApiError } from "../errors/api-error";
import { parseFaxFileKey } from "../fax/render/keys";
import { verifyObjectUrl } from "../lib/signed-url";
import type { App } from "./context";
import { auditAs } from "./audit";

/** Which audit action a download through a signed URL is (faxFileKeys' layout). */
function readAction(key: string) {
  return key.endsWith("/document.pdf") ? "fax.read_document" : key.endsWith("/fax.tif") ? "fax.read_image" : "fax.read_page";
}
import { documentGone } from "./document-gone";

export function registerFileRoutes(app: App): void {
  app.get("/files/*", async (c) => {
    const url = new URL(c.req.url);
    const key = url.pathname.slice("/files/".length).split("/").map(decodeURIComponent).join("/");
    const check = await verifyObjectUrl(c.env.SIGNING_SECRET, key, url.searchParams.get("expires") ?? undefined, url.searchParams.get("signature") ?? undefined);
    if (!check.ok) throw new ApiError(check.reason === "expired" ? "signed_url.expired" : "signed_url.invalid");
    const object = await c.env.DOCUMENTS.get(key);
    if (!object) {
      // A link signed before the retention purge outlives the file: say it is gone for good.
      const owner = parseFaxFileKey(key);
      const stored = owner ? await findFaxDocumentKey(database(c.env.DB), owner.accountId, owner.faxId) : null;
      throw documentGone(stored?.purgedAt ?? null);
    }
    const headers = new Headers();
    object.writeHttpMetadata(headers);
    headers.set("etag", object.httpEtag);
    headers.set("cache-control", "private, no-store");
    headers.set("content-disposition", `attachment; filename="${key.split("/").pop() ?? "document"}"`);
    const owner = parseFaxFileKey(key);
    // The holder of a signed URL is not known by name: the actor is the link, the entry keeps ip and user agent.
    if (owner) auditAs(c, owner.accountId, { type: "signed_url", id: null }, readAction(key), { type: "fax", id: owner.faxId });
    return new Response(object.body, { headers });
  });
}

/**
 * Received faxes, eFax-style: poll `GET /v1/faxes/received` for what arrived since a time or what has
 * not been downloaded yet, then fetch `GET /v1/faxes/{id}/image` (PDF, TIFF or a PNG page), which
 * marks the fax downloaded. Registered before /v1/faxes/{id} so "received" is not taken for an id.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { findFax, findFaxDocumentKey, listReceivedFaxes } from "../db/fax-store";
import { searchFaxText } from "../db/fax-text-store";
import { fromBase64Url, toBase64Url } from "../lib/crypto";
import { ApiError } from "../errors/api-error";
import { faxObject } from "../fax/fax-stub";
import { inboundFax } from "../fax/inbound";
import { faxFileKeys } from "../fax/render/keys";
import type { Fax } from "../fax/schema";
import { InboundFaxSchema, inboundView } from "../fax/view";
import { ExternalUserIdSchema } from "../partners/external-user-id";
import { documentStore } from "../storage/documents";
import type { App } from "./context";
import { audit, auditExtractionReads } from "./audit";
import { faxesShowingExtraction } from "../audit/extraction-reads";
import { documentGone } from "./document-gone";
import { AUTH_ERRORS, bearerSecurity, problemResponses } from "./openapi-common";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";
import { fieldCipher } from "../storage/fields";

const receivedExample = inboundView({
  ...inboundFax({
    id: "fax_01jd8x6r3q5v7w9y0a2b4c6d8f",
    mode: "live",
    to: "+15557010001",
    from: "+14155552671",
    remoteIdent: "+1 415 555 2671",
    callId: "a84b4c76e66710@127.0.0.1",
    receivedAtMs: Date.parse("2026-11-23T15:00:00.000Z"),
    nowIso: "2026-11-23T15:00:41.000Z",
  }),
  status: "received",
  page_count: 3,
  pages_sent: 3,
  image_downloaded: false,
  completed_at: "2026-11-23T15:00:41.000Z",
});

const booleanQuery = z.enum(["true", "false"]).transform((v) => v === "true");

/** A fax found by search_text: best match first, with why it matched. */
export const ReceivedFaxSchema = InboundFaxSchema.extend({
  search: z
    .object({
      rank: z.number().openapi({ description: "FTS5 bm25: lower is a better match." }),
      snippet: z.string().openapi({ description: "Words around the match, the matches in [brackets].", example: "… Patient Name: [Jane] Doe DOB …" }),
    })
    .optional()
    .openapi({ description: "Only with search_text." }),
}).openapi("ReceivedFax");

/** Search results page by rank, not by id: their cursor is the offset of the next page. */
export function encodeSearchCursor(offset: number): string {
  return toBase64Url(new TextEncoder().encode(`s1:${offset}`));
}

export function decodeSearchCursor(cursor: string): number {
  try {
    const match = /^s1:(\d{1,6})$/.exec(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(cursor)));
    if (match?.[1]) return Number(match[1]);
  } catch {
    // fall through to the error below
  }
  throw new ApiError("request.cursor_invalid", { errors: [{ pointer: "cursor", detail: "not a cursor this search returned" }] });
}

export function registerReceivedRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/received",
      operationId: "listReceivedFaxes",
      tags: ["Faxes"],
      summary: "List received faxes",
      description:
        "Inbound faxes that arrived completely, newest first (with `search_text`: best match first). Poll with `min_completed_timestamp`, or with `image_downloaded=false` to get what nobody has fetched yet.",
      security: bearerSecurity,
      request: {
        query: ListQuerySchema.extend({
          min_completed_timestamp: z.iso.datetime({ offset: true }).optional().openapi({ example: "2026-11-23T00:00:00Z" }),
          image_downloaded: booleanQuery.optional().openapi({ type: "string", enum: ["true", "false"] }),
          search_text: z
            .string()
            .min(1)
            .max(200)
            .optional()
            .openapi({
              description:
                "Full-text search (FTS5) over the faxes' OCR text, sender and remote ident (TSI): every word must match, the last one also as a prefix; best match first, each with `search.rank` and `search.snippet`. Punctuation and search operators are taken as plain text.",
            }),
          external_user_id: ExternalUserIdSchema.optional().openapi({ description: "Only the faxes received on this user's numbers (GET /v1/external-users/{external_user_id}/inbox is the same list)." }),
        }),
      },
      responses: {
        200: { description: "A page of received faxes.", content: { "application/json": { schema: listSchema(ReceivedFaxSchema, "ReceivedFaxList"), example: { data: [receivedExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS, "request.invalid"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      if (q.search_text !== undefined) {
        const offset = q.cursor ? decodeSearchCursor(q.cursor) : 0;
        const found = await searchFaxText<Fax>(database(c.env.DB), c.get("caller"), q.search_text, {
          limit: q.limit,
          offset,
          minCompleted: q.min_completed_timestamp ? new Date(q.min_completed_timestamp).toISOString() : undefined,
          imageDownloaded: q.image_downloaded,
          externalUserId: q.external_user_id,
        }, fieldCipher(c.env));
        auditExtractionReads(c, faxesShowingExtraction(found.hits.map((h) => h.fax)));
        return c.json(
          {
            data: found.hits.map((h) => ({ ...inboundView(h.fax), search: { rank: h.rank, snippet: h.snippet } })),
            has_more: found.hasMore,
            next_cursor: found.hasMore ? encodeSearchCursor(offset + q.limit) : null,
          },
          200,
        );
      }
      const page = await listReceivedFaxes<Fax>(database(c.env.DB), c.get("caller"), {
        minCompleted: q.min_completed_timestamp ? new Date(q.min_completed_timestamp).toISOString() : undefined,
        imageDownloaded: q.image_downloaded,
        externalUserId: q.external_user_id,
        before: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: q.limit,
      }, fieldCipher(c.env));
      auditExtractionReads(c, faxesShowingExtraction(page.data));
      return c.json(pageResponse(page, inboundView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/{id}/image",
      operationId: "getFaxImage",
      tags: ["Faxes"],
      summary: "Download a fax's image",
      description: "The fax as PDF (default), as the TIFF-F that was on the line, or one page as PNG. Downloading marks an inbound fax image_downloaded.",
      security: bearerSecurity,
      request: {
        params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "fax_01jd8x6r3q5v7w9y0a2b4c6d8f" }) }),
        query: z.object({
          format: z.enum(["pdf", "tiff", "png"]).default("pdf"),
          page: z.coerce.number().int().min(1).default(1).openapi({ description: "For png: which page." }),
        }),
      },
      responses: {
        200: {
          description: "The image.",
          content: {
            "application/pdf": { schema: z.string().openapi({ format: "binary" }), example: "%PDF-1.7 …" },
            "image/tiff": { schema: z.string().openapi({ format: "binary" }) },
            "image/png": { schema: z.string().openapi({ format: "binary" }) },
          },
        },
        ...problemResponses("fax.not_found", "fax.page_not_found", "fax.no_document", "document.purged", ...AUTH_ERRORS, "request.invalid"),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const { id } = c.req.valid("param");
      const { format, page } = c.req.valid("query");
      const db = database(c.env.DB);
      const fax = await findFax<Fax>(db, caller, id, fieldCipher(c.env));
      const stored = fax ? await findFaxDocumentKey(db, caller, id) : null;
      if (!fax || !stored) throw new ApiError("fax.not_found");
      if (!stored.documentKey) throw documentGone(stored.purgedAt);
      if (format === "png" && page > fax.page_count) throw new ApiError("fax.page_not_found", { detail: `The fax has ${fax.page_count} page(s); there is no page ${page}.` });
      const keys = faxFileKeys(caller.accountId, id);
      const key = format === "pdf" ? keys.document : format === "tiff" ? keys.tiff : keys.preview(page);
      const object = await documentStore(c.env).get(key);
      if (!object) throw new ApiError("fax.no_document", { detail: format === "png" ? `The fax has no page ${page}.` : `No ${format} is stored for this fax yet.` });
      if (fax.direction === "inbound") await faxObject(c.env, id).imageDownloaded();
      audit(c, format === "pdf" ? "fax.read_document" : format === "tiff" ? "fax.read_image" : "fax.read_page", { type: "fax", id });
      const type = format === "pdf" ? "application/pdf" : format === "tiff" ? "image/tiff" : "image/png";
      return new Response(object.body, {
        headers: { "content-type": type, "cache-control": "private, no-store", "content-disposition": `inline; filename="${id}${format === "png" ? `-${page}` : ""}.${format === "tiff" ? "tif" : format}"` },
      });
    },
  );
}

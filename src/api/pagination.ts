/**
 * Cursor pagination (docs/architecture.md "Conventions"): `limit` and `cursor` in, `data`, `has_more` and
 * `next_cursor` out. A cursor is opaque to clients: base64url of the last id of the page.
 */
import { z } from "@hono/zod-openapi";
import { ApiError } from "../errors/api-error";
import { fromBase64Url, toBase64Url } from "../lib/crypto";

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ param: { name: "limit", in: "query" }, example: 20 }),
  cursor: z.string().max(200).optional().openapi({ param: { name: "cursor", in: "query" }, description: "next_cursor from the previous page." }),
});

export function listSchema<T extends z.ZodTypeAny>(item: T, name: string) {
  return z
    .object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi(name);
}

export function encodeCursor(lastId: string): string {
  return toBase64Url(new TextEncoder().encode(`v1:${lastId}`));
}

export function decodeCursor(cursor: string): string {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(cursor));
    const match = /^v1:([a-z]+_[0-9a-z]{26})$/.exec(text);
    if (match?.[1]) return match[1];
  } catch {
    // fall through to the error below
  }
  throw new ApiError("request.cursor_invalid", { errors: [{ pointer: "cursor", detail: "not a cursor this API returned" }] });
}

/** The list envelope for a page of rows with ids: `next_cursor` points after the last row. */
export function pageResponse<R extends { id: string }, T = R>(page: { data: R[]; hasMore: boolean }, present: (row: R) => T = (row) => row as unknown as T) {
  const last = page.data.at(-1);
  return { data: page.data.map(present), has_more: page.hasMore, next_cursor: page.hasMore && last ? encodeCursor(last.id) : null };
}

/**
 * POST /internal/documents/rewrap (not part of the public API): one page of `npm run documents:rewrap` after a
 * key rotation (README "Encryption at rest"): R2 objects move to the current key of DOCUMENT_ENCRYPTION_KEY,
 * and objects stored before encryption are encrypted. Signed like the gateway's messages (Standard Webhooks v1)
 * with SIGNING_SECRET; a repeat is harmless (an object already under the current key is left alone).
 */
import { z } from "@hono/zod-openapi";
import { ApiError } from "../errors/api-error";
import { closedObject } from "../lib/closed-object";
import { verifySignedHeaders } from "../lib/signature";
import { documentStore } from "../storage/documents";
import type { App } from "./context";
import { invalid, parseJsonText } from "./validation";

export const REWRAP_PATH = "/internal/documents/rewrap";

const RewrapRequest = closedObject({
  cursor: z.string().max(1024).nullish(),
  limit: z.number().int().min(1).max(500).default(100),
  /** Only keys under this prefix (e.g. `faxes/acct_…/` for one account). */
  prefix: z.string().max(512).optional(),
});

export function registerDocumentKeyRoutes(app: App): void {
  app.post(REWRAP_PATH, async (c) => {
    const body = await c.req.text();
    if (!c.env.SIGNING_SECRET || !(await verifySignedHeaders(c.env.SIGNING_SECRET, (name) => c.req.header(name), body))) {
      throw new ApiError("auth.invalid", { detail: "The request must be signed with SIGNING_SECRET (npm run documents:rewrap does this)." });
    }
    const parsed = RewrapRequest.safeParse(parseJsonText(body || "{}"));
    if (!parsed.success) throw invalid(parsed.error);
    const { cursor, limit, prefix } = parsed.data;
    return c.json(await documentStore(c.env).rewrap({ cursor: cursor ?? undefined, limit, prefix }), 200);
  });
}

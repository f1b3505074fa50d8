/**
 * POST /internal/documents/rewrap (not part of the public API): one page of `npm run documents:rewrap` after a
 * key rotation (README "Encryption at rest"): R2 objects move to the current key of DOCUMENT_ENCRYPTION_KEY,
 * and objects stored before encryption are encrypted. Signed like the gateway's messages (Standard Webhooks v1)
 * with SIGNING_SECRET; a repeat is harmless (an object already under the current key is left alone).
 * POST /internal/documents/reseal is the same for what D1 keeps sealed (fax metadata and cover pages, events,
 * delivery payloads: src/db/fax-reseal.ts; external users' metadata: src/db/external-user-private.ts), one table
 * at a time, and for what Durable Objects keep sealed (Idempotency-Key replies, event-stream logs: ./durable-reseal.ts).
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { database } from "../db/client";
import { resealIdempotentReplies, resealStreamLogs } from "./durable-reseal";
import { resealExternalUsers } from "../db/external-user-private";
import { resealDeliveries, resealFaxes } from "../db/fax-reseal";
import { ApiError } from "../errors/api-error";
import { faxObject } from "../fax/fax-stub";
import { closedObject } from "../lib/closed-object";
import { verifySignedHeaders } from "../lib/signature";
import { documentStore } from "../storage/documents";
import { fieldCipher } from "../storage/fields";
import type { App, AppEnv } from "./context";
import { invalid, parseJsonText } from "./validation";

export const REWRAP_PATH = "/internal/documents/rewrap";
/** The D1 half: fax metadata and cover pages, their events, and webhook delivery payloads (src/db/fax-reseal.ts). */
export const RESEAL_PATH = "/internal/documents/reseal";

const RewrapRequest = closedObject({
  cursor: z.string().max(1024).nullish(),
  limit: z.number().int().min(1).max(500).default(100),
  /** Only keys under this prefix (e.g. `faxes/acct_…/` for one account). */
  prefix: z.string().max(512).optional(),
});

const ResealRequest = closedObject({
  /**
   * faxes: faxes.body, their events and blind index; deliveries: webhook_deliveries.payload; external_users: their
   * metadata and its blind index; idempotency: the replies Idempotency-Keys keep; streams: each account's event-stream logs.
   */
  table: z.enum(["faxes", "deliveries", "external_users", "idempotency", "streams"]),
  cursor: z.string().max(1024).nullish(),
  limit: z.number().int().min(1).max(500).default(100),
});

async function signedBody(c: Context<AppEnv>): Promise<string> {
  const body = await c.req.text();
  if (!c.env.SIGNING_SECRET || !(await verifySignedHeaders(c.env.SIGNING_SECRET, (name) => c.req.header(name), body))) {
    throw new ApiError("auth.invalid", { detail: "The request must be signed with SIGNING_SECRET (npm run documents:rewrap does this)." });
  }
  return body;
}

export function registerDocumentKeyRoutes(app: App): void {
  app.post(REWRAP_PATH, async (c) => {
    const body = await signedBody(c);
    const parsed = RewrapRequest.safeParse(parseJsonText(body || "{}"));
    if (!parsed.success) throw invalid(parsed.error);
    const { cursor, limit, prefix } = parsed.data;
    return c.json(await documentStore(c.env).rewrap({ cursor: cursor ?? undefined, limit, prefix }), 200);
  });

  app.post(RESEAL_PATH, async (c) => {
    const parsed = ResealRequest.safeParse(parseJsonText((await signedBody(c)) || "{}"));
    if (!parsed.success) throw invalid(parsed.error);
    const { table, cursor, limit } = parsed.data;
    const db = database(c.env.DB);
    const page = { cursor: cursor ?? undefined, limit };
    if (table === "deliveries") return c.json(await resealDeliveries(db, c.env, fieldCipher(c.env), page), 200);
    if (table === "external_users") return c.json(await resealExternalUsers(db, fieldCipher(c.env), page), 200);
    if (table === "idempotency") return c.json(await resealIdempotentReplies(c.env, db, fieldCipher(c.env), page), 200);
    if (table === "streams") return c.json(await resealStreamLogs(c.env, db, page), 200);
    const { faxIds, ...rows } = await resealFaxes(db, fieldCipher(c.env), page);
    // Each fax's own storage (its FaxObject) keeps the values sealed too: re-sealed here, one fax at a time.
    let objects = 0;
    for (const id of faxIds) if (await faxObject(c.env, id).resealStorage()) objects++;
    return c.json({ ...rows, objects }, 200);
  });
}

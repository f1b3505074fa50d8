/** /v1/faxes: send, list, read, cancel, resend, follow the timeline, and download the document. */
import { createRoute, z } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import { settings } from "../config";
import { database } from "../db/client";
import { findFax, findFaxDocumentKey, listFaxEvents, listFaxes } from "../db/fax-store";
import { ApiError } from "../errors/api-error";
import { EVENT_TYPES } from "../events/catalog";
import { createFax } from "../fax/create";
import { resendFax } from "../fax/resend";
import { faxObject } from "../fax/fax-stub";
import { faxFileKeys } from "../fax/render/keys";
import { MetadataKeySchema, MetadataValueSchema, type Fax } from "../fax/schema";
import { FaxViewSchema, faxView, OutboundFaxSchema, outboundView, type FaxView } from "../fax/view";
import { FAX_STATUSES } from "../fax/state-machine";
import { isId } from "../lib/ids";
import { ExternalUserIdSchema } from "../partners/external-user-id";
import { signObjectUrl } from "../lib/signed-url";
import { documentStore } from "../storage/documents";
import type { App } from "./context";
import { audit, auditExtractionReads } from "./audit";
import { faxesShowingExtraction, faxesShownByEvents } from "../audit/extraction-reads";
import { documentGone } from "./document-gone";
import { buildFaxDocument, checkWebhookUrl, FaxCreateSchema, FaxResendSchema, parseFaxRequest, recipientOf } from "./fax-request";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "./openapi-common";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";
import { invalid, pointerOf } from "./validation";
import { fieldCipher } from "../storage/fields";

const FaxIdParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "fax_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
});

const FaxPageParams = FaxIdParams.extend({
  n: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: "n", in: "path" }, description: "Page number, from 1.", example: 1 }),
});

const SignedUrlSchema = z
  .object({
    url: z.string().openapi({ example: "https://fax.example.com/files/faxes/acct_…/fax_…/document.pdf?expires=1767225600&signature=…" }),
    expires_at: z.string(),
  })
  .openapi("SignedUrl");

const EventSchema = z
  .object({
    id: z.string(),
    type: z.enum(Object.keys(EVENT_TYPES) as [keyof typeof EVENT_TYPES, ...(keyof typeof EVENT_TYPES)[]]),
    created_at: z.string(),
    data: z.record(z.string(), z.unknown()).openapi({
      description: "The event's subject (`fax`, `number`, …). A fax's events carry `sequence`: 1, 2, 3… in the order the fax emitted them, gapless.",
    }),
  })
  .openapi("Event");

const faxExample: Fax = {
  id: "fax_01jd8x6r3q5v7w9y0a2b4c6d8e",
  direction: "outbound",
  mode: "test",
  status: "queued",
  to: "+15550100001",
  from: "+15550101234",
  page_count: 2,
  pages_sent: 0,
  attempts: 0,
  max_attempts: 3,
  next_attempt_at: null,
  last_error: null,
  error: null,
  options: { resolution: "fine", max_attempts: 3, retry_delay: 300, image_conversion: "auto" },
  header_text: "ACME Clinic",
  cover_page: null,
  metadata: {},
  webhook_url: null,
  send_at: null,
  estimated_delivery: "2026-11-23T15:00:09.000Z",
  resent_from: null,
  remote_ident: null,
  image_downloaded: null,
  created_at: "2026-11-23T15:00:00.000Z",
  updated_at: "2026-11-23T15:00:00.000Z",
  completed_at: null,
  external_user_id: null,
  purged_at: null,
};

/** The `metadata[key]=value` filter as /openapi.json documents it (read by metadataFilters, not by zod). */
export const MetadataFilterQuery = z
  .record(z.string(), z.string())
  .optional()
  .openapi({ param: { style: "deepObject", explode: true }, description: "`metadata[key]=value`: only objects whose metadata has this exact value under this key; up to 5, all must hold.", example: { order_id: "A-1001" } });

/** `metadata[key]=value` query pairs (deepObject style), checked against the metadata limits. */
export function metadataFilters(params: URLSearchParams): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of params) {
    const m = /^metadata\[(.*)\]$/s.exec(name);
    if (!m) continue;
    const key = m[1]!;
    // The same limits as the metadata a fax is given (MetadataSchema's key and value schemas).
    const pointer = pointerOf(["metadata", key], "query:");
    const checkedKey = MetadataKeySchema.safeParse(key);
    if (!checkedKey.success) throw invalid(checkedKey.error, pointer);
    const checkedValue = MetadataValueSchema.safeParse(value);
    if (!checkedValue.success) throw invalid(checkedValue.error, pointer);
    pairs.push([key, value]);
  }
  if (pairs.length > 5) throw new ApiError("request.invalid", { detail: `${pairs.length} metadata filters; at most 5 are allowed.`, errors: [{ pointer: "query:/metadata", detail: "at most 5 metadata filters" }] });
  return pairs;
}

export function registerFaxRoutes(app: App): void {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/faxes",
    operationId: "sendFax",
    tags: ["Faxes"],
    summary: "Send a fax",
    description:
      "Queues a fax to `to`. Give documents inline (JSON base64), as `document_url`, or as multipart/form-data files; they are merged in order after the optional cover page. Test keys send to the simulated carrier (see the magic numbers in the README).",
    security: bearerSecurity,
    request: {
      headers: IdempotencyKeyHeader,
      body: {
        required: true,
        content: {
          "application/json": { schema: FaxCreateSchema },
          "multipart/form-data": {
            schema: z.object({
              to: z.string(),
              from: z.string().optional(),
              file: z.string().openapi({ format: "binary", description: "One or more files (PDF, PNG, JPEG, TIFF)." }),
              options: z.string().optional().openapi({ description: "JSON, as in the JSON body." }),
              cover_page: z.string().optional().openapi({ description: "JSON, as in the JSON body." }),
              metadata: z.string().optional().openapi({ description: "JSON, as in the JSON body." }),
            }),
          },
        },
      },
    },
    responses: {
      202: { description: "The fax was accepted and queued.", content: { "application/json": { schema: OutboundFaxSchema, example: outboundView(faxExample) } } },
      ...problemResponses(
        "request.malformed_json",
        "auth.missing",
        "idempotency.in_flight",
        "request.too_large",
        "request.unsupported_media_type",
        "request.invalid",
        "fax.recipient.invalid",
        "rate_limit.exceeded",
        "balance.insufficient",
      ),
    },
  });

  app.post("/v1/faxes", async (c) => {
    const caller = c.get("caller");
    const request = await parseFaxRequest(c);
    const fax = await createFax(c.env, caller.accountId, caller.mode, request.input, request.to, (from, date) =>
      buildFaxDocument(c.env, request, { from, date }),
    );
    audit(c, "fax.send", { type: "fax", id: fax.id });
    return c.json(outboundView(fax), 202, { location: `/v1/faxes/${fax.id}` });
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes",
      operationId: "listFaxes",
      tags: ["Faxes"],
      summary: "List faxes",
      description:
        "Newest first, with cursor pagination and filters. `metadata[key]=value` (up to 5, all must hold) matches the fax's own metadata exactly, e.g. `?metadata[order_id]=A-1001`.",
      security: bearerSecurity,
      request: {
        query: ListQuerySchema.extend({
          status: z.enum(FAX_STATUSES).optional(),
          direction: z.enum(["outbound", "inbound"]).optional(),
          to: z.string().optional().openapi({ example: "+15550100001" }),
          created_after: z.iso.datetime({ offset: true }).optional(),
          created_before: z.iso.datetime({ offset: true }).optional(),
          external_user_id: ExternalUserIdSchema.optional().openapi({ description: "Only the faxes of this user of yours; every /v1/faxes/{id} route takes it too and answers 404 for another user's fax." }),
          metadata: MetadataFilterQuery,
        }),
      },
      responses: {
        200: { description: "A page of faxes.", content: { "application/json": { schema: listSchema(FaxViewSchema, "FaxList"), example: { data: [outboundView(faxExample)], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS, "request.invalid"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const caller = c.get("caller");
      const page = await listFaxes<Fax>(database(c.env.DB), caller, {
        metadata: metadataFilters(new URL(c.req.url).searchParams),
        externalUserId: q.external_user_id,
        status: q.status,
        direction: q.direction,
        to: q.to,
        createdAfter: q.created_after ? new Date(q.created_after).toISOString() : undefined,
        createdBefore: q.created_before ? new Date(q.created_before).toISOString() : undefined,
        before: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: q.limit,
      }, fieldCipher(c.env));
      auditExtractionReads(c, faxesShowingExtraction(page.data));
      return c.json(pageResponse(page, faxView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/{id}",
      operationId: "getFax",
      tags: ["Faxes"],
      summary: "Get a fax",
      description: "The fax with its status, pages and retry state.",
      security: bearerSecurity,
      request: { params: FaxIdParams },
      responses: {
        200: { description: "The fax, shaped by its direction.", content: { "application/json": { schema: FaxViewSchema, example: outboundView(faxExample) } } },
        ...problemResponses("fax.not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      // Straight from the FaxObject: one round trip, and the freshest state. An id that is not a fax id
      // never reaches a Durable Object.
      const id = c.req.valid("param").id;
      const { accountId, mode } = c.get("caller");
      const body = isId(id, "fax") ? await faxObject(c.env, id).readOwnedJson({ accountId, mode }) : null;
      if (body === null) throw new ApiError("fax.not_found");
      auditExtractionReads(c, faxesShowingExtraction([JSON.parse(body) as Fax]));
      // Already the fax's JSON (the FaxObject serialized faxView of its Fax); typed as the route's 200.
      return c.body(body, 200, { "content-type": "application/json" }) as unknown as TypedResponse<FaxView, 200, "json">;
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/faxes/{id}",
      operationId: "cancelFax",
      tags: ["Faxes"],
      summary: "Cancel a fax",
      description: "Cancels a fax that is queued, scheduled (send_at) or waiting for a retry. Once sending has started it is too late (409).",
      security: bearerSecurity,
      request: { params: FaxIdParams },
      responses: {
        200: { description: "The canceled fax.", content: { "application/json": { schema: OutboundFaxSchema, example: outboundView({ ...faxExample, status: "canceled" }) } } },
        ...problemResponses("fax.not_found", "fax.not_cancelable", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const id = c.req.valid("param").id;
      if (!(await findFax<Fax>(database(c.env.DB), caller, id, fieldCipher(c.env)))) throw new ApiError("fax.not_found");
      const result = await faxObject(c.env, id).cancel();
      if (!result.ok) throw new ApiError("fax.not_cancelable", { detail: `The fax is ${result.status ?? "unknown"}; only queued faxes can be canceled.` });
      audit(c, "fax.cancel", { type: "fax", id });
      return c.json(outboundView(result.fax), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/faxes/{id}/resend",
      operationId: "resendFax",
      tags: ["Faxes"],
      summary: "Resend a fax",
      description:
        "Creates a new fax with the original's document, cover page, options and header, linked to it by resent_from. The body is optional; it may give another `to` (the cover page is drawn again for it), a `webhook_url` and `metadata` (which replaces the original's). Any other field is refused.",
      security: bearerSecurity,
      request: { params: FaxIdParams, headers: IdempotencyKeyHeader, body: { required: false, content: { "application/json": { schema: FaxResendSchema } } } },
      responses: {
        202: { description: "The new fax.", content: { "application/json": { schema: OutboundFaxSchema, example: outboundView({ ...faxExample, resent_from: "fax_01jd8x6r3q0000000000000000" }) } } },
        ...problemResponses("fax.not_found", "fax.not_resendable", "fax.no_document", "fax.recipient.invalid", "webhook.url_refused", "request.invalid", "request.unsupported_media_type", "balance.insufficient", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const db = database(c.env.DB);
      const id = c.req.valid("param").id;
      const original = await findFax<Fax>(db, caller, id, fieldCipher(c.env));
      if (!original) throw new ApiError("fax.not_found");
      const json = c.req.header("content-type")?.toLowerCase().startsWith("application/json") ?? false;
      // A body that is not JSON is refused rather than ignored: its overrides would be lost in silence.
      if (!json && (Number(c.req.header("content-length") ?? "0") > 0 || c.req.header("transfer-encoding"))) {
        throw new ApiError("request.unsupported_media_type", { detail: "A resend body must be application/json (or left out)." });
      }
      const body = json ? c.req.valid("json") : {};
      if (body.webhook_url) checkWebhookUrl(c.env, body.webhook_url);
      const fax = await resendFax(c.env, caller.accountId, caller.mode, original, { to: body.to === undefined ? undefined : recipientOf(body.to), webhook_url: body.webhook_url, metadata: body.metadata });
      audit(c, "fax.resend", { type: "fax", id: fax.id });
      return c.json(outboundView(fax), 202, { location: `/v1/faxes/${fax.id}` });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/{id}/events",
      operationId: "listFaxEvents",
      tags: ["Faxes"],
      summary: "The fax's timeline",
      description: "Every event the fax emitted, oldest first: the same events its webhooks carry.",
      security: bearerSecurity,
      request: { params: FaxIdParams },
      responses: {
        200: {
          description: "The events.",
          content: {
            "application/json": {
              schema: z.object({ data: z.array(EventSchema) }).openapi("EventList"),
              example: { data: [{ id: "evt_01jd8x6r3q5v7w9y0a2b4c6d8e", type: "fax.queued", created_at: "2026-11-23T15:00:00.000Z", data: { fax: outboundView(faxExample) } }] },
            },
          },
        },
        ...problemResponses("fax.not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const db = database(c.env.DB);
      const id = c.req.valid("param").id;
      if (!(await findFax<Fax>(db, caller, id, fieldCipher(c.env)))) throw new ApiError("fax.not_found");
      const events = await listFaxEvents(db, caller.accountId, id, fieldCipher(c.env));
      auditExtractionReads(c, faxesShownByEvents(events));
      return c.json({ data: events }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/{id}/document",
      operationId: "getFaxDocument",
      tags: ["Faxes"],
      summary: "Download link for the fax's document",
      description: "A time-limited signed URL to the PDF that was (or will be) sent, cover page included.",
      security: bearerSecurity,
      request: { params: FaxIdParams },
      responses: {
        200: { description: "The signed URL.", content: { "application/json": { schema: SignedUrlSchema, example: { url: "https://fax.example.com/files/faxes/acct_x/fax_y/document.pdf?expires=1767225600&signature=ab12", expires_at: "2026-11-23T15:15:00.000Z" } } } },
        ...problemResponses("fax.not_found", "document.purged", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const id = c.req.valid("param").id;
      const stored = await findFaxDocumentKey(database(c.env.DB), caller, id);
      if (!stored) throw new ApiError("fax.not_found");
      if (!stored.documentKey) throw documentGone(stored.purgedAt);
      const signed = await signObjectUrl(new URL(c.req.url).origin, c.env.SIGNING_SECRET, stored.documentKey, settings(c.env).signedUrlTtlSeconds);
      audit(c, "fax.issue_document_link", { type: "fax", id });
      return c.json({ url: signed.url, expires_at: signed.expiresAt }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/{id}/pages/{n}",
      operationId: "getFaxPagePreview",
      tags: ["Faxes"],
      summary: "Download link for a page preview",
      description:
        "A time-limited signed URL to a PNG of page `n` as the recipient gets it (outbound: after rendering, header line included; inbound: as received). Standard-resolution pages repeat each row so the preview is not squashed.",
      security: bearerSecurity,
      request: { params: FaxPageParams },
      responses: {
        200: { description: "The signed URL.", content: { "application/json": { schema: SignedUrlSchema, example: { url: "https://fax.example.com/files/faxes/acct_x/fax_y/pages/1.png?expires=1767225600&signature=ab12", expires_at: "2026-11-23T15:15:00.000Z" } } } },
        ...problemResponses("fax.not_found", "fax.page_not_found", "fax.no_document", "document.purged", ...AUTH_ERRORS, "request.invalid"),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const { id, n } = c.req.valid("param");
      const fax = await findFax<Fax>(database(c.env.DB), caller, id, fieldCipher(c.env));
      if (!fax) throw new ApiError("fax.not_found");
      if (fax.purged_at) throw documentGone(fax.purged_at);
      const key = faxFileKeys(caller.accountId, id).preview(n);
      if (n > fax.page_count) throw new ApiError("fax.page_not_found", { detail: `The fax has ${fax.page_count} page(s); there is no page ${n}.` });
      if (!(await documentStore(c.env).head(key))) throw new ApiError("fax.no_document", { detail: `Page ${n} has no preview yet: the fax is ${fax.status}.` });
      const signed = await signObjectUrl(new URL(c.req.url).origin, c.env.SIGNING_SECRET, key, settings(c.env).signedUrlTtlSeconds);
      audit(c, "fax.issue_page_link", { type: "fax", id });
      return c.json({ url: signed.url, expires_at: signed.expiresAt }, 200);
    },
  );
}

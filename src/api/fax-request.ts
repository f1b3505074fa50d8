/**
 * Reading `POST /v1/faxes`: JSON (documents as base64 or a document_url) or multipart/form-data
 * (files, with the other fields as form fields). Whatever the encoding, the result is validated by
 * one zod schema, and the documents come out as one merged PDF.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { settings } from "../config";
import { ApiError } from "../errors/api-error";
import { assembleFaxDocument, fetchDocumentUrl, type IncomingDocument } from "../fax/documents";
import { normalizeE164 } from "../fax/phone";
import { openWithoutPassword } from "../fax/render/pdf-unlock";
import { workerPdfium } from "../fax/render/pdfium-worker";
import { CoverPageSchema, FaxOptionsSchema, MetadataSchema } from "../fax/schema";
import { clip, closedObject } from "../lib/closed-object";
import { fromBase64 } from "../lib/crypto";
import { ExternalUserIdSchema } from "../partners/external-user-id";
import { webhookUrlRefusal } from "../webhooks/url-policy";
import type { AppEnv } from "./context";
import { invalid } from "./validation";

const DocumentSchema = closedObject({
  content: z.string().min(1).openapi({ description: "The file, base64-encoded." }),
  content_type: z.enum(["application/pdf", "image/png", "image/jpeg", "image/tiff"]),
  filename: z.string().max(255).optional(),
});

/** How far in the past send_at may be and still mean "now" (client and server clocks differ). */
const SEND_AT_CLOCK_SKEW_MS = 60_000;

export const FaxCreateSchema = closedObject({
  to: z.string().openapi({ description: "Recipient in E.164.", example: "+15550100001" }),
  from: z.string().optional().openapi({ description: "One of your numbers; defaults to your first.", example: "+15550100100" }),
  documents: z.array(DocumentSchema).max(20).optional(),
  document_url: z.string().url().optional().openapi({ description: "A public https URL to fetch the document from." }),
  cover_page: CoverPageSchema.optional(),
  options: FaxOptionsSchema.partial().optional(),
  header_text: z.string().max(80).optional().openapi({ description: "Printed at the top of every page with the date and page number." }),
  send_at: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({
      description:
        "Send later (RFC 3339), up to 30 days ahead: the fax is `scheduled` until then (event `fax.scheduled`), then `queued`. A time more than 60 s in the past is refused; within 60 s it sends now.",
    }),
  metadata: MetadataSchema.optional(),
  webhook_url: z.string().url().optional().openapi({ description: "Receives this fax's events, signed like every webhook." }),
  callbackUrl: z.string().url().optional().openapi({ description: "Another spelling of webhook_url (as other fax APIs name it); give one of the two." }),
  external_user_id: ExternalUserIdSchema.optional().openapi({
    description: "Send for one of your users (PUT /v1/external-users/{external_user_id}): from their number, as caller id and header. `from` may pick among their numbers.",
  }),
}).openapi("FaxCreate", {
  example: {
    to: "+15550100001",
    documents: [{ content: "JVBERi0xLjcK…", content_type: "application/pdf" }],
    cover_page: { to_name: "Dr. Rivera", subject: "Referral" },
    options: { resolution: "fine" },
  },
});

export type FaxCreate = z.infer<typeof FaxCreateSchema>;

/** The overrides POST /v1/faxes/{id}/resend accepts; everything else comes from the original. */
export const FaxResendSchema = closedObject({
  to: z.string().optional().openapi({ description: "Another recipient (E.164); the cover page, if any, is drawn again for it.", example: "+15550100002" }),
  webhook_url: z.string().url().optional().openapi({ description: "Receives the new fax's events instead of the original's webhook_url." }),
  metadata: MetadataSchema.optional().openapi({ description: "Replaces the original's metadata (not merged)." }),
}).openapi("FaxResend", { example: { to: "+15550100002", metadata: { order_id: "A-1001", retry: "2" } } });

/** `callbackUrl` is webhook_url under another name: one of them, or both the same. */
function withWebhookAlias(input: FaxCreate): FaxCreate {
  const { callbackUrl, ...rest } = input;
  if (callbackUrl === undefined) return rest;
  if (rest.webhook_url !== undefined && rest.webhook_url !== callbackUrl) {
    throw new ApiError("request.invalid", {
      detail: "webhook_url and callbackUrl are the same field under two names, and they differ here.",
      errors: [{ pointer: "/callbackUrl", detail: "give webhook_url or callbackUrl, not two different URLs" }],
    });
  }
  return { ...rest, webhook_url: callbackUrl };
}

/** `to` in E.164, or fax.recipient.invalid pointing at /to. */
export function recipientOf(raw: string): string {
  const to = normalizeE164(raw);
  if (!to) {
    throw new ApiError("fax.recipient.invalid", {
      detail: `${clip(raw)} is not a valid phone number in E.164 form.`,
      errors: [{ pointer: "/to", detail: "must be E.164, such as +15550100001" }],
    });
  }
  return to;
}

/** A webhook_url the delivery policy accepts (https, no private address), or webhook.url_refused. */
export function checkWebhookUrl(env: Env, url: string): void {
  const refusal = webhookUrlRefusal(env, url);
  if (refusal) throw new ApiError("webhook.url_refused", { detail: `webhook_url is not allowed: ${refusal}`, errors: [{ pointer: "/webhook_url", detail: refusal }] });
}

export interface ParsedFaxRequest {
  input: FaxCreate;
  to: string;
  uploads: IncomingDocument[];
}

function parseJsonField(value: string | File | null, field: string): unknown {
  if (value === null || typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new ApiError("request.invalid", {
      detail: `The form field ${field} must be JSON.`,
      errors: [{ pointer: `/${field}`, detail: "must be a JSON object" }],
    });
  }
}

async function parseMultipart(c: Context<AppEnv>, body: ArrayBuffer): Promise<{ raw: unknown; uploads: IncomingDocument[] }> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": c.req.header("content-type") ?? "" } }).formData();
  } catch {
    throw new ApiError("request.invalid", { detail: "The multipart body could not be parsed." });
  }
  const raw: Record<string, unknown> = {};
  const uploads: IncomingDocument[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value !== "string") {
      const file = value as File;
      uploads.push({
        bytes: new Uint8Array(await file.arrayBuffer()),
        contentType: file.type || null,
        filename: file.name,
        pointer: `${name}[${uploads.length}]`,
      });
      continue;
    }
    if (["options", "cover_page", "metadata"].includes(name)) raw[name] = parseJsonField(value, name);
    else raw[name] = value;
  }
  return { raw, uploads };
}

export async function parseFaxRequest(c: Context<AppEnv>): Promise<ParsedFaxRequest> {
  const contentType = (c.req.header("content-type") ?? "").toLowerCase();
  // Already bounded by the body-limit middleware (settings.maxRequestBytes).
  const body = await c.req.arrayBuffer();
  let raw: unknown;
  let uploads: IncomingDocument[] = [];
  if (contentType.startsWith("application/json")) {
    try {
      raw = JSON.parse(new TextDecoder().decode(body));
    } catch (error) {
      throw new ApiError("request.malformed_json", { detail: `The body is not valid JSON: ${(error as Error).message}` });
    }
  } else if (contentType.startsWith("multipart/form-data")) {
    ({ raw, uploads } = await parseMultipart(c, body));
  } else {
    throw new ApiError("request.unsupported_media_type", {
      detail: `Content-Type ${contentType || "(none)"} is not accepted here.`,
    });
  }
  const parsed = FaxCreateSchema.safeParse(raw);
  if (!parsed.success) throw invalid(parsed.error);
  const input = withWebhookAlias(parsed.data);
  const to = recipientOf(input.to);
  if (input.webhook_url) checkWebhookUrl(c.env, input.webhook_url);
  if (input.send_at) {
    const at = Date.parse(input.send_at);
    if (at > Date.now() + 30 * 24 * 3600 * 1000) {
      throw new ApiError("request.invalid", { errors: [{ pointer: "/send_at", detail: "must be within 30 days" }], detail: "send_at is more than 30 days ahead." });
    }
    // A send_at just past (clocks disagree by a little) sends now; one further back is a mistake, not "now".
    if (at < Date.now() - SEND_AT_CLOCK_SKEW_MS) {
      throw new ApiError("request.invalid", {
        errors: [{ pointer: "/send_at", detail: `must not be in the past (up to ${SEND_AT_CLOCK_SKEW_MS / 1000} s of clock skew is allowed)` }],
        detail: `send_at ${input.send_at} is in the past; leave it out to send now.`,
      });
    }
  }
  for (const [i, doc] of (input.documents ?? []).entries()) {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(doc.content.replace(/\s+/g, ""));
    } catch {
      throw new ApiError("request.invalid", {
        detail: `documents[${i}].content is not valid base64.`,
        errors: [{ pointer: `/documents/${i}/content`, detail: "must be base64" }],
      });
    }
    uploads.push({ bytes, contentType: doc.content_type, filename: doc.filename, pointer: `/documents/${i}` });
  }
  return { input, to, uploads };
}

/** Fetches a document_url (with the private-address guard) and merges everything into one PDF. */
export async function buildFaxDocument(
  env: Env,
  request: ParsedFaxRequest,
  cover: { from: string; date: Date } | null,
): Promise<{ pdf: Uint8Array; pageCount: number }> {
  const config = settings(env);
  const docs = [...request.uploads];
  if (request.input.document_url) {
    docs.push(
      await fetchDocumentUrl(request.input.document_url, {
        maxBytes: config.maxDocumentBytes,
        allowHttpLoopback: config.local,
        pointer: "/document_url",
      }),
    );
  }
  if (docs.length === 0 && !request.input.cover_page) {
    throw new ApiError("fax.document.missing", { errors: [{ pointer: "/documents", detail: "give at least one document or a cover_page" }] });
  }
  const coverPage =
    request.input.cover_page && cover ? { ...request.input.cover_page, to: request.to, from: cover.from, date: cover.date } : undefined;
  return assembleFaxDocument(docs, coverPage, { maxDocumentBytes: config.maxDocumentBytes, maxPages: config.maxPages }, (pdf) =>
    openWithoutPassword(workerPdfium, pdf),
  );
}

/**
 * The fax as the API and webhooks show it: one shape per direction (issue 13 point 5). The stored record
 * (./schema.ts FaxSchema) keeps every field the FaxObject works with; an inbound fax shows none of the
 * sending fields (pages_sent, attempts, options, send_at …) and an outbound one none of the receiving ones,
 * and `metadata` is only ever the user's own: the call id of an inbound fax is its own `call_id`.
 */
import { z } from "@hono/zod-openapi";
import { FaxExtractionSchema, FaxOcrSchema, FaxSchema, type Fax } from "./schema";

export const OutboundFaxSchema = FaxSchema.omit({ call_id: true, image_downloaded: true, ocr: true, extraction: true })
  .extend({ direction: z.literal("outbound") })
  .openapi("OutboundFax", { description: "A fax you sent." });

export const InboundFaxSchema = FaxSchema.pick({
  id: true,
  mode: true,
  status: true,
  to: true,
  from: true,
  page_count: true,
  error: true,
  metadata: true,
  remote_ident: true,
  image_downloaded: true,
  created_at: true,
  updated_at: true,
  completed_at: true,
  external_user_id: true,
  purged_at: true,
})
  .extend({
    direction: z.literal("inbound"),
    call_id: z.string().nullable().openapi({ description: "The SIP Call-ID of the call the fax came on.", example: "a84b4c76e66710@127.0.0.1" }),
    ocr: FaxOcrSchema.nullable().openapi({ description: "The reading of its pages (GET /v1/faxes/{id}/text); null until the fax is received." }),
    extraction: FaxExtractionSchema.nullable().openapi({ description: "Fields extracted into your schema; null until the fax is received." }),
  })
  .openapi("InboundFax", { description: "A fax you received: `to` is your number, `from` the sender's." });

export const FaxViewSchema = z.discriminatedUnion("direction", [OutboundFaxSchema, InboundFaxSchema]).openapi("Fax", {
  description: "A fax, shaped by its `direction`: `outbound` (OutboundFax) or `inbound` (InboundFax).",
});

export type OutboundFax = z.infer<typeof OutboundFaxSchema>;
export type InboundFax = z.infer<typeof InboundFaxSchema>;
export type FaxView = z.infer<typeof FaxViewSchema>;

export function outboundView(fax: Fax): OutboundFax {
  const { call_id: _callId, image_downloaded: _downloaded, ocr: _ocr, extraction: _extraction, ...outbound } = fax;
  return { ...outbound, direction: "outbound" };
}

export function inboundView(fax: Fax): InboundFax {
  // Faxes stored before call_id had its own field kept it in metadata, where only the user's data belongs.
  const { call_id: legacyCallId, ...metadata } = fax.metadata;
  const callId = fax.call_id !== undefined ? fax.call_id : (legacyCallId ?? null);
  return {
    id: fax.id,
    direction: "inbound",
    mode: fax.mode,
    status: fax.status,
    to: fax.to,
    from: fax.from,
    page_count: fax.page_count,
    call_id: callId,
    remote_ident: fax.remote_ident,
    image_downloaded: fax.image_downloaded,
    error: fax.error,
    metadata: fax.call_id !== undefined ? fax.metadata : metadata,
    created_at: fax.created_at,
    updated_at: fax.updated_at,
    completed_at: fax.completed_at,
    ocr: fax.ocr ?? null,
    extraction: fax.extraction ?? null,
    external_user_id: fax.external_user_id,
    purged_at: fax.purged_at,
  };
}

export function faxView(fax: Fax): FaxView {
  return fax.direction === "inbound" ? inboundView(fax) : outboundView(fax);
}

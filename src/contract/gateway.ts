/**
 * The gateway contract, once, for both sides: the job the Worker posts to the gateway (POST {GATEWAY_URL}/jobs)
 * and what the gateway posts back to the Worker (POST {EDGE_URL}/internal/gateway/*). Every message is signed
 * like a webhook (Standard Webhooks v1, src/lib/signature.ts) with GATEWAY_SECRET and carries its attempt or
 * call id, so a repeat changes nothing. The receiving side validates each message against its schema here.
 *
 * Imported by the Worker (src/fax/gateway-client.ts, src/api/gateway-callbacks.ts) and the gateway
 * (src/gateway/service/**), so it may import only what the gateway may: codec, lib, errors.
 */
import { z } from "zod";
import { FAX_FAILURES, type FaxFailureCode } from "../errors/fax-failures.js";

/** Worker → gateway: one attempt to send a rendered fax. */
export const GatewayJobSchema = z.object({
  fax_id: z.string().min(1).max(100),
  attempt_id: z.string().min(1).max(100),
  to: z.string().regex(/^\+\d{6,15}$/, "E.164"),
  from: z.string().max(64),
  header_text: z.string().max(1000).nullable(),
  resolution: z.enum(["standard", "fine"]),
  page_count: z.number().int().min(0),
  /** The rendered TIFF-F, behind a signed URL that expires. */
  tiff_url: z.string().regex(/^https?:\/\//, "an http(s) URL"),
});
export type GatewayJob = z.infer<typeof GatewayJobSchema>;

const failureCodes = Object.keys(FAX_FAILURES) as [FaxFailureCode, ...FaxFailureCode[]];

/** Gateway → Worker, POST /internal/gateway/events: progress of an attempt. */
export const GatewayEventSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.enum(["ringing", "negotiated", "heartbeat"]), fax_id: z.string(), attempt_id: z.string(), detail: z.record(z.string(), z.unknown()).optional() }),
  z.object({ kind: z.literal("page_sent"), fax_id: z.string(), attempt_id: z.string(), page: z.number().int().min(1) }),
  z.object({ kind: z.literal("delivered"), fax_id: z.string(), attempt_id: z.string(), remote_ident: z.string().nullable().optional() }),
  z.object({
    kind: z.literal("failed"),
    fax_id: z.string(),
    attempt_id: z.string(),
    code: z.enum(failureCodes),
    detail: z.string(),
    t30_result: z.string().nullable(),
    pages_sent: z.number().int().min(0).optional(),
  }),
]);
export type GatewayEvent = z.infer<typeof GatewayEventSchema>;

/** Gateway → Worker, POST /internal/gateway/inbound. `received_at` and `call_id` name the fax: a retried upload repeats both. */
export const GatewayInboundSchema = z.object({
  call_id: z.string().min(1).max(200),
  caller: z.string().max(64),
  callee: z.string().max(64),
  remote_ident: z.string().max(64).nullable(),
  received_at: z.iso.datetime({ offset: true }),
  /** TIFF-F, base64. */
  tiff: z.string().min(1),
});
export type GatewayInbound = z.infer<typeof GatewayInboundSchema>;

/** Gateway → Worker, POST /internal/gateway/route: is this number provisioned here (the loopback carrier asks first)? */
export const GatewayRouteSchema = z.object({ callee: z.string().max(64) });
export type GatewayRoute = z.infer<typeof GatewayRouteSchema>;

/** Where the Worker takes the gateway's messages. */
export const EDGE_PATHS = {
  events: "/internal/gateway/events",
  inbound: "/internal/gateway/inbound",
  route: "/internal/gateway/route",
} as const;

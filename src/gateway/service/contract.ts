/**
 * The messages of the gateway contract (docs/architecture.md "Gateway contract") as the gateway sees them: the job the
 * Worker posts (src/fax/gateway-client.ts `GatewayJob`) and the progress it reports back
 * (src/api/gateway-callbacks.ts `GatewayEventSchema`). The gateway never imports Worker code; the unit tests
 * check at compile time that these types and the Worker's agree.
 */
import { z } from "zod";
import type { FaxFailureCode } from "../../errors/fax-failures.js";

export const GatewayJobSchema = z.object({
  fax_id: z.string().min(1).max(100),
  attempt_id: z.string().min(1).max(100),
  to: z.string().regex(/^\+\d{6,15}$/, "E.164"),
  from: z.string().max(64),
  header_text: z.string().max(1000).nullable(),
  resolution: z.enum(["standard", "fine"]),
  page_count: z.number().int().min(0),
  tiff_url: z.string().regex(/^https?:\/\//, "an http(s) URL"),
});
export type GatewayJob = z.infer<typeof GatewayJobSchema>;

interface AttemptRef {
  fax_id: string;
  attempt_id: string;
}

export type GatewayEventMessage =
  | (AttemptRef & { kind: "ringing" | "negotiated" | "heartbeat"; detail?: Record<string, unknown> })
  | (AttemptRef & { kind: "page_sent"; page: number })
  | (AttemptRef & { kind: "delivered"; remote_ident?: string | null })
  | (AttemptRef & { kind: "failed"; code: FaxFailureCode; detail: string; t30_result: string | null; pages_sent?: number });

/** POST /internal/gateway/inbound. `received_at` and `call_id` name the fax: a retried upload must repeat both. */
export interface GatewayInboundMessage {
  call_id: string;
  caller: string;
  callee: string;
  remote_ident: string | null;
  received_at: string;
  /** TIFF-F, base64. */
  tiff: string;
}

export const EDGE_PATHS = {
  events: "/internal/gateway/events",
  inbound: "/internal/gateway/inbound",
  route: "/internal/gateway/route",
} as const;

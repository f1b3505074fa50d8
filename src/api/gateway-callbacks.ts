/**
 * The Worker's side of the gateway contract (docs/architecture.md "Gateway contract"), not part of the public API:
 * - POST /internal/gateway/events: progress of an attempt (ringing, negotiated, page_sent, delivered, failed);
 * - POST /internal/gateway/inbound: a received fax (TIFF-F, base64) with caller, callee and TSI;
 * - POST /internal/gateway/route: whether a number is provisioned here (the loopback carrier asks first).
 * The messages are defined once in src/contract/gateway.ts, which the gateway shares. All are signed like
 * webhooks (Standard Webhooks v1) with GATEWAY_SECRET; every message carries the attempt or call id, so a
 * repeat changes nothing.
 */
import type { Context } from "hono";
import { EDGE_PATHS, GatewayEventSchema, GatewayInboundSchema, GatewayRouteSchema } from "../contract/gateway";
import { database } from "../db/client";
import { findNumberHolder } from "../db/number-store";
import { ApiError } from "../errors/api-error";
import { faxObject } from "../fax/fax-stub";
import { acceptInboundFax } from "../fax/inbound";
import { fromBase64 } from "../lib/crypto";
import { verifySignedHeaders } from "../lib/signature";
import type { App, AppEnv } from "./context";
import { invalid, parseJsonText } from "./validation";

async function signedJson(c: Context<AppEnv>): Promise<unknown> {
  const secret = c.env.GATEWAY_SECRET;
  const body = await c.req.text();
  const ok = !!secret && (await verifySignedHeaders(secret, (name) => c.req.header(name), body));
  if (!ok) throw new ApiError("auth.invalid", { detail: "The gateway signature is missing, wrong or too old." });
  return parseJsonText(body);
}

export function registerGatewayCallbacks(app: App): void {
  // The loopback carrier asks before answering: is this number provisioned on this instance?
  app.post(EDGE_PATHS.route, async (c) => {
    const parsed = GatewayRouteSchema.safeParse(await signedJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    const holder = await findNumberHolder(database(c.env.DB), parsed.data.callee);
    if (!holder) throw new ApiError("number.not_found", { detail: `${parsed.data.callee} is not a number of this instance.` });
    return c.json({ callee: holder.number, mode: holder.mode });
  });

  app.post(EDGE_PATHS.events, async (c) => {
    const parsed = GatewayEventSchema.safeParse(await signedJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    const event = parsed.data;
    const stub = faxObject(c.env, event.fax_id);
    const base = { attemptId: event.attempt_id };
    const fax =
      event.kind === "page_sent"
        ? await stub.report({ ...base, kind: "page_sent", page: event.page })
        : event.kind === "delivered"
          ? await stub.report({ ...base, kind: "delivered", remoteIdent: event.remote_ident ?? null })
          : event.kind === "failed"
            ? await stub.report({ ...base, kind: "failed", code: event.code, detail: event.detail, t30Result: event.t30_result, pagesSent: event.pages_sent })
            : await stub.report({ ...base, kind: "heartbeat" });
    if (!fax) throw new ApiError("fax.not_found");
    return c.json({ fax_id: fax.id, status: fax.status });
  });

  app.post(EDGE_PATHS.inbound, async (c) => {
    const parsed = GatewayInboundSchema.safeParse(await signedJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    const upload = parsed.data;
    let tiff: Uint8Array;
    try {
      tiff = fromBase64(upload.tiff);
    } catch {
      throw new ApiError("request.invalid", { errors: [{ pointer: "/tiff", detail: "must be base64" }] });
    }
    const result = await acceptInboundFax(c.env, {
      callId: upload.call_id,
      caller: upload.caller,
      callee: upload.callee,
      remoteIdent: upload.remote_ident,
      receivedAtMs: Date.parse(upload.received_at),
      tiff,
    });
    if (!result.ok) throw new ApiError("number.not_found", { detail: `${upload.callee} is not a number of this instance.` });
    return c.json({ fax_id: result.fax.id, status: result.fax.status });
  });
}

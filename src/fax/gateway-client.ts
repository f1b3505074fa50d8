/**
 * The Worker's side of the gateway contract (docs/architecture.md "Gateway contract"): POST {GATEWAY_URL}/jobs,
 * signed like a webhook (Standard Webhooks v1 headers) with GATEWAY_SECRET.
 */
import { settings } from "../config";
import { signPayload } from "../lib/signature";
import { newId } from "../lib/ids";
import { signObjectUrl } from "../lib/signed-url";
import { faxFileKeys } from "./render/keys";
import type { Fax } from "./schema";

/** Long enough for a job that waits in the gateway's queue behind the concurrency limit. */
const TIFF_URL_TTL_SECONDS = 3600;

export interface GatewayJob {
  fax_id: string;
  attempt_id: string;
  to: string;
  from: string;
  header_text: string | null;
  resolution: "standard" | "fine";
  page_count: number;
  /** The rendered TIFF-F, behind a signed URL that expires. */
  tiff_url: string;
}

export async function dispatchToGateway(
  env: Env,
  gatewayUrl: string,
  fax: Fax,
  attemptId: string,
  accountId: string,
): Promise<{ ok: true } | { ok: false; detail: string }> {
  if (!env.GATEWAY_SECRET) return { ok: false, detail: "GATEWAY_SECRET is not set" };
  const tiff = await signObjectUrl(settings(env).publicUrl, env.SIGNING_SECRET, faxFileKeys(accountId, fax.id).tiff, TIFF_URL_TTL_SECONDS);
  const job: GatewayJob = {
    fax_id: fax.id,
    attempt_id: attemptId,
    to: fax.to,
    from: fax.from,
    header_text: fax.header_text,
    resolution: fax.options.resolution,
    page_count: fax.page_count,
    tiff_url: tiff.url,
  };
  const body = JSON.stringify(job);
  const messageId = newId("msg");
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = await signPayload(env.GATEWAY_SECRET, messageId, timestamp, body);
  try {
    const response = await fetch(`${gatewayUrl}/jobs`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": messageId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return { ok: true };
    return { ok: false, detail: `The gateway answered ${response.status}.` };
  } catch (error) {
    return { ok: false, detail: `The gateway could not be reached: ${String(error)}` };
  }
}

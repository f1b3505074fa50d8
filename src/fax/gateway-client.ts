/**
 * The Worker's side of the gateway contract (docs/architecture.md "Gateway contract"): POST {GATEWAY_URL}/jobs,
 * signed like a webhook (Standard Webhooks v1 headers) with GATEWAY_SECRET; the job's shape is src/contract/gateway.ts.
 */
import { settings } from "../config";
import { GatewayJobSchema, type GatewayJob } from "../contract/gateway";
import { newId } from "../lib/ids";
import { signedHeaders } from "../lib/signature";
import { signObjectUrl } from "../lib/signed-url";
import { faxFileKeys } from "./render/keys";
import type { Fax } from "./schema";

/** Long enough for a job that waits in the gateway's queue behind the concurrency limit. */
const TIFF_URL_TTL_SECONDS = 3600;

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
  // The gateway validates against the same schema; checking here names the field instead of a bare 400.
  const checked = GatewayJobSchema.safeParse(job);
  if (!checked.success) {
    return { ok: false, detail: `The job breaks the gateway contract: ${checked.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}.` };
  }
  const body = JSON.stringify(checked.data);
  const signed = await signedHeaders([env.GATEWAY_SECRET], newId("msg"), body);
  try {
    const response = await fetch(`${gatewayUrl}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signed },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return { ok: true };
    return { ok: false, detail: `The gateway answered ${response.status}.` };
  } catch (error) {
    return { ok: false, detail: `The gateway could not be reached: ${String(error)}` };
  }
}

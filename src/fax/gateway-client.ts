/**
 * The Worker's side of the gateway contract (DESIGN.md "Gateway contract"): POST {GATEWAY_URL}/jobs,
 * signed like a webhook (Standard Webhooks v1 headers) with GATEWAY_SECRET.
 */
import { signPayload } from "../lib/signature";
import { newId } from "../lib/ids";
import type { Fax } from "./schema";

export async function dispatchToGateway(
  env: Env,
  gatewayUrl: string,
  fax: Fax,
  attemptId: string,
): Promise<{ ok: true } | { ok: false; detail: string }> {
  if (!env.GATEWAY_SECRET) return { ok: false, detail: "GATEWAY_SECRET is not set" };
  const body = JSON.stringify({
    fax_id: fax.id,
    attempt_id: attemptId,
    to: fax.to,
    from: fax.from,
    header_text: fax.header_text,
    resolution: fax.options.resolution,
    page_count: fax.page_count,
  });
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

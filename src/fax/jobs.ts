/**
 * The `fax-jobs` queue: render a fax's documents into pages, then hand live attempts to the gateway.
 * Jobs carry only ids; the FaxObject decides whether a job is still wanted (a repeat is a no-op).
 */
import { settings } from "../config";
import { faxObject } from "./fax-stub";
import { dispatchToGateway } from "./gateway-client";

export type FaxJob = { faxId: string; kind: "render" } | { faxId: string; kind: "dispatch"; attemptId: string };

export async function handleFaxJob(job: FaxJob, env: Env): Promise<void> {
  const fax = faxObject(env, job.faxId);
  if (job.kind === "render") {
    const claim = await fax.startRendering();
    if (!claim) return;
    // The documents were merged and counted when the fax was created; rasterising to TIFF-F
    // for the gateway plugs in here (see src/fax/render when present).
    await fax.rendered({ pageCount: claim.pageCount });
    return;
  }
  const current = await fax.read();
  if (!current || current.status !== "sending") return;
  const gatewayUrl = settings(env).gatewayUrl;
  const outcome = gatewayUrl ? await dispatchToGateway(env, gatewayUrl, current, job.attemptId) : { ok: false as const, detail: "GATEWAY_URL is empty" };
  if (!outcome.ok) {
    await fax.report({ attemptId: job.attemptId, kind: "failed", code: "gateway.unavailable", detail: outcome.detail, t30Result: null });
  }
}

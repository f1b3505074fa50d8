/**
 * The `fax-jobs` queue: render a fax's documents into pages, then hand live attempts to the gateway.
 * Jobs carry only ids; the FaxObject decides whether a job is still wanted (a repeat is a no-op).
 */
import { settings } from "../config";
import { log } from "../lib/log";
import { faxObject } from "./fax-stub";
import { dispatchToGateway } from "./gateway-client";
import { RenderError, renderFailure } from "./render/errors";
import { parseFaxFileKey } from "./render/keys";
import { renderOutboundFax } from "./render/outbound";

export type FaxJob = { faxId: string; kind: "render" } | { faxId: string; kind: "dispatch"; attemptId: string; accountId: string } | InboundJob;

/**
 * A received fax's reading (issue 14, handled by src/inbound/pipeline.ts): `read` OCRs, indexes and extracts;
 * `extract` re-runs extraction number `run` (POST /v1/faxes/{id}/extract). The FaxObject refuses a stale result.
 */
export type InboundJob = { faxId: string; kind: "read" } | { faxId: string; kind: "extract"; run: number };

export function isInboundJob(job: FaxJob): job is InboundJob {
  return job.kind === "read" || job.kind === "extract";
}

export async function handleFaxJob(job: Exclude<FaxJob, InboundJob>, env: Env): Promise<void> {
  const fax = faxObject(env, job.faxId);
  if (job.kind === "render") {
    const claim = await fax.startRendering();
    if (!claim) return;
    const current = await fax.read();
    let pageCount: number;
    try {
      if (!claim.documentKey || !current) throw new RenderError("document.unreadable", "The fax's document is no longer stored.");
      const rendered = await renderOutboundFax(env, {
        accountId: parseFaxFileKey(claim.documentKey)?.accountId ?? "",
        faxId: job.faxId,
        documentKey: claim.documentKey,
        resolution: claim.resolution,
        // Faxes created before the option existed carry no value.
        imageConversion: current.options.image_conversion ?? "auto",
        header: { text: current.header_text, from: current.from, date: new Date() },
        limits: { maxPages: settings(env).maxPages },
      });
      pageCount = rendered.pageCount;
    } catch (error) {
      // Every render failure ends the fax (failed, with the reason), never a queue retry: the same document
      // would fail the same way again, and a redelivered job finds the fax no longer queued.
      const failure = renderFailure(error);
      const cause = error instanceof RenderError ? error.cause : error;
      if (cause !== undefined) log.error("render failed unexpectedly", { fax_id: job.faxId, error: String(cause) });
      await fax.renderFailed(failure.code, failure.detail);
      return;
    }
    await fax.rendered({ pageCount });
    return;
  }
  const current = await fax.read();
  if (!current || current.status !== "sending") return;
  const gatewayUrl = settings(env).gatewayUrl;
  const outcome = gatewayUrl ? await dispatchToGateway(env, gatewayUrl, current, job.attemptId, job.accountId) : { ok: false as const, detail: "GATEWAY_URL is empty" };
  if (!outcome.ok) {
    await fax.report({ attemptId: job.attemptId, kind: "failed", code: "gateway.unavailable", detail: outcome.detail, t30Result: null });
  }
}

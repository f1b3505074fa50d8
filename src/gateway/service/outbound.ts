/**
 * One job from the edge: fetch the TIFF-F through its signed URL, read its pages, place the call with
 * `sendFax` and report each step (ringing, negotiated, page_sent, then delivered or failed). Failure codes
 * come from the T.30 engine and the SIP outcome (FaxCallResult.failureCode) unchanged.
 */
import { decodeTiffPages, tiffPageCount } from "../../codec/index.js";
import type { FaxFailureCode } from "../../errors/fax-failures.js";
import type { FaxCallEvent, FaxCallResult, SendFaxOptions } from "../fax-call.js";
import type { FaxPageImage, FaxPageSource } from "../t30/index.js";
import type { GatewayConfig } from "./config.js";
import type { GatewayJob } from "../../contract/gateway.js";
import type { AttemptReporter } from "./reporter.js";
import type { Logger } from "../../lib/log.js";

/** How long after the call's own limit (callTimeoutMs) a call that still has not ended is given up on. */
const WATCHDOG_MARGIN_MS = 60_000;

export type SendFaxFn = (opts: SendFaxOptions) => Promise<FaxCallResult>;

export class TiffFetchError extends Error {
  constructor(
    message: string,
    readonly code: FaxFailureCode,
  ) {
    super(message);
  }
}

/** GET the signed URL with a time limit and a size cap (the body is read in chunks and cut off past the cap). */
export async function fetchTiff(url: string, maxBytes: number, timeoutMs: number, doFetch: typeof fetch = fetch): Promise<Uint8Array> {
  let response: Response;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    response = await doFetch(url, { signal });
  } catch (err) {
    throw new TiffFetchError(`The TIFF-F could not be fetched: ${(err as Error).message}`, "gateway.unavailable");
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    // 403/410: the link is wrong or expired; the next attempt gets a fresh one.
    throw new TiffFetchError(`The TIFF-F URL answered ${response.status}`, "gateway.unavailable");
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new TiffFetchError(`The TIFF-F is ${declared} bytes, over the gateway's cap of ${maxBytes}`, "document.too_many_pages");
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new TiffFetchError(`The TIFF-F is over the gateway's cap of ${maxBytes} bytes`, "document.too_many_pages");
        }
        chunks.push(value);
      }
    }
  } catch (err) {
    if (err instanceof TiffFetchError) throw err;
    throw new TiffFetchError(`The TIFF-F download broke off: ${(err as Error).message}`, "gateway.unavailable");
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A TIFF-F page for T.30: 98 lines per inch is standard, 196 fine (T.4 §2.3). */
function faxPageOf(page: { bitmap: FaxPageImage["bitmap"]; yResolution: number }): FaxPageImage {
  return { bitmap: page.bitmap, resolution: page.yResolution > 150 ? "fine" : "standard" };
}

/**
 * The TIFF-F's pages for T.30, decoded as the call asks for them: the file's structure is checked and the
 * first page decoded before dialling (so an unreadable document fails without a call), and each later page
 * when the engine looks ahead to it, while pages already sent are let go. A 200-page fine fax then holds
 * about two pages of bitmaps (0.5 MB each) instead of 93 MB, and page 1 goes out before page 200 is decoded.
 * `onDecode` sees each page index as it is decoded (for tests and logs).
 */
export function pagesFromTiff(tiff: Uint8Array, onDecode?: (index: number) => void): FaxPageSource {
  const count = tiffPageCount(tiff);
  const decoder = decodeTiffPages(tiff);
  const held = new Map<number, FaxPageImage>();
  let decoded = 0;
  const page = (index: number): FaxPageImage => {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`there is no page ${index + 1} of ${count}`);
    while (decoded <= index) {
      const next = decoder.next();
      if (next.done) throw new RangeError(`the TIFF-F ended after ${decoded} of ${count} pages`);
      held.set(decoded, faxPageOf(next.value));
      onDecode?.(decoded);
      decoded++;
    }
    // The engine asks for the page it sends and the one after it: anything before that is done with.
    for (const seen of held.keys()) if (seen < index - 1) held.delete(seen);
    const wanted = held.get(index);
    if (!wanted) throw new RangeError(`page ${index + 1} was sent and let go; pages are read in order`);
    return wanted;
  };
  if (count > 0) page(0);
  return { count, page };
}

/** The SIP URI the trunk (or our own listener, in loopback mode) routes to `to`. */
export function dialTarget(to: string, trunk: { address: string; port: number }): string {
  return `sip:${to}@${trunk.address}:${trunk.port}`;
}

export interface OutboundDeps {
  config: GatewayConfig;
  /** Where calls go: the carrier trunk, or our own SIP listener in loopback mode. */
  trunk: { address: string; port: number };
  sendFax: SendFaxFn;
  fetch?: typeof fetch;
  reporter: AttemptReporter;
  log: Logger;
  /** Hangs the call up (CANCEL before the answer, BYE after): the service aborts it when it hands the attempt back. */
  signal?: AbortSignal;
}

/** Runs the whole attempt; resolves once its result is reported. Never rejects. */
export async function runOutboundJob(job: GatewayJob, deps: OutboundDeps): Promise<FaxCallResult | null> {
  const { config, reporter, log } = deps;
  const heartbeat = setInterval(() => reporter.heartbeat(), config.heartbeatMs);
  try {
    let pages: FaxPageSource;
    try {
      const tiff = await fetchTiff(job.tiff_url, config.maxTiffBytes, config.tiffTimeoutMs, deps.fetch);
      try {
        pages = pagesFromTiff(tiff);
      } catch (err) {
        throw new TiffFetchError(`The TIFF-F could not be read: ${(err as Error).message}`, "document.unreadable");
      }
      if (pages.count === 0) throw new TiffFetchError("The TIFF-F has no pages", "document.unreadable");
    } catch (err) {
      const e = err instanceof TiffFetchError ? err : new TiffFetchError(String(err), "gateway.unavailable");
      log.warn("job failed before the call", { code: e.code, detail: e.message });
      await reporter.result({ kind: "failed", code: e.code, detail: e.message, t30_result: null, pages_sent: 0 });
      return null;
    }
    if (job.page_count && pages.count !== job.page_count) log.warn("the TIFF-F's page count differs from the job's", { pages: pages.count, page_count: job.page_count });
    const target = dialTarget(job.to, deps.trunk);
    log.info("dialling", { to: job.to, target, pages: pages.count });
    const onEvent = (e: FaxCallEvent) => {
      if (e.type === "sip" && e.state === "ringing") reporter.progress({ kind: "ringing" });
      else if (e.type === "t30" && e.event.type === "negotiated") {
        const n = e.event.negotiated;
        log.info("negotiated", { bit_rate: n.bitRate, modem: n.modem, scheme: n.scheme, resolution: n.resolution, ecm: n.ecm, remote_ident: e.event.remoteIdent });
        reporter.progress({ kind: "negotiated", detail: { bit_rate: n.bitRate, modem: n.modem, scheme: n.scheme, resolution: n.resolution, ecm: n.ecm, width: n.width, remote_ident: e.event.remoteIdent } });
      } else if (e.type === "t30" && e.event.type === "page") {
        log.info("page", { page: e.event.page, bytes: e.event.bytes, accepted: e.event.accepted });
        if (e.event.accepted) reporter.progress({ kind: "page_sent", page: e.event.page });
      }
    };
    let answered = false;
    const hangUp = new AbortController();
    const onHandBack = () => hangUp.abort(deps.signal?.reason);
    if (deps.signal?.aborted) onHandBack();
    else deps.signal?.addEventListener("abort", onHandBack, { once: true });
    const call = deps.sendFax({
      to: target,
      pages,
      bind: config.sip.address,
      ecm: config.ecm,
      // T.30 §5.3.6.2.4: the TSI is digits, "+" and space; the caller's number is the usual choice.
      ...(/^\+?[\d ]{1,20}$/.test(job.from) ? { localIdent: job.from } : {}),
      ...(job.header_text ? { headerInfo: job.header_text } : {}),
      uaOptions: {
        user: job.from || "edgefax",
        ...(config.publicAddress ? { publicAddress: config.publicAddress } : {}),
        ...(config.trunkCredentials ? { credentials: config.trunkCredentials } : {}),
      },
      callTimeoutMs: config.callTimeoutMs,
      signal: hangUp.signal,
      onEvent: (e) => {
        if (e.type === "sip" && e.state === "answered") answered = true;
        onEvent(e);
      },
    });
    // A last resort: sendFax ends on its ring timeout and call time limit, but should it still be running
    // past the limit plus a margin, it is hung up (the signal) and the attempt reported, freeing the slot.
    let watchdog: NodeJS.Timeout | undefined;
    const overdue = new Promise<null>((resolve) => (watchdog = setTimeout(() => resolve(null), config.callTimeoutMs + WATCHDOG_MARGIN_MS)));
    const finished = await Promise.race([call, overdue]);
    clearTimeout(watchdog);
    deps.signal?.removeEventListener("abort", onHandBack);
    if (!finished) {
      hangUp.abort(new Error("the call did not end within its time limit"));
      log.error("the call did not end within its time limit; giving up on it", { answered });
      await reporter.result({
        kind: "failed",
        code: answered ? "fax.protocol_error" : "fax.no_answer",
        detail: answered ? "The call did not end within its time limit." : "Nobody answered within the call's time limit.",
        t30_result: null,
      });
      return null;
    }
    const result = finished;
    const fields = { success: result.success, code: result.failureCode, t30_result: result.t30Result, pages: result.pagesTransferred, duration_ms: result.durationMs, sip_status: result.sipStatus };
    if (reporter.finished) {
      log.warn("call ended after the attempt was handed back", fields);
      return result;
    }
    log.info("call ended", fields);
    if (result.success) await reporter.result({ kind: "delivered", remote_ident: result.remoteIdent || null });
    else
      await reporter.result({
        kind: "failed",
        code: result.failureCode ?? "fax.protocol_error",
        detail: result.t30Result,
        t30_result: result.t30Result,
        pages_sent: result.pagesTransferred,
      });
    return result;
  } catch (err) {
    log.error("job crashed", { error: (err as Error).stack ?? String(err) });
    await reporter.result({ kind: "failed", code: "fax.protocol_error", detail: `Gateway error: ${(err as Error).message}`, t30_result: null });
    return null;
  } finally {
    clearInterval(heartbeat);
  }
}

/** Typed reading of the Worker's settings (wrangler.toml [vars]), with the defaults documented in README. */
function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export interface Settings {
  local: boolean;
  timeCompression: number;
  rateLimitPerMinute: number;
  signedUrlTtlSeconds: number;
  retentionDays: number;
  maxDocumentBytes: number;
  /**
   * Any request body: a document in base64 (4/3 of its size) with room for the JSON around it.
   * scripts/local-worker.mjs reads it too, so the local front never sends workerd bytes the Worker will not read.
   */
  maxRequestBytes: number;
  maxPages: number;
  sweepStaleSeconds: number;
  liveNumberPool: string[];
  gatewayUrl: string | null;
  /** Where this Worker is reachable, for links handed to others (the gateway fetches the TIFF-F there). */
  publicUrl: string;
  /** How live accounts pay for credits (issue 16 point 3): "manual" (an operator grants them) or "stripe". */
  paymentProvider: "manual" | "stripe";
}

export function settings(env: Env): Settings {
  const maxDocumentBytes = positiveNumber(env.MAX_DOCUMENT_BYTES, 20 * 1024 * 1024);
  return {
    local: env.ENVIRONMENT === "local",
    timeCompression: positiveNumber(env.TIME_COMPRESSION, 1),
    rateLimitPerMinute: positiveNumber(env.RATE_LIMIT_PER_MINUTE, 60),
    signedUrlTtlSeconds: positiveNumber(env.SIGNED_URL_TTL_SECONDS, 900),
    retentionDays: positiveNumber(env.RETENTION_DAYS, 30),
    maxDocumentBytes,
    maxRequestBytes: Math.ceil(maxDocumentBytes * 1.4) + 64 * 1024,
    maxPages: positiveNumber(env.MAX_PAGES, 200),
    sweepStaleSeconds: positiveNumber(env.SWEEP_STALE_SECONDS, 300),
    liveNumberPool: (env.LIVE_NUMBER_POOL ?? "")
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean),
    gatewayUrl: env.GATEWAY_URL ? env.GATEWAY_URL.replace(/\/+$/, "") : null,
    publicUrl: (env.PUBLIC_URL || "http://127.0.0.1:8787").replace(/\/+$/, ""),
    paymentProvider: env.PAYMENT_PROVIDER === "stripe" ? "stripe" : "manual",
  };
}

export function isoNow(nowMs: number = Date.now()): string {
  return new Date(nowMs).toISOString();
}

// ---- inbound intelligence (issue 14): who reads received pages, and how long fax.received waits for them ----
export const OCR_PROVIDERS = ["local", "workers-ai"] as const;
export type OcrProviderName = (typeof OCR_PROVIDERS)[number];

/** TOOLCHAIN.md: takes image_url data URLs and response_format json_schema. */
export const DEFAULT_AI_MODEL = "@cf/meta/llama-4-scout-17b-16e-instruct";

export interface InboundSettings {
  provider: OcrProviderName;
  /** Workers AI model for OCR and extraction. */
  aiModel: string;
  /** The local OCR service (src/inbound/local-engine), reached signed with OCR_SECRET. */
  ocrUrl: string | null;
  /** fax.received waits this long for the text, then goes without it (and says so). */
  receivedDeadlineMs: number;
  /** One page's reading is abandoned after this long (an engine that hangs never holds up the fax). */
  pageTimeoutMs: number;
  /** Pages read below this confidence (0-100) are flagged: TOOLCHAIN.md measured ~80 as the line. */
  minConfidence: number;
  /** Reading that has not finished after this long is failed by the FaxObject's alarm (a job lost for good). */
  giveUpMs: number;
  /** Pages of one fax read at the same time (a Worker may hold 6 connections open; the engine has its own pool). */
  pageConcurrency: number;
  /** Readings of a page the OCR service could not take (unreachable, 5xx) before the page fails. */
  pageAttempts: number;
  /** The first retry waits this long, each later one twice as long as the one before. */
  retryBaseSeconds: number;
}

export function inboundSettings(env: Env): InboundSettings {
  const provider = (OCR_PROVIDERS as readonly string[]).includes(env.OCR_PROVIDER ?? "") ? (env.OCR_PROVIDER as OcrProviderName) : "local";
  return {
    provider,
    aiModel: env.OCR_MODEL || DEFAULT_AI_MODEL,
    ocrUrl: env.OCR_URL ? env.OCR_URL.replace(/\/+$/, "") : null,
    receivedDeadlineMs: positiveNumber(env.OCR_DEADLINE_SECONDS, 20) * 1000,
    pageTimeoutMs: positiveNumber(env.OCR_PAGE_TIMEOUT_SECONDS, 60) * 1000,
    minConfidence: positiveNumber(env.OCR_MIN_CONFIDENCE, 80),
    giveUpMs: positiveNumber(env.OCR_GIVE_UP_SECONDS, 900) * 1000,
    pageConcurrency: Math.min(6, Math.floor(positiveNumber(env.OCR_PAGE_CONCURRENCY, 4))) || 1,
    pageAttempts: Math.floor(positiveNumber(env.OCR_PAGE_ATTEMPTS, 4)) || 1,
    retryBaseSeconds: positiveNumber(env.OCR_RETRY_SECONDS, 5),
  };
}

/**
 * The one place requests are made: base URL and bearer key, an Idempotency-Key on every POST (the same key on
 * each retry, so the API replays instead of sending a fax twice), and retries of what is safe to retry:
 * network errors, 429, 5xx and 409 `idempotency.in_flight`, waiting as Retry-After says (RFC 9110 §10.2.3),
 * else an exponential backoff with jitter.
 */
import { ConnectionError, EdgefaxError, ProblemError } from "./errors.js";
import type { Problem } from "./types.js";

export const DEFAULT_BASE_URL = "https://api.edgefax.dev";
export const SDK_VERSION = "0.1.0";

export interface ClientOptions {
  /** `fx_test_…` or `fx_live_…` (or an OAuth bearer token). */
  apiKey?: string;
  /** Where the API runs, e.g. http://127.0.0.1:8787 for `npm start`. */
  baseUrl?: string;
  /** Retries after the first try (default 2). */
  maxRetries?: number;
  /** Per-try timeout in ms (default 60 000). Streams are not timed out. */
  timeoutMs?: number;
  /** The longest Retry-After honoured, in seconds (default 60); a longer one is thrown as the ProblemError. */
  maxRetryAfterSeconds?: number;
  /** A fetch of your own (tests, proxies). */
  fetch?: typeof fetch;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue> | object;
  /** A JSON body, serialized once. */
  json?: unknown;
  /** A body already serialized (e.g. multipart), sent as is on every try. */
  body?: { bytes: Uint8Array<ArrayBuffer>; contentType: string };
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Answer with the raw Response (streams, files) instead of parsed JSON. */
  raw?: boolean;
  /** No per-try timeout (long-lived streams). */
  noTimeout?: boolean;
}

const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;

/** Retry-After as delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}

export function backoffSeconds(attempt: number): number {
  return Math.min(8, 0.5 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

export function randomIdempotencyKey(): string {
  return `edgefax-sdk-${crypto.randomUUID()}`;
}

export function queryString(query: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    if (typeof value === "object" && !Array.isArray(value)) {
      // metadata[key]=value filters
      for (const [inner, innerValue] of Object.entries(value as Record<string, QueryValue>)) {
        if (innerValue !== undefined && innerValue !== null) params.append(`${key}[${inner}]`, String(innerValue));
      }
    } else params.append(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A problem document from an error response, or one made up from the status when the body is not one. */
async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (parsed && typeof parsed.code === "string") return parsed as Problem;
  } catch {}
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: text.slice(0, 500) || `The server answered ${response.status}.`,
    code: `http.${response.status}`,
    next: RETRYABLE_STATUS(response.status) ? "Retry later." : "Check the request against /openapi.json.",
    instance: "",
    request_id: response.headers.get("request-id") ?? "",
  };
}

export class Transport {
  readonly baseUrl: string;
  readonly maxRetries: number;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxRetryAfter: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions = {}) {
    this.apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetryAfter = options.maxRetryAfterSeconds ?? 60;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (options.raw) return response as T;
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The successful Response, after retries; a ProblemError or ConnectionError otherwise. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    if (!this.apiKey) throw new EdgefaxError("No API key: pass { apiKey } or set EDGEFAX_API_KEY.");
    const url = `${this.baseUrl}${path}${queryString(options.query)}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: "application/json, application/problem+json",
      ...options.headers,
    };
    if (method === "POST") headers["idempotency-key"] = options.idempotencyKey ?? randomIdempotencyKey();
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.body) {
      body = options.body.bytes;
      headers["content-type"] = options.body.contentType;
    }

    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.maxRetries;
      let response: Response;
      const timeout = options.noTimeout ? undefined : AbortSignal.timeout(this.timeoutMs);
      const signal = timeout && options.signal ? AbortSignal.any([timeout, options.signal]) : (timeout ?? options.signal);
      try {
        response = await this.fetchImpl(url, { method, headers, body, signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (last) throw new ConnectionError(`${method} ${url} failed after ${attempt + 1} tries: ${(error as Error).message}`, { cause: error });
        await sleep(backoffSeconds(attempt) * 1000, options.signal);
        continue;
      }
      if (response.ok) return response;
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      const problem = await problemOf(response);
      const retryable = RETRYABLE_STATUS(response.status) || problem.code === "idempotency.in_flight";
      if (!retryable || last || (retryAfter !== null && retryAfter > this.maxRetryAfter)) throw new ProblemError(problem, retryAfter);
      await sleep((retryAfter ?? backoffSeconds(attempt)) * 1000, options.signal);
    }
  }
}

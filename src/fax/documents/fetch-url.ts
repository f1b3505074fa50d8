/**
 * `document_url`: fetch a client's document from the public web, through the SSRF guard
 * (src/lib/ssrf.ts) on the first URL and on every redirect hop.
 */
import { ApiError } from "../../errors/api-error";
import { ForbiddenUrlError, assertFetchableUrl, isLoopbackHost } from "../../lib/ssrf";
import { documentError, formatBytes } from "./errors";
import type { IncomingDocument } from "./types";

const MAX_REDIRECTS = 3;
const DEFAULT_TIMEOUT_MS = 10_000;

export interface FetchDocumentOptions {
  maxBytes: number;
  /** Local development: allow http and https to loopback hosts (see FetchableUrlOptions). */
  allowHttpLoopback: boolean;
  /** Injected by tests to stand in for the remote server; defaults to the global fetch. */
  fetcher?: typeof fetch;
  pointer: string;
  /** Whole-fetch deadline, redirects and body included. Default 10 s. */
  timeoutMs?: number;
}

export async function fetchDocumentUrl(url: string, opts: FetchDocumentOptions): Promise<IncomingDocument> {
  const { pointer, maxBytes } = opts;
  const fetcher = opts.fetcher ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const failed = (why: string) => documentError("document.fetch_failed", pointer, `The document_url ${why}.`);

  let current = checkUrl(url, opts);
  let response: Response | undefined;
  for (let hop = 0; ; hop++) {
    try {
      // redirect: "manual" so every hop's host passes the guard before we connect to it.
      response = await fetcher(current.href, {
        method: "GET",
        redirect: "manual",
        signal,
        headers: { accept: "application/pdf, image/png, image/jpeg, image/tiff;q=0.9, */*;q=0.1" },
      });
    } catch (err) {
      if (signal.aborted) throw failed(`did not answer within ${timeoutMs / 1000} s`);
      throw failed(unreachable(current, err));
    }
    if (!isRedirect(response.status)) break;
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (location === null) throw failed(`answered ${response.status} without a Location to redirect to`);
    if (hop >= MAX_REDIRECTS) throw failed(`redirected more than ${MAX_REDIRECTS} times`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw failed(`redirected to an invalid URL`);
    }
    current = checkUrl(next.href, opts, true);
  }

  if (response.status !== 200) {
    await response.body?.cancel();
    throw failed(`answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}, not 200`);
  }

  const tooLarge = (size: string) =>
    documentError("document.too_large", pointer, `The document at document_url is ${size}; documents may be at most ${formatBytes(maxBytes)}.`);
  const declaredLength = Number(response.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(formatBytes(declaredLength));
  }

  const bytes = await readBounded(response, maxBytes, signal, () => tooLarge(`over ${formatBytes(maxBytes)}`), () =>
    failed(signal.aborted ? `did not finish sending within ${timeoutMs / 1000} s` : "stopped sending the document midway"),
  );

  const filename = filenameFrom(response.headers.get("content-disposition")) ?? filenameFromPath(current);
  return {
    bytes,
    contentType: response.headers.get("content-type"),
    ...(filename !== undefined ? { filename } : {}),
    pointer,
  };
}

function checkUrl(url: string, opts: FetchDocumentOptions, redirected = false): URL {
  try {
    return assertFetchableUrl(url, { allowHttpLoopback: opts.allowHttpLoopback });
  } catch (err) {
    if (!(err instanceof ForbiddenUrlError)) throw err;
    const what = redirected ? "The document_url redirected to a URL that is not allowed" : "The document_url is not allowed";
    throw documentError("document.url_refused", opts.pointer, `${what}: ${err.reason}.`);
  }
}

/**
 * Why a fetch threw, in the caller's words. workerd reports a failed TLS handshake (a server speaking plain
 * http on an https URL, or a certificate it does not trust) only as "internal error; reference = …", which
 * would read as our own failure.
 */
function unreachable(url: URL, err: unknown): string {
  const message = err instanceof Error ? err.message : "network error";
  if (url.protocol === "https:" && /^internal error\b/i.test(message)) {
    const local = isLoopbackHost(url.hostname) ? `; a server on this machine without a trusted certificate can be given as http://${url.host}${url.pathname}` : "";
    return `could not be reached over https: the TLS handshake with ${url.host} failed (no https there, or a certificate that is not trusted)${local}`;
  }
  return `could not be reached (${message})`;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Reads the body, cancelling the stream the moment it passes maxBytes (Content-Length may lie or be absent). */
async function readBounded(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
  tooLarge: () => ApiError,
  broken: () => ApiError,
): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      if (signal.aborted) throw broken();
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    await reader.cancel().catch(() => undefined);
    throw broken();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** RFC 6266 filename / filename* (RFC 8187 UTF-8 form); only the base name is kept. */
function filenameFrom(disposition: string | null): string | undefined {
  if (disposition === null) return undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  let name: string | undefined;
  if (extended?.[1] !== undefined) {
    try {
      name = decodeURIComponent(extended[1].trim());
    } catch {
      name = undefined;
    }
  }
  name ??= /filename\s*=\s*"([^"]*)"/.exec(disposition)?.[1] ?? /filename\s*=\s*([^;\s]+)/.exec(disposition)?.[1];
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base ? base.slice(0, 255) : undefined;
}

function filenameFromPath(url: URL): string | undefined {
  const last = url.pathname.split("/").pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last).slice(0, 255) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The gateway's calls to the Worker (docs/architecture.md "Gateway contract"): POST {EDGE_URL}/internal/gateway/*,
 * signed like a webhook (Standard Webhooks v1, src/lib/signature.ts) with GATEWAY_SECRET. Every message
 * carries its attempt or call id, so the Worker takes a repeat as a no-op: network errors, 429 and 5xx
 * are retried with exponential backoff; any other answer is final.
 */
import { randomBytes } from "node:crypto";
import { signedHeaders } from "../../lib/signature.js";

export interface EdgeResponse {
  status: number;
  body: unknown;
}

export interface EdgeClientOptions {
  edgeUrl: string;
  secret: string;
  /** Waits before each retry; its length is the number of retries. Default 0.5, 1, 2, 4 s. */
  backoffMs?: number[];
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface EdgeClient {
  /** Resolves with the Worker's final answer; rejects only when every try failed to get one (or got 429/5xx). */
  post(path: string, body: unknown, opts?: { backoffMs?: number[] }): Promise<EdgeResponse>;
}

export class EdgeUnreachableError extends Error {
  constructor(
    message: string,
    readonly lastStatus: number | null,
  ) {
    super(message);
  }
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

export function createEdgeClient(options: EdgeClientOptions): EdgeClient {
  const doFetch = options.fetch ?? fetch;
  const defaultBackoff = options.backoffMs ?? [500, 1000, 2000, 4000];
  return {
    async post(path, payload, opts) {
      const backoff = opts?.backoffMs ?? defaultBackoff;
      const body = JSON.stringify(payload);
      let lastError = "";
      let lastStatus: number | null = null;
      for (let attempt = 0; attempt <= backoff.length; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, backoff[attempt - 1]));
        // A fresh id and timestamp per try: the signature must be within the Worker's tolerance when it arrives.
        const id = `msg_${randomBytes(12).toString("hex")}`;
        try {
          const signed = await signedHeaders([options.secret], id, body);
          const response = await doFetch(`${options.edgeUrl}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json", ...signed },
            body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
          });
          const text = await response.text();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // Not JSON: keep the text.
          }
          if (!retryable(response.status)) return { status: response.status, body: parsed };
          lastStatus = response.status;
          lastError = `${path} answered ${response.status}`;
        } catch (err) {
          lastError = `${path}: ${(err as Error).message}`;
        }
      }
      throw new EdgeUnreachableError(`The edge did not take ${path} after ${backoff.length + 1} tries: ${lastError}`, lastStatus);
    },
  };
}

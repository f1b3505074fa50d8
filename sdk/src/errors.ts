/**
 * What the client throws. ProblemError carries the API's RFC 9457 problem (code, next, request_id and the
 * per-field errors), so callers branch on `code` (stable, listed at /errors) rather than on messages.
 */
import type { Problem } from "./types.js";

export class EdgefaxError extends Error {
  override name = "EdgefaxError";
}

export class ProblemError extends EdgefaxError {
  override name = "ProblemError";
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly next: string;
  readonly request_id: string;
  readonly type: string;
  readonly errors: { pointer: string; detail: string }[];
  /** The problem document as the API sent it. */
  readonly problem: Problem;
  /** Seconds the API asked to wait (Retry-After), when it did. */
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(`${problem.status} ${problem.code}: ${problem.detail}${problem.next ? ` (${problem.next})` : ""}`);
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.next = problem.next;
    this.request_id = problem.request_id;
    this.type = problem.type;
    this.errors = problem.errors ?? [];
    this.retryAfter = retryAfter;
  }
}

/** The request never got an answer (DNS, refused connection, reset, timeout) after every retry. */
export class ConnectionError extends EdgefaxError {
  override name = "ConnectionError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A webhook whose signature, timestamp or headers do not check out (see webhooks.verify). */
export class WebhookVerificationError extends EdgefaxError {
  override name = "WebhookVerificationError";
}

/**
 * A request error as a value: thrown anywhere below the routes, rendered once as RFC 9457
 * problem+json by the problem middleware (src/api/middleware/problem.ts).
 */
import { REQUEST_ERRORS, type RequestErrorCode } from "./catalog";

/** RFC 9457 §3: extension member for field violations, one per bad field. */
export interface FieldViolation {
  /** JSON Pointer (RFC 6901) into the request, e.g. "/documents/0/content". */
  pointer: string;
  detail: string;
}

export interface ApiErrorOptions {
  detail?: string;
  errors?: FieldViolation[];
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly code: RequestErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: FieldViolation[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: RequestErrorCode, options: ApiErrorOptions = {}) {
    const entry = REQUEST_ERRORS[code];
    super(options.detail ?? entry.title);
    this.name = "ApiError";
    this.code = code;
    this.status = entry.status;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

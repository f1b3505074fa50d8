/**
 * RFC 9457 problem+json: every error the API returns is rendered here, once, from the catalog.
 * `type` is a permalink to the code's page (/errors/{code}); `code` and `next` are our extensions.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, type FieldViolation } from "../../errors/api-error";
import { REQUEST_ERRORS, type RequestErrorCode } from "../../errors/catalog";
import { log, type Logger } from "../../lib/log";

export function problemBody(c: Context, code: RequestErrorCode, detail?: string, errors?: FieldViolation[]) {
  const entry = REQUEST_ERRORS[code];
  const origin = new URL(c.req.url).origin;
  return {
    type: `${origin}/errors/${code}`,
    title: entry.title,
    status: entry.status,
    detail: detail ?? entry.title,
    code,
    next: entry.next,
    instance: new URL(c.req.url).pathname,
    request_id: c.get("requestId") as string | undefined,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function problemResponse(c: Context, error: ApiError): Response {
  const body = problemBody(c, error.code, error.detail, error.errors);
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { "content-type": "application/problem+json", ...error.headers },
  });
}

/** app.onError: ApiError as itself, Hono's own HTTP errors mapped to catalog codes, anything else a 500. */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return problemResponse(c, err);
  if (err instanceof HTTPException) {
    const code: RequestErrorCode =
      err.status === 413 ? "request.too_large" : err.status === 415 ? "request.unsupported_media_type" : err.status === 400 ? "request.malformed_json" : "internal";
    return problemResponse(c, new ApiError(code, { detail: err.message || undefined }));
  }
  ((c.get("log") as Logger | undefined) ?? log).error("unhandled error", { path: new URL(c.req.url).pathname, error: String(err), stack: err.stack });
  return problemResponse(c, new ApiError("internal"));
}

export function notFound(c: Context): Response {
  return problemResponse(c, new ApiError("request.not_found", { detail: `Nothing at ${c.req.method} ${new URL(c.req.url).pathname}.` }));
}

export type { ContentfulStatusCode };

/**
 * Every /v1 request body is bounded before anything reads it: a declared Content-Length over the limit is
 * refused without reading a byte, and a body without one (chunked) is counted as it streams and refused the
 * moment it passes the limit, so a 30 MB upload is a 413 problem+json, never a reset connection.
 */
import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { settings } from "../../config";
import { ApiError } from "../../errors/api-error";

/** Also bounds the portal's forms (src/portal/index.tsx), before its CSRF check reads them; its error page shows the same refusal. */
export const requestBodyLimit = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const limit = settings(c.env).maxRequestBytes;
  const declared = c.req.header("content-length");
  return bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new ApiError("request.too_large", {
        detail: declared !== undefined ? `The body is ${declared} bytes; the limit is ${limit}.` : `The body passed the limit of ${limit} bytes.`,
      });
    },
  })(c, next);
});

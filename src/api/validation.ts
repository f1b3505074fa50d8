/** zod issues as RFC 9457 field violations, with JSON Pointers into the request (RFC 6901). */
import type { z } from "@hono/zod-openapi";
import { ApiError, type FieldViolation } from "../errors/api-error";

export function pointerOf(path: readonly PropertyKey[], root = ""): string {
  return root + path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

export function violations(error: z.ZodError, root = ""): FieldViolation[] {
  return error.issues.map((issue) => ({ pointer: pointerOf(issue.path, root), detail: issue.message }));
}

export function invalid(error: z.ZodError, root = ""): ApiError {
  const list = violations(error, root);
  return new ApiError("request.invalid", {
    detail: list.map((v) => `${v.pointer || "body"}: ${v.detail}`).join("; "),
    errors: list,
  });
}

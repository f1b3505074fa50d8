/** zod issues as RFC 9457 field violations, with JSON Pointers into the request (RFC 6901). */
import type { z } from "@hono/zod-openapi";
import { ApiError, type FieldViolation } from "../errors/api-error";
import { clip } from "../lib/closed-object";

/** A JSON Pointer (RFC 6901); a segment over 40 characters (a user's key) is cut, never echoed whole. */
export function pointerOf(path: readonly PropertyKey[], root = ""): string {
  return root + path.map((p) => "/" + clip(String(p)).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

export function violations(error: z.ZodError, root = ""): FieldViolation[] {
  return error.issues.flatMap((issue) => {
    // A record's bad key: zod nests the key schema's own message (which names the limit) one level down.
    if (issue.code === "invalid_key") return [{ pointer: pointerOf(issue.path, root), detail: issue.issues[0]?.message ?? issue.message }];
    if (issue.code !== "unrecognized_keys") return [{ pointer: pointerOf(issue.path, root), detail: issue.message }];
    // One violation per unknown key, pointing at the key itself. closedObject() wrote one line per key;
    // a plain .strict() object did not, and its keys get a generic line.
    const lines = issue.message.split("\n");
    return issue.keys.map((key, i) => ({
      pointer: pointerOf([...issue.path, key], root),
      detail: lines.length === issue.keys.length ? lines[i]! : "unknown field; remove it (see the schema in /openapi.json)",
    }));
  });
}

export function invalid(error: z.ZodError, root = ""): ApiError {
  const list = violations(error, root);
  return new ApiError("request.invalid", {
    detail: list.map((v) => `${v.pointer || "body"}: ${v.detail}`).join("; "),
    errors: list,
  });
}

/** A body read as text (to check its signature first) parsed as JSON, or 400 request.malformed_json. */
export function parseJsonText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError("request.malformed_json");
  }
}

/**
 * Query parameters the operation does not have are refused, not ignored: a partner who writes
 * `GET /v1/faxes?state=failed` (meaning `status`) must not get every fax back believing the filter held.
 * The names each operation takes are the ones its route declares in /openapi.json (its `request.query`
 * schema), so the documentation and this check cannot drift apart. Two shapes are read as their base name:
 * `metadata[key]=value` (OpenAPI's deepObject style) counts as `metadata`, and `external_user_id`, which
 * every /v1/faxes route takes (./external-user-scope.ts), is declared once here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../errors/api-error";
import { clip, suggestField } from "../../lib/closed-object";
import type { AppEnv } from "../context";
import { pointerOf } from "../validation";

type Operation = { method: string; pattern: RegExp; names: readonly string[] };

/** The declared query names of every documented /v1 operation, from the app's OpenAPI registry. */
export function declaredQueryNames(app: OpenAPIHono<AppEnv>): Operation[] {
  const operations: Operation[] = [];
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route" || !definition.route.path.startsWith("/v1/")) continue;
    const { method, path, request } = definition.route;
    const query = request?.query as { shape?: Record<string, unknown> } | undefined;
    const names = Object.keys(query?.shape ?? {});
    if (path.startsWith("/v1/faxes")) names.push("external_user_id");
    const pattern = new RegExp("^" + path.replace(/\{[^}]+\}/g, "[^/]+") + "$");
    operations.push({ method: method.toUpperCase(), pattern, names: [...new Set(names)] });
  }
  return operations;
}

/** The line for one unknown name: the one probably meant, else the ones this operation takes. */
function unknownParameterLine(name: string, names: readonly string[]): string {
  const shown = clip(name);
  const meant = suggestField(name, names);
  if (meant) return `unknown query parameter \`${shown}\`; did you mean \`${meant}\`?`;
  if (names.length === 0) return `unknown query parameter \`${shown}\`; this operation takes none`;
  return `unknown query parameter \`${shown}\`; the parameters here are ${names.map((n) => `\`${n}\``).join(", ")}`;
}

/** `metadata[order_id]` -> `metadata`; a plain name stays itself. */
const baseName = (name: string) => /^([a-z_][a-z0-9_]*)\[.*\]$/is.exec(name)?.[1] ?? name;

/**
 * Refuses a request to a documented /v1 operation that carries a query parameter it does not declare
 * (422 request.invalid, one violation per name with the likely meant one). Built lazily, on the first
 * request, because routes are registered after the middleware is.
 */
export function refuseUnknownQuery(app: OpenAPIHono<AppEnv>): MiddlewareHandler<AppEnv> {
  let operations: Operation[] | undefined;
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (url.search.length > 1) {
      operations ??= declaredQueryNames(app);
      const method = c.req.method === "HEAD" ? "GET" : c.req.method;
      // The most literal route wins: /v1/faxes/search before /v1/faxes/{id}.
      const operation = operations
        .filter((o) => o.method === method && o.pattern.test(url.pathname))
        .sort((a, b) => a.pattern.source.split("[^/]+").length - b.pattern.source.split("[^/]+").length)[0];
      // An undocumented path is left to the router (404/405), which says it better.
      if (operation) {
        const unknown = [...new Set([...url.searchParams.keys()].filter((name) => !operation.names.includes(baseName(name))))];
        if (unknown.length > 0) {
          const errors = unknown.map((name) => ({
            pointer: pointerOf([name], "query:"),
            detail: unknownParameterLine(name, operation.names),
          }));
          throw new ApiError("request.invalid", { detail: errors.map((e) => `${e.pointer}: ${e.detail}`).join("; "), errors });
        }
      }
    }
    await next();
  };
}

/**
 * Key scopes (issue 17 point 5): one table of what each operation needs. A key's scope grants its own
 * level and those below it: `full` ⊃ `send` ⊃ `read`. An operation missing from the table needs `full`,
 * so a route added without a line here is closed to narrower keys, never open to them; a test checks
 * that every operation in /openapi.json has a line. The portal's role table follows the same idea.
 */
import { createMiddleware } from "hono/factory";
import type { ApiKeyScope } from "../../db/account-store";
import { ApiError } from "../../errors/api-error";
import type { AppEnv } from "../context";

/** What each scope grants, widest first. */
export const SCOPE_GRANTS: Record<ApiKeyScope, readonly ApiKeyScope[]> = {
  full: ["full", "send", "read"],
  send: ["send", "read"],
  read: ["read"],
};

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** The least scope each operation needs: `METHOD /path` with OpenAPI-style `{param}` segments. */
export const OPERATION_SCOPES: Record<`${Method} /v1/${string}`, ApiKeyScope> = {
  "GET /v1/faxes": "read",
  "GET /v1/faxes/received": "read",
  "GET /v1/faxes/{id}": "read",
  "GET /v1/faxes/{id}/events": "read",
  "GET /v1/faxes/{id}/stream": "read",
  "GET /v1/events/stream": "read",
  "GET /v1/faxes/{id}/document": "read",
  "GET /v1/faxes/{id}/pages/{n}": "read",
  "GET /v1/faxes/{id}/image": "read",
  "POST /v1/faxes": "send",
  "DELETE /v1/faxes/{id}": "send",
  "POST /v1/faxes/{id}/resend": "send",
  // inbound (issue 14)
  "GET /v1/faxes/{id}/text": "read",
  "POST /v1/faxes/{id}/extract": "send",

  "GET /v1/numbers": "read",
  "GET /v1/numbers/{id}": "read",
  "POST /v1/numbers": "full",
  "DELETE /v1/numbers/{id}": "full",
  "PATCH /v1/numbers/{id}": "full",

  // Partners (issue 15): a partner's users and their inboxes.
  "GET /v1/external-users": "read",
  "GET /v1/external-users/{external_user_id}": "read",
  "GET /v1/external-users/{external_user_id}/inbox": "read",
  // The read state only: a read key already sets it by reading the fax.
  "PATCH /v1/external-users/{external_user_id}/inbox/{fax_id}": "read",
  "PUT /v1/external-users/{external_user_id}": "full",
  "DELETE /v1/external-users/{external_user_id}": "full",
  "GET /v1/numbers/{id}/extraction-schema": "read",
  "PUT /v1/numbers/{id}/extraction-schema": "full",

  "GET /v1/webhooks": "read",
  "GET /v1/webhooks/{id}": "read",
  "GET /v1/webhooks/{id}/deliveries": "read",
  "GET /v1/webhooks/callback-deliveries": "read",
  "GET /v1/webhooks/callback-secret": "read",
  "POST /v1/webhooks": "full",
  "PATCH /v1/webhooks/{id}": "full",
  "DELETE /v1/webhooks/{id}": "full",
  "POST /v1/webhooks/{id}/rotate-secret": "full",
  "POST /v1/webhooks/{id}/ping": "full",
  "POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver": "full",
  "POST /v1/webhooks/callback-secret/rotate": "full",
  "POST /v1/webhooks/callback-deliveries/{delivery_id}/redeliver": "full",

  "GET /v1/settings": "read",
  "PATCH /v1/settings": "full",

  // billing (issue 16): spending money needs a full key.
  "GET /v1/balance": "read",
  "GET /v1/balance/bundles": "read",
  "GET /v1/balance/transactions": "read",
  "POST /v1/balance/purchases": "full",
  "GET /v1/usage": "read",
  "GET /v1/invoices": "read",
  "GET /v1/invoices/{id}": "read",
  "POST /v1/invoices/{id}/pay": "full",

  "GET /v1/api-keys": "full",
  "POST /v1/api-keys": "full",
  "DELETE /v1/api-keys/{id}": "full",

  "GET /v1/audit-events": "read",
  "GET /v1/audit-events/export": "read",
  "GET /v1/audit-events/checkpoint": "read",
};

interface CompiledOperation {
  method: string;
  pattern: RegExp;
  params: number;
  scope: ApiKeyScope;
}

const compiled: CompiledOperation[] = Object.entries(OPERATION_SCOPES)
  .map(([operation, scope]) => {
    const [method, path] = operation.split(" ") as [string, string];
    const pattern = new RegExp("^" + path.replace(/\{[^}]+\}/g, "[^/]+") + "/?$");
    return { method, pattern, params: (path.match(/\{/g) ?? []).length, scope };
  })
  // A literal segment wins over a parameter (/v1/faxes/received before /v1/faxes/{id}).
  .sort((a, b) => a.params - b.params);

/** The least scope a request needs; `full` for an operation the table does not name. */
export function requiredScope(method: string, path: string): ApiKeyScope {
  const wanted = method === "HEAD" ? "GET" : method;
  return compiled.find((op) => op.method === wanted && op.pattern.test(path))?.scope ?? "full";
}

export function scopeAllows(scope: ApiKeyScope, needed: ApiKeyScope): boolean {
  return SCOPE_GRANTS[scope].includes(needed);
}

/** After requireAuth: refuses an operation the caller's key scope does not cover (403 auth.scope_insufficient). */
export const requireScope = createMiddleware<AppEnv>(async (c, next) => {
  const { scope } = c.get("caller");
  const needed = requiredScope(c.req.method, new URL(c.req.url).pathname);
  if (!scopeAllows(scope, needed)) {
    throw new ApiError("auth.scope_insufficient", { detail: `${c.req.method} ${new URL(c.req.url).pathname} needs a key with scope ${needed}; this key's scope is ${scope}.` });
  }
  await next();
});

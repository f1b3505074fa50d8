/** /v1/api-keys (issue 17 point 5): list the account's keys, create one (its secret is shown once), revoke one. */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { apiKeyObject } from "../db/api-key-object";
import { createApiKey, listApiKeys, type ApiKeyRow } from "../db/api-key-store";
import { API_KEY_SCOPES } from "../db/schema";
import { ApiError } from "../errors/api-error";
import { closedObject } from "../lib/closed-object";
import type { App, Caller } from "./context";
import { audit } from "./audit";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "./openapi-common";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";

const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_01jd8x6r3q5v7w9y0a2b4c6d8e", description: "Also the OAuth client_id." }),
    name: z.string().nullable(),
    mode: z.enum(["test", "live"]),
    scope: z.enum(API_KEY_SCOPES).openapi({ description: "read: list and read; send: also send, cancel and resend faxes; full: everything." }),
    key_prefix: z.string().openapi({ example: "fx_test_Ab3x", description: "The key's first characters, to tell keys apart." }),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");

const ApiKeyCreatedSchema = ApiKeySchema.extend({
  key: z.string().openapi({ example: "fx_test_…", description: "The key itself. Shown in this response only." }),
}).openapi("ApiKeyCreated");

const ApiKeyCreateSchema = closedObject({
  mode: z.enum(["test", "live"]).optional().openapi({ description: "Defaults to the calling key's mode. A test key creates test keys only." }),
  name: z.string().min(1).max(100).optional(),
  scope: z.enum(API_KEY_SCOPES).default("full"),
}).openapi("ApiKeyCreate", { example: { mode: "test", name: "CI sender", scope: "send" } });

const KeyIdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "key_01jd8x6r3q5v7w9y0a2b4c6d8e" }) });

const keyExample = {
  id: "key_01jd8x6r3q5v7w9y0a2b4c6d8e",
  name: "CI sender",
  mode: "test" as const,
  scope: "send" as const,
  key_prefix: "fx_test_Ab3x",
  created_at: "2026-11-23T15:00:00.000Z",
  revoked_at: null,
};

/**
 * The keys a caller manages (README "API keys and scopes"): a test key only test keys, as it creates test keys
 * only; a live key, the account's credential for real traffic, every key. A key outside that is not found.
 */
const managedMode = (caller: Caller): "test" | undefined => (caller.mode === "test" ? "test" : undefined);

function present(row: ApiKeyRow): z.infer<typeof ApiKeySchema> {
  return { id: row.id, name: row.name, mode: row.mode, scope: row.scope, key_prefix: row.keyPrefix, created_at: row.createdAt, revoked_at: row.revokedAt };
}

export function registerApiKeyRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/api-keys",
      operationId: "listApiKeys",
      tags: ["Authentication"],
      summary: "List API keys",
      description: "The account's keys, newest first, revoked ones included. Never the keys themselves. A test key lists test keys only; a live key lists every key.",
      security: bearerSecurity,
      request: { query: ListQuerySchema },
      responses: {
        200: { description: "A page of keys.", content: { "application/json": { schema: listSchema(ApiKeySchema, "ApiKeyList"), example: { data: [keyExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", "auth.scope_insufficient", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const caller = c.get("caller");
      const page = await listApiKeys(database(c.env.DB), caller.accountId, limit, cursor ? decodeCursor(cursor) : undefined, managedMode(caller));
      return c.json(pageResponse(page, present), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/api-keys",
      operationId: "createApiKey",
      tags: ["Authentication"],
      summary: "Create an API key",
      description: "A new key for the account. The response carries the key itself: it is not shown again (only its hash is stored).",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, body: { required: false, content: { "application/json": { schema: ApiKeyCreateSchema } } } },
      responses: {
        201: { description: "The new key, with its secret.", content: { "application/json": { schema: ApiKeyCreatedSchema, example: { ...keyExample, key: "fx_test_…" } } } },
        ...problemResponses("auth.forbidden", "request.invalid", "auth.scope_insufficient", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : { scope: "full" as const };
      const mode = body.mode ?? caller.mode;
      if (mode === "live" && caller.mode === "test") {
        throw new ApiError("auth.forbidden", { detail: "A test key creates test keys only; create live keys with a live key." });
      }
      const created = await createApiKey(database(c.env.DB), { accountId: caller.accountId, mode, scope: body.scope, name: body.name ?? null });
      audit(c, "api_key.create", { type: "api_key", id: created.row.id });
      return c.json({ ...present(created.row), key: created.key }, 201, { location: `/v1/api-keys/${created.row.id}`, "cache-control": "no-store" });
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/api-keys/{id}",
      operationId: "revokeApiKey",
      tags: ["Authentication"],
      summary: "Revoke an API key",
      description:
        "The key and every OAuth access token issued from it stop working at once. The account's last active key cannot be revoked: create another first. A test key revokes test keys only (a live key's id is 404 to it).",
      security: bearerSecurity,
      request: { params: KeyIdParams },
      responses: {
        200: { description: "The revoked key.", content: { "application/json": { schema: ApiKeySchema, example: { ...keyExample, revoked_at: "2026-11-24T09:00:00.000Z" } } } },
        ...problemResponses("api_key.not_found", "api_key.last_key", "auth.scope_insufficient", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      // Through the key's ApiKeyObject, so every isolate refuses the key and its tokens from the next request on.
      const id = c.req.valid("param").id;
      const result = await apiKeyObject(c.env, id).revoke(caller.accountId, id, managedMode(caller));
      if ("refused" in result) throw new ApiError(result.refused === "not_found" ? "api_key.not_found" : "api_key.last_key");
      audit(c, "api_key.revoke", { type: "api_key", id: result.revoked.id });
      return c.json(present(result.revoked), 200);
    },
  );
}

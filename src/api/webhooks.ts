/**
 * /v1/webhooks: endpoints that receive the account's events, signed to Standard Webhooks v1
 * (https://www.standardwebhooks.com/), their secrets and rotation, a ping, and the delivery log
 * with manual redelivery. A fax's own `webhook_url` is signed with the account's callback secret
 * (/v1/webhooks/callback-secret); its deliveries are listed at /v1/webhooks/callback-deliveries.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { DELIVERY_STATUSES } from "../db/schema";
import {
  deleteEndpoint,
  findAccountSecret,
  findEndpoint,
  findEndpointDelivery,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  reopenDelivery,
  rotateAccountSecret,
  updateEndpoint,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "../db/webhook-store";
import { ApiError } from "../errors/api-error";
import { EVENT_TYPES, type PlatformEvent } from "../events/catalog";
import { newId } from "../lib/ids";
import { fanOut } from "../webhooks/fan-out";
import type { WebhookDeliveryMessage, WebhookEventMessage } from "../webhooks/messages";
import { encryptSecret, newWebhookSecret } from "../webhooks/secrets";
import { webhookUrlRefusal } from "../webhooks/url-policy";
import type { App } from "./context";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "./openapi-common";
import { decodeCursor, encodeCursor, ListQuerySchema, listSchema } from "./pagination";

const DEFAULT_GRACE_SECONDS = 24 * 3600;
const MAX_GRACE_SECONDS = 7 * 24 * 3600;

const eventTypeNames = Object.keys(EVENT_TYPES) as [keyof typeof EVENT_TYPES, ...(keyof typeof EVENT_TYPES)[]];
const SubscriptionSchema = z.union([z.enum(eventTypeNames), z.literal("*")]).openapi({ description: "An event type from the catalog, or * for all." });

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: "whe_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    url: z.string().openapi({ example: "https://example.com/webhooks/edgefax" }),
    description: z.string().nullable(),
    event_types: z.array(SubscriptionSchema),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().openapi({ description: "Why the platform disabled the endpoint (e.g. the receiver answered 410 Gone)." }),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "While set and in the future, the previous secret signs beside the current one." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("WebhookEndpoint");

const WebhookEndpointCreatedSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({ description: "The signing secret. Shown only in this response.", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
}).openapi("WebhookEndpointCreated");

const SecretSchema = z
  .object({
    secret: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "Until then, deliveries carry a signature with the previous secret too." }),
  })
  .openapi("WebhookSecret");

const AttemptSchema = z
  .object({
    number: z.number().int(),
    attempted_at: z.string(),
    url: z.string(),
    status_code: z.number().int().nullable(),
    latency_ms: z.number().int(),
    response_excerpt: z.string().nullable().openapi({ description: "The first 1 KB of the receiver's response." }),
    error: z.string().nullable().openapi({ description: "Why there was no response (timeout, connection error, refused URL)." }),
    next_retry_at: z.string().nullable(),
  })
  .openapi("WebhookAttempt");

const DeliverySchema = z
  .object({
    id: z.string().openapi({ example: "msg_01jd8x6r3q5v7w9y0a2b4c6d8e", description: "The webhook-id header: the same on every attempt." }),
    endpoint_id: z.string().nullable().openapi({ description: "null for a delivery to a fax's webhook_url." }),
    url: z.string().nullable().openapi({ description: "For a fax's webhook_url: the URL. Endpoint deliveries go to the endpoint's URL." }),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES).openapi({
      description: "pending (attempting or waiting to retry), succeeded, failed (410 Gone, refused URL, endpoint disabled), exhausted (every retry failed; in the dead-letter queue).",
    }),
    attempt_count: z.number().int(),
    next_retry_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    dead_lettered_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    attempts: z.array(AttemptSchema),
  })
  .openapi("WebhookDelivery");

const CallbackSecretInfoSchema = z
  .object({
    exists: z.boolean(),
    created_at: z.string().nullable(),
    rotated_at: z.string().nullable(),
    previous_secret_expires_at: z.string().nullable(),
  })
  .openapi("CallbackSecretInfo");

const endpointExample = {
  id: "whe_01jd8x6r3q5v7w9y0a2b4c6d8e",
  url: "https://example.com/webhooks/edgefax",
  description: "Order system",
  event_types: ["fax.delivered" as const, "fax.failed" as const],
  enabled: true,
  disabled_reason: null,
  previous_secret_expires_at: null,
  created_at: "2026-11-23T15:00:00.000Z",
  updated_at: "2026-11-23T15:00:00.000Z",
};
const secretExample = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const deliveryExample = {
  id: "msg_01jd8x6r3qa8k2m4n6p8r0s2t4",
  endpoint_id: endpointExample.id,
  url: null,
  event_id: "evt_01jd8x6r3q5v7w9y0a2b4c6d8e",
  event_type: "fax.delivered",
  status: "pending" as const,
  attempt_count: 1,
  next_retry_at: "2026-11-23T15:00:06.000Z",
  last_status_code: 503,
  dead_lettered_at: null,
  created_at: "2026-11-23T15:00:00.000Z",
  updated_at: "2026-11-23T15:00:01.000Z",
  attempts: [
    {
      number: 1,
      attempted_at: "2026-11-23T15:00:00.100Z",
      url: endpointExample.url,
      status_code: 503,
      latency_ms: 84,
      response_excerpt: "Service Unavailable",
      error: null,
      next_retry_at: "2026-11-23T15:00:06.000Z",
    },
  ],
};

function presentEndpoint(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: JSON.parse(row.eventTypes) as z.infer<typeof SubscriptionSchema>[],
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    previous_secret_expires_at: row.previousSecretExpiresAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

function presentDelivery(row: WebhookDeliveryRow, attempts: WebhookAttemptRow[]): z.infer<typeof DeliverySchema> {
  return {
    id: row.id,
    endpoint_id: row.endpointId,
    url: row.url,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status,
    attempt_count: row.attempts,
    next_retry_at: row.nextRetryAt,
    last_status_code: row.lastStatusCode,
    dead_lettered_at: row.deadLetteredAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    attempts: attempts.map((a) => ({
      number: a.number,
      attempted_at: a.attemptedAt,
      url: a.url,
      status_code: a.statusCode,
      latency_ms: a.latencyMs,
      response_excerpt: a.responseExcerpt,
      error: a.error,
      next_retry_at: a.nextRetryAt,
    })),
  };
}

/** 422 webhook.url_refused unless the URL may receive webhooks here. */
function assertReceivable(env: Env, url: string): void {
  const refusal = webhookUrlRefusal(env, url);
  if (refusal !== null) throw new ApiError("webhook.url_refused", { detail: `The URL was refused: ${refusal}.`, errors: [{ pointer: "/url", detail: refusal }] });
}

function graceUntil(seconds: number | undefined): string {
  return new Date(Date.now() + (seconds ?? DEFAULT_GRACE_SECONDS) * 1000).toISOString();
}

async function redeliver(env: Env, delivery: WebhookDeliveryRow): Promise<WebhookDeliveryRow> {
  const reopened = (await reopenDelivery(database(env.DB), delivery.accountId, delivery.id)) ?? delivery;
  const message: WebhookDeliveryMessage = { kind: "webhook.delivery", accountId: reopened.accountId, deliveryId: reopened.id, attempt: reopened.attempts + 1 };
  await env.WEBHOOKS.send(message);
  return reopened;
}

const EndpointIdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: endpointExample.id }) });
const DeliveryParams = EndpointIdParams.extend({
  delivery_id: z.string().openapi({ param: { name: "delivery_id", in: "path" }, example: deliveryExample.id }),
});
const CallbackDeliveryParams = z.object({
  delivery_id: z.string().openapi({ param: { name: "delivery_id", in: "path" }, example: deliveryExample.id }),
});
const DeliveryListQuery = ListQuerySchema.extend({ status: z.enum(DELIVERY_STATUSES).optional() });

const EndpointCreateSchema = z
  .object({
    url: z.string().url().max(2000).openapi({ example: endpointExample.url }),
    event_types: z.array(SubscriptionSchema).min(1).max(50).default(["*"]),
    description: z.string().max(500).optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .openapi("WebhookEndpointCreate", { example: { url: endpointExample.url, event_types: ["fax.delivered", "fax.failed"], description: "Order system" } });

const EndpointUpdateSchema = z
  .object({
    url: z.string().url().max(2000).optional(),
    event_types: z.array(SubscriptionSchema).min(1).max(50).optional(),
    description: z.string().max(500).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("WebhookEndpointUpdate", { example: { enabled: true } });

const RotateSchema = z
  .object({
    expire_old_after: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .optional()
      .openapi({ description: "Seconds the previous secret keeps signing beside the new one (default 86400, at most 7 days; 0 ends it now)." }),
  })
  .strict()
  .openapi("WebhookSecretRotate", { example: { expire_old_after: 3600 } });

const ENDPOINT_ERRORS = ["webhook.not_found", ...AUTH_ERRORS] as const;

export function registerWebhookRoutes(app: App): void {
  // The account's callback secret and the fax webhook_url deliveries come first: their static
  // paths must win over /v1/webhooks/{id}.
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks/callback-secret",
      operationId: "getCallbackSecret",
      tags: ["Webhooks"],
      summary: "About the callback secret",
      description:
        "The account's callback secret signs deliveries to a fax's own `webhook_url`. It is created by the first such delivery or by rotating; this shows when, never the secret itself (rotate to get a new one).",
      security: bearerSecurity,
      responses: {
        200: { description: "The secret's dates.", content: { "application/json": { schema: CallbackSecretInfoSchema, example: { exists: true, created_at: endpointExample.created_at, rotated_at: null, previous_secret_expires_at: null } } } },
        ...problemResponses(...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const row = await findAccountSecret(database(c.env.DB), c.get("caller").accountId);
      return c.json(
        { exists: row !== undefined, created_at: row?.createdAt ?? null, rotated_at: row?.rotatedAt ?? null, previous_secret_expires_at: row?.previousCallbackSecretExpiresAt ?? null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks/callback-secret/rotate",
      operationId: "rotateCallbackSecret",
      tags: ["Webhooks"],
      summary: "Get a new callback secret",
      description:
        "Creates the account's callback secret, or replaces it, and returns it: the only time it is shown. The previous one keeps signing beside it for `expire_old_after` seconds (default 24 h), both signatures in one webhook-signature header.",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, body: { required: false, content: { "application/json": { schema: RotateSchema } } } },
      responses: {
        200: { description: "The new secret.", content: { "application/json": { schema: SecretSchema, example: { secret: secretExample, previous_secret_expires_at: "2026-11-24T15:00:00.000Z" } } } },
        ...problemResponses("request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
      const db = database(c.env.DB);
      const current = await findAccountSecret(db, accountId);
      const secret = newWebhookSecret();
      const previous = current ? { secret: current.callbackSecret, expiresAt: graceUntil(body.expire_old_after) } : null;
      const row = await rotateAccountSecret(db, accountId, await encryptSecret(c.env, accountId, secret), previous);
      return c.json({ secret, previous_secret_expires_at: row.previousCallbackSecretExpiresAt }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks/callback-deliveries",
      operationId: "listCallbackDeliveries",
      tags: ["Webhooks"],
      summary: "Deliveries to faxes' webhook_url",
      description: "The delivery log of events sent to the `webhook_url` given with a fax, newest first.",
      security: bearerSecurity,
      request: { query: DeliveryListQuery },
      responses: {
        200: { description: "A page of deliveries.", content: { "application/json": { schema: listSchema(DeliverySchema, "WebhookDeliveryList"), example: { data: [{ ...deliveryExample, endpoint_id: null, url: "https://example.com/fax-callback" }], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listDeliveries(database(c.env.DB), c.get("caller").accountId, null, { status: q.status, limit: q.limit, before: q.cursor ? decodeCursor(q.cursor) : undefined });
      const last = page.data.at(-1);
      return c.json({ data: page.data.map((d) => presentDelivery(d.delivery, d.attempts)), has_more: page.hasMore, next_cursor: page.hasMore && last ? encodeCursor(last.delivery.id) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks/callback-deliveries/{delivery_id}/redeliver",
      operationId: "redeliverCallbackDelivery",
      tags: ["Webhooks"],
      summary: "Send a fax webhook_url delivery again",
      description: "Queues one more attempt of the delivery, with the same webhook-id.",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, params: CallbackDeliveryParams },
      responses: {
        202: { description: "The delivery, pending again.", content: { "application/json": { schema: DeliverySchema, example: deliveryExample } } },
        ...problemResponses("webhook.delivery_not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const db = database(c.env.DB);
      const found = await findEndpointDelivery(db, c.get("caller").accountId, null, c.req.valid("param").delivery_id);
      if (!found) throw new ApiError("webhook.delivery_not_found");
      return c.json(presentDelivery(await redeliver(c.env, found), []), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks",
      operationId: "createWebhookEndpoint",
      tags: ["Webhooks"],
      summary: "Add a webhook endpoint",
      description:
        "Events of the subscribed types are POSTed to `url`, signed with Standard Webhooks v1. The response carries the signing secret: it is not shown again. Only public https URLs are accepted.",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, body: { required: true, content: { "application/json": { schema: EndpointCreateSchema } } } },
      responses: {
        201: { description: "The new endpoint, with its secret.", content: { "application/json": { schema: WebhookEndpointCreatedSchema, example: { ...endpointExample, secret: secretExample } } } },
        ...problemResponses("webhook.url_refused", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      assertReceivable(c.env, body.url);
      const id = newId("whe");
      const secret = newWebhookSecret();
      const now = new Date().toISOString();
      const row = await insertEndpoint(database(c.env.DB), {
        id,
        accountId: c.get("caller").accountId,
        url: body.url,
        description: body.description ?? null,
        eventTypes: JSON.stringify([...new Set(body.event_types)]),
        enabled: body.enabled,
        disabledReason: null,
        secret: await encryptSecret(c.env, id, secret),
        previousSecret: null,
        previousSecretExpiresAt: null,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      });
      return c.json({ ...presentEndpoint(row), secret }, 201, { location: `/v1/webhooks/${id}` });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks",
      operationId: "listWebhookEndpoints",
      tags: ["Webhooks"],
      summary: "List webhook endpoints",
      description: "The account's endpoints, newest first.",
      security: bearerSecurity,
      request: { query: ListQuerySchema },
      responses: {
        200: { description: "A page of endpoints.", content: { "application/json": { schema: listSchema(WebhookEndpointSchema, "WebhookEndpointList"), example: { data: [endpointExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listEndpoints(database(c.env.DB), c.get("caller").accountId, q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
      const last = page.data.at(-1);
      return c.json({ data: page.data.map(presentEndpoint), has_more: page.hasMore, next_cursor: page.hasMore && last ? encodeCursor(last.id) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks/{id}",
      operationId: "getWebhookEndpoint",
      tags: ["Webhooks"],
      summary: "Get a webhook endpoint",
      description: "One endpoint (never its secret).",
      security: bearerSecurity,
      request: { params: EndpointIdParams },
      responses: {
        200: { description: "The endpoint.", content: { "application/json": { schema: WebhookEndpointSchema, example: endpointExample } } },
        ...problemResponses(...ENDPOINT_ERRORS),
      },
    }),
    async (c) => {
      const row = await findEndpoint(database(c.env.DB), c.get("caller").accountId, c.req.valid("param").id);
      if (!row) throw new ApiError("webhook.not_found");
      return c.json(presentEndpoint(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/webhooks/{id}",
      operationId: "updateWebhookEndpoint",
      tags: ["Webhooks"],
      summary: "Change a webhook endpoint",
      description: "Change the URL, the subscribed event types or the description, or disable and enable it. Enabling clears disabled_reason.",
      security: bearerSecurity,
      request: { params: EndpointIdParams, body: { required: true, content: { "application/json": { schema: EndpointUpdateSchema } } } },
      responses: {
        200: { description: "The endpoint.", content: { "application/json": { schema: WebhookEndpointSchema, example: endpointExample } } },
        ...problemResponses("webhook.not_found", "webhook.url_refused", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.url !== undefined) assertReceivable(c.env, body.url);
      const row = await updateEndpoint(database(c.env.DB), c.get("caller").accountId, c.req.valid("param").id, {
        ...(body.url !== undefined ? { url: body.url } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.event_types !== undefined ? { eventTypes: JSON.stringify([...new Set(body.event_types)]) } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled, ...(body.enabled ? { disabledReason: null } : {}) } : {}),
      });
      if (!row) throw new ApiError("webhook.not_found");
      return c.json(presentEndpoint(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/webhooks/{id}",
      operationId: "deleteWebhookEndpoint",
      tags: ["Webhooks"],
      summary: "Delete a webhook endpoint",
      description: "The endpoint stops receiving at once; pending retries end as failed.",
      security: bearerSecurity,
      request: { params: EndpointIdParams },
      responses: {
        200: { description: "The deleted endpoint.", content: { "application/json": { schema: WebhookEndpointSchema, example: { ...endpointExample, enabled: false } } } },
        ...problemResponses(...ENDPOINT_ERRORS),
      },
    }),
    async (c) => {
      const row = await deleteEndpoint(database(c.env.DB), c.get("caller").accountId, c.req.valid("param").id);
      if (!row) throw new ApiError("webhook.not_found");
      return c.json(presentEndpoint(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks/{id}/rotate-secret",
      operationId: "rotateWebhookSecret",
      tags: ["Webhooks"],
      summary: "Rotate an endpoint's secret",
      description:
        "Returns a new secret (shown only here). The previous one keeps signing beside it for `expire_old_after` seconds (default 24 h): each delivery then carries both signatures, space-separated, in webhook-signature.",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, params: EndpointIdParams, body: { required: false, content: { "application/json": { schema: RotateSchema } } } },
      responses: {
        200: { description: "The new secret.", content: { "application/json": { schema: SecretSchema, example: { secret: secretExample, previous_secret_expires_at: "2026-11-24T15:00:00.000Z" } } } },
        ...problemResponses("webhook.not_found", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const id = c.req.valid("param").id;
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
      const db = database(c.env.DB);
      const current = await findEndpoint(db, accountId, id);
      if (!current) throw new ApiError("webhook.not_found");
      // The ciphertext is bound to the endpoint id, so it moves to previous_secret as it is.
      const secret = newWebhookSecret();
      const row = await updateEndpoint(db, accountId, id, {
        secret: await encryptSecret(c.env, id, secret),
        previousSecret: current.secret,
        previousSecretExpiresAt: graceUntil(body.expire_old_after),
      });
      if (!row) throw new ApiError("webhook.not_found");
      return c.json({ secret, previous_secret_expires_at: row.previousSecretExpiresAt }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks/{id}/ping",
      operationId: "pingWebhookEndpoint",
      tags: ["Webhooks"],
      summary: "Send a test event",
      description: "Sends a `webhook.ping` event to this endpoint only (whatever it subscribes to), through the normal delivery path. Follow it in the delivery log.",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, params: EndpointIdParams },
      responses: {
        202: { description: "The ping's delivery, queued.", content: { "application/json": { schema: DeliverySchema, example: { ...deliveryExample, event_type: "webhook.ping", attempt_count: 0, attempts: [], last_status_code: null } } } },
        ...problemResponses(...ENDPOINT_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const endpoint = await findEndpoint(database(c.env.DB), accountId, c.req.valid("param").id);
      if (!endpoint) throw new ApiError("webhook.not_found");
      const event: PlatformEvent = { id: newId("evt"), type: "webhook.ping", created_at: new Date().toISOString(), data: { endpoint_id: endpoint.id } };
      // The delivery row exists before the answer; the consumer's fan-out finds it and attempts it.
      const [delivery] = (await fanOut(c.env, accountId, event, endpoint.id)).stored;
      if (!delivery) throw new ApiError("webhook.not_found");
      await c.env.WEBHOOKS.send({ kind: "webhook.event", accountId, event, endpointId: endpoint.id } satisfies WebhookEventMessage);
      return c.json(presentDelivery(delivery, []), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks/{id}/deliveries",
      operationId: "listWebhookDeliveries",
      tags: ["Webhooks"],
      summary: "The delivery log",
      description: "Deliveries to this endpoint, newest first, each with every attempt: time, status code, latency, the first 1 KB of the response, and the next retry.",
      security: bearerSecurity,
      request: { params: EndpointIdParams, query: DeliveryListQuery },
      responses: {
        200: { description: "A page of deliveries.", content: { "application/json": { schema: listSchema(DeliverySchema, "WebhookDeliveryList"), example: { data: [deliveryExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("webhook.not_found", "request.cursor_invalid", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const db = database(c.env.DB);
      const endpointId = c.req.valid("param").id;
      // A deleted endpoint's log stays readable through its delivery ids, not through this list.
      if (!(await findEndpoint(db, accountId, endpointId))) throw new ApiError("webhook.not_found");
      const q = c.req.valid("query");
      const page = await listDeliveries(db, accountId, endpointId, { status: q.status, limit: q.limit, before: q.cursor ? decodeCursor(q.cursor) : undefined });
      const last = page.data.at(-1);
      return c.json({ data: page.data.map((d) => presentDelivery(d.delivery, d.attempts)), has_more: page.hasMore, next_cursor: page.hasMore && last ? encodeCursor(last.delivery.id) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
      operationId: "redeliverWebhookDelivery",
      tags: ["Webhooks"],
      summary: "Send a delivery again",
      description: "Queues one more attempt of the delivery, with the same webhook-id (receivers that already processed it will deduplicate). Useful after an exhausted or failed delivery.",
      security: bearerSecurity,
      request: { headers: IdempotencyKeyHeader, params: DeliveryParams },
      responses: {
        202: { description: "The delivery, pending again.", content: { "application/json": { schema: DeliverySchema, example: deliveryExample } } },
        ...problemResponses("webhook.not_found", "webhook.delivery_not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const { id, delivery_id } = c.req.valid("param");
      const db = database(c.env.DB);
      if (!(await findEndpoint(db, accountId, id))) throw new ApiError("webhook.not_found");
      const found = await findEndpointDelivery(db, accountId, id, delivery_id);
      if (!found) throw new ApiError("webhook.delivery_not_found");
      return c.json(presentDelivery(await redeliver(c.env, found), []), 202);
    },
  );
}

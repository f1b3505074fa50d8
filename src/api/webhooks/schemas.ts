/** What the /v1/webhooks routes share: the OpenAPI schemas, examples, path parameters, presenters and redelivery. */
import { z } from "@hono/zod-openapi";
import type { Db } from "../../db/client";
import { DELIVERY_STATUSES } from "../../db/schema";
import { listDeliveries, type DeliveryOwner, type WebhookAttemptRow, type WebhookDeliveryRow, type WebhookEndpointRow } from "../../db/webhook-store";
import { ApiError } from "../../errors/api-error";
import { closedObject } from "../../lib/closed-object";
import { EVENT_TYPES, NOT_YET_EMITTED } from "../../events/catalog";
import { MAX_GRACE_SECONDS } from "../../webhooks/endpoints";
import { webhookUrlRefusal } from "../../webhooks/url-policy";
import { AUTH_ERRORS } from "../openapi-common";
import { decodeCursor, encodeCursor, ListQuerySchema } from "../pagination";


const eventTypeNames = Object.keys(EVENT_TYPES) as [keyof typeof EVENT_TYPES, ...(keyof typeof EVENT_TYPES)[]];
const SubscriptionSchema = z.union([z.enum(eventTypeNames), z.literal("*")], { error: `must be * or an event type: ${eventTypeNames.join(", ")}` }).openapi({
  description: `An event type from the catalog, or * for all. Not emitted yet (subscribing is allowed; they will fire once built): ${NOT_YET_EMITTED.map((t: string) => `\`${t}\``).join(", ") || "none"}.`,
});

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: "whe_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    url: z.string().openapi({ example: "https://example.com/webhooks/edgefax" }),
    mode: z.enum(["test", "live"]).openapi({ description: "The key mode the endpoint belongs to: it receives only that mode's events, and only keys of that mode see it." }),
    description: z.string().nullable(),
    event_types: z.array(SubscriptionSchema),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().openapi({ description: "Why the platform disabled the endpoint (e.g. the receiver answered 410 Gone)." }),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "While set and in the future, the previous secret signs beside the current one." }),
    created_at: z.string(),
    updated_at: z.string(),
  }).openapi("WebhookEndpoint");

export const WebhookEndpointCreatedSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({ description: "The signing secret. Shown only in this response.", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
}).openapi("WebhookEndpointCreated");

export const SecretSchema = z
  .object({
    secret: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "Until then, deliveries carry a signature with the previous secret too." }),
  }).openapi("WebhookSecret");

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
  }).openapi("WebhookAttempt");

export const DeliverySchema = z
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
  }).openapi("WebhookDelivery");

export const CallbackSecretInfoSchema = z
  .object({
    exists: z.boolean(),
    secret: z.string().nullable().openapi({
      description:
        "The secret itself, only in the first answer for an account whose secret was never shown (one created before secrets came with the API key, or by a delivery); null afterwards: rotate to get a new one.",
      example: null,
    }),
    created_at: z.string().nullable(),
    rotated_at: z.string().nullable(),
    previous_secret_expires_at: z.string().nullable(),
  })
  .openapi("CallbackSecretInfo");

export const endpointExample = {
  id: "whe_01jd8x6r3q5v7w9y0a2b4c6d8e",
  url: "https://example.com/webhooks/edgefax",
  mode: "live" as const,
  description: "Order system",
  event_types: ["fax.delivered" as const, "fax.failed" as const],
  enabled: true,
  disabled_reason: null,
  previous_secret_expires_at: null,
  created_at: "2026-11-23T15:00:00.000Z",
  updated_at: "2026-11-23T15:00:00.000Z",
};
export const secretExample = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const deliveryExample = {
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

export function presentEndpoint(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    mode: row.mode,
    description: row.description,
    event_types: JSON.parse(row.eventTypes) as z.infer<typeof SubscriptionSchema>[],
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    previous_secret_expires_at: row.previousSecretExpiresAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function presentDelivery(row: WebhookDeliveryRow, attempts: WebhookAttemptRow[]): z.infer<typeof DeliverySchema> {
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
export function assertReceivable(env: Env, url: string): void {
  const refusal = webhookUrlRefusal(env, url);
  if (refusal !== null) throw new ApiError("webhook.url_refused", { detail: `The URL was refused: ${refusal}.`, errors: [{ pointer: "/url", detail: refusal }] });
}

export const EndpointIdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: endpointExample.id }) });
export const DeliveryParams = EndpointIdParams.extend({
  delivery_id: z.string().openapi({ param: { name: "delivery_id", in: "path" }, example: deliveryExample.id }),
});
export const CallbackDeliveryParams = z.object({
  delivery_id: z.string().openapi({ param: { name: "delivery_id", in: "path" }, example: deliveryExample.id }),
});
export const DeliveryListQuery = ListQuerySchema.extend({ status: z.enum(DELIVERY_STATUSES).optional() });

export const EndpointCreateSchema = closedObject({
  url: z.string().url().max(2000).openapi({ example: endpointExample.url }),
  event_types: z.array(SubscriptionSchema).min(1).max(50).default(["*"]),
  description: z.string().max(500).optional(),
  enabled: z.boolean().default(true),
}).openapi("WebhookEndpointCreate", { example: { url: endpointExample.url, event_types: ["fax.delivered", "fax.failed"], description: "Order system" } });

export const EndpointUpdateSchema = closedObject({
  url: z.string().url().max(2000).optional(),
  event_types: z.array(SubscriptionSchema).min(1).max(50).optional(),
  description: z.string().max(500).nullable().optional(),
  enabled: z.boolean().optional(),
}).openapi("WebhookEndpointUpdate", { example: { enabled: true } });

export const RotateSchema = closedObject({
  expire_old_after: z
    .number()
    .int()
    .min(0)
    .max(MAX_GRACE_SECONDS)
    .optional()
    .openapi({ description: "Seconds the previous secret keeps signing beside the new one (default 86400, at most 7 days; 0 ends it now)." }),
}).openapi("WebhookSecretRotate", { example: { expire_old_after: 3600 } });

export const ENDPOINT_ERRORS = ["webhook.not_found", ...AUTH_ERRORS] as const;

/** One page of a delivery log: an endpoint's, or the fax webhook_url deliveries of the caller's mode. */
export async function deliveryPage(db: Db, accountId: string, owner: DeliveryOwner, q: z.infer<typeof DeliveryListQuery>) {
  const page = await listDeliveries(db, accountId, owner, { status: q.status, limit: q.limit, before: q.cursor ? decodeCursor(q.cursor) : undefined });
  const last = page.data.at(-1);
  return { data: page.data.map((d) => presentDelivery(d.delivery, d.attempts)), has_more: page.hasMore, next_cursor: page.hasMore && last ? encodeCursor(last.delivery.id) : null };
}

/** Webhook endpoints: create, list, read, change, delete, rotate the signing secret, ping. */
import { createRoute } from "@hono/zod-openapi";
import { database } from "../../db/client";
import { deleteEndpoint, findEndpoint, listEndpoints, updateEndpoint } from "../../db/webhook-store";
import { ApiError } from "../../errors/api-error";
import { createEndpoint, pingEndpoint, rotateEndpointSecret } from "../../webhooks/endpoints";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "../openapi-common";
import { decodeCursor, encodeCursor, ListQuerySchema, listSchema } from "../pagination";
import type { App } from "../context";
import { audit } from "../audit";
import {
  WebhookEndpointSchema,
  WebhookEndpointCreatedSchema,
  SecretSchema,
  DeliverySchema,
  endpointExample,
  secretExample,
  deliveryExample,
  presentEndpoint,
  presentDelivery,
  assertReceivable,
  EndpointIdParams,
  EndpointCreateSchema,
  EndpointUpdateSchema,
  RotateSchema,
  ENDPOINT_ERRORS,
} from "./schemas";

export function registerEndpointRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks",
      operationId: "createWebhookEndpoint",
      tags: ["Webhooks"],
      summary: "Add a webhook endpoint",
      description:
        "Events of the subscribed types are POSTed to `url`, signed with Standard Webhooks v1. The endpoint belongs to your key's mode (test or live) and receives only that mode's events. The response carries the signing secret: it is not shown again. Only public https URLs are accepted.",
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
      const { endpoint: row, secret } = await createEndpoint(c.env, c.get("caller"), {
        url: body.url,
        eventTypes: body.event_types,
        description: body.description ?? null,
        enabled: body.enabled,
      });
      audit(c, "webhook_endpoint.create", { type: "webhook_endpoint", id: row.id });
      return c.json({ ...presentEndpoint(row), secret }, 201, { location: `/v1/webhooks/${row.id}` });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks",
      operationId: "listWebhookEndpoints",
      tags: ["Webhooks"],
      summary: "List webhook endpoints",
      description: "The endpoints of your key's mode (test or live), newest first.",
      security: bearerSecurity,
      request: { query: ListQuerySchema },
      responses: {
        200: { description: "A page of endpoints.", content: { "application/json": { schema: listSchema(WebhookEndpointSchema, "WebhookEndpointList"), example: { data: [endpointExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listEndpoints(database(c.env.DB), c.get("caller"), q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
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
      const row = await findEndpoint(database(c.env.DB), c.get("caller"), c.req.valid("param").id);
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
      const row = await updateEndpoint(database(c.env.DB), c.get("caller"), c.req.valid("param").id, {
        ...(body.url !== undefined ? { url: body.url } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.event_types !== undefined ? { eventTypes: JSON.stringify([...new Set(body.event_types)]) } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled, ...(body.enabled ? { disabledReason: null } : {}) } : {}),
      });
      if (!row) throw new ApiError("webhook.not_found");
      audit(c, "webhook_endpoint.update", { type: "webhook_endpoint", id: row.id });
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
      const row = await deleteEndpoint(database(c.env.DB), c.get("caller"), c.req.valid("param").id);
      if (!row) throw new ApiError("webhook.not_found");
      audit(c, "webhook_endpoint.delete", { type: "webhook_endpoint", id: row.id });
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
      const id = c.req.valid("param").id;
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
      const rotated = await rotateEndpointSecret(c.env, c.get("caller"), id, body.expire_old_after);
      if (!rotated) throw new ApiError("webhook.not_found");
      const { endpoint: row, secret } = rotated;
      audit(c, "webhook_endpoint.rotate_secret", { type: "webhook_endpoint", id });
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
      const endpoint = await findEndpoint(database(c.env.DB), c.get("caller"), c.req.valid("param").id);
      if (!endpoint) throw new ApiError("webhook.not_found");
      const delivery = await pingEndpoint(c.env, accountId, endpoint);
      if (!delivery) throw new ApiError("webhook.not_found");
      audit(c, "webhook_endpoint.ping", { type: "webhook_endpoint", id: endpoint.id });
      return c.json(presentDelivery(delivery, []), 202);
    },
  );

}

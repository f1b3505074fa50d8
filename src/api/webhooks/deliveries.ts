/** An endpoint's delivery log and manual redelivery: /v1/webhooks/{id}/deliveries. */
import { createRoute } from "@hono/zod-openapi";
import { database } from "../../db/client";
import { findEndpoint, findEndpointDelivery } from "../../db/webhook-store";
import { ApiError } from "../../errors/api-error";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "../openapi-common";
import { listSchema } from "../pagination";
import type { App } from "../context";
import { audit } from "../audit";
import { DeliverySchema, deliveryExample, deliveryPage, presentDelivery, EndpointIdParams, DeliveryParams, DeliveryListQuery } from "./schemas";
import { redeliver } from "../../webhooks/endpoints";

export function registerDeliveryRoutes(app: App): void {
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
      if (!(await findEndpoint(db, c.get("caller"), endpointId))) throw new ApiError("webhook.not_found");
      return c.json(await deliveryPage(db, accountId, { endpointId }, c.req.valid("query")), 200);
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
      if (!(await findEndpoint(db, c.get("caller"), id))) throw new ApiError("webhook.not_found");
      const found = await findEndpointDelivery(db, accountId, { endpointId: id }, delivery_id);
      if (!found) throw new ApiError("webhook.delivery_not_found");
      const delivery = await redeliver(c.env, found);
      audit(c, "webhook_delivery.redeliver", { type: "webhook_delivery", id: delivery_id });
      return c.json(presentDelivery(delivery, []), 202);
    },
  );
}

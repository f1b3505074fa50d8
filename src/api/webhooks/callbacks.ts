/** The account's callback secret (it signs deliveries to a fax's own `webhook_url`) and those deliveries: /v1/webhooks/callback-secret, /v1/webhooks/callback-deliveries. */
import { createRoute } from "@hono/zod-openapi";
import { database } from "../../db/client";
import { ensureAccountSecret, findAccountSecret, findEndpointDelivery, revealAccountSecret, rotateAccountSecret } from "../../db/webhook-store";
import { ApiError } from "../../errors/api-error";
import { decryptSecret, encryptSecret, newWebhookSecret } from "../../webhooks/secrets";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "../openapi-common";
import { listSchema } from "../pagination";
import type { App } from "../context";
import { audit } from "../audit";
import {
  SecretSchema,
  DeliverySchema,
  CallbackSecretInfoSchema,
  endpointExample,
  secretExample,
  deliveryExample,
  deliveryPage,
  presentDelivery,
  CallbackDeliveryParams,
  DeliveryListQuery,
  RotateSchema,
} from "./schemas";
import { graceUntil, redeliver } from "../../webhooks/endpoints";

export function registerCallbackRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks/callback-secret",
      operationId: "getCallbackSecret",
      tags: ["Webhooks"],
      summary: "About the callback secret",
      description:
        "The account's callback secret signs deliveries to a fax's own `webhook_url`. It is created with the account and shown once beside the API key. An account that has never seen its secret (created before that, or whose secret a delivery created) gets it here, once; after that this shows only its dates (rotate to get a new one).",
      security: bearerSecurity,
      responses: {
        200: { description: "The secret's dates (and, the first time for a secret never shown, the secret).", content: { "application/json": { schema: CallbackSecretInfoSchema, example: { exists: true, secret: null, created_at: endpointExample.created_at, rotated_at: null, previous_secret_expires_at: null } } } },
        ...problemResponses(...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const db = database(c.env.DB);
      // Accounts from before secrets came with the key get theirs now (issue 13 point 2).
      const stored = (await findAccountSecret(db, accountId)) ?? (await ensureAccountSecret(db, accountId, await encryptSecret(c.env, accountId, newWebhookSecret())));
      const revealed = stored.revealedAt === null ? await revealAccountSecret(db, accountId) : undefined;
      const row = revealed ?? stored;
      const secret = revealed ? await decryptSecret(c.env, accountId, revealed.callbackSecret) : null;
      return c.json(
        { exists: true, secret, created_at: row.createdAt, rotated_at: row.rotatedAt, previous_secret_expires_at: row.previousCallbackSecretExpiresAt },
        200,
        { "cache-control": "no-store" },
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
      audit(c, "callback_secret.rotate", { type: "account", id: accountId });
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
      return c.json(await deliveryPage(database(c.env.DB), c.get("caller").accountId, { callbacksOfMode: c.get("caller").mode }, c.req.valid("query")), 200);
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
      const found = await findEndpointDelivery(db, c.get("caller").accountId, { callbacksOfMode: c.get("caller").mode }, c.req.valid("param").delivery_id);
      if (!found) throw new ApiError("webhook.delivery_not_found");
      const delivery = await redeliver(c.env, found);
      audit(c, "webhook_delivery.redeliver", { type: "webhook_delivery", id: c.req.valid("param").delivery_id });
      return c.json(presentDelivery(delivery, []), 202);
    },
  );

}

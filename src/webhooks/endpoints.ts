/**
 * Creating webhook endpoints, and the default endpoint behind PATCH /v1/settings `webhook_url`
 * (issue 15 point 7): a shortcut for a partner who wants every event at one URL without managing
 * endpoints. It is an ordinary endpoint subscribed to `*`, so its deliveries, log and secret rotation
 * are those of /v1/webhooks. Also what can be done to an endpoint beyond reading it (rotate its secret,
 * ping it, send a delivery again): the API (src/api/webhooks/) and the portal both call these.
 */
import { database } from "../db/client";
import { readAccountSettings, updateAccountSettings, type AccountSettingsChanges } from "../db/settings-store";
import type { Tenant } from "../db/tenant";
import { deleteEndpoint, findEndpoint, insertEndpoint, reopenDelivery, updateEndpoint, type WebhookDeliveryRow, type WebhookEndpointRow } from "../db/webhook-store";
import type { PlatformEvent } from "../events/catalog";
import { newId } from "../lib/ids";
import { fanOut } from "./fan-out";
import type { WebhookDeliveryMessage, WebhookEventMessage } from "./messages";
import { decryptSecret, encryptSecret, newWebhookSecret } from "./secrets";

export interface NewEndpoint {
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
}

/** A new endpoint with a fresh secret; the plain secret is returned once, for the response. */
export async function createEndpoint(env: Env, tenant: Tenant, fields: NewEndpoint): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const id = newId("whe");
  const secret = newWebhookSecret();
  const now = new Date().toISOString();
  const endpoint = await insertEndpoint(database(env.DB), {
    id,
    accountId: tenant.accountId,
    mode: tenant.mode,
    url: fields.url,
    description: fields.description,
    eventTypes: JSON.stringify([...new Set(fields.eventTypes)]),
    enabled: fields.enabled,
    disabledReason: null,
    secret: await encryptSecret(env, id, secret),
    previousSecret: null,
    previousSecretExpiresAt: null,
    secretOwner: null,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  });
  return { endpoint, secret };
}

export const DEFAULT_ENDPOINT_DESCRIPTION = "Default endpoint (PATCH /v1/settings webhook_url)";

/** Where the default endpoint of each mode is recorded (migration 0017: one per mode, like every endpoint). */
const defaultColumn = (tenant: Tenant) => (tenant.mode === "live" ? "defaultWebhookEndpointId" : "defaultTestWebhookEndpointId") satisfies keyof AccountSettingsChanges;

/** The default endpoint of the tenant's mode while it exists (a user may have deleted it through /v1/webhooks). */
export async function findDefaultEndpoint(env: Env, tenant: Tenant): Promise<WebhookEndpointRow | undefined> {
  const db = database(env.DB);
  const id = (await readAccountSettings(db, tenant.accountId))[defaultColumn(tenant)];
  return id ? findEndpoint(db, tenant, id) : undefined;
}

/**
 * Points the default endpoint at `url`: moves the existing one, or creates it (returning its secret
 * once); null deletes it. The URL has been checked by the caller (assertReceivable).
 */
export async function setDefaultWebhookUrl(
  env: Env,
  tenant: Tenant,
  url: string | null,
): Promise<{ endpoint: WebhookEndpointRow | null; secret: string | null }> {
  const db = database(env.DB);
  const current = await findDefaultEndpoint(env, tenant);
  if (url === null) {
    if (current) await deleteEndpoint(db, tenant, current.id);
    await updateAccountSettings(db, tenant.accountId, { [defaultColumn(tenant)]: null });
    return { endpoint: null, secret: null };
  }
  if (current) {
    const moved = await updateEndpoint(db, tenant, current.id, { url });
    if (moved) return { endpoint: moved, secret: null };
  }
  const created = await createEndpoint(env, tenant, { url, eventTypes: ["*"], description: DEFAULT_ENDPOINT_DESCRIPTION, enabled: true });
  await updateAccountSettings(db, tenant.accountId, { [defaultColumn(tenant)]: created.endpoint.id });
  return created;
}

/** How long the previous secret keeps signing beside the new one after a rotation, unless told otherwise. */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

export function graceUntil(seconds: number | undefined): string {
  return new Date(Date.now() + (seconds ?? DEFAULT_GRACE_SECONDS) * 1000).toISOString();
}

/** A new secret; the current one moves to previous_secret and keeps signing until the grace ends. Undefined: no such endpoint. */
export async function rotateEndpointSecret(
  env: Env,
  tenant: Tenant,
  id: string,
  graceSeconds?: number,
): Promise<{ endpoint: WebhookEndpointRow; secret: string } | undefined> {
  const db = database(env.DB);
  const current = await findEndpoint(db, tenant, id);
  if (!current) return undefined;
  // The ciphertext is bound to the endpoint id, so it moves to previous_secret as it is; a copy's (bound to
  // the row it was copied from, migration 0017) is sealed again for this row, which then owns both.
  const previousSecret = current.secretOwner ? await encryptSecret(env, id, await decryptSecret(env, current.secretOwner, current.secret)) : current.secret;
  const secret = newWebhookSecret();
  const endpoint = await updateEndpoint(db, tenant, id, {
    secret: await encryptSecret(env, id, secret),
    previousSecret,
    previousSecretExpiresAt: graceUntil(graceSeconds),
    secretOwner: null,
  });
  return endpoint ? { endpoint, secret } : undefined;
}

/** Sends a `webhook.ping` to this endpoint only, through the normal delivery path; returns its delivery. */
export async function pingEndpoint(env: Env, accountId: string, endpoint: WebhookEndpointRow): Promise<WebhookDeliveryRow | undefined> {
  const event: PlatformEvent = { id: newId("evt"), type: "webhook.ping", created_at: new Date().toISOString(), data: { endpoint_id: endpoint.id } };
  // The delivery row exists before the answer; the consumer's fan-out finds it and attempts it.
  const [delivery] = (await fanOut(env, accountId, event, endpoint.id)).stored;
  if (!delivery) return undefined;
  await env.WEBHOOKS.send({ kind: "webhook.event", accountId, event, endpointId: endpoint.id } satisfies WebhookEventMessage);
  return delivery;
}

/** Queues one more attempt of a delivery, with the same webhook-id. */
export async function redeliver(env: Env, delivery: WebhookDeliveryRow): Promise<WebhookDeliveryRow> {
  const reopened = (await reopenDelivery(database(env.DB), delivery.accountId, delivery.id)) ?? delivery;
  const message: WebhookDeliveryMessage = { kind: "webhook.delivery", accountId: reopened.accountId, deliveryId: reopened.id, attempt: reopened.attempts + 1 };
  await env.WEBHOOKS.send(message);
  return reopened;
}

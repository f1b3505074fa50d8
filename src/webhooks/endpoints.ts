/**
 * Creating webhook endpoints, and the default endpoint behind PATCH /v1/settings `webhook_url`
 * (issue 15 point 7): a shortcut for a partner who wants every event at one URL without managing
 * endpoints. It is an ordinary endpoint subscribed to `*`, so its deliveries, log and secret rotation
 * are those of /v1/webhooks.
 */
import { database } from "../db/client";
import { readAccountSettings, updateAccountSettings } from "../db/settings-store";
import { deleteEndpoint, findEndpoint, insertEndpoint, updateEndpoint, type WebhookEndpointRow } from "../db/webhook-store";
import { newId } from "../lib/ids";
import { encryptSecret, newWebhookSecret } from "./secrets";

export interface NewEndpoint {
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
}

/** A new endpoint with a fresh secret; the plain secret is returned once, for the response. */
export async function createEndpoint(env: Env, accountId: string, fields: NewEndpoint): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const id = newId("whe");
  const secret = newWebhookSecret();
  const now = new Date().toISOString();
  const endpoint = await insertEndpoint(database(env.DB), {
    id,
    accountId,
    url: fields.url,
    description: fields.description,
    eventTypes: JSON.stringify([...new Set(fields.eventTypes)]),
    enabled: fields.enabled,
    disabledReason: null,
    secret: await encryptSecret(env, id, secret),
    previousSecret: null,
    previousSecretExpiresAt: null,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  });
  return { endpoint, secret };
}

export const DEFAULT_ENDPOINT_DESCRIPTION = "Default endpoint (PATCH /v1/settings webhook_url)";

/** The account's default endpoint while it exists (a user may have deleted it through /v1/webhooks). */
export async function findDefaultEndpoint(env: Env, accountId: string): Promise<WebhookEndpointRow | undefined> {
  const db = database(env.DB);
  const { defaultWebhookEndpointId } = await readAccountSettings(db, accountId);
  return defaultWebhookEndpointId ? findEndpoint(db, accountId, defaultWebhookEndpointId) : undefined;
}

/**
 * Points the default endpoint at `url`: moves the existing one, or creates it (returning its secret
 * once); null deletes it. The URL has been checked by the caller (assertReceivable).
 */
export async function setDefaultWebhookUrl(
  env: Env,
  accountId: string,
  url: string | null,
): Promise<{ endpoint: WebhookEndpointRow | null; secret: string | null }> {
  const db = database(env.DB);
  const current = await findDefaultEndpoint(env, accountId);
  if (url === null) {
    if (current) await deleteEndpoint(db, accountId, current.id);
    await updateAccountSettings(db, accountId, { defaultWebhookEndpointId: null });
    return { endpoint: null, secret: null };
  }
  if (current) {
    const moved = await updateEndpoint(db, accountId, current.id, { url });
    if (moved) return { endpoint: moved, secret: null };
  }
  const created = await createEndpoint(env, accountId, { url, eventTypes: ["*"], description: DEFAULT_ENDPOINT_DESCRIPTION, enabled: true });
  await updateAccountSettings(db, accountId, { defaultWebhookEndpointId: created.endpoint.id });
  return created;
}

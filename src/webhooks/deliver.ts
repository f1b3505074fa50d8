/**
 * One HTTP attempt of one delivery: claim it, re-check the URL, sign with every active secret,
 * POST with a 10 s timeout, log the outcome, and say what happens next (done, retry after a
 * delay, or exhausted). Standard Webhooks v1: 2xx is success; 410 Gone means "stop sending",
 * so the endpoint is disabled; anything else, or no answer, is retried on the schedule.
 */
import { database, type Db } from "../db/client";
import { openPayload } from "../db/delivery-payload";
import type { Tenant } from "../db/tenant";
import {
  claimAttempt,
  ensureAccountSecret,
  findAccountSecret,
  findEndpointForDelivery,
  finishDelivery,
  recordAttempt,
  updateEndpoint,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "../db/webhook-store";
import { decryptSecret, encryptSecret, newWebhookSecret } from "./secrets";
import { signedHeaders } from "../lib/signature";
import { parseRetryAfter, retryDelaySeconds, retrySchedule } from "./retry-policy";
import { webhookUrlRefusal } from "./url-policy";

export const DELIVERY_TIMEOUT_MS = 10_000;
const EXCERPT_BYTES = 1024;
/** If a worker dies mid-attempt, the cron finds the delivery overdue after this lease. */
export const ATTEMPT_LEASE_MS = 60_000;

export type AttemptOutcome =
  | { kind: "done" }
  | { kind: "stale" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "exhausted" };

/**
 * Lookups shared by the messages of one queue batch: a burst for one account reads its endpoints
 * and decrypts their secrets once, not once per event.
 */
export interface DeliveryCache {
  accountEndpoints: Map<string, Promise<WebhookEndpointRow[]>>;
  endpoints: Map<string, Promise<WebhookEndpointRow | undefined>>;
  secrets: Map<string, Promise<string[]>>;
}

export function newDeliveryCache(): DeliveryCache {
  return { accountEndpoints: new Map(), endpoints: new Map(), secrets: new Map() };
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (!value) {
    value = load();
    map.set(key, value);
    value.catch(() => map.delete(key));
  }
  return value;
}

interface Target {
  url: string;
  secrets: string[];
  endpointId: string | null;
  /** The endpoint's tenant (its account and mode); null for a fax's own webhook_url. */
  tenant: Tenant | null;
}

/**
 * Performs attempt number `attempt` (1-based) of the delivery, unless another worker already did.
 * `alreadyClaimed`: the fan-out inserted the row claimed for this attempt.
 */
export async function attemptDelivery(
  env: Env,
  delivery: WebhookDeliveryRow,
  attempt: number,
  cache: DeliveryCache = newDeliveryCache(),
  alreadyClaimed = false,
): Promise<AttemptOutcome> {
  const db = database(env.DB);
  const claimed = alreadyClaimed
    ? delivery
    : await claimAttempt(db, delivery.accountId, delivery.id, attempt, new Date(Date.now() + ATTEMPT_LEASE_MS).toISOString());
  if (!claimed) return { kind: "stale" };

  const target = await resolveTarget(env, db, claimed, cache);
  if (target === null) {
    await finishDelivery(db, claimed.accountId, claimed.id, "failed");
    return { kind: "done" };
  }
  const attemptedAt = new Date();
  const log = {
    id: `${claimed.id}.${attempt}`,
    accountId: claimed.accountId,
    deliveryId: claimed.id,
    number: attempt,
    url: target.url,
    attemptedAt: attemptedAt.toISOString(),
  };

  const refusal = webhookUrlRefusal(env, target.url);
  if (refusal !== null) {
    await recordAttempt(
      db,
      { ...log, statusCode: null, latencyMs: 0, responseExcerpt: null, error: `URL refused: ${refusal}`, nextRetryAt: null },
      { status: "failed", nextRetryAt: null },
    );
    return { kind: "done" };
  }

  const payload = await openPayload(env, claimed);
  const headers = await signedHeaders(target.secrets, claimed.id, payload, attemptedAt.getTime());
  const started = Date.now();
  let statusCode: number | null = null;
  let excerpt: string | null = null;
  let error: string | null = null;
  let retryAfter: number | null = null;
  try {
    const response = await fetch(target.url, {
      method: "POST",
      body: payload,
      headers: { ...headers, "content-type": "application/json", "user-agent": "edgefax-webhooks/1" },
      // A redirect could lead to an address the URL check refused: never follow one.
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    statusCode = response.status;
    retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    excerpt = await readExcerpt(response);
  } catch (caught) {
    const name = caught instanceof Error ? caught.name : "";
    error = name === "TimeoutError" || name === "AbortError" ? `no response within ${DELIVERY_TIMEOUT_MS / 1000} s` : String(caught);
  }
  const latencyMs = Date.now() - started;
  const entry = { ...log, statusCode, latencyMs, responseExcerpt: excerpt, error };

  if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
    await recordAttempt(db, { ...entry, nextRetryAt: null }, { status: "succeeded", nextRetryAt: null });
    return { kind: "done" };
  }
  if (statusCode === 410) {
    if (target.endpointId !== null && target.tenant !== null) {
      const disabled = await updateEndpoint(db, target.tenant, target.endpointId, {
        enabled: false,
        disabledReason: `The receiver answered 410 Gone on ${log.attemptedAt}.`,
      });
      cache.endpoints.set(target.endpointId, Promise.resolve(disabled));
    }
    await recordAttempt(db, { ...entry, nextRetryAt: null }, { status: "failed", nextRetryAt: null });
    return { kind: "done" };
  }
  const delaySeconds = retryDelaySeconds(retrySchedule(env), attempt - 1, retryAfter);
  if (delaySeconds === null) {
    await recordAttempt(db, { ...entry, nextRetryAt: null }, { status: "exhausted", nextRetryAt: null });
    return { kind: "exhausted" };
  }
  const nextRetryAt = new Date(Date.now() + delaySeconds * 1000).toISOString();
  await recordAttempt(db, { ...entry, nextRetryAt }, { status: "pending", nextRetryAt });
  return { kind: "retry", delaySeconds };
}

/** Where the delivery goes and the secrets that sign it; null when the endpoint no longer receives. */
async function resolveTarget(env: Env, db: Db, delivery: WebhookDeliveryRow, cache: DeliveryCache): Promise<Target | null> {
  const now = Date.now();
  if (delivery.endpointId !== null) {
    const endpointId = delivery.endpointId;
    const endpoint = await cached(cache.endpoints, endpointId, () => findEndpointForDelivery(db, delivery.accountId, endpointId));
    if (!endpoint || endpoint.accountId !== delivery.accountId || endpoint.deletedAt !== null || !endpoint.enabled) return null;
    const secrets = await cached(cache.secrets, `${endpoint.id}@${endpoint.updatedAt}`, async () => {
      // A copy made by migration 0017 has its original's ciphertexts, bound to the original's id.
      const owner = endpoint.secretOwner ?? endpoint.id;
      const active = [await decryptSecret(env, owner, endpoint.secret)];
      if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && Date.parse(endpoint.previousSecretExpiresAt) > now) {
        active.push(await decryptSecret(env, owner, endpoint.previousSecret));
      }
      return active;
    });
    return { url: endpoint.url, secrets, endpointId: endpoint.id, tenant: { accountId: endpoint.accountId, mode: endpoint.mode } };
  }
  if (!delivery.url) return null;
  const secrets = await cached(cache.secrets, delivery.accountId, async () => {
    const stored =
      (await findAccountSecret(db, delivery.accountId)) ??
      (await ensureAccountSecret(db, delivery.accountId, await encryptSecret(env, delivery.accountId, newWebhookSecret())));
    const active = [await decryptSecret(env, stored.accountId, stored.callbackSecret)];
    if (stored.previousCallbackSecret && stored.previousCallbackSecretExpiresAt && Date.parse(stored.previousCallbackSecretExpiresAt) > now) {
      active.push(await decryptSecret(env, stored.accountId, stored.previousCallbackSecret));
    }
    return active;
  });
  return { url: delivery.url, secrets, endpointId: null, tenant: null };
}

/** The first KB of the response body as text; the rest is not read. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(size, EXCERPT_BYTES));
  let offset = 0;
  for (const part of parts) {
    const take = part.subarray(0, bytes.length - offset);
    bytes.set(take, offset);
    offset += take.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}

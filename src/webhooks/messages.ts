/**
 * What travels on the `webhooks` queue (and, after its last retry, on `dead-letters`).
 * An event message is fanned out to every subscribed endpoint (or only `endpointId`, for a ping);
 * a delivery message carries the retries of one delivery, starting at attempt number `attempt`.
 */
import type { PlatformEvent } from "../events/catalog";

export interface WebhookEventMessage {
  kind: "webhook.event";
  accountId: string;
  event: PlatformEvent;
  endpointId?: string;
}

export interface WebhookDeliveryMessage {
  kind: "webhook.delivery";
  accountId: string;
  deliveryId: string;
  attempt: number;
}

export type WebhookMessage = WebhookEventMessage | WebhookDeliveryMessage;

export function isWebhookMessage(body: unknown): body is WebhookMessage {
  if (typeof body !== "object" || body === null) return false;
  const kind = (body as { kind?: unknown }).kind;
  return kind === "webhook.event" || kind === "webhook.delivery";
}

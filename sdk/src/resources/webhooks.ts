/** Webhook endpoints, their deliveries, the per-fax callback secret, and verification of what arrives. */
import type { Transport } from "../http.js";
import { PageRequest, type Page } from "../pagination.js";
import type {
  CallbackDeliveryListParams,
  CallbackSecretInfo,
  WebhookDelivery,
  WebhookDeliveryListParams,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
  WebhookEndpointListParams,
  WebhookEndpointUpdate,
  WebhookSecret,
  WebhookSecretRotate,
} from "../types.js";
import { verifyWebhook, type HeaderSource } from "../webhook-signature.js";
import type { CallOptions } from "./faxes.js";

const id = (value: string) => encodeURIComponent(value);

export class Webhooks {
  constructor(private readonly transport: Transport) {}

  /** Checks a delivery's Standard Webhooks signature and age; answers the event (see verifyWebhook). */
  verify(body: string | Uint8Array | ArrayBuffer, headers: HeaderSource, secret: string, options?: { nowMs?: number; toleranceSeconds?: number }) {
    return verifyWebhook(body, headers, secret, options);
  }

  create(params: WebhookEndpointCreate, options: CallOptions = {}): Promise<WebhookEndpointCreated> {
    return this.transport.request("POST", "/v1/webhooks", { json: params, ...options });
  }

  list(params: WebhookEndpointListParams = {}): PageRequest<WebhookEndpoint> {
    return new PageRequest((cursor) => this.transport.request<Page<WebhookEndpoint>>("GET", "/v1/webhooks", { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  get(endpointId: string, options: CallOptions = {}): Promise<WebhookEndpoint> {
    return this.transport.request("GET", `/v1/webhooks/${id(endpointId)}`, options);
  }

  update(endpointId: string, params: WebhookEndpointUpdate, options: CallOptions = {}): Promise<WebhookEndpoint> {
    return this.transport.request("PATCH", `/v1/webhooks/${id(endpointId)}`, { json: params, ...options });
  }

  delete(endpointId: string, options: CallOptions = {}): Promise<WebhookEndpoint> {
    return this.transport.request("DELETE", `/v1/webhooks/${id(endpointId)}`, options);
  }

  rotateSecret(endpointId: string, params: WebhookSecretRotate = {}, options: CallOptions = {}): Promise<WebhookSecret> {
    return this.transport.request("POST", `/v1/webhooks/${id(endpointId)}/rotate-secret`, { json: params, ...options });
  }

  ping(endpointId: string, options: CallOptions = {}): Promise<WebhookDelivery> {
    return this.transport.request("POST", `/v1/webhooks/${id(endpointId)}/ping`, options);
  }

  deliveries(endpointId: string, params: WebhookDeliveryListParams = {}): PageRequest<WebhookDelivery> {
    const path = `/v1/webhooks/${id(endpointId)}/deliveries`;
    return new PageRequest((cursor) => this.transport.request<Page<WebhookDelivery>>("GET", path, { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  redeliver(endpointId: string, deliveryId: string, options: CallOptions = {}): Promise<WebhookDelivery> {
    return this.transport.request("POST", `/v1/webhooks/${id(endpointId)}/deliveries/${id(deliveryId)}/redeliver`, options);
  }

  /** The secret that signs per-fax `webhook_url` callbacks. */
  callbackSecret(options: CallOptions = {}): Promise<CallbackSecretInfo> {
    return this.transport.request("GET", "/v1/webhooks/callback-secret", options);
  }

  rotateCallbackSecret(params: WebhookSecretRotate = {}, options: CallOptions = {}): Promise<WebhookSecret> {
    return this.transport.request("POST", "/v1/webhooks/callback-secret/rotate", { json: params, ...options });
  }

  callbackDeliveries(params: CallbackDeliveryListParams = {}): PageRequest<WebhookDelivery> {
    return new PageRequest((cursor) =>
      this.transport.request<Page<WebhookDelivery>>("GET", "/v1/webhooks/callback-deliveries", { query: { ...params, cursor: cursor ?? params.cursor } }),
    );
  }
}

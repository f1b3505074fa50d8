/**
 * /v1/webhooks: endpoints that receive the account's events, signed to Standard Webhooks v1
 * (https://www.standardwebhooks.com/), their secrets and rotation, a ping, and the delivery log
 * with manual redelivery. A fax's own `webhook_url` is signed with the account's callback secret
 * (/v1/webhooks/callback-secret); its deliveries are listed at /v1/webhooks/callback-deliveries.
 */
import type { App } from "../context";
import { registerCallbackRoutes } from "./callbacks";
import { registerDeliveryRoutes } from "./deliveries";
import { registerEndpointRoutes } from "./endpoints";

export { WebhookEndpointSchema } from "./schemas";

export function registerWebhookRoutes(app: App): void {
  // The account's callback secret and the fax webhook_url deliveries come first: their static
  // paths must win over /v1/webhooks/{id}.
  registerCallbackRoutes(app);
  registerEndpointRoutes(app);
  registerDeliveryRoutes(app);
}

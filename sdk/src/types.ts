/** The API's shapes, named: every one comes from the generated OpenAPI types, none is written by hand. */
import type { components, operations } from "./generated/openapi.js";

type Schemas = components["schemas"];
export type Fax = Schemas["Fax"];
export type FaxError = Schemas["FaxError"];
export type FaxCreate = Schemas["FaxCreate"];
export type FaxResend = Schemas["FaxResend"];
export type FaxList = Schemas["FaxList"];
export type ReceivedFaxList = Schemas["ReceivedFaxList"];
export type FaxEvent = Schemas["Event"];
export type EventType = FaxEvent["type"];
export type SignedUrl = Schemas["SignedUrl"];
export type FaxNumber = Schemas["FaxNumber"];
export type NumberCreate = Schemas["NumberCreate"];
export type WebhookEndpoint = Schemas["WebhookEndpoint"];
export type WebhookEndpointCreated = Schemas["WebhookEndpointCreated"];
export type WebhookEndpointCreate = Schemas["WebhookEndpointCreate"];
export type WebhookEndpointUpdate = Schemas["WebhookEndpointUpdate"];
export type WebhookSecret = Schemas["WebhookSecret"];
export type WebhookSecretRotate = Schemas["WebhookSecretRotate"];
export type WebhookDelivery = Schemas["WebhookDelivery"];
export type CallbackSecretInfo = Schemas["CallbackSecretInfo"];
export type Problem = Schemas["Problem"];

type Query<Op extends keyof operations> = operations[Op]["parameters"] extends { query?: infer Q } ? NonNullable<Q> : never;
export type FaxListParams = Query<"listFaxes">;
export type ReceivedFaxListParams = Query<"listReceivedFaxes">;
export type NumberListParams = Query<"listNumbers">;
export type WebhookEndpointListParams = Query<"listWebhookEndpoints">;
export type WebhookDeliveryListParams = Query<"listWebhookDeliveries">;
export type CallbackDeliveryListParams = Query<"listCallbackDeliveries">;
export type CoverPage = NonNullable<Schemas["CoverPage"]>;

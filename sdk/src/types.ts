/** The API's shapes, named: every one comes from the generated OpenAPI types, none is written by hand. */
import type { components, operations } from "./generated/openapi.js";

type Schemas = components["schemas"];
export type Fax = Schemas["Fax"];
export type OutboundFax = Schemas["OutboundFax"];
export type InboundFax = Schemas["InboundFax"];
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
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyCreate = Schemas["ApiKeyCreate"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type ApiKeyListParams = Query<"listApiKeys">;
export type Balance = Schemas["Balance"];
export type CreditBundle = Schemas["CreditBundleList"]["data"][number];
export type CreditPurchaseCreate = Schemas["CreditPurchaseCreate"];
export type CreditPurchase = Schemas["CreditPurchase"];
export type CreditTransaction = Schemas["CreditTransactionList"]["data"][number];
export type CreditTransactionListParams = Query<"listCreditTransactions">;
export type Settings = Schemas["Settings"];
export type SettingsUpdate = Schemas["SettingsUpdate"];
export type SettingsUpdated = Schemas["SettingsUpdated"];

/** The JSON a successful call of `Op` answers (200, else 201), straight from the generated operation. */
type Ok<Op extends keyof operations> = operations[Op]["responses"] extends { 200: { content: { "application/json": infer B } } }
  ? B
  : operations[Op]["responses"] extends { 201: { content: { "application/json": infer C } } }
    ? C
    : never;
/** The JSON body `Op` takes. */
type Body<Op extends keyof operations> = NonNullable<operations[Op]["requestBody"]> extends { content: { "application/json": infer B } } ? B : never;

export type ExternalUser = Ok<"getExternalUser">;
export type ExternalUserPut = Body<"putExternalUser">;
export type DeletedExternalUser = Ok<"deleteExternalUser">;
export type ExternalUserListParams = Query<"listExternalUsers">;
export type InboxParams = Query<"getExternalUserInbox">;
export type InboxFax = Ok<"getExternalUserInbox">["data"][number];
export type InboxFaxPatch = Body<"markInboxFax">;
export type FaxText = Ok<"getFaxText">;
export type ExtractionResult = Ok<"extractFax">;
export type ExtractionSchema = Ok<"getNumberExtractionSchema">;
export type ExtractionSchemaPut = Body<"setNumberExtractionSchema">;
export type Usage = Ok<"getUsage">;
export type UsageParams = Query<"getUsage">;
export type Invoice = Ok<"getInvoice">;
export type InvoiceListParams = Query<"listInvoices">;
export type InvoiceSummary = Ok<"listInvoices">["data"][number];
export type InvoicePayment = Ok<"payInvoice">;

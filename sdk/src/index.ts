/**
 * The edgefax SDK for any runtime with fetch (Node 20+, Workers, Deno, browsers). In Node, `edgefax` resolves to
 * node.ts instead, which adds file paths as inputs.
 */
export { Edgefax } from "./client.js";
export { ConnectionError, EdgefaxError, ProblemError, WebhookVerificationError } from "./errors.js";
export { sniffContentType, type FileData, type FileInput } from "./files.js";
export { DEFAULT_BASE_URL, SDK_VERSION, Transport, type ClientOptions, type RequestOptions } from "./http.js";
export { PageRequest, type Page } from "./pagination.js";
export { FINAL_EVENT_TYPES, type CallOptions, type ImageParams, type SendFaxParams } from "./resources/faxes.js";
export type { ReceivedFax } from "./resources/received.js";
export { parseEventStream, type EventStreamOptions, type ServerSentEvent } from "./sse.js";
export type * from "./types.js";
export { signedWebhookHeaders, signWebhook, TIMESTAMP_TOLERANCE_SECONDS, verifyWebhook, type HeaderSource } from "./webhook-signature.js";

/**
 * The error catalog: every stable code the platform can return, with its HTTP status, a title and
 * what to try next. Request errors render as RFC 9457 problem+json (see ./problem.ts); fax failure
 * codes (./fax-failures.ts) appear in a fax's `error`. `/errors`, `/errors/{code}` and the OpenAPI
 * problem schema are generated from this table: add a code here, nowhere else.
 */
import { FAX_FAILURES } from "./fax-failures";

interface RequestErrorEntry {
  status: number;
  title: string;
  next: string;
}

export const REQUEST_ERRORS = {
  "request.malformed_json": {
    status: 400,
    title: "The body is not valid JSON",
    next: "Send a JSON object with Content-Type: application/json, or multipart/form-data for file uploads.",
  },
  "request.invalid": {
    status: 422,
    title: "Some fields are invalid",
    next: "Fix the fields listed in errors[] and send the request again.",
  },
  "request.unsupported_media_type": {
    status: 415,
    title: "Unsupported Content-Type",
    next: "Send application/json, or multipart/form-data when uploading files.",
  },
  "request.too_large": {
    status: 413,
    title: "The request body is too large",
    next: "Keep the whole request under the documented limit, or pass a document_url instead of inline content.",
  },
  "request.method_not_allowed": {
    status: 405,
    title: "Method not allowed on this path",
    next: "See the Allow header for the methods this path supports.",
  },
  "request.not_found": {
    status: 404,
    title: "No such endpoint",
    next: "Check the path against the API reference at /docs.",
  },
  "request.cursor_invalid": {
    status: 400,
    title: "The pagination cursor is invalid",
    next: "Pass next_cursor exactly as a previous list response returned it, or omit cursor to start over.",
  },
  "auth.missing": {
    status: 401,
    title: "No credentials",
    next: "Send Authorization: Bearer fx_test_… (an API key) or an OAuth access token.",
  },
  "auth.invalid": {
    status: 401,
    title: "The credentials are not valid",
    next: "Check the key for typos; keys are shown once, so create a new one if it is lost. Tokens expire: fetch a new one.",
  },
  "auth.forbidden": {
    status: 403,
    title: "This key may not do that",
    next: "Use a key of the right mode (test or live) for this operation.",
  },
  "oauth.invalid_client": {
    status: 401,
    title: "Unknown client or wrong secret",
    next: "Use client_id and client_secret from an API key: the key id (key_…) and the key itself.",
  },
  "oauth.unsupported_grant_type": {
    status: 400,
    title: "Unsupported grant type",
    next: "Only grant_type=client_credentials is supported.",
  },
  "rate_limit.exceeded": {
    status: 429,
    title: "Too many requests",
    next: "Wait for the number of seconds in Retry-After, then retry. Ask for a higher limit if you need one.",
  },
  "idempotency.key_invalid": {
    status: 400,
    title: "The Idempotency-Key header is invalid",
    next: "Use a unique string of 1 to 255 printable characters, such as a UUID.",
  },
  "idempotency.key_reused": {
    status: 422,
    title: "This Idempotency-Key was used for a different request",
    next: "Use a new key for a new request; reuse a key only to retry exactly the same request.",
  },
  "idempotency.in_flight": {
    status: 409,
    title: "A request with this Idempotency-Key is still in progress",
    next: "Wait a moment and retry with the same key: you will get the first request's response.",
  },
  "fax.not_found": {
    status: 404,
    title: "No such fax",
    next: "Check the id; faxes of other accounts are not visible to your key.",
  },
  "fax.recipient.invalid": {
    status: 422,
    title: "The recipient number is invalid",
    next: "Give `to` in E.164 form, such as +15550100001.",
  },
  "fax.sender.invalid": {
    status: 422,
    title: "The sender number is not one of yours",
    next: "Set `from` to a number of your account (GET /v1/numbers), or leave it out to use your first number.",
  },
  "fax.document.missing": {
    status: 422,
    title: "No document to send",
    next: "Give documents[] (base64), document_url, or a multipart file, or at least a cover_page.",
  },
  "fax.not_cancelable": {
    status: 409,
    title: "The fax can no longer be canceled",
    next: "Only queued or scheduled faxes can be canceled; this one is already sending or finished.",
  },
  "fax.not_resendable": {
    status: 409,
    title: "The fax cannot be resent",
    next: "Only outbound faxes that have finished (delivered, failed or canceled) can be resent.",
  },
  "fax.no_document": {
    status: 404,
    title: "This fax has no stored document",
    next: "The document was purged by the retention policy, or the fax has not been received yet.",
  },
  // issue 13 point 10: a page past page_count is not a purged document.
  "fax.page_not_found": {
    status: 404,
    title: "This fax has no such page",
    next: "Pages are numbered from 1 to the fax's page_count.",
  },
  // ---- inbound intelligence (issue 14) ----
  "extraction_schema.invalid": {
    status: 422,
    title: "The extraction schema is not one we can extract",
    next: "Fix the places errors[] points at: an object schema whose properties have type string, number, integer, boolean, array or object, with description, title, enum and format date (see README, \"Extraction schema\").",
  },
  "fax.not_read": {
    status: 409,
    title: "The fax's pages are still being read",
    next: "Wait for fax.received (or until ocr.status is no longer pending), then ask again.",
  },
  "fax.not_received": {
    status: 409,
    title: "Only received faxes have text and extracted data",
    next: "Use the id of an inbound fax whose status is received (GET /v1/faxes/received).",
  },
  "document.unsupported_type": {
    status: 415,
    title: "Unsupported document type",
    next: "Send PDF, PNG, JPEG or TIFF documents.",
  },
  "document.too_large": {
    status: 413,
    title: "A document is too large",
    next: "Keep each document under the documented size limit; compress images or split the fax.",
  },
  "document.unreadable": {
    status: 422,
    title: "A document could not be read",
    next: "The file is corrupt, encrypted or not what its content type says. Re-export it as a plain PDF.",
  },
  "document.too_many_pages": {
    status: 422,
    title: "The documents have too many pages",
    next: "Split the documents into several faxes.",
  },
  "document.url_refused": {
    status: 422,
    title: "The document_url is not allowed",
    next: "Use a public https URL; private, loopback and link-local addresses are refused.",
  },
  "document.fetch_failed": {
    status: 422,
    title: "The document_url could not be fetched",
    next: "Make sure the URL is publicly reachable and answers 200 with the document.",
  },
  "number.not_found": {
    status: 404,
    title: "No such number",
    next: "Check the id with GET /v1/numbers.",
  },
  "number.unavailable": {
    status: 409,
    title: "No number is available",
    next: "Live numbers come from the operator's pool (LIVE_NUMBER_POOL): release one you no longer use (DELETE /v1/numbers/{id}) or ask the operator to add numbers. Test numbers: try again.",
  },
  // ---- partners (issue 15) ----
  "number.area_code_unavailable": {
    status: 409,
    title: "No number is free in that area code",
    next: "Pick one of the area codes the error's detail lists, or leave area_code out to take any free number.",
  },
  "external_user.not_found": {
    status: 404,
    title: "No such external user",
    next: "Create the user first with PUT /v1/external-users/{external_user_id}; users of other accounts are not visible to your key.",
  },
  "external_user.id_in_grace": {
    status: 409,
    title: "The external user id still receives faxes for its former user",
    next: "A deleted user's numbers still receive faxes (with this external_user_id) until the time the detail gives: choose another external_user_id for the new user, or PUT again after that time.",
  },
  // data-protection gaps point 1: a user's metadata is sealed for one record, so a PUT that keeps racing a DELETE or
  // another PUT's creation gives up rather than write it for the wrong one.
  "external_user.changed_concurrently": {
    status: 409,
    title: "The external user changed while it was being written",
    next: "Another request created or deleted this external user at the same moment: send the PUT again.",
  },
  "document.purged": {
    status: 410,
    title: "The fax's files were deleted by the retention policy",
    next: "The fax's metadata stays (see purged_at); the document, pages and image are gone for good. Download files before the retention period ends.",
  },
  "signed_url.invalid": {
    status: 403,
    title: "The link's signature is not valid",
    next: "Use the URL exactly as the API returned it; ask the API for a new one.",
  },
  "signed_url.expired": {
    status: 410,
    title: "The link has expired",
    next: "Links are short-lived: request a fresh one from the API.",
  },
  "webhook.not_found": {
    status: 404,
    title: "No such webhook endpoint",
    next: "Check the id with GET /v1/webhooks; endpoints of other accounts are not visible to your key.",
  },
  "webhook.delivery_not_found": {
    status: 404,
    title: "No such webhook delivery",
    next: "Take the delivery id (msg_…) from GET /v1/webhooks/{id}/deliveries of the same endpoint.",
  },
  "webhook.url_refused": {
    status: 422,
    title: "The webhook URL is not allowed",
    next: "Use a public https URL; private, loopback, link-local and metadata addresses and localhost are refused.",
  },
  // Audit and data protection (issue 17): API keys as a resource, key scopes, encrypted documents.
  "auth.scope_insufficient": {
    status: 403,
    title: "This key's scope does not allow that",
    next: "Use a key whose scope covers the operation (read < send < full); GET /v1/api-keys lists each key's scope.",
  },
  "api_key.not_found": {
    status: 404,
    title: "No such API key",
    next: "Check the id with GET /v1/api-keys; keys of other accounts are not visible to your key.",
  },
  "audit.no_checkpoint": {
    status: 404,
    title: "No signed checkpoint yet",
    next: "Checkpoints are signed once a day for accounts with audit events; try again after the next one.",
  },
  "request.range_not_satisfiable": {
    status: 416,
    title: "The range starts past the end of the document",
    next: "Ask for bytes within the size given in Content-Range (bytes */size), or leave out the Range header.",
  },
  "document.key_unavailable": {
    status: 500,
    title: "The key that encrypted this document is not configured",
    next: "The operator must keep every key still in use listed in DOCUMENT_ENCRYPTION_KEY (new key first) until `npm run documents:rewrap` has finished; report the request id.",
  },
  "document.undecryptable": {
    status: 500,
    title: "The stored document does not decrypt",
    next: "The stored bytes were changed or cut, or the key material changed; report the request id to the operator.",
  },
  "api_key.last_key": {
    status: 409,
    title: "The account's last active key cannot be revoked",
    next: "Create another key with POST /v1/api-keys first, then revoke this one with the new key.",
  },
  // billing (issue 16)
  "balance.insufficient": {
    status: 402,
    title: "Not enough credits",
    next: "Buy credits with POST /v1/balance/purchases (see GET /v1/balance/bundles), or send fewer pages. One credit is one page sent.",
  },
  "billing.bundle_not_found": {
    status: 422,
    title: "No such credit bundle",
    next: "Pass the id of a bundle from GET /v1/balance/bundles.",
  },
  "billing.invoice_not_found": {
    status: 404,
    title: "No such invoice",
    next: "Take the invoice id (inv_…) from GET /v1/invoices.",
  },
  "billing.provider_failed": {
    status: 502,
    title: "The payment provider did not accept the purchase",
    next: "Try again in a minute with a new Idempotency-Key; if it keeps failing, report the request id.",
  },
  "billing.invoice_not_payable": {
    status: 409,
    title: "This statement cannot be paid yet",
    next: "The current month (`upcoming`) is paid once the cron has closed it, on the 1st; pay a closed statement (inv_…) from GET /v1/invoices.",
  },
  "billing.payment_offline": {
    status: 409,
    title: "Statements are paid outside the API here",
    next: "This platform takes no online payments (PAYMENT_PROVIDER=manual): pay as your operator asks, and the operator marks the statement paid.",
  },
  "billing.signature_invalid": {
    status: 400,
    title: "The payment provider's signature is missing, wrong or too old",
    next: "Only the payment provider calls this endpoint; check the endpoint's signing secret (STRIPE_WEBHOOK_SECRET).",
  },
  internal: {
    status: 500,
    title: "Something went wrong on our side",
    next: "Retry with the same Idempotency-Key; if it keeps failing, report the request id.",
  },
} as const satisfies Record<string, RequestErrorEntry>;

export type RequestErrorCode = keyof typeof REQUEST_ERRORS;

export interface CatalogEntry {
  code: string;
  kind: "request" | "fax";
  status: number | null;
  title: string;
  next: string;
  retryable?: boolean;
}

/** Every code, for the /errors pages and the OpenAPI description. */
export function catalogEntries(): CatalogEntry[] {
  const request = Object.entries(REQUEST_ERRORS).map(([code, e]) => ({
    code,
    kind: "request" as const,
    status: e.status,
    title: e.title,
    next: e.next,
  }));
  const fax = Object.entries(FAX_FAILURES).map(([code, e]) => ({
    code,
    kind: "fax" as const,
    status: null,
    title: e.title,
    next: e.next,
    retryable: e.retryable,
  }));
  return [...request, ...fax];
}

export function findCatalogEntry(code: string): CatalogEntry | undefined {
  return catalogEntries().find((e) => e.code === code);
}

/**
 * The event catalog (docs/architecture.md "Events"): every event type a webhook or a fax timeline can carry.
 * Envelope on the wire: { id: "evt_…", type, created_at, data } (Standard Webhooks v1).
 */
export const EVENT_TYPES = {
  "fax.queued": "An outbound fax was accepted and waits to be rendered and sent (a scheduled fax: its send_at came).",
  "fax.scheduled": "An outbound fax was accepted with a future send_at; it stays scheduled until then, then fax.queued.",
  "fax.sending": "An attempt to send the fax started: the call is being placed.",
  "fax.page_sent": "The receiver confirmed one more page (T.30 MCF).",
  "fax.retrying": "An attempt failed with a retryable reason; another is scheduled at next_attempt_at.",
  "fax.delivered": "Every page was delivered.",
  "fax.failed": "The fax failed for good; error says why and whether more attempts could help.",
  "fax.canceled": "The fax was canceled before it was sent.",
  "fax.received": "An inbound fax was received completely.",
  "fax.extracted": "OCR text and extracted data are ready for an inbound fax.",
  "number.provisioned": "A number was added to the account.",
  "number.released": "A number was released from the account.",
  "usage.tier_limit_reached": "A number's inbound pages this month reached its tier's allowance (faxes are still received).",
  "balance.low": "The account balance fell below its threshold.",
  "invoice.paid": "A monthly statement was paid (through the payment provider, recorded by the operator, or at once in test mode).",
  "webhook.ping": "A test event sent on request to check an endpoint.",
} as const;

export type EventType = keyof typeof EVENT_TYPES;

/**
 * Catalog entries nothing emits yet. They can be subscribed to, and /openapi.json and the README say
 * they do not fire yet; test/source/event-catalog.test.ts fails when one of them is emitted and still
 * listed here, or when an entry not listed here is emitted nowhere.
 */
export const NOT_YET_EMITTED = [] as const satisfies readonly EventType[];

export interface PlatformEvent {
  id: string;
  type: EventType;
  created_at: string;
  data: Record<string, unknown>;
}

/**
 * Why a fax attempt failed: the codes that appear in a fax's `error.code`, in `fax.failed` and
 * `fax.retrying` webhooks, and in what the gateway reports for a call. The T.30 engine, the simulated
 * carrier and the sweep all report these and nothing else; the error catalog (./catalog.ts) documents them.
 *
 * `retryable` says whether another attempt can reasonably succeed (T.30 itself has no such notion;
 * it is the platform's retry policy).
 */
export const FAX_FAILURES = {
  "fax.busy": {
    title: "The line was busy",
    retryable: true,
    next: "Nothing to do: the fax is retried until max_attempts runs out. Raise options.max_attempts for numbers that are often busy.",
  },
  "fax.no_answer": {
    title: "Nobody answered",
    retryable: true,
    next: "Check that the number is a fax line that answers automatically; the fax is retried.",
  },
  "fax.declined": {
    title: "The call was declined",
    retryable: false,
    next: "The far end refused the call (SIP 603 or equivalent). Confirm the recipient accepts faxes from your number.",
  },
  "fax.t38_refused": {
    title: "The far end refused T.38",
    retryable: true,
    next: "The far end or the carrier only offered audio. Ask the carrier to enable T.38 on the trunk, or try again later.",
  },
  "fax.training_failed": {
    title: "Modem training failed at every speed",
    retryable: true,
    next: "The line was too poor for any speed (T.30 FTT at the lowest rate). Retrying later often succeeds.",
  },
  "fax.carrier_lost": {
    title: "The call dropped during transmission",
    retryable: true,
    next: "The line dropped mid-fax; pages_sent tells how far it got. The fax is retried from the first page.",
  },
  "fax.ecm_failed": {
    title: "Error correction could not recover the page",
    retryable: true,
    next: "Too many frames were lost after the allowed retransmissions (T.30 Annex A). Try again, or send without ECM.",
  },
  "fax.partial": {
    title: "Only some pages were confirmed",
    retryable: true,
    next: "The receiver rejected or did not confirm every page (RTN or no MCF). pages_sent tells which were accepted.",
  },
  "fax.not_a_fax": {
    title: "The number is not a fax machine",
    retryable: false,
    next: "A voice or data line answered, with no fax tones (no CED/DIS). Check the number.",
  },
  "fax.incompatible": {
    title: "The far end cannot receive this fax",
    retryable: false,
    next: "The receiver's DIS offered no coding, width or resolution we can send. Try standard resolution.",
  },
  "fax.protocol_error": {
    title: "The fax protocol failed",
    retryable: true,
    next: "The T.30 exchange broke off (timeout or unexpected response); t30_result has the detail.",
  },
  "gateway.unavailable": {
    title: "No gateway could take the fax",
    retryable: true,
    next: "Live faxes need a gateway: set GATEWAY_URL and GATEWAY_SECRET, or start the local gateway with npm start.",
  },
  "gateway.lost": {
    title: "The gateway stopped reporting on this fax",
    retryable: true,
    next: "The gateway went silent mid-call (crash or restart); the sweep retried or failed the fax.",
  },
  "document.unreadable": {
    title: "A document could not be rendered",
    retryable: false,
    next: "The document is corrupt, encrypted or not what its content type says. Re-export it as a plain PDF.",
  },
  "document.too_many_pages": {
    title: "The documents have too many pages",
    retryable: false,
    next: "Split the documents into several faxes.",
  },
  // billing (issue 16)
  "fax.balance_insufficient": {
    title: "The balance could not pay for every page",
    retryable: false,
    next: "The document rendered to more pages than it had when the fax was accepted, and the balance could not cover the difference. Buy credits (POST /v1/balance/purchases), then resend the fax (POST /v1/faxes/{id}/resend).",
  },
  "fax.canceled": {
    title: "The fax was canceled",
    retryable: false,
    next: "Send it again with POST /v1/faxes/{id}/resend if that was a mistake.",
  },
} as const satisfies Record<string, { title: string; retryable: boolean; next: string }>;

export type FaxFailureCode = keyof typeof FAX_FAILURES;

export function isFaxFailureCode(code: string): code is FaxFailureCode {
  return Object.prototype.hasOwnProperty.call(FAX_FAILURES, code);
}

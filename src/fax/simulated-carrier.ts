/**
 * The simulated carrier that answers test-mode faxes (DESIGN.md "Test mode and magic numbers").
 * This file owns the magic-number table. A call is a script of steps with times in real-world
 * milliseconds; the FaxObject plays it with alarms, dividing times by TIME_COMPRESSION, so a
 * script survives restarts like any other scheduled work.
 */
import type { FaxFailureCode } from "../errors/fax-failures";

export type CarrierStep =
  | { atMs: number; kind: "page_sent"; page: number }
  | { atMs: number; kind: "delivered" }
  | { atMs: number; kind: "failed"; code: FaxFailureCode; t30Result: string; detail: string };

/** Time to dial and negotiate (T.30 phase B), then per page at 9600 bit/s for a typical text page. */
export const CALL_SETUP_MS = 8_000;
export const PAGE_MS = 30_000;
const SLOW_PAGE_MS = 90_000;

export const MAGIC_NUMBERS = {
  "+15550100001": "delivered",
  "+15550100002": "busy on every attempt; retried until attempts run out",
  "+15550100003": "no answer",
  "+15550100004": "fails the first attempt, delivered on the retry",
  "+15550100005": "line drops after page 1: failed, pages_sent 1",
  "+15550100006": "far end refuses T.38",
  "+15550100007": "slow: 90 s per page before time compression",
  "+15550100008": "not a fax number: failed, not retryable",
  "+15550100009": "call declined",
} as const;

function deliverAll(pageCount: number, pageMs: number): CarrierStep[] {
  const steps: CarrierStep[] = [];
  for (let page = 1; page <= pageCount; page++) {
    steps.push({ atMs: CALL_SETUP_MS + page * pageMs, kind: "page_sent", page });
  }
  steps.push({ atMs: CALL_SETUP_MS + pageCount * pageMs + 1_000, kind: "delivered" });
  return steps;
}

function fail(atMs: number, code: FaxFailureCode, t30Result: string, detail: string): CarrierStep {
  return { atMs, kind: "failed", code, t30Result, detail };
}

/** The script for one attempt (1-based) to `to` with `pageCount` pages. */
export function simulateCall(to: string, pageCount: number, attempt: number): CarrierStep[] {
  switch (to) {
    case "+15550100002":
      return [fail(5_000, "fax.busy", "SIP 486 Busy Here", "The line was busy.")];
    case "+15550100003":
      return [fail(45_000, "fax.no_answer", "SIP 408 Request Timeout", "The call rang without an answer.")];
    case "+15550100004":
      return attempt === 1
        ? [fail(CALL_SETUP_MS, "fax.training_failed", "FTT at the lowest speed", "Training failed on the first attempt.")]
        : deliverAll(pageCount, PAGE_MS);
    case "+15550100005":
      return [
        { atMs: CALL_SETUP_MS + PAGE_MS, kind: "page_sent", page: 1 },
        fail(CALL_SETUP_MS + PAGE_MS + 5_000, "fax.carrier_lost", "Carrier lost during page 2", "The line dropped after page 1."),
      ];
    case "+15550100006":
      return [fail(3_000, "fax.t38_refused", "SIP 488 Not Acceptable Here (no T.38)", "The far end answered audio only and refused the T.38 re-INVITE.")];
    case "+15550100007":
      return deliverAll(pageCount, SLOW_PAGE_MS);
    case "+15550100008":
      return [fail(20_000, "fax.not_a_fax", "No CED or DIS received (T.30 T1 expired)", "A voice line answered.")];
    case "+15550100009":
      return [fail(2_000, "fax.declined", "SIP 603 Decline", "The far end declined the call.")];
    default:
      return deliverAll(pageCount, PAGE_MS);
  }
}

/** Real-world duration of a successful call, for estimated_delivery. */
export function expectedCallMs(pageCount: number): number {
  return CALL_SETUP_MS + pageCount * PAGE_MS + 1_000;
}

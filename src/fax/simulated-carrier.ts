/**
 * The simulated carrier that answers test-mode faxes (docs/architecture.md "Test mode and magic numbers").
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

interface MagicNumber {
  /** What the number does, as the README's table says it. */
  outcome: string;
  /** The script for one attempt (1-based) with `pageCount` pages. */
  script: (pageCount: number, attempt: number) => CarrierStep[];
}

/** The magic numbers: the one table the simulated carrier plays and the docs describe. */
export const MAGIC_NUMBERS: Readonly<Record<string, MagicNumber>> = {
  "+15550100001": { outcome: "delivered", script: (pages) => deliverAll(pages, PAGE_MS) },
  "+15550100002": {
    outcome: "busy on every attempt; retried until attempts run out",
    script: () => [fail(5_000, "fax.busy", "SIP 486 Busy Here", "The line was busy.")],
  },
  "+15550100003": {
    outcome: "no answer",
    script: () => [fail(45_000, "fax.no_answer", "SIP 408 Request Timeout", "The call rang without an answer.")],
  },
  "+15550100004": {
    outcome: "fails the first attempt, delivered on the retry",
    script: (pages, attempt) =>
      attempt === 1
        ? [fail(CALL_SETUP_MS, "fax.training_failed", "FTT at the lowest speed", "Training failed on the first attempt.")]
        : deliverAll(pages, PAGE_MS),
  },
  "+15550100005": {
    outcome: "line drops after page 1: failed, pages_sent 1",
    script: () => [
      { atMs: CALL_SETUP_MS + PAGE_MS, kind: "page_sent", page: 1 },
      fail(CALL_SETUP_MS + PAGE_MS + 5_000, "fax.carrier_lost", "Carrier lost during page 2", "The line dropped after page 1."),
    ],
  },
  "+15550100006": {
    outcome: "far end refuses T.38",
    script: () => [
      fail(3_000, "fax.t38_refused", "SIP 488 Not Acceptable Here (no T.38)", "The far end answered audio only and refused the T.38 re-INVITE."),
    ],
  },
  "+15550100007": { outcome: "slow: 90 s per page before time compression", script: (pages) => deliverAll(pages, SLOW_PAGE_MS) },
  "+15550100008": {
    outcome: "not a fax number: failed, not retryable",
    script: () => [fail(20_000, "fax.not_a_fax", "No CED or DIS received (T.30 T1 expired)", "A voice line answered.")],
  },
  "+15550100009": {
    outcome: "call declined",
    script: () => [fail(2_000, "fax.declined", "SIP 603 Decline", "The far end declined the call.")],
  },
};

/** The script for one attempt (1-based) to `to` with `pageCount` pages; any other number is delivered. */
export function simulateCall(to: string, pageCount: number, attempt: number): CarrierStep[] {
  const magic = Object.hasOwn(MAGIC_NUMBERS, to) ? MAGIC_NUMBERS[to] : undefined;
  return magic ? magic.script(pageCount, attempt) : deliverAll(pageCount, PAGE_MS);
}

/** Real-world duration of a successful call, for estimated_delivery. */
export function expectedCallMs(pageCount: number): number {
  return CALL_SETUP_MS + pageCount * PAGE_MS + 1_000;
}

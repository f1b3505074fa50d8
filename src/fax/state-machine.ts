/**
 * The fax lifecycle (docs/architecture.md "Fax lifecycle"): the one place that says which status may follow
 * which. The FaxObject refuses any other transition, so an illegal state cannot be written.
 */
export const FAX_STATUSES = [
  "queued",
  // issue 13 point 9: an outbound fax whose send_at is still ahead; `queued` when it is due.
  "scheduled",
  "rendering",
  "sending",
  "delivered",
  "failed",
  "canceled",
  "receiving",
  "received",
] as const;
export type FaxStatus = (typeof FAX_STATUSES)[number];

const TRANSITIONS: Record<FaxStatus, readonly FaxStatus[]> = {
  // A document that cannot be rendered, or attempts running out while waiting, fails from queued.
  queued: ["rendering", "canceled", "failed"],
  scheduled: ["queued", "canceled"],
  rendering: ["sending", "failed"],
  // Back to queued is a retry: it carries next_attempt_at.
  sending: ["delivered", "failed", "queued"],
  delivered: [],
  failed: [],
  canceled: [],
  receiving: ["received", "failed"],
  received: [],
};

export function canTransition(from: FaxStatus, to: FaxStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: FaxStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: FaxStatus,
    readonly to: FaxStatus,
  ) {
    super(`A fax cannot go from ${from} to ${to}`);
    this.name = "IllegalTransitionError";
  }
}

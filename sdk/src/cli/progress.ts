/**
 * What `send --watch` shows for each event of a fax: rendering, dialling, page n/m (with a bar on a TTY), then
 * the result with the failure's code and T.30 reason. Pure functions of the event, so a test reads the lines.
 */
import type { Fax, FaxEvent } from "../types.js";

export function faxOf(event: FaxEvent): Fax | undefined {
  const fax = (event.data as { fax?: Fax }).fax;
  return fax && typeof fax === "object" ? fax : undefined;
}

function bar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** The failure as one line: code, detail and the T.30 (or SIP) reason. */
export function failureLine(fax: Fax): string {
  const error = fax.error ?? (fax.direction === "outbound" ? fax.last_error : null);
  if (!error) return "";
  const reason = error.t30_result ? `; T.30: ${error.t30_result}` : "";
  return `${error.code}: ${error.detail}${reason}`;
}

export function progressLine(event: FaxEvent, options: { tty: boolean }): string | undefined {
  const fax = faxOf(event);
  if (!fax) return undefined;
  // Only a fax being sent has progress; a received one carries none of the sending fields.
  if (fax.direction !== "outbound") return `${event.type}`;
  const pages = `${fax.pages_sent}/${fax.page_count ?? "?"}`;
  switch (event.type) {
    case "fax.queued":
      return fax.status === "queued" && fax.attempts === 0 ? `${fax.id} queued; rendering` : `${fax.id} ${fax.status}`;
    case "fax.sending":
      return `dialling ${fax.to} (attempt ${fax.attempts} of ${fax.max_attempts})`;
    case "fax.page_sent":
      return options.tty ? `sending ${bar(fax.pages_sent, fax.page_count ?? 0)} page ${pages}` : `page ${pages} sent`;
    case "fax.retrying":
      return `attempt ${fax.attempts} failed (${failureLine(fax)}); retrying at ${fax.next_attempt_at ?? "later"}`;
    case "fax.delivered":
      return `delivered: ${pages} pages${fax.remote_ident ? ` to "${fax.remote_ident}"` : ""}`;
    case "fax.failed":
      return `failed after ${pages} pages: ${failureLine(fax)}`;
    case "fax.canceled":
      return `canceled after ${pages} pages`;
    default:
      return `${event.type}`;
  }
}

/** One line about a fax for `status` and `list`. */
export function summaryLine(fax: Fax): string {
  const failure = fax.status === "failed" ? `  ${failureLine(fax)}` : "";
  const pages = fax.direction === "outbound" ? `${fax.pages_sent}/${fax.page_count ?? "?"} pages` : `${fax.page_count ?? "?"} pages`;
  return `${fax.id}  ${fax.direction.padEnd(8)} ${fax.status.padEnd(9)} ${(fax.direction === "outbound" ? fax.to : fax.from) ?? ""}  ${pages}  ${fax.created_at}${failure}`;
}

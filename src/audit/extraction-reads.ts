/**
 * Which faxes a response shows extracted fields of (issue 14 data, audited as issue 17 asks): fields extracted
 * from a received fax are often PHI (a patient's name, a date of birth), so every read path that shows them
 * records fax.read_extraction, one entry per fax shown. A fax without extracted data is metadata, not recorded.
 */
import type { PlatformEvent } from "../events/catalog";

interface FaxLike {
  id?: unknown;
  direction?: unknown;
  extraction?: { data?: unknown } | null;
}

/** Whether a fax as the API shows it carries fields extracted from a received fax. */
export function showsExtractedData(fax: FaxLike | null | undefined): boolean {
  return fax?.direction === "inbound" && fax.extraction?.data != null;
}

/** The ids of the faxes among `faxes` whose extracted fields are shown, each once. */
export function faxesShowingExtraction(faxes: Iterable<FaxLike>): string[] {
  const ids = new Set<string>();
  for (const fax of faxes) if (showsExtractedData(fax) && typeof fax.id === "string") ids.add(fax.id);
  return [...ids];
}

/** The fax whose extracted fields an event shows (fax.extracted's extracted_data, or its fax's extraction), else null. */
export function faxShownByEvent(event: Pick<PlatformEvent, "data">): string | null {
  const fax = event.data.fax as FaxLike | undefined;
  if (typeof fax?.id !== "string") return null;
  return event.data.extracted_data != null || showsExtractedData(fax) ? fax.id : null;
}

/** The ids of the faxes whose extracted fields any of `events` show, each once. */
export function faxesShownByEvents(events: Iterable<Pick<PlatformEvent, "data">>): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    const id = faxShownByEvent(event);
    if (id) ids.add(id);
  }
  return [...ids];
}

/**
 * A fax event's place in its fax's order (issue 13 point 4): the FaxObject numbers its events 1, 2, 3…
 * as it emits them (`data.sequence`), and the outbox publishes a fax's event only after its predecessor.
 * Events not about one fax (and fax events stored before sequences existed) have no order.
 */
import type { PlatformEvent } from "./catalog";

export interface FaxOrder {
  faxId: string;
  sequence: number;
}

export function faxOrderOf(event: PlatformEvent): FaxOrder | null {
  const sequence = event.data.sequence;
  const faxId = (event.data.fax as { id?: unknown } | undefined)?.id;
  return typeof sequence === "number" && typeof faxId === "string" ? { faxId, sequence } : null;
}

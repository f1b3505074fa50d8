/** The account's events as they happen (`GET /v1/events/stream`, Server-Sent Events), optionally of some types only. */
import type { Transport } from "../http.js";
import { readEventStream, type EventStreamOptions } from "../sse.js";
import type { EventType, FaxEvent } from "../types.js";
import { openStream } from "./faxes.js";

export class Events {
  constructor(private readonly transport: Transport) {}

  /** Never ends by itself: reconnects with Last-Event-ID after a dropped connection; stop it with `signal` or `break`. */
  stream(options: EventStreamOptions & { types?: EventType[] } = {}): AsyncGenerator<FaxEvent> {
    const query = { types: options.types?.length ? options.types.join(",") : undefined };
    return readEventStream({ open: (lastEventId, signal) => openStream(this.transport, "/v1/events/stream", query, lastEventId, signal) }, options);
  }
}

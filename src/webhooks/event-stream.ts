/**
 * Event streams (issue 18 point 1): Server-Sent Events of the same envelopes webhooks carry, served by
 * one EventStreamObject per (account, mode). The webhooks consumer feeds it as it publishes each event
 * (src/webhooks/consumer.ts), after the event's predecessors and before its deliveries, so a stream
 * sees a fax's events in their order, about when its webhooks go out, and nothing polls D1 per client.
 * Frames follow the HTML standard's text/event-stream: `id:` the event id (a reconnecting client sends
 * it back as Last-Event-ID), `event:` the type, `data:` the envelope; comment lines are heartbeats.
 */
import type { PlatformEvent } from "../events/catalog";
import { eventMode } from "../events/event-mode";
import type { EventStreamObject } from "./event-stream-object";
import { envelope } from "./fan-out";

export type StreamMode = "test" | "live";

/** What one client asked for; the API route checks it and the object serves it. */
export interface StreamRequest {
  accountId: string;
  mode: StreamMode;
  /** Only these types (null: all). */
  types: string[] | null;
  /** The fax stream: only this fax's events, closing after its final one (faxStreamEnded). */
  faxId: string | null;
  /** For the fax stream: the fax was already final (faxStreamEnded) when the client connected. */
  faxFinal: boolean;
  /** For the fax stream: the fax statuses that end it (the fax state machine's final ones, given by the route). */
  finalStatuses: string[];
  /** Resume after this event (Last-Event-ID): nothing before it again, nothing after it lost. */
  lastEventId: string | null;
  /** Who reads, as audit entries name them: a frame that shows a fax's extracted fields records fax.read_extraction. */
  reader?: StreamReader;
}

export interface StreamReader {
  keyId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export const STREAM_REQUEST_HEADER = "x-edgefax-stream";

/**
 * Whether a fax stream is over at this state of the fax: its status is final and, for a received fax, its
 * extraction is no longer pending, so `fax.extracted` (which the OCR pipeline emits after `fax.received`)
 * is on the stream too. An extraction skipped for want of a schema is decided before `fax.received`
 * (src/inbound/pipeline.ts), so that fax's stream ends with `fax.received`.
 */
export function faxStreamEnded(fax: { status?: unknown; extraction?: { status?: unknown } | null } | undefined, finalStatuses: string[]): boolean {
  if (typeof fax?.status !== "string" || !finalStatuses.includes(fax.status)) return false;
  return fax.extraction?.status !== "pending";
}

export function eventStreamObject(env: Env, accountId: string, mode: StreamMode): DurableObjectStub<EventStreamObject> {
  const ns = env.STREAMS as DurableObjectNamespace<EventStreamObject>;
  return ns.get(ns.idFromName(`${accountId}:${mode}`));
}


export type StreamFeeder = (accountId: string, event: PlatformEvent) => Promise<void>;

/**
 * Hands published events to their account's stream objects (which ignore an event they already have).
 * Events handed over in the same turn of the event loop go in one call per object, so a burst of a
 * thousand events costs a call or two, not a thousand; each caller's promise settles with its call.
 */
export function eventStreamFeeder(env: Env): StreamFeeder {
  let pending = new Map<string, { accountId: string; mode: StreamMode; events: PlatformEvent[]; done: Promise<void> }>();
  let flush: Promise<void> | null = null;
  return (accountId, event) => {
    const mode = eventMode(event);
    const modes: StreamMode[] = mode ? [mode] : ["test", "live"];
    const calls = modes.map((m) => {
      const key = `${accountId}:${m}`;
      let entry = pending.get(key);
      if (!entry) {
        flush ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
          pending = new Map();
          flush = null;
        });
        const events: PlatformEvent[] = [];
        entry = { accountId, mode: m, events, done: flush.then(() => eventStreamObject(env, accountId, m).append(events)) };
        pending.set(key, entry);
      }
      entry.events.push(event);
      return entry.done;
    });
    return Promise.all(calls).then(() => undefined);
  };
}

/** One SSE frame: the envelope is one line of JSON, so it needs one `data:` line. */
export function sseFrame(event: PlatformEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${envelope(event)}\n\n`;
}

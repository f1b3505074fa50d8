/**
 * Server-Sent Events (WHATWG HTML §9.2 "Server-sent events"): the parser of `text/event-stream`, and a reader
 * that reconnects after a dropped connection with `Last-Event-ID`, so the API resumes after the last event
 * received and nothing is lost or repeated. Heartbeats (comment lines) are skipped by the parser.
 */
import { ProblemError } from "./errors.js";
import type { FaxEvent } from "./types.js";

export interface ServerSentEvent {
  /** The last event id seen so far in the stream (the `id:` field persists across events). */
  id: string | undefined;
  event: string;
  data: string;
  retry: number | undefined;
}

/** Events from a text/event-stream body; lines end with CRLF, LF or CR. */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let lastId: string | undefined;
  let event = "";
  let data: string[] = [];
  let retry: number | undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A CR at the very end may be the first half of CRLF: keep it until more arrives.
      for (;;) {
        const match = /\r\n|\n|\r(?!$)/.exec(done ? buffer.replace(/\r$/, "\n") : buffer);
        if (!match) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (data.length > 0) yield { id: lastId, event: event || "message", data: data.join("\n"), retry };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value2 = colon === -1 ? "" : line.slice(colon + 1);
        if (value2.startsWith(" ")) value2 = value2.slice(1);
        if (field === "data") data.push(value2);
        else if (field === "event") event = value2;
        else if (field === "id" && !value2.includes("\0")) lastId = value2;
        else if (field === "retry" && /^\d+$/.test(value2)) retry = Number(value2);
      }
      if (done) return; // an event without its closing blank line is dropped, as the spec says
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}

export interface StreamConnection {
  /** Opens the stream, resuming after `lastEventId` when given; null when the server says there is nothing more (204). */
  open(lastEventId: string | undefined, signal: AbortSignal | undefined): Promise<ReadableStream<Uint8Array> | null>;
}

export interface EventStreamOptions {
  /** Resume after this event id (what `event.id` was for the last event you handled). */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Stop after an event for which this is true (the stream of one fax ends at its final event). */
  until?: (event: FaxEvent) => boolean;
  /** Failed connections in a row (network errors, 5xx after the transport's own retries) before giving up (default 8). */
  maxReconnects?: number;
}

/** Webhook envelopes from an SSE stream, reconnecting with Last-Event-ID when the connection drops. */
export async function* readEventStream(connection: StreamConnection, options: EventStreamOptions = {}): AsyncGenerator<FaxEvent> {
  let lastEventId = options.lastEventId;
  let retryMs = 1000;
  let failures = 0;
  const seen = new Set<string>();
  for (;;) {
    try {
      const body = await connection.open(lastEventId, options.signal);
      if (body === null) return;
      for await (const message of parseEventStream(body)) {
        if (message.retry !== undefined) retryMs = message.retry;
        if (message.id !== undefined) lastEventId = message.id;
        if (message.event === "message" && !message.data.startsWith("{")) continue;
        const envelope = JSON.parse(message.data) as FaxEvent;
        failures = 0;
        // A server that resumes one event early must not make the caller see it twice.
        if (seen.has(envelope.id)) continue;
        seen.add(envelope.id);
        if (seen.size > 1000) seen.delete(seen.values().next().value as string);
        yield envelope;
        if (options.until?.(envelope)) return;
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // Refused (a 4xx problem other than 429): reconnecting would be refused again.
      if (error instanceof ProblemError && error.status < 500 && error.status !== 429) throw error;
      if (++failures > (options.maxReconnects ?? 8)) throw error;
    }
    // A clean end (a proxy's idle timeout, a deploy) reconnects after `retry`; errors back off.
    await new Promise((resolve) => setTimeout(resolve, retryMs * Math.min(8, 2 ** Math.max(0, failures - 1))));
  }
}

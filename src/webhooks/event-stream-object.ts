/**
 * EventStreamObject: one Durable Object per (account, mode), serving that account's event streams
 * (src/webhooks/event-stream.ts). It keeps a log of the events it was fed (the newest LOG_LIMIT, in
 * its SQLite storage) in publish order, so a client resuming with Last-Event-ID gets exactly what
 * followed that event, and holds the open streams in memory. D1 is read only when a client connects:
 * a fax stream's timeline so far, or a resume from an event older than the log.
 */
import { DurableObject } from "cloudflare:workers";
import { findEventsAfter } from "../db/account-event-store";
import { database } from "../db/client";
import { listFaxEvents } from "../db/fax-store";
import type { PlatformEvent } from "../events/catalog";
import { faxesShownByEvents } from "../audit/extraction-reads";
import { recordAudits } from "../audit/recorder";
import { fieldCipher, isSealedField, sealedKeyId } from "../storage/fields";
import { faxStreamEnded, STREAM_REQUEST_HEADER, sseFrame, type StreamRequest } from "./event-stream";

/** Events kept for resuming; older resumes read D1 once. */
const LOG_LIMIT = 10_000;
/** Most events one resume from D1 sends (a client further behind pages through GET /v1/faxes/{id}/events). */
const RESUME_LIMIT = 1_000;
const DEFAULT_HEARTBEAT_SECONDS = 15;
/** The reconnection delay the client is told to use (`retry:`), in ms. */
const RECONNECT_MS = 2_000;

interface Client {
  request: StreamRequest;
  writer: WritableStreamDefaultWriter<Uint8Array> | null;
  /** Live events that arrived while the replay was being read; sent after it. */
  waiting: PlatformEvent[] | null;
  /** Ids already sent by the replay, so a live copy of one is not sent twice. */
  replayed: Set<string>;
}

const encoder = new TextEncoder();

function faxOf(event: PlatformEvent): { id?: string; status?: string; extraction?: { status?: string } | null } | undefined {
  return event.data.fax as { id?: string; status?: string; extraction?: { status?: string } | null } | undefined;
}

function endsFax(wanted: StreamRequest, event: PlatformEvent): boolean {
  return faxStreamEnded(faxOf(event), wanted.finalStatuses);
}

function logContext(eventId: string): string {
  return `event stream log\n${eventId}`;
}

export class EventStreamObject extends DurableObject<Env> {
  private readonly clients = new Set<Client>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS log (pos INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, event TEXT NOT NULL)",
    );
  }

  /**
   * Fed by the publish path; an event already in the log is ignored (publishing is at least once). The log
   * keeps each event sealed (a fax event carries the fax's metadata and cover page: issue 17 point 4), bound
   * to its id; rows logged before that are plain JSON and read as they are.
   */
  async append(events: PlatformEvent[]): Promise<void> {
    const cipher = fieldCipher(this.env);
    const sealed = await Promise.all(events.map((event) => cipher.seal(logContext(event.id), JSON.stringify(event))));
    for (const [i, event] of events.entries()) {
      const written = this.ctx.storage.sql.exec("INSERT OR IGNORE INTO log (id, event) VALUES (?, ?)", event.id, sealed[i]).rowsWritten;
      if (written === 0) continue;
      for (const client of this.clients) this.offer(client, event);
    }
    this.ctx.storage.sql.exec("DELETE FROM log WHERE pos <= (SELECT max(pos) FROM log) - ?", LOG_LIMIT);
  }

  /**
   * `npm run documents:rewrap` (POST /internal/documents/reseal): every logged event sealed under the current key
   * of DOCUMENT_ENCRYPTION_KEY (plain rows logged before encryption too), so a resume needs no older key.
   * Events under a key no longer listed are counted and left alone.
   */
  async resealLog(): Promise<{ resealed: number; unavailable: number }> {
    const cipher = fieldCipher(this.env);
    const current = await cipher.currentKeyId();
    const known = await cipher.keyIds();
    let resealed = 0;
    let unavailable = 0;
    for (const row of this.ctx.storage.sql.exec<{ id: string; event: string }>("SELECT id, event FROM log ORDER BY pos").toArray()) {
      const kid = isSealedField(row.event) ? sealedKeyId(row.event) : null;
      if (kid === current) continue;
      if (kid !== null && !known.includes(kid)) {
        unavailable++;
        continue;
      }
      const plain = kid === null ? row.event : await cipher.open(logContext(row.id), row.event);
      this.ctx.storage.sql.exec("UPDATE log SET event = ? WHERE id = ? AND event = ?", await cipher.seal(logContext(row.id), plain), row.id, row.event);
      resealed++;
    }
    return { resealed, unavailable };
  }

  override async fetch(request: Request): Promise<Response> {
    const wanted = JSON.parse(request.headers.get(STREAM_REQUEST_HEADER) ?? "null") as StreamRequest | null;
    if (!wanted) return new Response("stream request missing", { status: 400 });
    // Listening before reading the replay: what is published meanwhile waits, and nothing falls between.
    const client: Client = { request: wanted, writer: null, waiting: [], replayed: new Set() };
    this.clients.add(client);
    let replay: PlatformEvent[];
    try {
      replay = (await this.replay(wanted)).filter((event) => this.wants(wanted, event));
    } catch (error) {
      this.clients.delete(client);
      throw error;
    }
    if (wanted.faxId && wanted.faxFinal && replay.length === 0 && client.waiting!.length === 0) {
      // The fax is final and the client has everything: 204 tells an EventSource to stop reconnecting.
      this.clients.delete(client);
      return new Response(null, { status: 204 });
    }
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    client.writer = writable.getWriter();
    this.write(client, `retry: ${RECONNECT_MS}\n: connected\n\n`);
    // What the client is shown on connecting is recorded once per fax, not once per frame.
    const shown: PlatformEvent[] = [];
    const sendShown = (event: PlatformEvent) => {
      if (client.writer) shown.push(event);
      this.send(client, event, false);
    };
    for (const event of replay) {
      client.replayed.add(event.id);
      sendShown(event);
    }
    const waiting = client.waiting ?? [];
    client.waiting = null;
    for (const event of waiting) if (!client.replayed.has(event.id)) sendShown(event);
    this.auditReads(client, shown);
    this.keepAlive();
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  }

  /** What a connecting client gets before live events: a fax's timeline, or what followed Last-Event-ID. */
  private async replay(wanted: StreamRequest): Promise<PlatformEvent[]> {
    if (wanted.lastEventId) {
      const from = this.ctx.storage.sql.exec<{ pos: number }>("SELECT pos FROM log WHERE id = ?", wanted.lastEventId).toArray()[0];
      if (from) {
        const rows = this.ctx.storage.sql.exec<{ id: string; event: string }>("SELECT id, event FROM log WHERE pos > ? ORDER BY pos", from.pos).toArray();
        const cipher = fieldCipher(this.env);
        return Promise.all(rows.map(async (row) => JSON.parse(isSealedField(row.event) ? await cipher.open(logContext(row.id), row.event) : row.event) as PlatformEvent));
      }
    }
    const db = database(this.env.DB);
    if (wanted.faxId) {
      const timeline = await listFaxEvents(db, wanted.accountId, wanted.faxId, fieldCipher(this.env));
      const at = wanted.lastEventId ? timeline.findIndex((e) => e.id === wanted.lastEventId) : -1;
      return at >= 0 ? timeline.slice(at + 1) : timeline;
    }
    if (!wanted.lastEventId) return [];
    return findEventsAfter(db, wanted.accountId, wanted.mode, wanted.lastEventId, RESUME_LIMIT, fieldCipher(this.env));
  }

  private wants(wanted: StreamRequest, event: PlatformEvent): boolean {
    if (wanted.types && !wanted.types.includes(event.type)) return false;
    return !wanted.faxId || faxOf(event)?.id === wanted.faxId;
  }

  private offer(client: Client, event: PlatformEvent): void {
    if (!this.wants(client.request, event)) return;
    if (client.waiting) client.waiting.push(event);
    else if (!client.replayed.has(event.id)) this.send(client, event);
  }

  private send(client: Client, event: PlatformEvent, audited = true): void {
    this.write(client, sseFrame(event));
    if (audited) this.auditReads(client, [event]);
    // The fax stream ends with the fax: a clean close after its final event.
    if (client.request.faxId && endsFax(client.request, event)) this.close(client);
  }

  /** fax.read_extraction for each fax whose extracted fields these frames showed the client (never delays them). */
  private auditReads(client: Client, events: PlatformEvent[]): void {
    const reader = client.request.reader;
    if (!reader) return;
    recordAudits(
      {
        env: this.env,
        waitUntil: (work) => this.ctx.waitUntil(work),
        accountId: client.request.accountId,
        actor: { type: "api_key", id: reader.keyId },
        requestId: reader.requestId,
        ip: reader.ip,
        userAgent: reader.userAgent,
      },
      "fax.read_extraction",
      faxesShownByEvents(events).map((id) => ({ type: "fax", id })),
    );
  }

  private write(client: Client, text: string): void {
    const writer = client.writer;
    if (!writer) return;
    // Not awaited: a write settles when the client reads it; a failed one means the client is gone.
    writer.write(encoder.encode(text)).catch(() => this.drop(client));
  }

  private close(client: Client): void {
    this.clients.delete(client);
    client.writer?.close().catch(() => undefined);
    client.writer = null;
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.writer?.abort().catch(() => undefined);
    client.writer = null;
  }

  /** Heartbeats (SSE comment lines) keep idle connections open through proxies and find clients that left. */
  private keepAlive(): void {
    if (this.heartbeat) return;
    const seconds = Number(this.env.STREAM_HEARTBEAT_SECONDS) || DEFAULT_HEARTBEAT_SECONDS;
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) if (!client.waiting) this.write(client, ": heartbeat\n\n");
      if (this.clients.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    }, seconds * 1000);
  }
}

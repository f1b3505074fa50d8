/** Faxes: send, get, list, cancel, resend, their events (a list, or live as a stream) and OCR text. */
import { ProblemError } from "../errors.js";
import { namedBlob, type FileInput, type PathReader } from "../files.js";
import { randomIdempotencyKey, type Transport } from "../http.js";
import { boundaryFor, encodeMultipart, type MultipartPart } from "../multipart.js";
import { PageRequest, type Page } from "../pagination.js";
import { readEventStream, type EventStreamOptions } from "../sse.js";
import type { operations } from "../generated/openapi.js";
import type { ExtractionResult, Fax, FaxCreate, FaxEvent, FaxListParams, FaxResend, FaxText, SignedUrl } from "../types.js";

export interface SendFaxParams extends Omit<FaxCreate, "documents"> {
  /** Files to send, in order: paths (Node), Blobs, bytes or streams. Sent as multipart/form-data. */
  files?: FileInput[];
  /** Documents already base64-encoded, as in the JSON body. */
  documents?: FaxCreate["documents"];
}

export interface CallOptions {
  /** Reuse to make a retried call safe yourself; the SDK sets a fresh one per call otherwise. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export type ImageParams = NonNullable<operations["getFaxImage"]["parameters"]["query"]>;

/** The events after which a fax changes no more (DESIGN.md "Fax lifecycle"). */
export const FINAL_EVENT_TYPES: ReadonlySet<string> = new Set(["fax.delivered", "fax.failed", "fax.canceled", "fax.received"]);

const id = (value: string) => encodeURIComponent(value);

export class Faxes {
  constructor(
    private readonly transport: Transport,
    private readonly readPath?: PathReader,
  ) {}

  async send(params: SendFaxParams, options: CallOptions = {}): Promise<Fax> {
    const { files, ...fields } = params;
    if (!files || files.length === 0) return this.transport.request<Fax>("POST", "/v1/faxes", { json: fields, ...options });
    const idempotencyKey = options.idempotencyKey ?? randomIdempotencyKey();
    const parts: MultipartPart[] = [];
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined) parts.push({ name, value: typeof value === "string" ? value : JSON.stringify(value) });
    }
    for (const [index, file] of files.entries()) parts.push({ name: "file", ...(await namedBlob(file, index, this.readPath)) });
    // Serialized once, with a boundary that follows from the Idempotency-Key: a retry, by the SDK or by the caller
    // with the same key, sends the same bytes, so the API replays the first answer rather than refusing the key.
    const body = await encodeMultipart(parts, await boundaryFor(idempotencyKey));
    return this.transport.request<Fax>("POST", "/v1/faxes", { body, ...options, idempotencyKey });
  }

  get(faxId: string, options: CallOptions = {}): Promise<Fax> {
    return this.transport.request<Fax>("GET", `/v1/faxes/${id(faxId)}`, options);
  }

  list(params: FaxListParams & { metadata?: Record<string, string> } = {}): PageRequest<Fax> {
    return new PageRequest((cursor) => this.transport.request<Page<Fax>>("GET", "/v1/faxes", { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  cancel(faxId: string, options: CallOptions = {}): Promise<Fax> {
    return this.transport.request<Fax>("DELETE", `/v1/faxes/${id(faxId)}`, options);
  }

  resend(faxId: string, params: FaxResend = {}, options: CallOptions = {}): Promise<Fax> {
    return this.transport.request<Fax>("POST", `/v1/faxes/${id(faxId)}/resend`, { json: params, ...options });
  }

  /** The fax's events so far, oldest first. */
  async events(faxId: string, options: CallOptions = {}): Promise<FaxEvent[]> {
    return (await this.transport.request<{ data: FaxEvent[] }>("GET", `/v1/faxes/${id(faxId)}/events`, options)).data;
  }

  /**
   * The fax's events as they happen (`GET /v1/faxes/{id}/stream`, Server-Sent Events): first those so far, then
   * each new one, resuming after a dropped connection, ending after the final one (delivered, failed, canceled, received).
   */
  stream(faxId: string, options: EventStreamOptions = {}): AsyncGenerator<FaxEvent> {
    const path = `/v1/faxes/${id(faxId)}/stream`;
    return readEventStream(
      { open: (lastEventId, signal) => openStream(this.transport, path, {}, lastEventId, signal) },
      { until: (event) => FINAL_EVENT_TYPES.has(event.type), ...options },
    );
  }

  /**
   * Like stream(), but on a server without the stream route (404 `request.not_found`) it polls the fax's event
   * list every `intervalMs` instead, yielding each new event once, until the final one.
   */
  async *watch(faxId: string, options: EventStreamOptions & { intervalMs?: number } = {}): AsyncGenerator<FaxEvent> {
    let lastEventId = options.lastEventId;
    try {
      for await (const event of this.stream(faxId, options)) {
        lastEventId = event.id;
        yield event;
      }
      return;
    } catch (error) {
      if (!(error instanceof ProblemError && error.status === 404 && error.code === "request.not_found")) throw error;
    }
    const until = options.until ?? ((event: FaxEvent) => FINAL_EVENT_TYPES.has(event.type));
    for (;;) {
      const events = await this.events(faxId, { signal: options.signal });
      const start = lastEventId === undefined ? 0 : events.findIndex((event) => event.id === lastEventId) + 1;
      for (const event of events.slice(start)) {
        lastEventId = event.id;
        yield event;
        if (until(event)) return;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
      options.signal?.throwIfAborted();
    }
  }

  /** The OCR text of a received fax, page by page. */
  text(faxId: string, options: CallOptions = {}): Promise<FaxText> {
    return this.transport.request<FaxText>("GET", `/v1/faxes/${id(faxId)}/text`, options);
  }

  /** Runs extraction again on a received fax, against the account's (or the number's) current schema. */
  extract(faxId: string, options: CallOptions = {}): Promise<ExtractionResult> {
    return this.transport.request("POST", `/v1/faxes/${id(faxId)}/extract`, options);
  }

  /** A signed, expiring URL of the fax's document (PDF). */
  document(faxId: string, options: CallOptions = {}): Promise<SignedUrl> {
    return this.transport.request<SignedUrl>("GET", `/v1/faxes/${id(faxId)}/document`, options);
  }

  /**
   * The fax itself: a PDF (default), the TIFF-F, or one page as PNG. Answers the Response, so a large fax can be
   * streamed (`response.body`) or read whole (`await response.blob()`). Downloading a received fax marks it
   * `image_downloaded`.
   */
  image(faxId: string, params: ImageParams = {}, options: CallOptions = {}): Promise<Response> {
    return this.transport.send("GET", `/v1/faxes/${id(faxId)}/image`, { query: params, headers: { accept: "*/*" }, ...options });
  }
}

/** Opens an SSE endpoint: the body, or null when the server answers 204 (nothing more to send). */
export async function openStream(
  transport: Transport,
  path: string,
  query: Record<string, string | undefined>,
  lastEventId: string | undefined,
  signal: AbortSignal | undefined,
): Promise<ReadableStream<Uint8Array> | null> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  const response = await transport.send("GET", path, { query, headers, signal, noTimeout: true });
  if (response.status === 204 || !response.body) return null;
  return response.body;
}

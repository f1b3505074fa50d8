/**
 * FaxObject: one Durable Object per fax, the only writer of its state (docs/architecture.md "Parts").
 *
 * Every change goes through `commit`: the new state and the events it emits are written to the
 * object's own storage in one put (the outbox), then projected into D1. If the projection fails,
 * an alarm retries it, so an event can be late but never lost. Scheduled work (send_at, retries,
 * the simulated carrier's steps) is kept as timestamps in state and driven by the single alarm,
 * so it survives restarts of `npm start`.
 */
import { DurableObject } from "cloudflare:workers";
import { coverFaxPages, releaseFaxCredits } from "../billing/ledger";
import { inboundSettings, isoNow, settings } from "../config";
import { database } from "../db/client";
import { needsReseal, openEventData, openFax, sealEventData, sealFax } from "../db/fax-private";
import { writeFaxProjection } from "../db/fax-store";
import type { Tenant } from "../db/tenant";
import { FAX_FAILURES, type FaxFailureCode } from "../errors/fax-failures";
import type { EventType, PlatformEvent } from "../events/catalog";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { signObjectUrl } from "../lib/signed-url";
import { fieldCipher } from "../storage/fields";
import { publishEvents } from "../webhooks/publish";
import type { FaxJob } from "./jobs";
import { faxFileKeys } from "./render/keys";
import type { Fax, FaxError, FaxExtraction, FaxOcr } from "./schema";
import { faxView } from "./view";
import { simulateCall, type CarrierStep } from "./simulated-carrier";
import { canTransition, IllegalTransitionError, isFinal, type FaxStatus } from "./state-machine";

interface Attempt {
  id: string;
  number: number;
  startedAtMs: number;
  /** Last word from the carrier or gateway; the sweep fails attempts that go quiet. */
  lastHeardMs: number;
}

interface CarrierCall {
  attemptId: string;
  startedAtMs: number;
  steps: CarrierStep[];
  next: number;
}

interface FaxState {
  fax: Fax;
  accountId: string;
  documentKey: string | null;
  version: number;
  attempt: Attempt | null;
  carrier: CarrierCall | null;
  /** When the fax leaves `queued` for rendering: send_at, or next_attempt_at after a failure. */
  releaseAtMs: number | null;
  flushRetryAtMs: number | null;
  /** The last event's `sequence` (issue 13 point 4); absent in states stored before it existed. */
  sequence?: number;
  /** The fax's credit reservation was settled or refunded (once, when it became final). */
  creditsReleased?: boolean;
  /** A received fax's reading (issue 14); absent on outbound faxes and faxes received before it existed. */
  reading?: Reading;
  /** Partners: the user record of the fax's number (external_users.id); absent in states stored before it existed. */
  userId?: string | null;
}

interface Reading {
  /** fax.received went out (with the text, or without it once receivedDueMs passed). */
  receivedSent: boolean;
  receivedDueMs: number;
  /** Reading or extraction still pending then is failed: its job was lost for good. */
  giveUpAtMs: number | null;
  /** Which extraction is current: a result from an older run (before a re-run) is refused. */
  extractionRun: number;
}

/** What the pipeline reports when a fax's pages are read. */
export interface OcrOutcome extends Omit<FaxOcr, "completed_at"> {
  status: "done" | "failed";
  /** Every page's text, in page order, for fax.received. */
  text: string;
}

export interface ExtractionOutcome extends Omit<FaxExtraction, "completed_at"> {
  status: "done" | "failed" | "skipped";
  run: number;
}

/** ocr_text in fax.received is cut here: a queue message (and so an event) holds at most 128 KB. */
const EVENT_TEXT_LIMIT = 64 * 1024;
/** A received fax's document_url outlives the webhook retries of its first day; GET /v1/faxes/{id}/document gives a fresh one. */
const EVENT_DOCUMENT_URL_TTL_SECONDS = 24 * 3600;

export interface FaxInit {
  fax: Fax;
  accountId: string;
  documentKey: string | null;
  /** Partners: the user record (external_users.id) of the number it is sent from or received on. */
  userId?: string | null;
}

/** What a carrier or the gateway says about an attempt; the attempt id makes repeats harmless. */
export type AttemptReport =
  | { attemptId: string; kind: "heartbeat" }
  | { attemptId: string; kind: "page_sent"; page: number }
  | { attemptId: string; kind: "delivered"; remoteIdent?: string | null }
  | { attemptId: string; kind: "failed"; code: FaxFailureCode; detail: string; t30Result: string | null; pagesSent?: number };

export type CancelResult = { ok: true; fax: Fax } | { ok: false; status: FaxStatus | null };

function initialState(init: FaxInit, releaseAtMs: number | null): FaxState {
  return { fax: init.fax, accountId: init.accountId, documentKey: init.documentKey, userId: init.userId ?? null, version: 0, attempt: null, carrier: null, releaseAtMs, flushRetryAtMs: null };
}

const ALARM_TOLERANCE_MS = 250;
const STATE = "state";
const OUTBOX = "outbox";

export class FaxObject extends DurableObject<Env> {
  private state: FaxState | null | undefined;
  /** readOwnedJson's body and the state version it shows: every change to the fax goes through commit(), which bumps the version. */
  private serialized: { version: number; json: string } | undefined;

  private async load(): Promise<FaxState | null> {
    if (this.state === undefined) {
      const stored = await this.ctx.storage.get<FaxState>(STATE);
      this.state = stored ? { ...stored, fax: await openFax<Fax>(fieldCipher(this.env), stored.accountId, stored.fax) } : null;
    }
    return this.state;
  }

  /**
   * The state as this object's storage keeps it: the fax's metadata and cover page sealed as in D1
   * (src/db/fax-private.ts, issue 17 point 4), so a copy of the storage does not show them. States stored
   * before that are read as they are (load).
   */
  private async sealed(state: FaxState): Promise<FaxState> {
    return { ...state, fax: (await sealFax(fieldCipher(this.env), state.accountId, state.fax)) as Fax };
  }

  /** The outbox as stored: each event's fax sealed like the state's. */
  private async sealedOutbox(accountId: string, events: PlatformEvent[]): Promise<PlatformEvent[]> {
    return Promise.all(events.map(async (e) => ({ ...e, data: await sealEventData(fieldCipher(this.env), accountId, e.data) })));
  }

  private async openOutbox(accountId: string): Promise<PlatformEvent[]> {
    const stored = (await this.ctx.storage.get<PlatformEvent[]>(OUTBOX)) ?? [];
    return Promise.all(stored.map(async (e) => ({ ...e, data: await openEventData(fieldCipher(this.env), accountId, e.data) })));
  }

  /**
   * `npm run documents:rewrap` (POST /internal/documents/reseal): the stored state and outbox sealed under the
   * current key (or sealed at all, if stored before encryption), so an older key can leave
   * DOCUMENT_ENCRYPTION_KEY. Returns whether anything was rewritten.
   */
  async resealStorage(): Promise<boolean> {
    const stored = await this.ctx.storage.get<FaxState>(STATE);
    if (!stored) return false;
    const current = await fieldCipher(this.env).currentKeyId();
    const outbox = (await this.ctx.storage.get<PlatformEvent[]>(OUTBOX)) ?? [];
    const stale = (fax: unknown) => typeof fax === "object" && fax !== null && needsReseal(fax as Record<string, unknown>, current);
    if (!stale(stored.fax) && !outbox.some((e) => stale(e.data.fax))) return false;
    const state = (await this.load())!;
    await this.ctx.storage.put({ [STATE]: await this.sealed(state), [OUTBOX]: await this.sealedOutbox(state.accountId, await this.openOutbox(state.accountId)) });
    return true;
  }

  /** Creates the fax (a repeat returns the existing one) and queues it, or waits for send_at. */
  async create(init: FaxInit): Promise<Fax> {
    const existing = await this.load();
    if (existing) return existing.fax;
    const now = Date.now();
    const sendAtMs = init.fax.send_at ? Date.parse(init.fax.send_at) : null;
    const scheduled = sendAtMs !== null && sendAtMs > now;
    const state = initialState(init, scheduled ? sendAtMs : null);
    const events: PlatformEvent[] = [];
    if (init.fax.direction === "outbound") {
      if (scheduled) state.fax.status = "scheduled";
      events.push(this.event(scheduled ? "fax.scheduled" : "fax.queued", state.fax));
      if (!scheduled) await this.enqueue({ faxId: init.fax.id, kind: "render" });
    }
    await this.commit(state, events);
    return state.fax;
  }

  async read(): Promise<Fax | null> {
    return (await this.load())?.fax ?? null;
  }

  /**
   * The fax as its JSON body, if it belongs to the account and mode (a test key never reads a live fax,
   * src/db/tenant.ts): the API reads the source of truth, not the
   * D1 projection. Serialized once per state (a busy fax is polled far more often than it changes), and a
   * string crosses the RPC boundary without a structured clone on each side.
   */
  async readOwnedJson(tenant: Tenant): Promise<string | null> {
    const state = await this.load();
    if (!state || state.accountId !== tenant.accountId || state.fax.mode !== tenant.mode) return null;
    if (this.serialized?.version !== state.version) this.serialized = { version: state.version, json: JSON.stringify(faxView(state.fax)) };
    return this.serialized.json;
  }

  /** DELETE /v1/faxes/{id}: only while scheduled or queued (which includes waiting to retry). */
  async cancel(): Promise<CancelResult> {
    const state = await this.load();
    if (!state) return { ok: false, status: null };
    if (state.fax.status !== "queued" && state.fax.status !== "scheduled") return { ok: false, status: state.fax.status };
    this.move(state, "canceled");
    state.releaseAtMs = null;
    state.fax.next_attempt_at = null;
    state.fax.error = this.failure("fax.canceled", "Canceled by the API.", null);
    await this.commit(state, [this.event("fax.canceled", state.fax)]);
    return { ok: true, fax: state.fax };
  }

  /** The render job claims the fax; a duplicate or late job gets null and does nothing. */
  async startRendering(): Promise<{ documentKey: string | null; resolution: "standard" | "fine"; pageCount: number } | null> {
    const state = await this.load();
    if (!state || state.fax.status !== "queued" || state.releaseAtMs !== null) return null;
    this.move(state, "rendering");
    await this.commit(state, []);
    return { documentKey: state.documentKey, resolution: state.fax.options.resolution, pageCount: state.fax.page_count };
  }

  /** Rendering finished: start an attempt, through the simulated carrier (test) or the gateway (live). */
  async rendered(result: { pageCount: number }): Promise<void> {
    const state = await this.load();
    if (!state || state.fax.status !== "rendering") return;
    // Issue 16 point 2: every page dialled is paid for. The reservation was the page count at acceptance;
    // should the render have more, the difference is reserved now or the fax fails before the call.
    const covered = await coverFaxPages(this.env, state.accountId, state.fax.mode, state.fax.id, result.pageCount);
    if (state.fax.status !== "rendering") return;
    state.fax.page_count = result.pageCount;
    if (!covered) {
      const detail = `The document rendered to ${result.pageCount} pages, more than were reserved when the fax was accepted, and the balance cannot pay for the rest.`;
      await this.failBeforeCall(state, this.failure("fax.balance_insufficient", detail, null));
      return;
    }
    await this.startAttempt(state);
  }

  async renderFailed(code: "document.unreadable" | "document.too_many_pages", detail: string): Promise<void> {
    const state = await this.load();
    if (!state || state.fax.status !== "rendering") return;
    await this.failBeforeCall(state, this.failure(code, detail, null));
  }

  /** The fax ends while it is rendering, before the call of this attempt is placed. */
  private async failBeforeCall(state: FaxState, error: FaxError): Promise<void> {
    this.move(state, "failed");
    state.fax.error = error;
    state.fax.last_error = error;
    await this.commit(state, [this.event("fax.failed", state.fax)]);
  }

  /** Progress from the carrier or the gateway for the current attempt; anything else is ignored. */
  async report(report: AttemptReport): Promise<Fax | null> {
    const state = await this.load();
    if (!state) return null;
    if (state.fax.status !== "sending" || state.attempt?.id !== report.attemptId) return state.fax;
    state.attempt.lastHeardMs = Date.now();
    switch (report.kind) {
      case "heartbeat":
        await this.ctx.storage.put(STATE, await this.sealed(state));
        return state.fax;
      case "page_sent": {
        if (report.page <= state.fax.pages_sent) return state.fax;
        state.fax.pages_sent = report.page;
        await this.commit(state, [this.event("fax.page_sent", state.fax, { page: report.page })]);
        return state.fax;
      }
      case "delivered": {
        this.move(state, "delivered");
        state.fax.pages_sent = state.fax.page_count;
        state.fax.remote_ident = report.remoteIdent ?? state.fax.remote_ident;
        state.carrier = null;
        await this.commit(state, [this.event("fax.delivered", state.fax)]);
        return state.fax;
      }
      case "failed": {
        if (report.pagesSent !== undefined) state.fax.pages_sent = report.pagesSent;
        await this.attemptFailed(state, this.failure(report.code, report.detail, report.t30Result));
        return state.fax;
      }
    }
  }

  /** An inbound call is being received (idempotent: a repeat returns the fax as it is). */
  async receive(init: FaxInit): Promise<Fax> {
    const existing = await this.load();
    if (existing) return existing.fax;
    const state = initialState(init, null);
    await this.commit(state, []);
    return state.fax;
  }

  /**
   * The received pages are stored: `receiving` → `received`, and the reading job is queued. `fax.received`
   * waits for the text (ocrFinished) until OCR_DEADLINE_SECONDS, then goes without it (alarm).
   */
  async receivedComplete(result: { pageCount: number; remoteIdent: string | null }): Promise<Fax | null> {
    const state = await this.load();
    if (!state || state.fax.status !== "receiving") return state?.fax ?? null;
    this.move(state, "received");
    state.fax.page_count = result.pageCount;
    state.fax.pages_sent = result.pageCount;
    state.fax.remote_ident = result.remoteIdent;
    state.fax.image_downloaded = false;
    state.fax.ocr = { status: "pending", confidence: null, engine: null, pages_failed: [], pages_flagged: [], detail: null, completed_at: null };
    state.fax.extraction = { status: "pending", data: null, schema_version: null, detail: null, completed_at: null };
    const s = inboundSettings(this.env);
    const now = Date.now();
    state.reading = { receivedSent: false, receivedDueMs: now + s.receivedDeadlineMs, giveUpAtMs: now + s.giveUpMs, extractionRun: 1 };
    await this.enqueue({ faxId: state.fax.id, kind: "read" });
    await this.commit(state, []);
    return state.fax;
  }

  /** The pages were read (or could not be): fax.received goes out now if it has not yet. A repeat is refused (false). */
  async ocrFinished(outcome: OcrOutcome): Promise<boolean> {
    const state = await this.load();
    if (!state?.reading || state.fax.ocr?.status !== "pending") return false;
    const { text, ...ocr } = outcome;
    state.fax.ocr = { ...ocr, completed_at: isoNow() };
    const events = state.reading.receivedSent ? [] : [await this.receivedEvent(state, text)];
    state.reading.receivedSent = true;
    await this.commit(state, events);
    return true;
  }

  /** Extraction `run` finished: `fax.extracted` goes out unless there was no schema. A stale or repeated result is refused (false). */
  async extractionFinished(outcome: ExtractionOutcome): Promise<boolean> {
    const state = await this.load();
    if (!state?.reading || state.fax.extraction?.status !== "pending" || outcome.run !== state.reading.extractionRun) return false;
    const { run: _run, ...extraction } = outcome;
    state.fax.extraction = { ...extraction, completed_at: isoNow() };
    if (state.fax.ocr?.status !== "pending") state.reading.giveUpAtMs = null;
    const events = outcome.status === "skipped" ? [] : [this.extractedEvent(state)];
    await this.commit(state, events);
    return true;
  }

  /** POST /v1/faxes/{id}/extract: a new extraction run once the pages are read; the job carries the run number. */
  async requestExtraction(): Promise<{ ok: true; fax: Fax } | { ok: false; reason: "not_received" | "not_read" }> {
    const state = await this.load();
    if (!state?.reading || state.fax.status !== "received") return { ok: false, reason: "not_received" };
    if (state.fax.ocr?.status === "pending") return { ok: false, reason: "not_read" };
    state.reading.extractionRun += 1;
    state.reading.giveUpAtMs = Date.now() + inboundSettings(this.env).giveUpMs;
    state.fax.extraction = { status: "pending", data: null, schema_version: null, detail: null, completed_at: null };
    await this.enqueue({ faxId: state.fax.id, kind: "extract", run: state.reading.extractionRun });
    await this.commit(state, []);
    return { ok: true, fax: state.fax };
  }

  /** The account that owns the fax and the current extraction run, for the pipeline (null for a fax that is not read). */
  async readingClaim(): Promise<{ accountId: string; fax: Fax; extractionRun: number } | null> {
    const state = await this.load();
    if (!state?.reading) return null;
    return { accountId: state.accountId, fax: state.fax, extractionRun: state.reading.extractionRun };
  }

  async receiveFailed(detail: string): Promise<void> {
    const state = await this.load();
    if (!state || state.fax.status !== "receiving") return;
    this.move(state, "failed");
    state.fax.error = this.failure("document.unreadable", detail, null);
    await this.commit(state, [this.event("fax.failed", state.fax)]);
  }

  /** eFax-style polling: a user fetched the image, so `image_downloaded=false` stops listing it. */
  async imageDownloaded(): Promise<void> {
    const state = await this.load();
    if (!state || state.fax.image_downloaded !== false) return;
    state.fax.image_downloaded = true;
    await this.commit(state, []);
  }

  /** Called by the cron sweep: an attempt with no word for `staleMs` is failed or retried, never left in sending; a render that never finished is failed. */
  async sweep(staleMs: number): Promise<void> {
    const state = await this.load();
    if (!state) return;
    const quietMs = Date.now() - Date.parse(state.fax.updated_at);
    if (state.fax.status === "queued" && state.releaseAtMs === null && quietMs >= staleMs) {
      // Due for rendering but nobody took it: its job message was lost (a local queue lives in memory
      // and a reload drops it). Sending it again is harmless: a second job finds the fax claimed.
      await this.enqueue({ faxId: state.fax.id, kind: "render" });
      await this.commit(state, []);
      return;
    }
    if (state.fax.status === "rendering" && quietMs >= staleMs) {
      // The render job's isolate died (CPU or memory limit) and its redelivery found the fax claimed.
      await this.renderFailed("document.unreadable", `Rendering did not finish within ${Math.round(staleMs / 1000)} s.`);
      return;
    }
    if (state.fax.status !== "sending" || !state.attempt) return;
    if (Date.now() - state.attempt.lastHeardMs < staleMs) return;
    await this.attemptFailed(
      state,
      this.failure("gateway.lost", `No progress was reported for ${Math.round(staleMs / 1000)} s during the attempt.`, null),
    );
  }

  /** Retention: the document was deleted from R2. */
  async documentPurged(): Promise<void> {
    const state = await this.load();
    if (!state || state.documentKey === null) return;
    state.documentKey = null;
    state.fax.purged_at = isoNow();
    await this.commit(state, []);
  }

  override async alarm(): Promise<void> {
    const state = await this.load();
    if (!state) return;
    // An alarm may run a moment before its time by this isolate's clock. Work due within the tolerance
    // is done now: otherwise the handler would re-set the very alarm that is running, which the runtime
    // may then drop, and the fax would wait forever.
    const now = Date.now() + ALARM_TOLERANCE_MS;
    if (state.flushRetryAtMs !== null && state.flushRetryAtMs <= now) {
      state.flushRetryAtMs = null;
      await this.ctx.storage.put(STATE, await this.sealed(state));
      await this.flush();
    }
    if (state.releaseAtMs !== null && state.releaseAtMs <= now && (state.fax.status === "queued" || state.fax.status === "scheduled")) {
      const due: PlatformEvent[] = [];
      if (state.fax.status === "scheduled") {
        this.move(state, "queued");
        due.push(this.event("fax.queued", state.fax));
      }
      state.releaseAtMs = null;
      state.fax.next_attempt_at = null;
      await this.enqueue({ faxId: state.fax.id, kind: "render" });
      await this.commit(state, due);
    }
    await this.playCarrier(state, now);
    await this.readingDeadlines(state, now);
    await this.scheduleAlarm(state);
  }

  /** fax.received stops waiting for the text at its deadline; reading or extraction that never finished is failed. */
  private async readingDeadlines(state: FaxState, now: number): Promise<void> {
    const reading = state.reading;
    if (!reading) return;
    const events: PlatformEvent[] = [];
    if (!reading.receivedSent && reading.receivedDueMs <= now) {
      events.push(await this.receivedEvent(state, null));
      reading.receivedSent = true;
    }
    if (reading.giveUpAtMs !== null && reading.giveUpAtMs <= now) {
      reading.giveUpAtMs = null;
      const detail = `Did not finish within ${Math.round(inboundSettings(this.env).giveUpMs / 1000)} s.`;
      if (state.fax.ocr?.status === "pending") state.fax.ocr = { ...state.fax.ocr, status: "failed", detail, completed_at: isoNow() };
      if (state.fax.extraction?.status === "pending") {
        state.fax.extraction = { ...state.fax.extraction, status: "failed", detail, completed_at: isoNow() };
        events.push(this.extractedEvent(state));
      }
    }
    if (events.length > 0 || state.fax.ocr?.status === "failed") await this.commit(state, events);
  }

  /**
   * fax.received (DESIGN.md "Wave 2 contract"): the fax, its text (null when the deadline came first; cut at
   * EVENT_TEXT_LIMIT), where it came from, and a signed link to its PDF.
   */
  private async receivedEvent(state: FaxState, text: string | null): Promise<PlatformEvent> {
    const fax = state.fax;
    const document = await signObjectUrl(settings(this.env).publicUrl, this.env.SIGNING_SECRET, faxFileKeys(state.accountId, fax.id).document, EVENT_DOCUMENT_URL_TTL_SECONDS);
    const cut = text !== null && text.length > EVENT_TEXT_LIMIT;
    return this.event("fax.received", fax, {
      ocr_text: cut ? text.slice(0, EVENT_TEXT_LIMIT) : text,
      ocr_text_truncated: cut,
      ocr_status: fax.ocr?.status ?? "pending",
      page_count: fax.page_count,
      from: fax.from,
      to: fax.to,
      remote_ident: fax.remote_ident,
      external_user_id: (fax as { external_user_id?: string | null }).external_user_id ?? null,
      document_url: document.url,
      document_url_expires_at: document.expiresAt,
    });
  }

  private extractedEvent(state: FaxState): PlatformEvent {
    const fax = state.fax;
    return this.event("fax.extracted", fax, {
      extracted_data: fax.extraction?.data ?? null,
      extraction_status: fax.extraction?.status ?? null,
      schema_version: fax.extraction?.schema_version ?? null,
      external_user_id: (fax as { external_user_id?: string | null }).external_user_id ?? null,
    });
  }

  // ---- attempts ----

  private async startAttempt(state: FaxState): Promise<void> {
    const now = Date.now();
    const number = state.fax.attempts + 1;
    const attempt: Attempt = { id: newId("att"), number, startedAtMs: now, lastHeardMs: now };
    this.move(state, "sending");
    state.attempt = attempt;
    state.fax.attempts = number;
    state.fax.pages_sent = 0;
    state.fax.next_attempt_at = null;
    const events = [this.event("fax.sending", state.fax, { attempt: number })];
    if (state.fax.mode === "test") {
      state.carrier = { attemptId: attempt.id, startedAtMs: now, steps: simulateCall(state.fax.to, state.fax.page_count, number), next: 0 };
      await this.commit(state, events);
      return;
    }
    if (!settings(this.env).gatewayUrl) {
      await this.commit(state, events);
      await this.attemptFailed(
        state,
        this.failure("gateway.unavailable", "No gateway is configured for live faxes (GATEWAY_URL is empty).", null),
      );
      return;
    }
    await this.enqueue({ faxId: state.fax.id, kind: "dispatch", attemptId: attempt.id, accountId: state.accountId });
    await this.commit(state, events);
  }

  private async attemptFailed(state: FaxState, error: FaxError): Promise<void> {
    state.carrier = null;
    state.fax.last_error = error;
    if (error.retryable && state.fax.attempts < state.fax.max_attempts) {
      const delayMs = this.scaled(state, state.fax.options.retry_delay * 1000);
      const at = Date.now() + delayMs;
      this.move(state, "queued");
      state.releaseAtMs = at;
      state.fax.next_attempt_at = isoNow(at);
      await this.commit(state, [this.event("fax.retrying", state.fax)]);
      return;
    }
    this.move(state, "failed");
    state.fax.error = error;
    await this.commit(state, [this.event("fax.failed", state.fax)]);
  }

  /** Plays every simulated-carrier step that is due, in order. */
  private async playCarrier(state: FaxState, now: number): Promise<void> {
    while (state.carrier && state.fax.status === "sending") {
      const call: CarrierCall = state.carrier;
      const step = call.steps[call.next];
      if (!step || call.startedAtMs + this.scaled(state, step.atMs) > now) return;
      call.next += 1;
      if (step.kind === "page_sent") await this.report({ attemptId: call.attemptId, kind: "page_sent", page: step.page });
      else if (step.kind === "delivered") await this.report({ attemptId: call.attemptId, kind: "delivered", remoteIdent: "SIMULATED" });
      else await this.report({ attemptId: call.attemptId, kind: "failed", code: step.code, detail: step.detail, t30Result: step.t30Result });
    }
  }

  // ---- state, events, persistence ----

  private move(state: FaxState, to: FaxStatus): void {
    if (!canTransition(state.fax.status, to)) throw new IllegalTransitionError(state.fax.status, to);
    state.fax.status = to;
    if (isFinal(to)) {
      state.fax.completed_at = isoNow();
      state.fax.next_attempt_at = null;
      state.releaseAtMs = null;
    }
  }

  private failure(code: FaxFailureCode, detail: string, t30Result: string | null): FaxError {
    return { code, retryable: FAX_FAILURES[code].retryable, detail, t30_result: t30Result };
  }

  private event(type: EventType, fax: Fax, extra: Record<string, unknown> = {}): PlatformEvent {
    // A partner routes its user's events by external_user_id without a lookup (issue 15 point 8).
    const user = fax.external_user_id ? { external_user_id: fax.external_user_id } : {};
    return { id: newId("evt"), type, created_at: isoNow(), data: { ...extra, ...user, fax: faxView(structuredClone(fax)) } };
  }

  /** Test mode runs on compressed time; live faxes wait in real time. */
  private scaled(state: FaxState, realMs: number): number {
    return state.fax.mode === "test" ? realMs / settings(this.env).timeCompression : realMs;
  }

  private async enqueue(job: FaxJob): Promise<void> {
    await this.env.FAX_JOBS.send(job);
  }

  private async commit(state: FaxState, events: PlatformEvent[]): Promise<void> {
    state.version += 1;
    state.fax.updated_at = isoNow();
    // Each event's place in the fax's order: receivers sort by it, and the outbox publishes in it.
    for (const event of events) {
      state.sequence = (state.sequence ?? 0) + 1;
      event.data = { sequence: state.sequence, ...event.data };
    }
    const outbox = [...((await this.ctx.storage.get<PlatformEvent[]>(OUTBOX)) ?? []), ...(await this.sealedOutbox(state.accountId, events))];
    // One put of both keys is atomic: the state change and its events are stored together.
    await this.ctx.storage.put({ [STATE]: await this.sealed(state), [OUTBOX]: outbox });
    this.state = state;
    await this.flush();
    await this.scheduleAlarm(state);
  }

  /** Projects the state and the outbox into D1; on failure an alarm tries again in a second. */
  private async flush(): Promise<void> {
    await this.ctx.blockConcurrencyWhile(async () => {
      const state = this.state;
      if (!state) return;
      const outbox = await this.openOutbox(state.accountId);
      try {
        await writeFaxProjection(database(this.env.DB), state, outbox, fieldCipher(this.env));
        await this.releaseCredits(state);
        // Enqueued before the outbox is cleared: a crash in between re-sends, which fan-out deduplicates.
        if (outbox.length > 0) await publishEvents(this.env, state.accountId, outbox);
        if (outbox.length > 0) await this.ctx.storage.put(OUTBOX, []);
      } catch (error) {
        log.error("fax projection failed; will retry", { fax_id: state.fax.id, account_id: state.accountId, error: String(error) });
        state.flushRetryAtMs = Date.now() + 1_000;
        await this.ctx.storage.put(STATE, await this.sealed(state));
      }
    });
  }

  /**
   * Issue 16 point 2: once an outbound fax is final its reservation is settled for the pages actually sent
   * (all of them when delivered, those of the last attempt when failed) or refunded (canceled, or failed
   * before a page went). The ledger books it once per fax, so a flush retried after a crash cannot charge twice.
   */
  private async releaseCredits(state: FaxState): Promise<void> {
    if (state.fax.direction !== "outbound" || !isFinal(state.fax.status) || state.creditsReleased) return;
    const charged = state.fax.status === "canceled" ? 0 : state.fax.pages_sent;
    await releaseFaxCredits(this.env, state.accountId, state.fax.mode, state.fax.id, charged);
    state.creditsReleased = true;
    await this.ctx.storage.put(STATE, await this.sealed(state));
  }

  private async scheduleAlarm(state: FaxState): Promise<void> {
    const due: number[] = [];
    if (state.releaseAtMs !== null) due.push(state.releaseAtMs);
    if (state.flushRetryAtMs !== null) due.push(state.flushRetryAtMs);
    const step = state.carrier?.steps[state.carrier.next];
    if (state.carrier && step) due.push(state.carrier.startedAtMs + this.scaled(state, step.atMs));
    if (state.reading && !state.reading.receivedSent) due.push(state.reading.receivedDueMs);
    if (state.reading?.giveUpAtMs != null) due.push(state.reading.giveUpAtMs);
    if (due.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    await this.ctx.storage.setAlarm(Math.min(...due));
  }
}

/**
 * One fax call end to end: SIP dialog (./sip) + SDP offer/answer (./sdp) + a UDPTL socket (./t38,
 * ./udptl) + the T.30 engine (./t30). `sendFax` places a call, `answerFaxes` takes calls; the CLI and
 * the gateway service (jobs from the edge) both use these.
 *
 * T.38 only (no G.711 modem path): as caller we offer audio and switch by re-INVITE once answered
 * (T.38 Annex D.2.2, what carriers expect) or offer T.38 in the INVITE; a far end that will not take
 * T.38 ends the attempt with `fax.t38_refused`. As answerer we take T.38 when offered, accept an
 * audio-only call and wait a few seconds for the far end's re-INVITE, then send our own; an INVITE
 * without SDP (delayed offer) gets our offer in the 200 and its answer from the ACK.
 */
import { randomBytes } from "node:crypto";
import type { IncomingInvite } from "./sip/answering.js";
import type { Dialog } from "./sip/dialog.js";
import { UserAgent, type UserAgentOptions } from "./sip/ua.js";
import { getHeader, nameAddrUri, parseCSeq } from "./sip/message.js";
import { acceptT38ReInvites, answerInAck, openMedia, type CallMedia } from "./call-media.js";
import { answerOffer, buildOffer, readAnswer, DEFAULT_T38_PARAMS, type AnswerResult, type NegotiatedT38, type T38Params } from "./sdp/offer-answer.js";
import { createUdptlPort, type UdptlPort } from "./t38/udptl-port.js";
import { DEFAULT_REDUNDANCY, NO_REDUNDANCY } from "./t38/redundancy.js";
import { startT30Session, type CodingScheme, type FaxPageImage, type FaxPageSource, type T30Event, type T30Negotiated, type ReceivedPage, type T30Session } from "./t30/index.js";
import type { FaxFailureCode } from "../errors/fax-failures.js";

export type FaxCallEvent =
  | { type: "sip"; state: "calling" | "ringing" | "answered" | "reinvite" | "t38" | "hangup"; detail?: string }
  | { type: "t38"; t38: NegotiatedT38; localPort: number }
  | { type: "t30"; event: T30Event };

export interface FaxCallResult {
  success: boolean;
  failureCode: FaxFailureCode | null;
  /** T.30 result text, or the SIP status that ended the attempt ("SIP 486 Busy Here"). */
  t30Result: string;
  pagesTransferred: number;
  negotiated: T30Negotiated | null;
  remoteIdent: string;
  /** The T.38 session parameters agreed in SDP, once there were some. */
  t38: NegotiatedT38 | null;
  /** Receiver: pages as received. */
  pages: ReceivedPage[];
  sipStatus?: number;
  durationMs: number;
  udptl?: UdptlPort["stats"];
}

export interface FaxCallCommon {
  ecm?: boolean;
  schemes?: CodingScheme[];
  maxBitRate?: 14400 | 9600 | 7200 | 4800 | 2400;
  localIdent?: string;
  t38?: Partial<T38Params>;
  onEvent?: (e: FaxCallEvent) => void;
  /** Pace fast-modem data in real time (default) or send it at once (loopback load tests only). */
  pacing?: "realtime" | "none";
  /** Test hooks: fraction of UDPTL datagrams dropped on send / receive. */
  udptlTxLoss?: number;
  udptlRxLoss?: number;
  /** The random source of those losses (default Math.random; seeded for reproducible test runs). */
  udptlLossRandom?: () => number;
  /** Give up on the whole call after this long. Default 15 minutes. */
  callTimeoutMs?: number;
}

export interface SendFaxOptions extends FaxCallCommon {
  /** sip:NUMBER@HOST:PORT */
  to: string;
  pages: FaxPageImage[] | FaxPageSource;
  /** Our SIP/UDPTL address (default 127.0.0.1); or reuse a running user agent. */
  bind?: string;
  ua?: UserAgent;
  uaOptions?: Partial<UserAgentOptions>;
  /** "reinvite" (default): audio first, then T.38 by re-INVITE. "invite": T.38 in the first INVITE. */
  t38Offer?: "invite" | "reinvite";
  headerInfo?: string;
  /** CANCEL the INVITE when nobody answers within this long (`fax.no_answer`). Default 60 s. */
  ringTimeoutMs?: number;
  /**
   * Hang up: before the answer the INVITE is CANCELled (§9.1), after it the T.30 session ends (DCN) and
   * we send BYE. The result is `fax.canceled` with the signal's reason.
   */
  signal?: AbortSignal;
}

const DEFAULT_RING_TIMEOUT_MS = 60_000;

/** Why the caller hung up, from the signal's reason ("hung up" for a bare abort()). */
function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.name === "AbortError" ? "hung up" : r.message;
  return r === undefined ? "hung up" : String(r);
}

const abortText = (signal: AbortSignal) => `Aborted: ${abortReason(signal)}`;

const SIP_FAILURES: Array<[number[], FaxFailureCode]> = [
  [[486, 600], "fax.busy"],
  [[408, 480, 487], "fax.no_answer"],
  [[403, 603, 401, 407], "fax.declined"],
  [[404, 410, 484, 604], "fax.not_a_fax"],
  [[488, 606, 415], "fax.t38_refused"],
];

function sipFailure(status: number): FaxFailureCode {
  for (const [codes, failure] of SIP_FAILURES) if (codes.includes(status)) return failure;
  return "fax.protocol_error";
}

function failed(start: number, code: FaxFailureCode, text: string, extra: Partial<FaxCallResult> = {}): FaxCallResult {
  return { success: false, failureCode: code, t30Result: text, pagesTransferred: 0, negotiated: null, remoteIdent: "", t38: null, pages: [], durationMs: Date.now() - start, ...extra };
}

/**
 * Run T.30 over the negotiated UDPTL session until it ends, the far end hangs up, or the call
 * timeout; then hang up ourselves.
 */
async function runFax(
  dialog: Dialog,
  media: CallMedia,
  t38: NegotiatedT38,
  opts: FaxCallCommon,
  t30: { role: "sender" | "receiver"; callingParty: boolean; pages?: FaxPageImage[] | FaxPageSource; headerInfo?: string },
  start: number,
  signal?: AbortSignal,
): Promise<FaxCallResult> {
  opts.onEvent?.({ type: "t38", t38, localPort: media.udptl.address().port });
  const port = createUdptlPort({
    socket: media.udptl,
    remote: { address: t38.address, port: t38.port },
    // T.38 §9.1.1.1: redundancy only if agreed; their T38FaxMaxDatagram bounds what we send.
    redundancy: t38.agreed.udpEc === "none" ? NO_REDUNDANCY : DEFAULT_REDUNDANCY,
    maxDatagram: Math.max(t38.remote.maxDatagram ?? 400, 72),
    t38Version: t38.agreed.version,
    ...(opts.udptlTxLoss !== undefined ? { txLoss: opts.udptlTxLoss } : {}),
    ...(opts.udptlRxLoss !== undefined ? { rxLoss: opts.udptlRxLoss } : {}),
    ...(opts.udptlLossRandom ? { random: opts.udptlLossRandom } : {}),
  });
  const session: T30Session = startT30Session({
    role: t30.role,
    callingParty: t30.callingParty,
    port,
    ecm: opts.ecm ?? true,
    ...(opts.schemes ? { schemes: opts.schemes } : {}),
    ...(opts.maxBitRate ? { maxBitRate: opts.maxBitRate } : {}),
    ...(opts.localIdent ? { localIdent: opts.localIdent } : {}),
    ...(t30.pages ? { pages: t30.pages } : {}),
    ...(t30.headerInfo ? { headerInfo: t30.headerInfo } : {}),
    ...(opts.pacing ? { pacing: opts.pacing } : {}),
    onEvent: (event) => opts.onEvent?.({ type: "t30", event }),
  });
  let hungUp = false;
  dialog.onTerminated((reason) => {
    if (reason !== "remote BYE") return;
    hungUp = true;
    opts.onEvent?.({ type: "sip", state: "hangup", detail: "far end sent BYE" });
    // The far end may hang up right after its last T.30 signal: give our engine a moment to finish.
    const t = setTimeout(() => session.abort("The far end hung up"), 1500);
    t.unref();
  });
  const timeout = setTimeout(() => session.abort("Call time limit reached"), opts.callTimeoutMs ?? 15 * 60_000);
  timeout.unref();
  const onAbort = () => session.abort(signal ? abortReason(signal) : "hung up");
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const outcome = await session.outcome;
  clearTimeout(timeout);
  signal?.removeEventListener("abort", onAbort);
  port.close();
  if (!hungUp) await dialog.bye();
  media.close();
  return {
    success: outcome.success,
    failureCode: !outcome.success && signal?.aborted ? "fax.canceled" : (outcome.failureCode ?? (outcome.success ? null : hungUp ? "fax.carrier_lost" : "fax.protocol_error")),
    t30Result: outcome.t30Result,
    pagesTransferred: outcome.pagesTransferred,
    negotiated: outcome.negotiated,
    remoteIdent: outcome.remoteIdent,
    t38,
    pages: outcome.pages,
    durationMs: Date.now() - start,
    udptl: port.stats,
  };
}

function t38Params(opts: FaxCallCommon): T38Params {
  return { ...DEFAULT_T38_PARAMS, ...opts.t38 };
}

/** Place a call to `to` and send `pages` over T.38. Resolves with the outcome; never rejects. */
export async function sendFax(opts: SendFaxOptions): Promise<FaxCallResult> {
  const start = Date.now();
  const address = opts.bind ?? "127.0.0.1";
  const ownUa = !opts.ua;
  let ua: UserAgent;
  try {
    ua = opts.ua ?? (await UserAgent.create({ address, ...opts.uaOptions }));
  } catch (err) {
    return failed(start, "gateway.unavailable", `Cannot bind SIP on ${address}: ${(err as Error).message}`);
  }
  const media = await openMedia(address);
  const local = t38Params(opts);
  const sessionId = String(Date.now());
  const version = { n: 1 };
  const direct = opts.t38Offer === "invite";
  try {
    opts.onEvent?.({ type: "sip", state: "calling", detail: opts.to });
    const offer = buildOffer({ address: ua.address, sessionId, sessionVersion: version.n, kind: direct ? "t38" : "audio", port: direct ? media.udptl.address().port : media.audio.address().port, t38: local });
    const call = ua.invite({ target: opts.to, sdp: offer, onProvisional: (r) => r.status === 180 && opts.onEvent?.({ type: "sip", state: "ringing" }) });
    // §9.1: CANCEL goes once a provisional response came; UserAgent.invite holds it back until then.
    let ringTimedOut = false;
    const ringTimer = setTimeout(() => {
      ringTimedOut = true;
      call.cancel();
    }, opts.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS);
    ringTimer.unref();
    const cancelCall = () => call.cancel();
    opts.signal?.addEventListener("abort", cancelCall, { once: true });
    if (opts.signal?.aborted) call.cancel();
    const r = await call.result.finally(() => {
      clearTimeout(ringTimer);
      opts.signal?.removeEventListener("abort", cancelCall);
    });
    if (!r.ok) {
      media.close();
      if (opts.signal?.aborted) return failed(start, "fax.canceled", `${abortText(opts.signal)} (SIP ${r.status} ${r.reason})`, { sipStatus: r.status });
      if (ringTimedOut) return failed(start, "fax.no_answer", `SIP ${r.status} ${r.reason} after ring timeout`, { sipStatus: r.status });
      return failed(start, sipFailure(r.status), `SIP ${r.status} ${r.reason}`, { sipStatus: r.status });
    }
    const dialog = r.dialog;
    if (opts.signal?.aborted || ringTimedOut) {
      // The 200 crossed our CANCEL's wish before any provisional response: hang up at once.
      await dialog.bye();
      media.close();
      return opts.signal?.aborted
        ? failed(start, "fax.canceled", abortText(opts.signal), { sipStatus: 200 })
        : failed(start, "fax.no_answer", "Answered after the ring timeout", { sipStatus: 200 });
    }
    // Aborted between the answer and T.30 (the T.38 switch): hang up; runFax handles it from then on.
    const aborted = new Promise<{ refused: number; aborted: true }>((resolve) => {
      if (!opts.signal) return;
      const hangUp = () => resolve({ refused: 0, aborted: true });
      opts.signal.addEventListener("abort", hangUp, { once: true });
      dialog.onTerminated(() => opts.signal?.removeEventListener("abort", hangUp));
    });
    opts.onEvent?.({ type: "sip", state: "answered" });
    const answer = readAnswer(r.response.body, local);
    let t38: NegotiatedT38 | null = answer.kind === "t38" ? answer.t38 : null;
    if (!t38) {
      if (direct || answer.kind === "none") {
        await dialog.bye();
        media.close();
        return failed(start, "fax.t38_refused", "The far end answered without T.38", { sipStatus: 200 });
      }
      // Audio leg answered: switch to T.38 (T.38 Annex D.2.2), unless the far end's own re-INVITE wins.
      const theirs = new Promise<NegotiatedT38>((resolve) => acceptT38ReInvites(dialog, ua.address, media, local, sessionId, version, resolve, () => t38));
      opts.onEvent?.({ type: "sip", state: "reinvite" });
      const ours = dialog.reinvite(buildOffer({ address: ua.address, sessionId, sessionVersion: ++version.n, kind: "t38", port: media.udptl.address().port, t38: local })).then((res) => {
        if (res.status >= 200 && res.status < 300) {
          const a = readAnswer(res.body, local);
          return a.kind === "t38" ? a.t38 : ({ refused: 488 } as const);
        }
        return { refused: res.status } as const;
      });
      let first: NegotiatedT38 | { refused: number; aborted?: true } = await Promise.race([theirs, ours, aborted]);
      if ("aborted" in first && opts.signal) {
        await dialog.bye();
        media.close();
        return failed(start, "fax.canceled", abortText(opts.signal), { sipStatus: 200 });
      }
      if ("refused" in first) {
        // A 491 (glare) can mean the far end's own T.38 re-INVITE is what we should follow.
        const late = await Promise.race([theirs, new Promise<null>((res) => setImmediate(() => res(null)))]);
        if (late) first = late;
      }
      if ("refused" in first) {
        await dialog.bye();
        media.close();
        return failed(start, "fax.t38_refused", `The far end refused the T.38 re-INVITE (SIP ${first.refused})`, { sipStatus: first.refused });
      }
      t38 = first;
    } else {
      acceptT38ReInvites(dialog, ua.address, media, local, sessionId, version, () => undefined, () => t38);
    }
    opts.onEvent?.({ type: "sip", state: "t38" });
    return await runFax(dialog, media, t38, opts, { role: "sender", callingParty: true, pages: opts.pages, ...(opts.headerInfo ? { headerInfo: opts.headerInfo } : {}) }, start, opts.signal);
  } catch (err) {
    media.close();
    return failed(start, "fax.protocol_error", `Internal error: ${(err as Error).message}`);
  } finally {
    if (ownUa) ua.close();
  }
}

export interface ReceivedFax extends FaxCallResult {
  callId: string;
  caller: string;
  callee: string;
}

export interface AnswerFaxesOptions extends FaxCallCommon {
  bind?: string;
  port?: number;
  uaOptions?: Partial<UserAgentOptions>;
  /** After answering an audio-only call, wait this long for the far end's T.38 re-INVITE before sending ours. Default 3000 ms. */
  reinviteAfterMs?: number;
  /** "reinvite" (default): answer audio-only INVITEs and switch to T.38 ourselves; "reject": 488 them. */
  audioOnly?: "reinvite" | "reject";
  /** Called when each call ends, with the pages received. */
  onFax: (fax: ReceivedFax) => void | Promise<void>;
  /** Called when a call is offered, before we answer. */
  onCall?: (info: { callId: string; caller: string; callee: string }) => void;
  /**
   * Decides, before we answer, whether to take a call: true answers; false rejects with 404 (the
   * number is not ours: the caller's attempt fails `fax.not_a_fax`); a number rejects with that SIP status.
   */
  accept?: (info: { callId: string; caller: string; callee: string }) => Promise<boolean | number>;
  onCallEvent?: (callId: string, e: FaxCallEvent) => void;
}

export interface FaxListener {
  ua: UserAgent;
  port: number;
  /** Calls in progress. */
  readonly active: number;
  close(): void;
}

/** Answer incoming fax calls on `bind:port` until closed. */
export async function answerFaxes(opts: AnswerFaxesOptions): Promise<FaxListener> {
  const address = opts.bind ?? "127.0.0.1";
  const ua = await UserAgent.create({ address, ...(opts.port !== undefined ? { port: opts.port } : {}), ...opts.uaOptions });
  let active = 0;
  ua.onInvite((invite) => {
    active++;
    void answerOne(ua, invite, opts)
      .then((fax) => opts.onFax(fax))
      .catch(() => undefined)
      .finally(() => active--);
  });
  return {
    ua,
    port: ua.port,
    get active() {
      return active;
    },
    close: () => ua.close(),
  };
}

async function answerOne(ua: UserAgent, invite: IncomingInvite, opts: AnswerFaxesOptions): Promise<ReceivedFax> {
  const start = Date.now();
  const req = invite.request;
  const info = { callId: getHeader(req, "Call-ID") ?? "", caller: nameAddrUri(getHeader(req, "From")) ?? "", callee: req.uri };
  const onEvent = (e: FaxCallEvent) => {
    opts.onEvent?.(e);
    opts.onCallEvent?.(info.callId, e);
  };
  const callOpts: FaxCallCommon = { ...opts, onEvent };
  opts.onCall?.(info);
  if (opts.accept) {
    let cancelledEarly = false;
    invite.onCancel(() => (cancelledEarly = true));
    const verdict = await opts.accept(info).catch(() => true);
    if (cancelledEarly) return { ...failed(start, "fax.no_answer", "Caller cancelled"), ...info };
    if (verdict !== true) {
      const status = verdict === false ? 404 : verdict;
      invite.reject(status);
      return { ...failed(start, sipFailure(status), `Refused with SIP ${status}`, { sipStatus: status }), ...info };
    }
  }
  const media = await openMedia(ua.address);
  const local = t38Params(opts);
  const sessionId = randomBytes(4).readUInt32BE(0).toString();
  const version = { n: 1 };
  let cancelled = false;
  invite.onCancel(() => (cancelled = true));
  // Delayed offer (RFC 3261 §13.2.1, RFC 3264 §4): an INVITE without one gets ours in the 200
  // (§13.3.1.4) and the far end's answer comes in the ACK. Audio first, as our own INVITE offers, unless we require T.38.
  const requireT38 = opts.audioOnly === "reject";
  const r: AnswerResult | { kind: "offer"; sdp: string } = req.body
    ? answerOffer(req.body, {
        address: ua.address,
        sessionId,
        sessionVersion: version.n,
        t38Port: media.udptl.address().port,
        audioPort: media.audio.address().port,
        local,
        requireT38,
      })
    : { kind: "offer", sdp: buildOffer({ address: ua.address, sessionId, sessionVersion: version.n, kind: requireT38 ? "t38" : "audio", port: requireT38 ? media.udptl.address().port : media.audio.address().port, t38: local }) };
  if (r.kind === "reject") {
    invite.reject(r.status, r.status === 488 ? "Not Acceptable Here (T.38 only)" : undefined);
    media.close();
    return { ...failed(start, r.status === 488 ? "fax.t38_refused" : "fax.protocol_error", `Offer refused with SIP ${r.status}: ${r.reason}`, { sipStatus: r.status }), ...info };
  }
  invite.ringing();
  if (cancelled) {
    media.close();
    return { ...failed(start, "fax.no_answer", "Caller cancelled"), ...info };
  }
  const dialog = invite.accept(r.sdp);
  onEvent({ type: "sip", state: "answered" });
  let t38: NegotiatedT38 | null = r.kind === "t38" ? r.t38 : null;
  if (r.kind === "offer") {
    const answer = await answerInAck(dialog, parseCSeq(getHeader(req, "CSeq"))?.seq ?? -1, local);
    if (!answer) {
      media.close();
      return { ...failed(start, "fax.carrier_lost", "The far end never acknowledged our 200 OK", { sipStatus: 200 }), ...info };
    }
    if (answer.kind === "none" || (requireT38 && answer.kind !== "t38")) {
      // §13.2.2.4's rule, from the answerer's side: a session we cannot use is ended with BYE at once.
      await dialog.bye();
      media.close();
      return { ...failed(start, "fax.t38_refused", answer.kind === "none" ? "The ACK carried no usable SDP answer to our offer" : "The far end answered our T.38 offer without T.38", { sipStatus: 200 }), ...info };
    }
    if (answer.kind === "t38") t38 = answer.t38;
  }
  if (!t38) {
    // Audio answered: wait for the far end's T.38 re-INVITE, then send ours (T.38 Annex D.2.2).
    let hungUp = false;
    dialog.onTerminated(() => (hungUp = true));
    const theirs = new Promise<NegotiatedT38>((resolve) => acceptT38ReInvites(dialog, ua.address, media, local, sessionId, version, resolve, () => t38));
    const waited = await Promise.race([theirs, new Promise<null>((res) => setTimeout(() => res(null), opts.reinviteAfterMs ?? 3000).unref())]);
    if (waited) t38 = waited;
    else if (!hungUp) {
      onEvent({ type: "sip", state: "reinvite" });
      const res = await dialog.reinvite(buildOffer({ address: ua.address, sessionId, sessionVersion: ++version.n, kind: "t38", port: media.udptl.address().port, t38: local })).catch(() => null);
      const a = res && res.status < 300 && res.status >= 200 ? readAnswer(res.body, local) : null;
      if (a?.kind === "t38") t38 = a.t38;
      else if (t38 === null) {
        await dialog.bye();
        media.close();
        return { ...failed(start, "fax.t38_refused", `The far end did not switch to T.38 (SIP ${res?.status ?? "no answer"})`, { sipStatus: res?.status ?? 408 }), ...info };
      }
    }
    if (!t38) {
      media.close();
      return { ...failed(start, "fax.carrier_lost", "The far end hung up before T.38"), ...info };
    }
  } else {
    acceptT38ReInvites(dialog, ua.address, media, local, sessionId, version, () => undefined, () => t38);
  }
  onEvent({ type: "sip", state: "t38" });
  const result = await runFax(dialog, media, t38, callOpts, { role: "receiver", callingParty: false }, start);
  return { ...result, ...info };
}

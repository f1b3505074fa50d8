/**
 * The T.30 engine for one call: the state the procedure keeps (phase B results, sender and
 * receiver progress), its timers (T.30 §5.4.3), the dispatch of each signal through the
 * transition table (table.ts), commands and their repeats (T.30 §5.3.2), and the end of the call.
 * The phases' handlers live in negotiation.ts, non-ecm.ts and ecm.ts and work on this state; so
 * its fields are not private to the class, but nothing outside src/gateway/t30/ sees the Engine
 * (index.ts exports only startT30Session).
 */
import type { FaxFailureCode } from "../../errors/fax-failures.js";
import type { IfpPacket } from "../t38/ifp-types.js";
import { realClock, type T30Clock, type TimerHandle } from "./clock.js";
import type { EcmRxState, EcmTxBlock } from "./ecm-blocks.js";
import { ecmFrame, ecmStartPage } from "./ecm.js";
import { FCF, buildFrame, decodeIdent, parseFrame, type DcsInfo, type DisInfo, type ModemRate, type T30Frame } from "./frames.js";
import { COMMAND_TRIES, SILENCE_MS, T1_MS, T2_MS, T4_MS } from "./limits.js";
import { sendDcsAndTcf, sendDis } from "./negotiation.js";
import { sendNonEcmPage } from "./non-ecm.js";
import type { PageCoder } from "./page-coding.js";
import { T38Receiver, T38Transmitter, type RxSignal, type Training } from "./t38-io.js";
import { ANY_STATE, PHASES, TABLE, type T30Signal, type T30State, type TimerSignal } from "./table.js";
import type { CodingScheme, FaxPageImage, FaxPageSource, ReceivedPage, T30Event, T30Negotiated, T30Options, T30Outcome } from "./types.js";

interface Command {
  name: string;
  send: () => void;
  tries: number;
}

export class Engine {
  state: T30State = "T30_STATE_CALL_FINISHED";
  heardFax = false;
  readonly clock: T30Clock;
  readonly tx: T38Transmitter;
  readonly rx: T38Receiver;
  readonly isSender: boolean;
  readonly ecmAllowed: boolean;
  readonly schemes: CodingScheme[];
  readonly maxBitRate: number;
  readonly localIdent: string;
  readonly pages: FaxPageSource;
  coder: PageCoder | null = null;
  done = false;
  resolveOutcome!: (o: T30Outcome) => void;
  readonly outcome: Promise<T30Outcome>;

  timers: Partial<Record<TimerSignal, TimerHandle>> = {};
  command: Command | null = null;
  lastResponse: Uint8Array[] | null = null;
  /** The DIS (with CSI and any NSF) we send, kept to repeat it unchanged (T.30 §5.3.2). */
  disFrames: Uint8Array[] = [];

  // Phase B results
  remoteIdent = "";
  remoteDis: DisInfo | null = null;
  dcs: DcsInfo | null = null;
  rates: ModemRate[] = [];
  rateIndex = 0;
  negotiated: T30Negotiated | null = null;
  /**
   * The rate at which the receiver's modem has trained on our long train (CFR after TCF, or its
   * answer to the PPS of the block that follows CTC). V.17: data at that rate may then start with
   * the short train, as spandsp's t30.c does from CFR on; DCS (any retrain) and CTC clear it, so the
   * next train is long again.
   */
  trainedRate: ModemRate | null = null;

  // Sender progress
  pageIndex = 0;
  pagesTransferred = 0;
  rtnCount = 0;
  postPage: number = FCF.EOP;
  ecmTx: EcmTxBlock | null = null;
  ecmPageFailed = false;
  lastPageBytes = 0;
  anyEcmFailure = false;

  // Receiver progress
  nonEcm: Uint8Array[] = [];
  nonEcmBytes = 0;
  receivedPages: ReceivedPage[] = [];
  rxLastPageOk = true;
  ecmRx: EcmRxState | null = null;
  rejectedOnce = new Set<number>();
  postEop = false;

  constructor(readonly opts: T30Options) {
    this.clock = opts.clock ?? realClock;
    const pacing = opts.pacing ?? (this.clock.virtual ? "none" : "realtime");
    this.tx = new T38Transmitter(opts.port, this.clock, { mode: pacing, ...(opts.pacingChunkMs ? { chunkMs: opts.pacingChunkMs } : {}) });
    this.rx = new T38Receiver((s) => this.onRx(s));
    this.isSender = opts.role === "sender";
    this.ecmAllowed = opts.ecm ?? true;
    this.schemes = opts.schemes && opts.schemes.length > 0 ? opts.schemes : ["mmr", "mr", "mh"];
    this.maxBitRate = opts.maxBitRate ?? 14400;
    this.localIdent = opts.localIdent ?? "";
    this.pages = pageSourceOf(opts.pages ?? []);
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    opts.port.onPacket((p) => this.onPacket(p));
  }

  start(coder: PageCoder): void {
    this.coder = coder;
    if (this.done) return;
    this.armWatchdog();
    if (this.isSender && this.pages.count === 0) {
      this.finish(false, "fax.protocol_error", "No document to send");
      return;
    }
    if (this.opts.callingParty) {
      // T.30 §5.2 / T.38 §7.2: the calling terminal announces itself with CNG, then waits for DIS.
      this.setState("T30_STATE_T");
      this.tx.indicator("cng", 500);
      this.startTimer("T1", T1_MS);
    } else {
      // T.30 §5.2: the called terminal answers with CED (2.6-4 s), then 75 ms later sends DIS.
      this.setState("T30_STATE_ANSWERING");
      this.tx.indicator("ced", 3000);
      this.tx.indicator("no-signal", 0, () => sendDis(this));
      this.startTimer("T1", T1_MS);
    }
  }

  abortBeforeStart(reason: string): void {
    this.finish(false, "fax.protocol_error", reason);
  }

  abort(reason: string): void {
    if (this.done) return;
    this.sendDcnThen(() => {});
    this.finish(false, "fax.carrier_lost", `Aborted: ${reason}`);
  }

  // ---- plumbing

  setState(state: T30State): void {
    const before = PHASES[this.state];
    this.state = state;
    if (PHASES[state] !== before || state === "T30_STATE_CALL_FINISHED") this.emit({ type: "phase", phase: PHASES[state], state });
  }

  emit(e: T30Event): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // A listener's error must not break the fax.
    }
  }

  /**
   * Not a T.30 timer: a safety net so no state can wait forever. It fires after `SILENCE_MS`
   * with nothing received while we are not transmitting (a long page of our own re-arms it).
   */
  armWatchdog(): void {
    this.clock.clearTimer(this.watchdog);
    this.watchdog = this.clock.setTimer(SILENCE_MS, () => {
      this.watchdog = null;
      if (this.done) return;
      if (!this.tx.idle) {
        this.armWatchdog();
        return;
      }
      const pages = this.isSender ? this.pagesTransferred : this.receivedPages.length;
      this.failWithDcn(pages > 0 ? "fax.carrier_lost" : "fax.protocol_error", `No signal from the far end for ${SILENCE_MS / 1000} s`);
    });
  }
  watchdog: TimerHandle | null = null;

  startTimer(name: TimerSignal, ms: number): void {
    this.stopTimer(name);
    this.timers[name] = this.clock.setTimer(ms, () => {
      delete this.timers[name];
      this.dispatch(name, null);
    });
  }

  stopTimer(name: TimerSignal): void {
    this.clock.clearTimer(this.timers[name]);
    delete this.timers[name];
  }

  dispatch(signal: T30Signal, frame: T30Frame | null): void {
    if (this.done) return;
    const handler = TABLE[this.state]?.[signal] ?? ANY_STATE[signal];
    if (!handler) return;
    // A frame this state expects answers our command: stop T4 (T.30 §5.4.3.4). Frames it does not
    // expect leave T4 running, so the command is still repeated.
    if (frame) this.stopTimer("T4");
    handler(this, frame);
    // Anything else is not expected in this state and is ignored, as T.30 §5.4.2 lets a terminal
    // ignore signals it does not expect; the timers bound the wait.
  }

  onPacket(p: IfpPacket): void {
    if (this.done) return;
    this.armWatchdog();
    // T.30 §5.4.3.4: T4 waits for the start of a response; once V.21 signal arrives, the
    // response is on its way (a long one takes over a second at 300 bit/s), so give it time.
    if (this.timers.T4 && ((p.kind === "indicator" && p.indicator === "v21-preamble") || (p.kind === "data" && p.dataType === "v21"))) {
      this.startTimer("T4", T4_MS);
    }
    try {
      this.rx.receive(p);
      // T.30 §5.4.3.2: a receiver's T2 runs while it hears nothing.
      if (!this.isSender && this.timers.T2) this.startTimer("T2", T2_MS);
    } catch (err) {
      this.finish(false, "fax.protocol_error", `Internal error: ${(err as Error).message}`);
    }
  }

  onRx(s: RxSignal): void {
    switch (s.kind) {
      case "indicator":
        if (s.indicator === "ced" || s.indicator === "cng") this.heardFax = true;
        if (s.indicator.endsWith("training")) {
          this.nonEcm = [];
          this.nonEcmBytes = 0;
          this.dispatch("TRAINING", null);
        }
        return;
      case "non-ecm":
        if (this.nonEcmBytes < 8 * 1024 * 1024) {
          this.nonEcm.push(s.data.slice());
          this.nonEcmBytes += s.data.length;
        }
        return;
      case "non-ecm-end":
        this.dispatch(this.state === "T30_STATE_F_TCF" || this.state === "T30_STATE_F_FTT" ? "TCF" : "PAGE", null);
        return;
      case "hdlc-end":
        return;
      case "frame": {
        if (!s.ok) return; // T.30 §5.4.2: a frame with a bad FCS is ignored; the command is repeated.
        const frame = parseFrame(s.frame);
        if (!frame) return;
        this.heardFax = true;
        if (frame.name === "FCD" || frame.name === "RCP") {
          if (s.fast) ecmFrame(this, frame);
          return;
        }
        this.onControlFrame(frame);
        return;
      }
    }
  }

  onControlFrame(frame: T30Frame): void {
    switch (frame.name) {
      case "CSI":
      case "TSI":
      case "CIG":
        // T.30 §5.3.6.2.4-5: identifications come before DIS/DCS/DTC in the same transmission.
        this.remoteIdent = decodeIdent(frame.fif);
        return;
      case "NSF":
      case "NSC":
      case "NSS":
      case "unknown":
      case "FCD":
      case "RCP":
        return;
      default:
        this.dispatch(frame.name, frame);
    }
  }

  /** Sends a command and repeats it on T4 expiry (T.30 §5.3.2.x), `COMMAND_TRIES` tries in all. */
  sendCommand(name: string, frames: Uint8Array[]): void {
    const send = () => this.tx.v21Frames(frames, () => this.startTimer("T4", T4_MS));
    this.command = { name, send, tries: 1 };
    this.lastResponse = null;
    send();
  }

  /** Responses are sent once; the receiver repeats them only when the command comes again. */
  sendResponse(frames: Uint8Array[], then?: () => void): void {
    this.lastResponse = frames;
    this.command = null;
    this.tx.v21Frames(frames, then);
  }

  x(): boolean {
    // T.30 §5.3.6.1: the X bit is 1 in frames from the station that received a valid DIS;
    // in practice the calling terminal (as spandsp's dis_received).
    return this.opts.callingParty;
  }

  frame(fcf: number, fif: ArrayLike<number> = [], final = true): Uint8Array {
    return buildFrame(fcf, fif, { final, x: this.x() });
  }

  repeatLast(): void {
    if (this.lastResponse) this.tx.v21Frames(this.lastResponse);
    else if (this.command) this.command.send();
  }

  commandTimeout(again?: () => void): void {
    const cmd = this.command;
    if (!cmd) return;
    if (cmd.tries >= COMMAND_TRIES) {
      const text = `No response after sending ${cmd.name} (${COMMAND_TRIES} tries)`;
      if (this.isSender && this.pagesTransferred > 0) this.failWithDcn("fax.partial", text);
      else this.failWithDcn("fax.protocol_error", text);
      return;
    }
    cmd.tries++;
    if (again) {
      const tries = cmd.tries;
      again();
      if (this.command) this.command.tries = tries;
    } else cmd.send();
  }

  receiverT2Expired(): void {
    if (this.postEop || (this.state === "T30_STATE_III_Q_MCF" && this.postPage === FCF.EOP)) {
      this.finish(true, null, "OK");
      return;
    }
    const waiting =
      this.state === "T30_STATE_F_CFR" || this.state === "T30_STATE_III_Q_MCF"
        ? "Timer T2 expired while waiting for next fax page"
        : "Timer T2 expired while waiting for phase D";
    this.failWithDcn(this.receivedPages.length > 0 ? "fax.carrier_lost" : "fax.protocol_error", waiting);
  }

  remoteDisconnected(): void {
    this.stopAllTimers();
    if (!this.isSender && (this.postEop || this.state === "T30_STATE_B")) {
      if (this.ecmFailedAny()) this.finish(false, "fax.ecm_failed", "Error correction could not recover a page (EOR)");
      else if (!this.rxLastPageOk) this.finish(false, "fax.partial", "RTN: the last page was rejected");
      else this.finish(true, null, "OK");
      return;
    }
    if (this.state === "T30_STATE_B") {
      this.finish(true, null, "OK");
      return;
    }
    const phase = PHASES[this.state];
    const text =
      phase === "B" ? (this.isSender ? "Received a DCN while waiting for a DIS" : "Unexpected DCN while waiting for DCS or DIS")
      : this.isSender ? "Received a DCN from remote after sending a page"
      : "Unexpected DCN while waiting for EOM, EOP or MPS";
    this.finish(false, "fax.carrier_lost", text);
  }

  ecmFailedAny(): boolean {
    return this.ecmRx?.errors ?? false;
  }

  fail(code: FaxFailureCode, text: string): void {
    this.failWithDcn(code, text);
  }

  /** T.30 §5.3.6.1.7: a terminal that gives up sends DCN before it disconnects. */
  failWithDcn(code: FaxFailureCode, text: string): void {
    if (this.done) return;
    this.stopAllTimers();
    this.sendDcnThen(() => this.finish(false, code, text));
  }

  sendDcnThen(then: () => void): void {
    this.setState("T30_STATE_B");
    this.command = null;
    this.tx.flush();
    this.tx.v21Frames([this.frame(FCF.DCN)], then);
  }

  stopAllTimers(): void {
    for (const t of Object.keys(this.timers) as TimerSignal[]) this.stopTimer(t);
    this.clock.clearTimer(this.watchdog);
    this.watchdog = null;
  }

  finish(success: boolean, failureCode: FaxFailureCode | null, t30Result: string): void {
    if (this.done) return;
    this.done = true;
    this.stopAllTimers();
    this.state = "T30_STATE_CALL_FINISHED";
    const outcome: T30Outcome = {
      success,
      pagesTransferred: this.isSender ? this.pagesTransferred : this.receivedPages.length,
      pages: this.receivedPages,
      negotiated: this.negotiated,
      remoteIdent: this.remoteIdent,
      t30Result,
      failureCode: success ? null : failureCode,
    };
    this.emit({ type: "phase", phase: "E", state: "T30_STATE_CALL_FINISHED" });
    this.emit({ type: "done", outcome });
    // Let a DCN that is still queued go out; then stop.
    this.clock.setTimer(0, () => {
      if (this.tx.idle) this.tx.close();
    });
    this.resolveOutcome(outcome);
  }

  // ---- Phase B

  updateNegotiated(): void {
    const d = this.dcs!;
    this.negotiated = { bitRate: d.rate.bitRate, modem: d.rate.modem, scheme: d.scheme, resolution: d.resolution, ecm: d.ecm, width: d.width };
  }

  // ---- Phase C, transmitter

  /** The train that starts our next fast-modem data: short once the receiver is trained at this rate. */
  training(): Training {
    return this.trainedRate === this.dcs!.rate ? "short" : "long";
  }

  startPhaseC(): void {
    if (this.dcs!.ecm) ecmStartPage(this);
    else sendNonEcmPage(this);
  }

  nextPostPage(): number {
    if (this.pageIndex + 1 >= this.pages.count) return FCF.EOP;
    const next = this.pages.page(this.pageIndex + 1);
    const now = this.pages.page(this.pageIndex);
    // T.30 §5.3.6.1.4: EOM returns to phase B, where a new DCS can change the resolution or width.
    return next.resolution !== now.resolution || next.bitmap.width !== now.bitmap.width ? FCF.EOM : FCF.MPS;
  }

  encodeCurrentPage(): Uint8Array {
    const dcs = this.dcs!;
    const page = this.pages.page(this.pageIndex);
    // T.30 Table 2 bits 21-23 / T.4 §4.1.3: fill so each coded row lasts the minimum scan line time.
    const minBitsPerRow = dcs.ecm ? 0 : Math.floor((dcs.rate.bitRate * dcs.minScanMs) / 1000);
    return this.coder!.encode(page.bitmap, { scheme: dcs.scheme, resolution: dcs.resolution, minBitsPerRow, ecm: dcs.ecm });
  }

  /**
   * The current page coded for the negotiated DCS, with `postPage` set from a look at the next page; or null
   * after hanging up on a page that cannot be read (a page source decodes as it goes) or coded.
   */
  codePageOrHangUp(): Uint8Array | null {
    try {
      const coded = this.encodeCurrentPage();
      this.postPage = this.nextPostPage();
      return coded;
    } catch (err) {
      this.failWithDcn("fax.protocol_error", `Cannot code page ${this.pageIndex + 1} or read the next: ${(err as Error).message}`);
      return null;
    }
  }

  afterPage(retrain: boolean): void {
    this.pageIndex++;
    this.rtnCount = 0;
    if (this.postPage === FCF.EOP || this.pageIndex >= this.pages.count) {
      const failed = this.anyEcmFailure;
      this.sendDcnThen(() =>
        failed ? this.finish(false, "fax.ecm_failed", "Error correction could not recover a page (EOR)")
        : this.pagesTransferred < this.pages.count ? this.finish(false, "fax.partial", "Some pages were not confirmed")
        : this.finish(true, null, "OK"),
      );
      return;
    }
    if (this.postPage === FCF.EOM) {
      // Back to phase B: the receiver sends DIS again (T.30 §5.3.6.1.4).
      this.setState("T30_STATE_T");
      this.startTimer("T1", T1_MS);
      return;
    }
    if (retrain) {
      // T.30 §5.3.6.1.6: RTP asks for DCS/TCF again before the next page.
      this.senderRetrain();
      return;
    }
    this.startPhaseC();
  }

  senderRetrain(): void {
    const page = this.pages.page(this.pageIndex);
    if (this.dcs) this.dcs.resolution = page.resolution;
    sendDcsAndTcf(this);
  }

  // ---- Phase C/D, receiver

  imageStarting(): void {
    this.setState(this.dcs?.ecm ? "T30_STATE_F_DOC_ECM" : "T30_STATE_F_DOC_NON_ECM");
  }

  answerPostPage(response: number, command: number): void {
    this.setState(response === FCF.MCF ? "T30_STATE_III_Q_MCF" : "T30_STATE_III_Q_RTN");
    this.startTimer("T2", T2_MS);
    if (response === FCF.MCF && command === FCF.EOP) this.postEop = true;
    this.sendResponse([this.frame(response)], () => {
      // T.30 §5.3.6.1.4: after EOM and MCF the procedure goes back to phase B, where the called
      // receiver sends DIS again.
      if (response === FCF.MCF && command === FCF.EOM && !this.done) {
        this.stopTimer("T2");
        this.startTimer("T1", T1_MS);
        sendDis(this);
      }
    });
  }
}

/** Pages already in memory, as a source. */
function pageSourceOf(pages: FaxPageImage[] | FaxPageSource): FaxPageSource {
  if (!Array.isArray(pages)) return pages;
  return {
    count: pages.length,
    page(index) {
      const page = pages[index];
      if (!page) throw new RangeError(`there is no page ${index + 1} of ${pages.length}`);
      return page;
    },
  };
}

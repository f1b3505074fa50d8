/**
 * The T.30 procedure (ITU-T T.30 (09/2005) §5, Annex A for ECM) for one call, as one transition
 * table: `TABLE[state][signal]` names the handler that runs when `signal` arrives in `state`.
 * States are named as in T.30's §5.2 flowcharts and spandsp's t30.c (T30_STATE_...); signals are
 * the T.30 frames by their own names (DIS, DCS, CFR, MCF, PPS, ...), the end of a fast-modem
 * signal (TCF, a page) and the timers T1, T2, T4 and T5 (T.30 §5.4.3).
 *
 *   Phase B  sender:   T --DIS--> (TSI, DCS, TCF) D_POST_TCF --CFR--> phase C, --FTT--> slower DCS
 *            receiver: R (CSI, DIS) --DCS--> F_TCF --TCF--> CFR/FTT
 *   Phase C  non-ECM:  I (training, T.4 page, RTC) ; ECM: IV (256-octet FCD frames, RCP x3)
 *   Phase D  sender:   II_Q (MPS/EOM/EOP) or IV_PPS_Q (PPS-x) --MCF/RTN/RTP/PPR-->
 *            receiver: F_POST_DOC_NON_ECM / F_DOC_ECM --cmd--> III_Q_MCF / III_Q_RTN / F_POST_RCP_PPR
 *   Phase E  B (DCN sent) -> CALL_FINISHED
 *
 * A command that gets no response is repeated after T4, three tries in all (T.30 §5.3.2.x);
 * responses are repeated only when their command is (the receiver keeps its last response).
 */
import type { FaxFailureCode } from "../../errors/fax-failures.js";
import type { IfpPacket } from "../t38/ifp-types.js";
import { realClock, type T30Clock, type TimerHandle } from "./clock.js";
import {
  FCF,
  buildFrame,
  decodeDcs,
  decodeDis,
  decodeIdent,
  decodePps,
  disMinScanField,
  encodeDcs,
  encodeDis,
  encodeFrameMap,
  encodeIdent,
  encodePps,
  fallbackSequence,
  frameMapHas,
  minScanMsFromDis,
  parseFrame,
  rateFromDcsField,
  reverseBits,
  type DcsInfo,
  type DisInfo,
  type FcfName,
  type ModemRate,
  type T30Frame,
} from "./frames.js";
import type {
  CodingScheme,
  FaxBitRate,
  FaxPageImage,
  ReceivedPage,
  T30Event,
  T30Negotiated,
  T30Options,
  T30Outcome,
  T30Session,
} from "./index.js";
import { loadCodecCoder, type PageCoder } from "./page-coding.js";
import { T38Receiver, T38Transmitter, type RxSignal, type Training } from "./t38-io.js";

/** T.30 §5.4.3.1: T1 is 35 ± 5 s (waiting for the other terminal in phase B). */
export const T1_MS = 35_000;
/** T.30 §5.4.3.2: T2 is 6 ± 1 s (a receiver waiting for a command; reset by any incoming signal). */
export const T2_MS = 6_000;
/** T.30 §5.4.3.4: T4 is 3 s ± 15 % (a command waiting for its response). */
export const T4_MS = 3_000;
/** T.30 §5.4.3.5: T5 is 60 ± 5 s (ECM flow control: RR/RNR after RNR). */
export const T5_MS = 60_000;
/** T.30 §5.3.2.x: a command is sent at most three times before the procedure gives up. */
const COMMAND_TRIES = 3;
/** T.30 Annex A.5 (A.3.4): after the fourth PPR for a block the sender sends CTC or EOR. */
const PPR_LIMIT = 4;
/** T.30 §5.3.6.2.x: TCF is 1.5 s ± 10 % of zeros at the chosen rate. */
const TCF_MS = 1500;
/** A page that gets RTN is sent again at most this many times before giving up. */
const RTN_RESENDS = 2;
/** T.4 Annex A: 256-octet FCD frames, at most 256 per partial page (block). */
const ECM_FRAME_OCTETS = 256;
const ECM_BLOCK_FRAMES = 256;
/** Safety net beyond T.30's timers: give up after this long without hearing anything. */
const SILENCE_MS = 70_000;

export type T30State =
  | "T30_STATE_ANSWERING" // called terminal sending CED (T.30 §5.2, phase A)
  | "T30_STATE_T" // transmitter waiting for DIS
  | "T30_STATE_R" // receiver: DIS (or DTC) sent, waiting for DCS
  | "T30_STATE_S" // called transmitter: DIS (ready to transmit) sent, waiting for DTC
  | "T30_STATE_D_POST_TCF" // DCS and TCF sent, waiting for CFR or FTT
  | "T30_STATE_I" // sending a non-ECM page
  | "T30_STATE_II_Q" // MPS/EOM/EOP sent, waiting for MCF/RTN/RTP
  | "T30_STATE_IV" // sending an ECM partial page
  | "T30_STATE_IV_PPS_Q" // PPS sent, waiting for MCF/PPR/RNR
  | "T30_STATE_IV_PPS_RNR" // RR sent after RNR
  | "T30_STATE_IV_CTC" // CTC sent, waiting for CTR
  | "T30_STATE_IV_EOR" // EOR sent, waiting for ERR
  | "T30_STATE_F_TCF" // DCS received, TCF expected
  | "T30_STATE_F_CFR" // CFR sent, image expected
  | "T30_STATE_F_FTT" // FTT sent, a new DCS expected
  | "T30_STATE_F_DOC_NON_ECM" // receiving a non-ECM page
  | "T30_STATE_F_POST_DOC_NON_ECM" // page ended, post-page command expected
  | "T30_STATE_F_DOC_ECM" // receiving ECM frames, PPS expected
  | "T30_STATE_F_POST_RCP_MCF" // MCF sent to PPS-NULL, next partial page expected
  | "T30_STATE_F_POST_RCP_PPR" // PPR sent, retransmission expected
  | "T30_STATE_III_Q_MCF" // MCF sent after MPS/EOM/EOP
  | "T30_STATE_III_Q_RTN" // RTN sent
  | "T30_STATE_B" // DCN sent or received: phase E
  | "T30_STATE_CALL_FINISHED";

type TimerSignal = "T1" | "T2" | "T4" | "T5";
/** Signals: T.30 frames by name, the end of fast-modem signals, and timers. */
export type T30Signal = FcfName | "TRAINING" | "TCF" | "PAGE" | TimerSignal;

type Handler = (e: Engine, frame: T30Frame | null) => void;

const PHASES: Record<T30State, "A" | "B" | "C" | "D" | "E"> = {
  T30_STATE_ANSWERING: "A",
  T30_STATE_T: "B",
  T30_STATE_R: "B",
  T30_STATE_S: "B",
  T30_STATE_D_POST_TCF: "B",
  T30_STATE_F_TCF: "B",
  T30_STATE_F_FTT: "B",
  T30_STATE_F_CFR: "C",
  T30_STATE_I: "C",
  T30_STATE_IV: "C",
  T30_STATE_F_DOC_NON_ECM: "C",
  T30_STATE_F_DOC_ECM: "C",
  T30_STATE_II_Q: "D",
  T30_STATE_IV_PPS_Q: "D",
  T30_STATE_IV_PPS_RNR: "D",
  T30_STATE_IV_CTC: "D",
  T30_STATE_IV_EOR: "D",
  T30_STATE_F_POST_DOC_NON_ECM: "D",
  T30_STATE_F_POST_RCP_MCF: "D",
  T30_STATE_F_POST_RCP_PPR: "D",
  T30_STATE_III_Q_MCF: "D",
  T30_STATE_III_Q_RTN: "D",
  T30_STATE_B: "E",
  T30_STATE_CALL_FINISHED: "E",
};

// ---------------------------------------------------------------------------------------------
// The transition table.

/** Handlers that apply in every state unless the state's own row says otherwise. */
const ANY_STATE: Partial<Record<T30Signal, Handler>> = {
  // T.30 §5.3.6.1.7: DCN ends the call whatever the state.
  DCN: (e) => e.remoteDisconnected(),
  // T.30 §5.3.6.1.7: CRP asks for the last command (or response) again.
  CRP: (e) => e.repeatLast(),
  T4: (e) => e.commandTimeout(),
  T1: (e) => e.fail(e.heardFax ? "fax.protocol_error" : "fax.not_a_fax", "T1 expired: no response from the far end"),
  T2: (e) => e.receiverT2Expired(),
};

const TABLE: Partial<Record<T30State, Partial<Record<T30Signal, Handler>>>> = {
  // ---- Phase B, transmitter
  T30_STATE_T: {
    // The calling terminal waits for the called terminal's DIS, whichever way the document goes.
    DIS: (e, f) => (e.isSender ? e.senderGotCapabilities(f!) : e.receiverGotDis(f!)),
    DTC: (e, f) => (e.isSender ? e.senderGotCapabilities(f!) : undefined),
    // No repeats while waiting for DIS: T1 alone bounds the wait.
    T4: () => {},
  },
  T30_STATE_S: {
    DTC: (e, f) => e.senderGotCapabilities(f!),
    // A DIS from the caller means it wants to send too: nothing to poll for.
    DIS: (e) => e.fail("fax.incompatible", "Far end is not able to receive"),
    T4: (e) => e.repeatDis(),
  },
  T30_STATE_D_POST_TCF: {
    CFR: (e) => e.trainingConfirmed(),
    FTT: (e) => e.fallBack(),
    // Our DCS was not heard: T.30 §5.3.2.3 lets the receiver repeat DIS; answer it again.
    DIS: (e, f) => e.senderGotCapabilities(f!, true),
    DTC: (e, f) => e.senderGotCapabilities(f!, true),
    T4: (e) => e.commandTimeout(() => e.sendDcsAndTcf()),
  },
  T30_STATE_II_Q: {
    MCF: (e) => e.pageConfirmed(false),
    RTP: (e) => e.pageConfirmed(true),
    RTN: (e) => e.pageRejected(),
    PIP: (e) => e.pageConfirmed(false),
    PIN: (e) => e.pageRejected(),
  },
  T30_STATE_IV_PPS_Q: {
    MCF: (e) => e.ecmBlockConfirmed(),
    PPR: (e, f) => e.ecmRetransmit(f!),
    RNR: (e) => e.ecmReceiverNotReady(),
    PIP: (e) => e.ecmBlockConfirmed(),
  },
  T30_STATE_IV_PPS_RNR: {
    MCF: (e) => e.ecmBlockConfirmed(),
    PPR: (e, f) => e.ecmRetransmit(f!),
    RNR: (e) => e.ecmReceiverNotReady(),
    T5: (e) => e.fail("fax.ecm_failed", "Timed out waiting for receiver ready (ECM mode)"),
  },
  T30_STATE_IV_CTC: {
    CTR: (e) => e.ecmSendBlock(),
  },
  T30_STATE_IV_EOR: {
    ERR: (e) => e.ecmBlockAbandoned(),
  },
  T30_STATE_B: {
    DCN: () => {},
    CRP: () => {},
    T4: () => {},
    T2: () => {},
  },
  T30_STATE_CALL_FINISHED: {
    DCN: () => {},
    CRP: () => {},
    T1: () => {},
    T2: () => {},
    T4: () => {},
    T5: () => {},
  },

  // ---- Phase B, receiver
  T30_STATE_ANSWERING: {
    T4: () => {},
  },
  T30_STATE_R: {
    DCS: (e, f) => e.receiverGotDcs(f!),
    DIS: (e, f) => e.receiverGotDis(f!),
    T4: (e) => e.repeatDis(),
  },
  T30_STATE_F_TCF: {
    TCF: (e) => e.checkTcf(),
    DCS: (e, f) => e.receiverGotDcs(f!),
  },
  T30_STATE_F_FTT: {
    DCS: (e, f) => e.receiverGotDcs(f!),
    TCF: () => {},
  },
  T30_STATE_F_CFR: {
    // Our CFR was lost and DCS/TCF come again.
    DCS: (e, f) => e.receiverGotDcs(f!),
    TRAINING: (e) => e.imageStarting(),
    PAGE: (e) => e.nonEcmPageEnded(),
  },

  // ---- Phases C and D, receiver
  T30_STATE_F_DOC_NON_ECM: {
    PAGE: (e) => e.nonEcmPageEnded(),
    // A post-page command while the data never ended cleanly (sig-end lost): take the page as it is.
    MPS: (e, f) => e.nonEcmPostPage(f!),
    EOM: (e, f) => e.nonEcmPostPage(f!),
    EOP: (e, f) => e.nonEcmPostPage(f!),
  },
  T30_STATE_F_POST_DOC_NON_ECM: {
    MPS: (e, f) => e.nonEcmPostPage(f!),
    EOM: (e, f) => e.nonEcmPostPage(f!),
    EOP: (e, f) => e.nonEcmPostPage(f!),
  },
  T30_STATE_III_Q_MCF: {
    // The same command again means our response was lost (T.30 §5.3.2.x): repeat it.
    MPS: (e) => e.repeatLast(),
    // T.30 A.6: RR asks whether we are ready; we always are, so the answer is our last response.
    RR: (e) => e.repeatLast(),
    EOM: (e) => e.repeatLast(),
    EOP: (e) => e.repeatLast(),
    PPS: (e, f) => e.ecmPps(f!),
    TRAINING: (e) => e.imageStarting(),
    PAGE: (e) => e.nonEcmPageEnded(),
    DCS: (e, f) => e.receiverGotDcs(f!),
  },
  T30_STATE_III_Q_RTN: {
    MPS: (e) => e.repeatLast(),
    EOM: (e) => e.repeatLast(),
    EOP: (e) => e.repeatLast(),
    // T.30 §5.3.6.1.6: after RTN the transmitter retrains with DCS/TCF.
    DCS: (e, f) => e.receiverGotDcs(f!),
  },
  T30_STATE_F_DOC_ECM: {
    PPS: (e, f) => e.ecmPps(f!),
    EOR: (e, f) => e.ecmEor(f!),
    CTC: (e, f) => e.ecmCtc(f!),
    RR: (e) => e.repeatLast(),
    TRAINING: () => {},
  },
  T30_STATE_F_POST_RCP_MCF: {
    PPS: (e, f) => e.ecmPps(f!),
    TRAINING: (e) => e.setState("T30_STATE_F_DOC_ECM"),
    RR: (e) => e.repeatLast(),
  },
  T30_STATE_F_POST_RCP_PPR: {
    PPS: (e, f) => e.ecmPps(f!),
    EOR: (e, f) => e.ecmEor(f!),
    CTC: (e, f) => e.ecmCtc(f!),
    RR: (e) => e.repeatLast(),
    TRAINING: (e) => e.setState("T30_STATE_F_DOC_ECM"),
  },
};

// ---------------------------------------------------------------------------------------------

interface Command {
  name: string;
  send: () => void;
  tries: number;
}

interface EcmTxBlock {
  /** FCD payloads of the whole page, 256 octets each (T.38 octet order). */
  frames: Uint8Array[];
  block: number;
  /** Frames of the page in this block: [first, first + count). */
  first: number;
  count: number;
  /** Frames still to send in the next burst (indexes within the block). */
  pending: number[];
  pprCount: number;
  /** Any frame got through since the last CTC (spandsp only continues to correct while it progresses). */
  progress: boolean;
}

interface EcmRxState {
  page: number;
  block: number;
  frames: Map<number, Uint8Array>;
  blockFrames: number;
  pageData: Uint8Array[];
  lastConfirmed: { page: number; block: number } | null;
  errors: boolean;
}

export class Engine {
  state: T30State = "T30_STATE_CALL_FINISHED";
  heardFax = false;
  private readonly clock: T30Clock;
  private readonly tx: T38Transmitter;
  private readonly rx: T38Receiver;
  readonly isSender: boolean;
  private readonly ecmAllowed: boolean;
  private readonly schemes: CodingScheme[];
  private readonly maxBitRate: number;
  private readonly localIdent: string;
  private readonly pages: FaxPageImage[];
  private coder: PageCoder | null = null;
  private done = false;
  private resolveOutcome!: (o: T30Outcome) => void;
  readonly outcome: Promise<T30Outcome>;

  private timers: Partial<Record<TimerSignal, TimerHandle>> = {};
  private command: Command | null = null;
  private lastResponse: Uint8Array[] | null = null;

  // Phase B results
  private remoteIdent = "";
  private remoteDis: DisInfo | null = null;
  private dcs: DcsInfo | null = null;
  private rates: ModemRate[] = [];
  private rateIndex = 0;
  private negotiated: T30Negotiated | null = null;
  /**
   * The rate at which the receiver's modem has trained on our long train (CFR after TCF, or its
   * answer to the PPS of the block that follows CTC). V.17: data at that rate may then start with
   * the short train, as spandsp's t30.c does from CFR on; DCS (any retrain) and CTC clear it, so the
   * next train is long again.
   */
  private trainedRate: ModemRate | null = null;

  // Sender progress
  private pageIndex = 0;
  private pagesTransferred = 0;
  private rtnCount = 0;
  private postPage: number = FCF.EOP;
  private ecmTx: EcmTxBlock | null = null;
  private ecmPageFailed = false;
  private lastPageBytes = 0;
  private anyEcmFailure = false;

  // Receiver progress
  private nonEcm: Uint8Array[] = [];
  private nonEcmBytes = 0;
  private receivedPages: ReceivedPage[] = [];
  private rxLastPageOk = true;
  private ecmRx: EcmRxState | null = null;
  private rejectedOnce = new Set<number>();
  private postEop = false;

  constructor(private readonly opts: T30Options) {
    this.clock = opts.clock ?? realClock;
    const pacing = opts.pacing ?? (this.clock.virtual ? "none" : "realtime");
    this.tx = new T38Transmitter(opts.port, this.clock, { mode: pacing, ...(opts.pacingChunkMs ? { chunkMs: opts.pacingChunkMs } : {}) });
    this.rx = new T38Receiver((s) => this.onRx(s));
    this.isSender = opts.role === "sender";
    this.ecmAllowed = opts.ecm ?? true;
    this.schemes = opts.schemes && opts.schemes.length > 0 ? opts.schemes : ["mmr", "mr", "mh"];
    this.maxBitRate = opts.maxBitRate ?? 14400;
    this.localIdent = opts.localIdent ?? "";
    this.pages = opts.pages ?? [];
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    opts.port.onPacket((p) => this.onPacket(p));
  }

  start(coder: PageCoder): void {
    this.coder = coder;
    if (this.done) return;
    this.armWatchdog();
    if (this.isSender && this.pages.length === 0) {
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
      this.tx.indicator("no-signal", 0, () => this.sendDis());
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

  private emit(e: T30Event): void {
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
  private armWatchdog(): void {
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
  private watchdog: TimerHandle | null = null;

  private startTimer(name: TimerSignal, ms: number): void {
    this.stopTimer(name);
    this.timers[name] = this.clock.setTimer(ms, () => {
      delete this.timers[name];
      this.dispatch(name, null);
    });
  }

  private stopTimer(name: TimerSignal): void {
    this.clock.clearTimer(this.timers[name]);
    delete this.timers[name];
  }

  private dispatch(signal: T30Signal, frame: T30Frame | null): void {
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

  private onPacket(p: IfpPacket): void {
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

  private onRx(s: RxSignal): void {
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
          if (s.fast) this.ecmFrame(frame);
          return;
        }
        this.onControlFrame(frame);
        return;
      }
    }
  }

  private onControlFrame(frame: T30Frame): void {
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
  private sendCommand(name: string, frames: Uint8Array[]): void {
    const send = () => this.tx.v21Frames(frames, () => this.startTimer("T4", T4_MS));
    this.command = { name, send, tries: 1 };
    this.lastResponse = null;
    send();
  }

  /** Responses are sent once; the receiver repeats them only when the command comes again. */
  private sendResponse(frames: Uint8Array[], then?: () => void): void {
    this.lastResponse = frames;
    this.command = null;
    this.tx.v21Frames(frames, then);
  }

  private x(): boolean {
    // T.30 §5.3.6.1: the X bit is 1 in frames from the station that received a valid DIS;
    // in practice the calling terminal (as spandsp's dis_received).
    return this.opts.callingParty;
  }

  private frame(fcf: number, fif: ArrayLike<number> = [], final = true): Uint8Array {
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

  private ecmFailedAny(): boolean {
    return this.ecmRx?.errors ?? false;
  }

  fail(code: FaxFailureCode, text: string): void {
    this.failWithDcn(code, text);
  }

  /** T.30 §5.3.6.1.7: a terminal that gives up sends DCN before it disconnects. */
  private failWithDcn(code: FaxFailureCode, text: string): void {
    if (this.done) return;
    this.stopAllTimers();
    this.sendDcnThen(() => this.finish(false, code, text));
  }

  private sendDcnThen(then: () => void): void {
    this.setState("T30_STATE_B");
    this.command = null;
    this.tx.flush();
    this.tx.v21Frames([this.frame(FCF.DCN)], then);
  }

  private stopAllTimers(): void {
    for (const t of Object.keys(this.timers) as TimerSignal[]) this.stopTimer(t);
    this.clock.clearTimer(this.watchdog);
    this.watchdog = null;
  }

  private finish(success: boolean, failureCode: FaxFailureCode | null, t30Result: string): void {
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

  private localDis(): DisInfo {
    const modems =
      this.maxBitRate >= 12000 ? { v27ter: true, v29: true, v17: true }
      : this.maxBitRate >= 7200 ? { v27ter: true, v29: true, v17: false }
      : { v27ter: true, v29: false, v17: false };
    return {
      t38: false,
      readyToTransmit: this.isSender,
      readyToReceive: !this.isSender,
      modems,
      fine: true,
      mr: this.schemes.includes("mr"),
      mmr: this.ecmAllowed && this.schemes.includes("mmr"),
      ecm: this.ecmAllowed,
      maxWidth: 1728,
      maxLength: "unlimited",
      // A software receiver needs no scan line padding; tests can ask for some to exercise it.
      minScanField: disMinScanField(this.isSender ? 0 : (this.opts.minScanLineMs ?? 0)),
    };
  }

  /** Called side: CSI + DIS (T.30 §5.3.6.2.4: the identification precedes DIS in one transmission). */
  private sendDis(): void {
    this.setState(this.isSender ? "T30_STATE_S" : "T30_STATE_R");
    const frames = [this.frame(FCF.CSI, encodeIdent(this.localIdent), false), this.frame(FCF.DIS, encodeDis(this.localDis()))];
    this.command = null;
    this.lastResponse = null;
    // T.30 §5.3.2.1: DIS is repeated every T4 until T1 expires (our T4 timer restarts it).
    this.tx.v21Frames(frames, () => this.startTimer("T4", T4_MS));
    this.disFrames = frames;
  }
  private disFrames: Uint8Array[] = [];

  repeatDis(): void {
    // A calling receiver repeats its DTC like any command; a called terminal repeats DIS until T1.
    if (this.command) {
      this.commandTimeout();
      return;
    }
    this.tx.v21Frames(this.disFrames, () => this.startTimer("T4", T4_MS));
  }

  /** Calling receiver: the called terminal offered to send (DIS bit 9); answer with CIG + DTC. */
  receiverGotDis(f: T30Frame): void {
    const dis = decodeDis(f.fif);
    this.remoteDis = dis;
    this.stopTimer("T1");
    if (!dis.readyToTransmit) {
      this.failWithDcn("fax.incompatible", "Far end is not able to transmit");
      return;
    }
    this.setState("T30_STATE_R");
    this.startTimer("T1", T1_MS);
    const dtc = encodeDis({ ...this.localDis(), readyToTransmit: false, readyToReceive: true });
    this.sendCommand("DTC", [this.frame(FCF.CIG, encodeIdent(this.localIdent), false), buildFrame(FCF.DTC, dtc)]);
  }

  senderGotCapabilities(f: T30Frame, repeated = false): void {
    this.stopTimer("T1");
    const dis = decodeDis(f.fif);
    if (f.name === "DIS" && !dis.readyToReceive) {
      this.failWithDcn("fax.incompatible", "Far end is not able to receive");
      return;
    }
    if (repeated && this.remoteDis) {
      // T.30 §5.3.2.3: a DIS repeated after our DCS means DCS was not received; send it again.
      const cmd = this.command;
      if (cmd && cmd.tries >= COMMAND_TRIES) {
        this.failWithDcn("fax.protocol_error", "Received no response to DCS or TCF");
        return;
      }
      const tries = (cmd?.tries ?? 0) + 1;
      this.sendDcsAndTcf();
      if (this.command) this.command.tries = tries;
      return;
    }
    this.remoteDis = dis;
    const page = this.pages[this.pageIndex]!;
    const resolution = page.resolution;
    if (resolution === "fine" && !dis.fine) {
      this.failWithDcn("fax.incompatible", "Far end cannot receive at the resolution of the image");
      return;
    }
    const width = page.bitmap.width;
    if (width !== 1728 && !(width === 2048 && dis.maxWidth >= 2048) && !(width === 2432 && dis.maxWidth >= 2432)) {
      this.failWithDcn("fax.incompatible", "Far end cannot receive at the size of image");
      return;
    }
    const ecm = this.ecmAllowed && dis.ecm;
    const scheme = this.schemes.find((s) => (s === "mmr" ? ecm && dis.mmr : s === "mr" ? dis.mr : true));
    if (!scheme) {
      this.failWithDcn("fax.incompatible", "Far end is not compatible");
      return;
    }
    if (this.rates.length === 0) {
      this.rates = fallbackSequence(dis.modems, this.maxBitRate);
      this.rateIndex = 0;
    }
    const rate = this.rates[this.rateIndex]!;
    this.dcs = {
      rate,
      resolution,
      scheme,
      ecm,
      frameSize: ECM_FRAME_OCTETS,
      width: width as 1728 | 2048 | 2432,
      maxLength: dis.maxLength,
      minScanMs: ecm ? 0 : minScanMsFromDis(dis.minScanField, resolution),
      t38: false,
    };
    this.sendDcsAndTcf();
  }

  /** TSI + DCS on V.21, then TCF: 1.5 s of zeros at the new rate (T.30 §5.3.6.2.x, T.38 transferred TCF). */
  sendDcsAndTcf(): void {
    const dcs = this.dcs!;
    dcs.rate = this.rates[this.rateIndex]!;
    this.setState("T30_STATE_D_POST_TCF");
    this.updateNegotiated();
    this.emit({ type: "negotiated", negotiated: this.negotiated!, remoteIdent: this.remoteIdent });
    const frames = [this.frame(FCF.TSI, encodeIdent(this.localIdent), false), this.frame(FCF.DCS, encodeDcs(dcs))];
    const tcf = new Uint8Array(Math.ceil((dcs.rate.bitRate * TCF_MS) / 8000));
    // TCF checks the receiver's training from scratch, so it always follows the long train.
    this.trainedRate = null;
    const send = () => {
      this.tx.v21Frames(frames);
      this.tx.nonEcm(dcs.rate, "long", tcf, () => this.startTimer("T4", T4_MS));
    };
    this.command = { name: "DCS", send, tries: 1 };
    this.lastResponse = null;
    send();
  }

  private updateNegotiated(): void {
    const d = this.dcs!;
    this.negotiated = { bitRate: d.rate.bitRate, modem: d.rate.modem, scheme: d.scheme, resolution: d.resolution, ecm: d.ecm, width: d.width };
  }

  /** FTT: T.30 §5.3.2.3 (and Figure 5-2): retrain at the next lower rate, or give up at the lowest. */
  fallBack(): void {
    if (this.rateIndex + 1 >= this.rates.length) {
      this.failWithDcn("fax.training_failed", "FTT at the lowest speed");
      return;
    }
    this.rateIndex++;
    this.sendDcsAndTcf();
  }

  receiverGotDcs(f: T30Frame): void {
    this.stopTimer("T1");
    this.stopTimer("T4");
    const dcs = decodeDcs(f.fif);
    if (!dcs) {
      this.failWithDcn("fax.incompatible", "Remote asked for a modem standard we do not support");
      return;
    }
    if (!this.schemes.includes(dcs.scheme) || (dcs.scheme === "mmr" && !dcs.ecm) || (dcs.ecm && !this.ecmAllowed)) {
      this.failWithDcn("fax.incompatible", "Far end is not compatible");
      return;
    }
    this.dcs = dcs;
    this.updateNegotiated();
    this.emit({ type: "negotiated", negotiated: this.negotiated!, remoteIdent: this.remoteIdent });
    this.command = null;
    this.nonEcm = [];
    this.nonEcmBytes = 0;
    this.setState("T30_STATE_F_TCF");
    // If TCF never comes the transmitter repeats DCS after its T4; T2 bounds our wait.
    this.startTimer("T2", T2_MS);
  }

  /**
   * T.38 transferred TCF: the transmitter sends TCF as non-ECM data and the receiver judges it.
   * Like spandsp, training is good when the data holds at least 1 s of consecutive zeros.
   */
  checkTcf(): void {
    const dcs = this.dcs!;
    let run = 0;
    let best = 0;
    for (const chunk of this.nonEcm) {
      for (const b of chunk) {
        if (b === 0) run += 8;
        else {
          // Count the zeros up to the first one bit and restart after the last one bit.
          run += Math.clz32(b) - 24;
          best = Math.max(best, run);
          run = b & 1 ? 0 : 31 - Math.clz32(b & -b);
        }
      }
    }
    best = Math.max(best, run);
    const forcedFail = this.opts.failTrainingAt?.includes(dcs.rate.bitRate as FaxBitRate) ?? false;
    this.nonEcm = [];
    this.nonEcmBytes = 0;
    if (best >= dcs.rate.bitRate && !forcedFail) {
      this.setState("T30_STATE_F_CFR");
      this.startTimer("T2", T2_MS);
      this.ecmRx = dcs.ecm ? this.ecmRx ?? newEcmRx() : null;
      this.sendResponse([this.frame(FCF.CFR)]);
    } else {
      this.setState("T30_STATE_F_FTT");
      this.startTimer("T2", T2_MS);
      this.sendResponse([this.frame(FCF.FTT)]);
    }
  }

  // ---- Phase C, transmitter

  /** CFR: the receiver trained on our TCF at the DCS rate; phase C follows. */
  trainingConfirmed(): void {
    this.trainedRate = this.dcs!.rate;
    this.startPhaseC();
  }

  /** The train that starts our next fast-modem data: short once the receiver is trained at this rate. */
  private training(): Training {
    return this.trainedRate === this.dcs!.rate ? "short" : "long";
  }

  startPhaseC(): void {
    if (this.dcs!.ecm) this.ecmStartPage();
    else this.sendNonEcmPage();
  }

  private nextPostPage(): number {
    const next = this.pages[this.pageIndex + 1];
    if (!next) return FCF.EOP;
    const now = this.pages[this.pageIndex]!;
    // T.30 §5.3.6.1.4: EOM returns to phase B, where a new DCS can change the resolution or width.
    return next.resolution !== now.resolution || next.bitmap.width !== now.bitmap.width ? FCF.EOM : FCF.MPS;
  }

  private encodeCurrentPage(): Uint8Array {
    const dcs = this.dcs!;
    const page = this.pages[this.pageIndex]!;
    // T.30 Table 2 bits 21-23 / T.4 §4.1.3: fill so each coded row lasts the minimum scan line time.
    const minBitsPerRow = dcs.ecm ? 0 : Math.floor((dcs.rate.bitRate * dcs.minScanMs) / 1000);
    return this.coder!.encode(page.bitmap, { scheme: dcs.scheme, resolution: dcs.resolution, minBitsPerRow, ecm: dcs.ecm });
  }

  private sendNonEcmPage(): void {
    const dcs = this.dcs!;
    this.setState("T30_STATE_I");
    let coded: Uint8Array;
    try {
      coded = this.encodeCurrentPage();
    } catch (err) {
      this.failWithDcn("fax.protocol_error", `Cannot code page ${this.pageIndex + 1}: ${(err as Error).message}`);
      return;
    }
    this.postPage = this.nextPostPage();
    this.lastPageBytes = coded.length;
    this.tx.nonEcm(dcs.rate, this.training(), coded, () => {
      this.setState("T30_STATE_II_Q");
      this.sendCommand(fcfName(this.postPage), [this.frame(this.postPage)]);
    });
  }

  /** MCF or RTP after MPS/EOM/EOP (T.30 §5.3.6.1.6). */
  pageConfirmed(retrain: boolean): void {
    this.command = null;
    this.pagesTransferred++;
    this.emit({ type: "page", page: this.pageIndex + 1, bytes: this.lastPageBytes, badRows: 0, accepted: true });
    this.afterPage(retrain);
  }

  private afterPage(retrain: boolean): void {
    this.pageIndex++;
    this.rtnCount = 0;
    if (this.postPage === FCF.EOP || this.pageIndex >= this.pages.length) {
      const failed = this.anyEcmFailure;
      this.sendDcnThen(() =>
        failed ? this.finish(false, "fax.ecm_failed", "Error correction could not recover a page (EOR)")
        : this.pagesTransferred < this.pages.length ? this.finish(false, "fax.partial", "Some pages were not confirmed")
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

  private senderRetrain(): void {
    const page = this.pages[this.pageIndex]!;
    if (this.dcs) this.dcs.resolution = page.resolution;
    this.sendDcsAndTcf();
  }

  /** RTN (or PIN): the page was not accepted; retrain and send it again, a few times at most. */
  pageRejected(): void {
    this.command = null;
    this.emit({ type: "page", page: this.pageIndex + 1, bytes: this.lastPageBytes, badRows: 0, accepted: false });
    if (this.rtnCount >= RTN_RESENDS) {
      this.failWithDcn(this.pagesTransferred > 0 ? "fax.partial" : "fax.protocol_error", `RTN: page ${this.pageIndex + 1} rejected ${this.rtnCount + 1} times`);
      return;
    }
    this.rtnCount++;
    // T.30 §5.3.6.1.6: after RTN the transmitter retrains (DCS, TCF) before sending again.
    this.sendDcsAndTcf();
  }

  // ---- Phase C/D, ECM transmitter (T.30 Annex A)

  private ecmStartPage(): void {
    let coded: Uint8Array;
    try {
      coded = this.encodeCurrentPage();
    } catch (err) {
      this.failWithDcn("fax.protocol_error", `Cannot code page ${this.pageIndex + 1}: ${(err as Error).message}`);
      return;
    }
    const frames: Uint8Array[] = [];
    for (let at = 0; at < coded.length || frames.length === 0; at += ECM_FRAME_OCTETS) {
      // spandsp pads the last frame to full size, "as most receivers expect that".
      const f = new Uint8Array(ECM_FRAME_OCTETS);
      f.set(coded.subarray(at, at + ECM_FRAME_OCTETS));
      frames.push(f);
    }
    this.ecmPageFailed = false;
    this.postPage = this.nextPostPage();
    this.ecmTx = this.newEcmBlock(frames, 0, 0);
    this.ecmSendBlock();
  }

  private newEcmBlock(frames: Uint8Array[], block: number, first: number): EcmTxBlock {
    const count = Math.min(ECM_BLOCK_FRAMES, frames.length - first);
    return { frames, block, first, count, pending: Array.from({ length: count }, (_, i) => i), pprCount: 0, progress: false };
  }

  /** Sends the pending frames of the block, RCP three times (T.4 A.3.x), then PPS on V.21. */
  ecmSendBlock(): void {
    const b = this.ecmTx!;
    const dcs = this.dcs!;
    this.setState("T30_STATE_IV");
    const frames: Uint8Array[] = b.pending.map((i) => {
      const payload = reverseBits(b.frames[b.first + i]!);
      const out = new Uint8Array(4 + payload.length);
      out.set(buildFrame(FCF.FCD, [i], { final: false }));
      out.set(payload, 4);
      return out;
    });
    const rcp = buildFrame(FCF.RCP, [], { final: false });
    frames.push(rcp, rcp, rcp);
    const sent = b.pending.length;
    const lastBlock = b.first + b.count >= b.frames.length;
    const post = lastBlock ? this.postPage : FCF.NULL;
    this.tx.fastHdlcFrames(dcs.rate, this.training(), frames, () => {
      this.setState("T30_STATE_IV_PPS_Q");
      const pps = encodePps(post, this.pageIndex, b.block, sent, this.x());
      this.sendCommand(`PPS-${post === FCF.NULL ? "NULL" : fcfName(post)}`, [this.frame(FCF.PPS, pps)]);
    });
  }

  ecmBlockConfirmed(): void {
    this.command = null;
    this.trainedRate = this.dcs!.rate;
    const b = this.ecmTx!;
    if (b.first + b.count < b.frames.length) {
      this.ecmTx = this.newEcmBlock(b.frames, b.block + 1, b.first + b.count);
      this.ecmSendBlock();
      return;
    }
    this.ecmTx = null;
    if (this.ecmPageFailed) {
      this.anyEcmFailure = true;
      this.emit({ type: "page", page: this.pageIndex + 1, bytes: b.frames.length * ECM_FRAME_OCTETS, badRows: 0, accepted: false });
      this.afterPage(false);
      return;
    }
    this.pagesTransferred++;
    this.emit({ type: "page", page: this.pageIndex + 1, bytes: b.frames.length * ECM_FRAME_OCTETS, badRows: 0, accepted: true });
    this.afterPage(false);
  }

  /** PPR: resend the frames it marks (T.30 A.4); after four PPRs, CTC at a lower rate or EOR (A.5). */
  ecmRetransmit(f: T30Frame): void {
    this.command = null;
    // An answer to PPS after a block means the receiver has had our long train at this rate (it
    // only matters after CTC; spandsp likewise goes back to the short train once the block is out).
    this.trainedRate = this.dcs!.rate;
    const b = this.ecmTx!;
    const map = f.fif.subarray(0, 32);
    const pending: number[] = [];
    for (let i = 0; i < b.count; i++) if (frameMapHas(map, i)) pending.push(i);
    if (pending.length < b.pending.length) b.progress = true;
    if (pending.length === 0) {
      // A PPR that asks for nothing we sent: treat as confirmation.
      this.ecmBlockConfirmed();
      return;
    }
    b.pending = pending;
    b.pprCount++;
    if (b.pprCount >= PPR_LIMIT) {
      b.pprCount = 0;
      if (b.progress && this.rateIndex + 1 < this.rates.length) {
        b.progress = false;
        this.rateIndex++;
        this.dcs!.rate = this.rates[this.rateIndex]!;
        // The block after CTC/CTR goes at a rate the receiver has not trained at: long train again.
        this.trainedRate = null;
        this.updateNegotiated();
        this.setState("T30_STATE_IV_CTC");
        // T.30 Table 2 note: CTC's FIF carries the new rate in DCS bits 11-14.
        const fif = new Uint8Array(2);
        fif[1] = (this.dcs!.rate.dcsField << 2) & 0x3c;
        this.sendCommand("CTC", [this.frame(FCF.CTC, fif)]);
      } else {
        this.setState("T30_STATE_IV_EOR");
        const lastBlock = b.first + b.count >= b.frames.length;
        const post = lastBlock ? this.postPage : FCF.NULL;
        this.sendCommand("EOR", [this.frame(FCF.EOR, [post === FCF.NULL ? 0 : post | (this.x() ? 1 : 0)])]);
      }
      return;
    }
    this.ecmSendBlock();
  }

  /** ERR: the receiver accepted that this block is lost; go on with the next one. */
  ecmBlockAbandoned(): void {
    this.ecmPageFailed = true;
    this.ecmBlockConfirmed();
  }

  /** RNR: the receiver is busy; ask again with RR until T5 (T.30 A.6). */
  ecmReceiverNotReady(): void {
    if (!this.timers.T5) this.startTimer("T5", T5_MS);
    this.setState("T30_STATE_IV_PPS_RNR");
    this.tx.pause(1000, () => this.sendCommand("RR", [this.frame(FCF.RR)]));
  }

  // ---- Phase C/D, receiver

  imageStarting(): void {
    this.setState(this.dcs?.ecm ? "T30_STATE_F_DOC_ECM" : "T30_STATE_F_DOC_NON_ECM");
  }

  /** The non-ECM page ended (t4-non-ecm-sig-end); its post-page command follows on V.21. */
  nonEcmPageEnded(): void {
    if (this.dcs?.ecm) return;
    this.setState("T30_STATE_F_POST_DOC_NON_ECM");
    this.startTimer("T2", T2_MS);
  }

  /** MPS/EOM/EOP after a non-ECM page: judge the copy and answer MCF or RTN (T.30 §5.3.6.1.6). */
  nonEcmPostPage(f: T30Frame): void {
    const dcs = this.dcs!;
    const coded = concat(this.nonEcm);
    this.nonEcm = [];
    this.nonEcmBytes = 0;
    const pageNumber = this.receivedPages.length + 1;
    let ok = false;
    let badRows = 0;
    let page: ReceivedPage | null = null;
    try {
      const decoded = this.coder!.decode(coded, { scheme: dcs.scheme, width: dcs.width, resolution: dcs.resolution });
      badRows = decoded.badRows;
      const h = decoded.bitmap.height;
      ok = h > 0 && badRows <= Math.floor(h / 20);
      page = { bitmap: decoded.bitmap, coded, scheme: dcs.scheme, resolution: dcs.resolution, badRows };
    } catch {
      ok = false;
    }
    if (ok && this.opts.rejectPages?.includes(pageNumber) && !this.rejectedOnce.has(pageNumber)) {
      this.rejectedOnce.add(pageNumber);
      ok = false;
    }
    this.emit({ type: "page", page: pageNumber, bytes: coded.length, badRows, accepted: ok });
    this.postPage = f.fcf;
    this.rxLastPageOk = ok;
    if (ok && page) {
      this.receivedPages.push(page);
      this.answerPostPage(FCF.MCF, f.fcf);
    } else {
      this.answerPostPage(FCF.RTN, f.fcf);
    }
  }

  private answerPostPage(response: number, command: number): void {
    this.setState(response === FCF.MCF ? "T30_STATE_III_Q_MCF" : "T30_STATE_III_Q_RTN");
    this.startTimer("T2", T2_MS);
    if (response === FCF.MCF && command === FCF.EOP) this.postEop = true;
    this.sendResponse([this.frame(response)], () => {
      // T.30 §5.3.6.1.4: after EOM and MCF the procedure goes back to phase B, where the called
      // receiver sends DIS again.
      if (response === FCF.MCF && command === FCF.EOM && !this.done) {
        this.stopTimer("T2");
        this.startTimer("T1", T1_MS);
        this.sendDis();
      }
    });
  }

  /** An FCD or RCP frame on the fast modem (T.4 A.3). */
  private ecmFrame(f: T30Frame): void {
    const rx = this.ecmRx;
    if (!rx || f.name !== "FCD" || f.fif.length < 2) return;
    const n = f.fif[0]!;
    // A frame longer than the negotiated size is two frames run together (a lost FCS field on
    // the T.38 side): drop it, and PPR will ask for both again.
    if (f.fif.length - 1 > (this.dcs?.frameSize ?? ECM_FRAME_OCTETS)) return;
    rx.frames.set(n, reverseBits(f.fif.subarray(1)));
  }

  /** PPS: check the block, answer MCF or PPR with the 256-bit map (T.30 A.4.x). */
  ecmPps(f: T30Frame): void {
    const rx = this.ecmRx ?? (this.ecmRx = newEcmRx());
    const pps = decodePps(f.fif);
    if (!pps) return;
    this.startTimer("T2", T2_MS);
    if (rx.lastConfirmed && rx.lastConfirmed.page === pps.page && rx.lastConfirmed.block === pps.block && rx.frames.size === 0) {
      // Our MCF was lost and the transmitter repeated its PPS.
      this.repeatLast();
      return;
    }
    rx.page = pps.page;
    rx.block = pps.block;
    // The count is that of the first burst; later bursts count only the frames they resend.
    rx.blockFrames = Math.max(rx.blockFrames, pps.frames);
    // Every frame but the last of a block has the full size (T.4 A.3); one that does not was
    // damaged on the way (spandsp vets lengths the same way), so ask for it again.
    const size = this.dcs?.frameSize ?? ECM_FRAME_OCTETS;
    for (const [n, data] of rx.frames) if (n < rx.blockFrames - 1 && data.length !== size) rx.frames.delete(n);
    const missing = (n: number) => n < rx.blockFrames && !rx.frames.has(n);
    let anyMissing = false;
    for (let n = 0; n < rx.blockFrames; n++) if (missing(n)) anyMissing = true;
    if (anyMissing) {
      this.setState("T30_STATE_F_POST_RCP_PPR");
      this.sendResponse([this.frame(FCF.PPR, encodeFrameMap(missing))]);
      return;
    }
    this.ecmCommitBlock(pps.postPage);
  }

  private ecmCommitBlock(postPage: number): void {
    const rx = this.ecmRx!;
    for (let n = 0; n < rx.blockFrames; n++) {
      const data = rx.frames.get(n);
      if (data) rx.pageData.push(data);
    }
    rx.lastConfirmed = { page: rx.page, block: rx.block };
    rx.frames = new Map();
    rx.blockFrames = 0;
    if (postPage === FCF.NULL) {
      this.setState("T30_STATE_F_POST_RCP_MCF");
      this.sendResponse([this.frame(FCF.MCF)]);
      return;
    }
    const dcs = this.dcs!;
    const coded = concat(rx.pageData);
    rx.pageData = [];
    const pageNumber = this.receivedPages.length + 1;
    let badRows = 0;
    let ok = false;
    try {
      const decoded = this.coder!.decode(coded, { scheme: dcs.scheme, width: dcs.width, resolution: dcs.resolution });
      badRows = decoded.badRows;
      ok = decoded.bitmap.height > 0;
      if (ok) this.receivedPages.push({ bitmap: decoded.bitmap, coded, scheme: dcs.scheme, resolution: dcs.resolution, badRows });
    } catch {
      ok = false;
    }
    // With ECM the data is exact; a page that does not decode is still answered MCF (T.30 A.4:
    // the block was received correctly), and counted as bad.
    if (!ok) rx.errors = true;
    this.rxLastPageOk = ok;
    this.emit({ type: "page", page: pageNumber, bytes: coded.length, badRows, accepted: ok });
    this.postPage = postPage;
    this.answerPostPage(FCF.MCF, postPage);
  }

  /** EOR: the transmitter gives up on the missing frames; answer ERR (T.30 A.5). */
  ecmEor(f: T30Frame): void {
    const rx = this.ecmRx ?? (this.ecmRx = newEcmRx());
    rx.errors = true;
    const post = (f.fif[0] ?? 0) & 0xfe;
    for (let n = 0; n < rx.blockFrames; n++) {
      const data = rx.frames.get(n);
      if (data) rx.pageData.push(data);
    }
    rx.lastConfirmed = { page: rx.page, block: rx.block };
    rx.frames = new Map();
    rx.blockFrames = 0;
    if (post !== FCF.NULL) {
      rx.pageData = [];
      this.rxLastPageOk = false;
      this.emit({ type: "page", page: this.receivedPages.length + 1, bytes: 0, badRows: 0, accepted: false });
      this.postPage = post;
      if (post === FCF.EOP) this.postEop = true;
    }
    this.setState(post === FCF.NULL ? "T30_STATE_F_POST_RCP_MCF" : "T30_STATE_III_Q_MCF");
    this.sendResponse([this.frame(FCF.ERR)], () => {
      if (post === FCF.EOM && !this.done) this.sendDis();
    });
  }

  /** CTC: continue to correct at the rate in its FIF; answer CTR (T.30 A.5). */
  ecmCtc(f: T30Frame): void {
    const field = ((f.fif[1] ?? 0) >> 2) & 0x0f;
    const rate = rateFromDcsField(field);
    if (rate && this.dcs) {
      this.dcs.rate = rate;
      this.updateNegotiated();
    }
    this.setState("T30_STATE_F_POST_RCP_PPR");
    this.sendResponse([this.frame(FCF.CTR)]);
  }
}

function newEcmRx(): EcmRxState {
  return { page: 0, block: 0, frames: new Map(), blockFrames: 0, pageData: [], lastConfirmed: null, errors: false };
}

function fcfName(fcf: number): string {
  for (const [k, v] of Object.entries(FCF)) if (v === fcf) return k;
  return `0x${fcf.toString(16)}`;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function runSession(opts: T30Options): T30Session {
  const engine = new Engine(opts);
  const coder = opts.coder ? Promise.resolve(opts.coder) : loadCodecCoder();
  coder.then(
    (c) => engine.start(c),
    (err: unknown) => engine.abortBeforeStart(`Page codec unavailable: ${(err as Error).message}`),
  );
  return { outcome: engine.outcome, abort: (reason) => engine.abort(reason) };
}

/**
 * The T.30 fax engine over T.38 (ITU-T T.30 (09/2005), T.38 (2010) with transferred TCF).
 *
 * One call, `startT30Session`, runs a whole fax call's T.30 part, phases B to E, on a `T38Port`
 * (see ../t38/ifp-types.ts): it sends and receives IFP packets and resolves `outcome` when the call
 * ends, never rejecting. The transport below (UDPTL, SIP) and the page codec are not its concern.
 *
 * Roles (T.30 §5.2): the called terminal always speaks first (CED, then CSI + DIS). The usual case
 * is a calling sender and a called receiver: the sender answers DIS with TSI + DCS + TCF. The other
 * way round also works: a called sender's DIS says "ready to transmit" (Table 2 bit 9), the calling
 * receiver answers with CIG + DTC carrying its capabilities, and the sender goes on with DCS.
 *
 * Bit order on the T.38 side: HDLC octets are bit-reversed relative to T.30's notation (spandsp's
 * t38_terminal does the same), so DIS goes out as FF C8 01 ...; T.4/T.6 data is MSB first.
 * See frames.ts.
 *
 * Timing: timers (T1 35 s, T2 6 s, T4 3 s with three tries per command, T5 60 s) run on the
 * injected clock. With the real clock, pacing defaults to "realtime": CED 3 s, V.21 preamble 1 s,
 * training, then fast data in 30 ms packets at the modem's bit rate, as a T.38 gateway expects.
 * With a FakeClock it defaults to "none" and a whole fax runs in milliseconds.
 *
 * Outcome and failure codes (src/errors/fax-failures.ts): no DIS/DCS before T1 -> fax.not_a_fax
 * (or fax.protocol_error if fax signals were heard); FTT at 2400 -> fax.training_failed; DCN or
 * abort() mid-call -> fax.carrier_lost; a page not confirmed (RTN repeated, no MCF after three
 * tries) -> fax.partial when earlier pages were confirmed, else fax.protocol_error; EOR/ERR
 * -> fax.ecm_failed; no common coding/resolution/width -> fax.incompatible. `pagesTransferred`
 * always says how far the fax got.
 *
 * Events (`onEvent`): `phase` on each T.30 phase change, `negotiated` after each DCS (again after
 * a fallback), `page` per page (accepted or not), then `done` with the outcome.
 */
import type { T38Port } from "../t38/ifp-types.js";
import type { FaxFailureCode } from "../../errors/fax-failures.js";
import { runSession } from "./session.js";
import type { T30Clock } from "./clock.js";
import type { PageCoder } from "./page-coding.js";

export type { PageCoder, PageSource, PageSink, PageEncodeParams } from "./page-coding.js";

export type { T30Clock } from "./clock.js";
export { realClock, FakeClock } from "./clock.js";
export { createLoopbackPair } from "./loopback.js";

/** T.4 one-dimensional (MH), two-dimensional (MR) and T.6 (MMR). T.30: MMR is only used with ECM. */
export type CodingScheme = "mh" | "mr" | "mmr";

/** T.30 Table 2 vertical resolutions we offer: 3.85 l/mm (standard) and 7.7 l/mm (fine). */
export type FaxResolution = "standard" | "fine";

/** Signalling rates of the fast modems (V.17, V.29, V.27ter). */
export type FaxBitRate = 14400 | 12000 | 9600 | 7200 | 4800 | 2400;

export type FaxModulation = "v17" | "v29" | "v27ter";

/** 1 bit per pixel, rows packed MSB first, 1 = black (the same shape as src/codec's Bitmap). */
export interface FaxBitmap {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One page to send: a bitmap 1728 pixels wide (A4) at the given vertical resolution. */
export interface FaxPageImage {
  bitmap: FaxBitmap;
  resolution: FaxResolution;
}

/** One page as received: the decoded bitmap and the coded data as it arrived (for TIFF-F). */
export interface ReceivedPage {
  bitmap: FaxBitmap;
  /** The T.4/T.6 data as received (non-ECM: the bytes between training and RTC, RTC included). */
  coded: Uint8Array;
  scheme: CodingScheme;
  resolution: FaxResolution;
  /** Rows the decoder had to repair or could not decode (0 for a clean page). */
  badRows: number;
}

export interface T30Negotiated {
  bitRate: FaxBitRate;
  modem: FaxModulation;
  scheme: CodingScheme;
  resolution: FaxResolution;
  ecm: boolean;
  width: number;
}

export type T30Event =
  | { type: "phase"; phase: "A" | "B" | "C" | "D" | "E"; state: string }
  | { type: "negotiated"; negotiated: T30Negotiated; remoteIdent: string }
  | { type: "page"; page: number; bytes: number; badRows: number; accepted: boolean }
  | { type: "done"; outcome: T30Outcome };

export interface T30Outcome {
  success: boolean;
  /** Pages confirmed by MCF (sender) or accepted (receiver). */
  pagesTransferred: number;
  /** Receiver: the pages accepted, in order. Sender: empty. */
  pages: ReceivedPage[];
  /** The last parameters agreed in DCS (null if no DCS was ever sent or received). */
  negotiated: T30Negotiated | null;
  /** The far end's TSI (we receive) or CSI (we send), trimmed; "" when none was sent. */
  remoteIdent: string;
  /** spandsp-like text: "OK", "T1 expired: no response from the far end", "FTT at the lowest speed", ... */
  t30Result: string;
  /** Set when success is false. */
  failureCode: FaxFailureCode | null;
}

export interface T30Options {
  role: "sender" | "receiver";
  /** True on the side that placed the call (it sends CNG and waits for DIS). */
  callingParty: boolean;
  port: T38Port;
  /** Timers and pacing. Defaults to the real clock; tests pass a FakeClock. */
  clock?: T30Clock;
  /** Our TSI/CSI: up to 20 characters of digits, "+" and space (T.30 §5.3.6.2.4). */
  localIdent?: string;
  /** Offer/use error correction mode (T.30 Annex A). Default true. */
  ecm?: boolean;
  /** Coding schemes we accept (receiver) or may send (sender), in order of preference. Default all three. */
  schemes?: CodingScheme[];
  /** Highest signalling rate we offer or try. Default 14400 (V.17). */
  maxBitRate?: 14400 | 9600 | 7200 | 4800 | 2400;
  /** Sender: header text, kept for the caller's page renderer (the engine does not draw it). */
  headerInfo?: string;
  /** Sender: the pages to send. */
  pages?: FaxPageImage[];
  /** "realtime" paces fast-modem data at the modem rate; "none" sends it at once. Default: realtime with the real clock, none with a FakeClock. */
  pacing?: "realtime" | "none";
  /** With realtime pacing: milliseconds of fast-modem data per T.38 data packet (default 30, as spandsp; 20-40 is usual). */
  pacingChunkMs?: number;
  /** Progress events for the CLI and the gateway's reporting. */
  onEvent?: (e: T30Event) => void;
  /** Page coding; defaults to the platform codec (src/codec). */
  coder?: PageCoder;
  /** Receiver: minimum scan line time to ask for in DIS (0, 5, 10, 20 or 40 ms). Default 0. */
  minScanLineMs?: number;
  /** Receiver test hook: fail TCF at these bit rates (answers FTT), to exercise fallback. */
  failTrainingAt?: FaxBitRate[];
  /** Receiver test hook: answer RTN to these page numbers (1-based) the first time they arrive. */
  rejectPages?: number[];
}

export interface T30Session {
  /** Resolves once, when the call's T.30 part ends; never rejects. */
  outcome: Promise<T30Outcome>;
  /** Ends the session now: sends DCN if a call is in progress, resolves outcome as failed. */
  abort(reason: string): void;
}

/** Starts the T.30 engine on a T.38 port. */
export function startT30Session(opts: T30Options): T30Session {
  return runSession(opts);
}

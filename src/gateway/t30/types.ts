/**
 * The T.30 engine's public types: the options a call starts with, the pages it sends and
 * receives, its events and its outcome. They live here, not in index.ts, so the engine's own
 * files (frames.ts, page-coding.ts, engine.ts ...) import them without importing the barrel that
 * imports them back.
 */
import type { FaxFailureCode } from "../../errors/fax-failures.js";
import type { T38Port } from "../t38/ifp-types.js";
import type { T30Clock } from "./clock.js";
import type { PageCoder } from "./page-coding.js";

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

/**
 * The sender's pages, asked for in order: the engine holds the page it is sending and looks one page ahead
 * (MPS, EOM or EOP, T.30 §5.3.6.1.4), so a source may decode each page when it is first asked for and
 * forget those before the current one. A long document then costs about one page of bitmaps, not all.
 */
export interface FaxPageSource {
  readonly count: number;
  /** Page `index` (0-based), never one before the page last asked for minus one. */
  page(index: number): FaxPageImage;
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
  /** Sender: the pages to send, all at hand or read as the call needs them. */
  pages?: FaxPageImage[] | FaxPageSource;
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

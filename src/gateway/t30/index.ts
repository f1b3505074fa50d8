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
import { runSession } from "./session.js";
import type { T30Options, T30Session } from "./types.js";

export type { PageCoder, PageSource, PageSink, PageEncodeParams } from "./page-coding.js";

export type { T30Clock } from "./clock.js";
export { realClock, FakeClock } from "./clock.js";
export { createLoopbackPair } from "./loopback.js";

export type {
  CodingScheme,
  FaxBitRate,
  FaxBitmap,
  FaxModulation,
  FaxPageImage,
  FaxPageSource,
  FaxResolution,
  ReceivedPage,
  T30Event,
  T30Negotiated,
  T30Options,
  T30Outcome,
  T30Session,
} from "./types.js";

/** Starts the T.30 engine on a T.38 port. */
export function startT30Session(opts: T30Options): T30Session {
  return runSession(opts);
}

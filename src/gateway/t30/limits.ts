/**
 * The numbers T.30 fixes for a call (ITU-T T.30 (09/2005) §5.4.3 timers, §5.3.2 command tries,
 * Annex A's ECM limits) and the few the engine adds, in one place for every part of the engine.
 */

/** T.30 §5.4.3.1: T1 is 35 ± 5 s (waiting for the other terminal in phase B). */
export const T1_MS = 35_000;
/** T.30 §5.4.3.2: T2 is 6 ± 1 s (a receiver waiting for a command; reset by any incoming signal). */
export const T2_MS = 6_000;
/** T.30 §5.4.3.4: T4 is 3 s ± 15 % (a command waiting for its response). */
export const T4_MS = 3_000;
/** T.30 §5.4.3.5: T5 is 60 ± 5 s (ECM flow control: RR/RNR after RNR). */
export const T5_MS = 60_000;
/** T.30 §5.3.2.x: a command is sent at most three times before the procedure gives up. */
export const COMMAND_TRIES = 3;
/** T.30 Annex A.5 (A.3.4): after the fourth PPR for a block the sender sends CTC or EOR. */
export const PPR_LIMIT = 4;
/** T.30 §5.3.6.2.x: TCF is 1.5 s ± 10 % of zeros at the chosen rate. */
export const TCF_MS = 1500;
/** A page that gets RTN is sent again at most this many times before giving up. */
export const RTN_RESENDS = 2;
/** T.4 Annex A: 256-octet FCD frames, at most 256 per partial page (block). */
export const ECM_FRAME_OCTETS = 256;
export const ECM_BLOCK_FRAMES = 256;
/** Safety net beyond T.30's timers: give up after this long without hearing anything. */
export const SILENCE_MS = 70_000;

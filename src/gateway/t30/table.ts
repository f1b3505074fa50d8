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
 * Each handler is a function of the phase it belongs to: negotiation.ts (phase B), non-ecm.ts
 * and ecm.ts (phases C and D without and with error correction), or a method of the engine
 * (engine.ts) for what every state shares (DCN, CRP, the timers).
 *
 * A command that gets no response is repeated after T4, three tries in all (T.30 §5.3.2.x);
 * responses are repeated only when their command is (the receiver keeps its last response).
 */
import type { Engine } from "./engine.js";
import { ecmBlockAbandoned, ecmBlockConfirmed, ecmCtc, ecmEor, ecmPps, ecmReceiverNotReady, ecmRetransmit, ecmSendBlock } from "./ecm.js";
import type { FcfName, T30Frame } from "./frames.js";
import { checkTcf, fallBack, receiverGotDcs, receiverGotDis, repeatDis, sendDcsAndTcf, senderGotCapabilities, trainingConfirmed } from "./negotiation.js";
import { nonEcmPageEnded, nonEcmPostPage, pageConfirmed, pageRejected } from "./non-ecm.js";

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

export type TimerSignal = "T1" | "T2" | "T4" | "T5";
/** Signals: T.30 frames by name, the end of fast-modem signals, and timers. */
export type T30Signal = FcfName | "TRAINING" | "TCF" | "PAGE" | TimerSignal;

export type Handler = (e: Engine, frame: T30Frame | null) => void;

export const PHASES: Record<T30State, "A" | "B" | "C" | "D" | "E"> = {
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

/** Handlers that apply in every state unless the state's own row says otherwise. */
export const ANY_STATE: Partial<Record<T30Signal, Handler>> = {
  // T.30 §5.3.6.1.7: DCN ends the call whatever the state.
  DCN: (e) => e.remoteDisconnected(),
  // T.30 §5.3.6.1.7: CRP asks for the last command (or response) again.
  CRP: (e) => e.repeatLast(),
  T4: (e) => e.commandTimeout(),
  T1: (e) => e.fail(e.heardFax ? "fax.protocol_error" : "fax.not_a_fax", "T1 expired: no response from the far end"),
  T2: (e) => e.receiverT2Expired(),
};

export const TABLE: Partial<Record<T30State, Partial<Record<T30Signal, Handler>>>> = {
  // ---- Phase B, transmitter
  T30_STATE_T: {
    // The calling terminal waits for the called terminal's DIS, whichever way the document goes.
    DIS: (e, f) => (e.isSender ? senderGotCapabilities(e, f!) : receiverGotDis(e, f!)),
    DTC: (e, f) => (e.isSender ? senderGotCapabilities(e, f!) : undefined),
    // No repeats while waiting for DIS: T1 alone bounds the wait.
    T4: () => {},
  },
  T30_STATE_S: {
    DTC: (e, f) => senderGotCapabilities(e, f!),
    // A DIS from the caller means it wants to send too: nothing to poll for.
    DIS: (e) => e.fail("fax.incompatible", "Far end is not able to receive"),
    T4: (e) => repeatDis(e),
  },
  T30_STATE_D_POST_TCF: {
    CFR: (e) => trainingConfirmed(e),
    FTT: (e) => fallBack(e),
    // Our DCS was not heard: T.30 §5.3.2.3 lets the receiver repeat DIS; answer it again.
    DIS: (e, f) => senderGotCapabilities(e, f!, true),
    DTC: (e, f) => senderGotCapabilities(e, f!, true),
    T4: (e) => e.commandTimeout(() => sendDcsAndTcf(e)),
  },
  T30_STATE_II_Q: {
    MCF: (e) => pageConfirmed(e, false),
    RTP: (e) => pageConfirmed(e, true),
    RTN: (e) => pageRejected(e),
    PIP: (e) => pageConfirmed(e, false),
    PIN: (e) => pageRejected(e),
  },
  T30_STATE_IV_PPS_Q: {
    MCF: (e) => ecmBlockConfirmed(e),
    PPR: (e, f) => ecmRetransmit(e, f!),
    RNR: (e) => ecmReceiverNotReady(e),
    PIP: (e) => ecmBlockConfirmed(e),
  },
  T30_STATE_IV_PPS_RNR: {
    MCF: (e) => ecmBlockConfirmed(e),
    PPR: (e, f) => ecmRetransmit(e, f!),
    RNR: (e) => ecmReceiverNotReady(e),
    T5: (e) => e.fail("fax.ecm_failed", "Timed out waiting for receiver ready (ECM mode)"),
  },
  T30_STATE_IV_CTC: {
    CTR: (e) => ecmSendBlock(e),
  },
  T30_STATE_IV_EOR: {
    ERR: (e) => ecmBlockAbandoned(e),
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
    DCS: (e, f) => receiverGotDcs(e, f!),
    DIS: (e, f) => receiverGotDis(e, f!),
    T4: (e) => repeatDis(e),
  },
  T30_STATE_F_TCF: {
    TCF: (e) => checkTcf(e),
    DCS: (e, f) => receiverGotDcs(e, f!),
  },
  T30_STATE_F_FTT: {
    DCS: (e, f) => receiverGotDcs(e, f!),
    TCF: () => {},
  },
  T30_STATE_F_CFR: {
    // Our CFR was lost and DCS/TCF come again.
    DCS: (e, f) => receiverGotDcs(e, f!),
    TRAINING: (e) => e.imageStarting(),
    PAGE: (e) => nonEcmPageEnded(e),
  },

  // ---- Phases C and D, receiver
  T30_STATE_F_DOC_NON_ECM: {
    PAGE: (e) => nonEcmPageEnded(e),
    // A post-page command while the data never ended cleanly (sig-end lost): take the page as it is.
    MPS: (e, f) => nonEcmPostPage(e, f!),
    EOM: (e, f) => nonEcmPostPage(e, f!),
    EOP: (e, f) => nonEcmPostPage(e, f!),
  },
  T30_STATE_F_POST_DOC_NON_ECM: {
    MPS: (e, f) => nonEcmPostPage(e, f!),
    EOM: (e, f) => nonEcmPostPage(e, f!),
    EOP: (e, f) => nonEcmPostPage(e, f!),
  },
  T30_STATE_III_Q_MCF: {
    // The same command again means our response was lost (T.30 §5.3.2.x): repeat it.
    MPS: (e) => e.repeatLast(),
    // T.30 A.6: RR asks whether we are ready; we always are, so the answer is our last response.
    RR: (e) => e.repeatLast(),
    EOM: (e) => e.repeatLast(),
    EOP: (e) => e.repeatLast(),
    PPS: (e, f) => ecmPps(e, f!),
    TRAINING: (e) => e.imageStarting(),
    PAGE: (e) => nonEcmPageEnded(e),
    DCS: (e, f) => receiverGotDcs(e, f!),
  },
  T30_STATE_III_Q_RTN: {
    MPS: (e) => e.repeatLast(),
    EOM: (e) => e.repeatLast(),
    EOP: (e) => e.repeatLast(),
    // T.30 §5.3.6.1.6: after RTN the transmitter retrains with DCS/TCF.
    DCS: (e, f) => receiverGotDcs(e, f!),
  },
  T30_STATE_F_DOC_ECM: {
    PPS: (e, f) => ecmPps(e, f!),
    EOR: (e, f) => ecmEor(e, f!),
    CTC: (e, f) => ecmCtc(e, f!),
    RR: (e) => e.repeatLast(),
    TRAINING: () => {},
  },
  T30_STATE_F_POST_RCP_MCF: {
    PPS: (e, f) => ecmPps(e, f!),
    TRAINING: (e) => e.setState("T30_STATE_F_DOC_ECM"),
    RR: (e) => e.repeatLast(),
  },
  T30_STATE_F_POST_RCP_PPR: {
    PPS: (e, f) => ecmPps(e, f!),
    EOR: (e, f) => ecmEor(e, f!),
    CTC: (e, f) => ecmCtc(e, f!),
    RR: (e) => e.repeatLast(),
    TRAINING: (e) => e.setState("T30_STATE_F_DOC_ECM"),
  },
};

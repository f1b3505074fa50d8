/**
 * Phase B (T.30 §5.3.6.2, §5.2 flowcharts): DIS and DTC, the sender's choice of DCS from the far
 * end's capabilities, TCF and its judgement (T.38 transferred TCF), and the fallback after FTT.
 */
import type { Engine } from "./engine.js";
import { newEcmRx } from "./ecm-blocks.js";
import {
  FCF,
  buildFrame,
  decodeDcs,
  decodeDis,
  disMinScanField,
  encodeDcs,
  encodeDis,
  encodeIdent,
  fallbackSequence,
  minScanMsFromDis,
  type DisInfo,
  type T30Frame,
} from "./frames.js";
import { COMMAND_TRIES, ECM_FRAME_OCTETS, T1_MS, T2_MS, T4_MS, TCF_MS } from "./limits.js";
import type { FaxBitRate } from "./types.js";

function localDis(e: Engine): DisInfo {
  const modems =
    e.maxBitRate >= 12000 ? { v27ter: true, v29: true, v17: true }
    : e.maxBitRate >= 7200 ? { v27ter: true, v29: true, v17: false }
    : { v27ter: true, v29: false, v17: false };
  return {
    t38: false,
    readyToTransmit: e.isSender,
    readyToReceive: !e.isSender,
    modems,
    fine: true,
    mr: e.schemes.includes("mr"),
    mmr: e.ecmAllowed && e.schemes.includes("mmr"),
    ecm: e.ecmAllowed,
    maxWidth: 1728,
    maxLength: "unlimited",
    // A software receiver needs no scan line padding; tests can ask for some to exercise it.
    minScanField: disMinScanField(e.isSender ? 0 : (e.opts.minScanLineMs ?? 0)),
  };
}

/** Called side: CSI + DIS (T.30 §5.3.6.2.4: the identification precedes DIS in one transmission). */
export function sendDis(e: Engine): void {
  e.setState(e.isSender ? "T30_STATE_S" : "T30_STATE_R");
  const frames = [e.frame(FCF.CSI, encodeIdent(e.localIdent), false), e.frame(FCF.DIS, encodeDis(localDis(e)))];
  e.command = null;
  e.lastResponse = null;
  // T.30 §5.3.2.1: DIS is repeated every T4 until T1 expires (our T4 timer restarts it).
  e.tx.v21Frames(frames, () => e.startTimer("T4", T4_MS));
  e.disFrames = frames;
}

export function repeatDis(e: Engine): void {
  // A calling receiver repeats its DTC like any command; a called terminal repeats DIS until T1.
  if (e.command) {
    e.commandTimeout();
    return;
  }
  e.tx.v21Frames(e.disFrames, () => e.startTimer("T4", T4_MS));
}

/** Calling receiver: the called terminal offered to send (DIS bit 9); answer with CIG + DTC. */
export function receiverGotDis(e: Engine, f: T30Frame): void {
  const dis = decodeDis(f.fif);
  e.remoteDis = dis;
  e.stopTimer("T1");
  if (!dis.readyToTransmit) {
    e.failWithDcn("fax.incompatible", "Far end is not able to transmit");
    return;
  }
  e.setState("T30_STATE_R");
  e.startTimer("T1", T1_MS);
  const dtc = encodeDis({ ...localDis(e), readyToTransmit: false, readyToReceive: true });
  e.sendCommand("DTC", [e.frame(FCF.CIG, encodeIdent(e.localIdent), false), buildFrame(FCF.DTC, dtc)]);
}

export function senderGotCapabilities(e: Engine, f: T30Frame, repeated = false): void {
  e.stopTimer("T1");
  const dis = decodeDis(f.fif);
  if (f.name === "DIS" && !dis.readyToReceive) {
    e.failWithDcn("fax.incompatible", "Far end is not able to receive");
    return;
  }
  if (repeated && e.remoteDis) {
    // T.30 §5.3.2.3: a DIS repeated after our DCS means DCS was not received; send it again.
    const cmd = e.command;
    if (cmd && cmd.tries >= COMMAND_TRIES) {
      e.failWithDcn("fax.protocol_error", "Received no response to DCS or TCF");
      return;
    }
    const tries = (cmd?.tries ?? 0) + 1;
    sendDcsAndTcf(e);
    if (e.command) e.command.tries = tries;
    return;
  }
  e.remoteDis = dis;
  const page = e.pages.page(e.pageIndex);
  const resolution = page.resolution;
  if (resolution === "fine" && !dis.fine) {
    e.failWithDcn("fax.incompatible", "Far end cannot receive at the resolution of the image");
    return;
  }
  const width = page.bitmap.width;
  if (width !== 1728 && !(width === 2048 && dis.maxWidth >= 2048) && !(width === 2432 && dis.maxWidth >= 2432)) {
    e.failWithDcn("fax.incompatible", "Far end cannot receive at the size of image");
    return;
  }
  const ecm = e.ecmAllowed && dis.ecm;
  const scheme = e.schemes.find((s) => (s === "mmr" ? ecm && dis.mmr : s === "mr" ? dis.mr : true));
  if (!scheme) {
    e.failWithDcn("fax.incompatible", "Far end is not compatible");
    return;
  }
  if (e.rates.length === 0) {
    e.rates = fallbackSequence(dis.modems, e.maxBitRate);
    e.rateIndex = 0;
  }
  const rate = e.rates[e.rateIndex]!;
  e.dcs = {
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
  sendDcsAndTcf(e);
}

/** TSI + DCS on V.21, then TCF: 1.5 s of zeros at the new rate (T.30 §5.3.6.2.x, T.38 transferred TCF). */
export function sendDcsAndTcf(e: Engine): void {
  const dcs = e.dcs!;
  dcs.rate = e.rates[e.rateIndex]!;
  e.setState("T30_STATE_D_POST_TCF");
  e.updateNegotiated();
  e.emit({ type: "negotiated", negotiated: e.negotiated!, remoteIdent: e.remoteIdent });
  const frames = [e.frame(FCF.TSI, encodeIdent(e.localIdent), false), e.frame(FCF.DCS, encodeDcs(dcs))];
  const tcf = new Uint8Array(Math.ceil((dcs.rate.bitRate * TCF_MS) / 8000));
  // TCF checks the receiver's training from scratch, so it always follows the long train.
  e.trainedRate = null;
  const send = () => {
    e.tx.v21Frames(frames);
    e.tx.nonEcm(dcs.rate, "long", tcf, () => e.startTimer("T4", T4_MS));
  };
  e.command = { name: "DCS", send, tries: 1 };
  e.lastResponse = null;
  send();
}

/** FTT: T.30 §5.3.2.3 (and Figure 5-2): retrain at the next lower rate, or give up at the lowest. */
export function fallBack(e: Engine): void {
  if (e.rateIndex + 1 >= e.rates.length) {
    e.failWithDcn("fax.training_failed", "FTT at the lowest speed");
    return;
  }
  e.rateIndex++;
  sendDcsAndTcf(e);
}

export function receiverGotDcs(e: Engine, f: T30Frame): void {
  e.stopTimer("T1");
  e.stopTimer("T4");
  const dcs = decodeDcs(f.fif);
  if (!dcs) {
    e.failWithDcn("fax.incompatible", "Remote asked for a modem standard we do not support");
    return;
  }
  if (!e.schemes.includes(dcs.scheme) || (dcs.scheme === "mmr" && !dcs.ecm) || (dcs.ecm && !e.ecmAllowed)) {
    e.failWithDcn("fax.incompatible", "Far end is not compatible");
    return;
  }
  e.dcs = dcs;
  e.updateNegotiated();
  e.emit({ type: "negotiated", negotiated: e.negotiated!, remoteIdent: e.remoteIdent });
  e.command = null;
  e.nonEcm = [];
  e.nonEcmBytes = 0;
  e.setState("T30_STATE_F_TCF");
  // If TCF never comes the transmitter repeats DCS after its T4; T2 bounds our wait.
  e.startTimer("T2", T2_MS);
}

/**
 * T.38 transferred TCF: the transmitter sends TCF as non-ECM data and the receiver judges it.
 * Like spandsp, training is good when the data holds at least 1 s of consecutive zeros.
 */
export function checkTcf(e: Engine): void {
  const dcs = e.dcs!;
  let run = 0;
  let best = 0;
  for (const chunk of e.nonEcm) {
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
  const forcedFail = e.opts.failTrainingAt?.includes(dcs.rate.bitRate as FaxBitRate) ?? false;
  e.nonEcm = [];
  e.nonEcmBytes = 0;
  if (best >= dcs.rate.bitRate && !forcedFail) {
    e.setState("T30_STATE_F_CFR");
    e.startTimer("T2", T2_MS);
    e.ecmRx = dcs.ecm ? e.ecmRx ?? newEcmRx() : null;
    e.sendResponse([e.frame(FCF.CFR)]);
  } else {
    e.setState("T30_STATE_F_FTT");
    e.startTimer("T2", T2_MS);
    e.sendResponse([e.frame(FCF.FTT)]);
  }
}

/** CFR: the receiver trained on our TCF at the DCS rate; phase C follows. */
export function trainingConfirmed(e: Engine): void {
  e.trainedRate = e.dcs!.rate;
  e.startPhaseC();
}

/**
 * Phases C and D with error correction (T.30 Annex A, T.4 Annex A): the sender's partial pages
 * of 256-octet FCD frames, PPS and the answers to it (MCF, PPR, RNR), CTC and EOR after repeated
 * PPRs; the receiver's collection of frames, PPR with the map of those missing, ERR and CTR.
 */
import type { Engine } from "./engine.js";
import { newEcmBlock, newEcmRx, type EcmRxState } from "./ecm-blocks.js";
import { FCF, buildFrame, decodePps, encodeFrameMap, encodePps, fcfName, frameMapHas, rateFromDcsField, reverseBits, type T30Frame } from "./frames.js";
import { ECM_FRAME_OCTETS, PPR_LIMIT, T2_MS, T5_MS } from "./limits.js";
import { sendDis } from "./negotiation.js";
import { concat } from "./page-coding.js";

export function ecmStartPage(e: Engine): void {
  const coded = e.codePageOrHangUp();
  if (!coded) return;
  const frames: Uint8Array[] = [];
  for (let at = 0; at < coded.length || frames.length === 0; at += ECM_FRAME_OCTETS) {
    // spandsp pads the last frame to full size, "as most receivers expect that".
    const f = new Uint8Array(ECM_FRAME_OCTETS);
    f.set(coded.subarray(at, at + ECM_FRAME_OCTETS));
    frames.push(f);
  }
  e.ecmPageFailed = false;
  e.ecmTx = newEcmBlock(frames, 0, 0);
  ecmSendBlock(e);
}


/** Sends the pending frames of the block, RCP three times (T.4 A.3.x), then PPS on V.21. */
export function ecmSendBlock(e: Engine): void {
  const b = e.ecmTx!;
  const dcs = e.dcs!;
  e.setState("T30_STATE_IV");
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
  const post = lastBlock ? e.postPage : FCF.NULL;
  e.tx.fastHdlcFrames(dcs.rate, e.training(), frames, () => {
    e.setState("T30_STATE_IV_PPS_Q");
    const pps = encodePps(post, e.pageIndex, b.block, sent, e.x());
    e.sendCommand(`PPS-${post === FCF.NULL ? "NULL" : fcfName(post)}`, [e.frame(FCF.PPS, pps)]);
  });
}

export function ecmBlockConfirmed(e: Engine): void {
  e.command = null;
  e.trainedRate = e.dcs!.rate;
  const b = e.ecmTx!;
  if (b.first + b.count < b.frames.length) {
    e.ecmTx = newEcmBlock(b.frames, b.block + 1, b.first + b.count);
    ecmSendBlock(e);
    return;
  }
  e.ecmTx = null;
  if (e.ecmPageFailed) {
    e.anyEcmFailure = true;
    e.emit({ type: "page", page: e.pageIndex + 1, bytes: b.frames.length * ECM_FRAME_OCTETS, badRows: 0, accepted: false });
    e.afterPage(false);
    return;
  }
  e.pagesTransferred++;
  e.emit({ type: "page", page: e.pageIndex + 1, bytes: b.frames.length * ECM_FRAME_OCTETS, badRows: 0, accepted: true });
  e.afterPage(false);
}

/** PPR: resend the frames it marks (T.30 A.4); after four PPRs, CTC at a lower rate or EOR (A.5). */
export function ecmRetransmit(e: Engine, f: T30Frame): void {
  e.command = null;
  // An answer to PPS after a block means the receiver has had our long train at this rate (it
  // only matters after CTC; spandsp likewise goes back to the short train once the block is out).
  e.trainedRate = e.dcs!.rate;
  const b = e.ecmTx!;
  const map = f.fif.subarray(0, 32);
  const pending: number[] = [];
  for (let i = 0; i < b.count; i++) if (frameMapHas(map, i)) pending.push(i);
  if (pending.length < b.pending.length) b.progress = true;
  if (pending.length === 0) {
    // A PPR that asks for nothing we sent: treat as confirmation.
    ecmBlockConfirmed(e);
    return;
  }
  b.pending = pending;
  b.pprCount++;
  if (b.pprCount >= PPR_LIMIT) {
    b.pprCount = 0;
    if (b.progress && e.rateIndex + 1 < e.rates.length) {
      b.progress = false;
      e.rateIndex++;
      e.dcs!.rate = e.rates[e.rateIndex]!;
      // The block after CTC/CTR goes at a rate the receiver has not trained at: long train again.
      e.trainedRate = null;
      e.updateNegotiated();
      e.setState("T30_STATE_IV_CTC");
      // T.30 Table 2 note: CTC's FIF carries the new rate in DCS bits 11-14.
      const fif = new Uint8Array(2);
      fif[1] = (e.dcs!.rate.dcsField << 2) & 0x3c;
      e.sendCommand("CTC", [e.frame(FCF.CTC, fif)]);
    } else {
      e.setState("T30_STATE_IV_EOR");
      const lastBlock = b.first + b.count >= b.frames.length;
      const post = lastBlock ? e.postPage : FCF.NULL;
      e.sendCommand("EOR", [e.frame(FCF.EOR, [post === FCF.NULL ? 0 : post | (e.x() ? 1 : 0)])]);
    }
    return;
  }
  ecmSendBlock(e);
}

/** ERR: the receiver accepted that this block is lost; go on with the next one. */
export function ecmBlockAbandoned(e: Engine): void {
  e.ecmPageFailed = true;
  ecmBlockConfirmed(e);
}

/** RNR: the receiver is busy; ask again with RR until T5 (T.30 A.6). */
export function ecmReceiverNotReady(e: Engine): void {
  if (!e.timers.T5) e.startTimer("T5", T5_MS);
  e.setState("T30_STATE_IV_PPS_RNR");
  e.tx.pause(1000, () => e.sendCommand("RR", [e.frame(FCF.RR)]));
}

/** An FCD or RCP frame on the fast modem (T.4 A.3). */
export function ecmFrame(e: Engine, f: T30Frame): void {
  const rx = e.ecmRx;
  if (!rx || f.name !== "FCD" || f.fif.length < 2) return;
  const n = f.fif[0]!;
  // A frame longer than the negotiated size is two frames run together (a lost FCS field on
  // the T.38 side): drop it, and PPR will ask for both again.
  if (f.fif.length - 1 > (e.dcs?.frameSize ?? ECM_FRAME_OCTETS)) return;
  rx.frames.set(n, reverseBits(f.fif.subarray(1)));
}

/** PPS: check the block, answer MCF or PPR with the 256-bit map (T.30 A.4.x). */
export function ecmPps(e: Engine, f: T30Frame): void {
  const rx = e.ecmRx ?? (e.ecmRx = newEcmRx());
  const pps = decodePps(f.fif);
  if (!pps) return;
  e.startTimer("T2", T2_MS);
  if (rx.lastConfirmed && rx.lastConfirmed.page === pps.page && rx.lastConfirmed.block === pps.block && rx.frames.size === 0) {
    // Our MCF was lost and the transmitter repeated its PPS.
    e.repeatLast();
    return;
  }
  rx.page = pps.page;
  rx.block = pps.block;
  // The count is that of the first burst; later bursts count only the frames they resend.
  rx.blockFrames = Math.max(rx.blockFrames, pps.frames);
  // Every frame but the last of a block has the full size (T.4 A.3); one that does not was
  // damaged on the way (spandsp vets lengths the same way), so ask for it again.
  const size = e.dcs?.frameSize ?? ECM_FRAME_OCTETS;
  for (const [n, data] of rx.frames) if (n < rx.blockFrames - 1 && data.length !== size) rx.frames.delete(n);
  const missing = (n: number) => n < rx.blockFrames && !rx.frames.has(n);
  let anyMissing = false;
  for (let n = 0; n < rx.blockFrames; n++) if (missing(n)) anyMissing = true;
  if (anyMissing) {
    e.setState("T30_STATE_F_POST_RCP_PPR");
    e.sendResponse([e.frame(FCF.PPR, encodeFrameMap(missing))]);
    return;
  }
  ecmCommitBlock(e, pps.postPage);
}

/** The block ends (PPS or EOR): keep the frames that arrived, in order, and start the next block. */
function closeBlock(rx: EcmRxState): void {
  for (let n = 0; n < rx.blockFrames; n++) {
    const data = rx.frames.get(n);
    if (data) rx.pageData.push(data);
  }
  rx.lastConfirmed = { page: rx.page, block: rx.block };
  rx.frames = new Map();
  rx.blockFrames = 0;
}

function ecmCommitBlock(e: Engine, postPage: number): void {
  const rx = e.ecmRx!;
  closeBlock(rx);
  if (postPage === FCF.NULL) {
    e.setState("T30_STATE_F_POST_RCP_MCF");
    e.sendResponse([e.frame(FCF.MCF)]);
    return;
  }
  const dcs = e.dcs!;
  const coded = concat(rx.pageData);
  rx.pageData = [];
  const pageNumber = e.receivedPages.length + 1;
  let badRows = 0;
  let ok = false;
  try {
    const decoded = e.coder!.decode(coded, { scheme: dcs.scheme, width: dcs.width, resolution: dcs.resolution });
    badRows = decoded.badRows;
    ok = decoded.bitmap.height > 0;
    if (ok) e.receivedPages.push({ bitmap: decoded.bitmap, coded, scheme: dcs.scheme, resolution: dcs.resolution, badRows });
  } catch {
    ok = false;
  }
  // With ECM the data is exact; a page that does not decode is still answered MCF (T.30 A.4:
  // the block was received correctly), and counted as bad.
  if (!ok) rx.errors = true;
  e.rxLastPageOk = ok;
  e.emit({ type: "page", page: pageNumber, bytes: coded.length, badRows, accepted: ok });
  e.postPage = postPage;
  e.answerPostPage(FCF.MCF, postPage);
}

/** EOR: the transmitter gives up on the missing frames; answer ERR (T.30 A.5). */
export function ecmEor(e: Engine, f: T30Frame): void {
  const rx = e.ecmRx ?? (e.ecmRx = newEcmRx());
  rx.errors = true;
  const post = (f.fif[0] ?? 0) & 0xfe;
  closeBlock(rx);
  if (post !== FCF.NULL) {
    rx.pageData = [];
    e.rxLastPageOk = false;
    e.emit({ type: "page", page: e.receivedPages.length + 1, bytes: 0, badRows: 0, accepted: false });
    e.postPage = post;
    if (post === FCF.EOP) e.postEop = true;
  }
  e.setState(post === FCF.NULL ? "T30_STATE_F_POST_RCP_MCF" : "T30_STATE_III_Q_MCF");
  e.sendResponse([e.frame(FCF.ERR)], () => {
    if (post === FCF.EOM && !e.done) sendDis(e);
  });
}

/** CTC: continue to correct at the rate in its FIF; answer CTR (T.30 A.5). */
export function ecmCtc(e: Engine, f: T30Frame): void {
  const field = ((f.fif[1] ?? 0) >> 2) & 0x0f;
  const rate = rateFromDcsField(field);
  if (rate && e.dcs) {
    e.dcs.rate = rate;
    e.updateNegotiated();
  }
  e.setState("T30_STATE_F_POST_RCP_PPR");
  e.sendResponse([e.frame(FCF.CTR)]);
}

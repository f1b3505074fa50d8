/**
 * Phases C and D without error correction (T.30 §5.3.6.1.6, T.4 §4): the sender's page, then
 * MPS/EOM/EOP and its answer (MCF, RTP, RTN); the receiver's judgement of the copy it received.
 */
import type { Engine } from "./engine.js";
import { FCF, fcfName, type T30Frame } from "./frames.js";
import { RTN_RESENDS, T2_MS } from "./limits.js";
import { sendDcsAndTcf } from "./negotiation.js";
import { concat } from "./page-coding.js";
import type { ReceivedPage } from "./types.js";

export function sendNonEcmPage(e: Engine): void {
  const dcs = e.dcs!;
  e.setState("T30_STATE_I");
  const coded = e.codePageOrHangUp();
  if (!coded) return;
  e.lastPageBytes = coded.length;
  e.tx.nonEcm(dcs.rate, e.training(), coded, () => {
    e.setState("T30_STATE_II_Q");
    e.sendCommand(fcfName(e.postPage), [e.frame(e.postPage)]);
  });
}

/** MCF or RTP after MPS/EOM/EOP (T.30 §5.3.6.1.6). */
export function pageConfirmed(e: Engine, retrain: boolean): void {
  e.command = null;
  e.pagesTransferred++;
  e.emit({ type: "page", page: e.pageIndex + 1, bytes: e.lastPageBytes, badRows: 0, accepted: true });
  e.afterPage(retrain);
}

/** RTN (or PIN): the page was not accepted; retrain and send it again, a few times at most. */
export function pageRejected(e: Engine): void {
  e.command = null;
  e.emit({ type: "page", page: e.pageIndex + 1, bytes: e.lastPageBytes, badRows: 0, accepted: false });
  if (e.rtnCount >= RTN_RESENDS) {
    e.failWithDcn(e.pagesTransferred > 0 ? "fax.partial" : "fax.protocol_error", `RTN: page ${e.pageIndex + 1} rejected ${e.rtnCount + 1} times`);
    return;
  }
  e.rtnCount++;
  // T.30 §5.3.6.1.6: after RTN the transmitter retrains (DCS, TCF) before sending again.
  sendDcsAndTcf(e);
}

/** The non-ECM page ended (t4-non-ecm-sig-end); its post-page command follows on V.21. */
export function nonEcmPageEnded(e: Engine): void {
  if (e.dcs?.ecm) return;
  e.setState("T30_STATE_F_POST_DOC_NON_ECM");
  e.startTimer("T2", T2_MS);
}

/** MPS/EOM/EOP after a non-ECM page: judge the copy and answer MCF or RTN (T.30 §5.3.6.1.6). */
export function nonEcmPostPage(e: Engine, f: T30Frame): void {
  const dcs = e.dcs!;
  const coded = concat(e.nonEcm);
  e.nonEcm = [];
  e.nonEcmBytes = 0;
  const pageNumber = e.receivedPages.length + 1;
  let ok = false;
  let badRows = 0;
  let page: ReceivedPage | null = null;
  try {
    const decoded = e.coder!.decode(coded, { scheme: dcs.scheme, width: dcs.width, resolution: dcs.resolution });
    badRows = decoded.badRows;
    const h = decoded.bitmap.height;
    ok = h > 0 && badRows <= Math.floor(h / 20);
    page = { bitmap: decoded.bitmap, coded, scheme: dcs.scheme, resolution: dcs.resolution, badRows };
  } catch {
    ok = false;
  }
  if (ok && e.opts.rejectPages?.includes(pageNumber) && !e.rejectedOnce.has(pageNumber)) {
    e.rejectedOnce.add(pageNumber);
    ok = false;
  }
  e.emit({ type: "page", page: pageNumber, bytes: coded.length, badRows, accepted: ok });
  e.postPage = f.fcf;
  e.rxLastPageOk = ok;
  if (ok && page) {
    e.receivedPages.push(page);
    e.answerPostPage(FCF.MCF, f.fcf);
  } else {
    e.answerPostPage(FCF.RTN, f.fcf);
  }
}

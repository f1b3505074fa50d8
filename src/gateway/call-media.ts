/**
 * The media side of one fax call: its sockets (UDPTL for T.38, a discard port for the audio leg), and
 * T.38 negotiated inside an existing dialog (re-INVITEs from the far end, answers carried in an ACK).
 * fax-call.ts places and answers calls with these.
 */
import { createSocket, type Socket } from "node:dgram";
import type { Dialog } from "./sip/dialog.js";
import { getHeader, parseCSeq, type SipRequest } from "./sip/message.js";
import { answerOffer, buildOffer, readAnswer, type NegotiatedT38, type T38Params } from "./sdp/offer-answer.js";

async function bindUdp(address: string): Promise<Socket> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(0, address, () => {
      s.off("error", reject);
      resolve();
    });
  });
  s.on("error", () => undefined);
  return s;
}

function closeSocket(s: Socket): void {
  try {
    s.close();
  } catch {
    // already closed
  }
}

/** The media sockets of one call: UDPTL for T.38, and a port for the (never used) audio leg. */
export interface CallMedia {
  udptl: Socket;
  audio: Socket;
  close(): void;
}

export async function openMedia(address: string): Promise<CallMedia> {
  const udptl = await bindUdp(address);
  const audio = await bindUdp(address);
  audio.on("message", () => undefined); // RTP before the switch to T.38 is discarded: no G.711 modem path.
  return { udptl, audio, close: () => (closeSocket(udptl), closeSocket(audio)) };
}

/**
 * The far end's answer to the offer we put in our 2xx, read from its ACK (RFC 3261 §13.2.1, RFC 3264
 * §4): `none` when the ACK has no usable SDP, null when the dialog ended first (no ACK within 64*T1
 * ends it with BYE, §13.3.1.4).
 */
export function answerInAck(dialog: Dialog, inviteSeq: number, local: T38Params): Promise<ReturnType<typeof readAnswer> | null> {
  return new Promise((resolve) => {
    dialog.onAck((ack) => parseCSeq(getHeader(ack, "CSeq"))?.seq === inviteSeq && resolve(readAnswer(ack.body, local)));
    dialog.onTerminated(() => resolve(null));
  });
}

/**
 * Accept the far end's T.38 re-INVITE within a dialog (T.38 Annex D.2.2), answering 488 to one
 * without T.38 (RFC 3264 §8: the old session stays). A re-INVITE without an offer gets our T.38 offer
 * in the 200 and its answer from the ACK (RFC 3261 §14.2); an ACK without T.38 then ends the call
 * with BYE, as §13.2.2.4 asks of a UAC given an offer it cannot accept. Resolves with the first T.38
 * session agreed.
 */
export function acceptT38ReInvites(dialog: Dialog, address: string, media: CallMedia, local: T38Params, sessionId: string, version: { n: number }, onT38: (t: NegotiatedT38) => void, current: () => NegotiatedT38 | null): void {
  dialog.onRequest((req: SipRequest, respond) => {
    if (req.method !== "INVITE") return respond(200);
    if (!req.body) {
      const answer = answerInAck(dialog, parseCSeq(getHeader(req, "CSeq"))?.seq ?? -1, local);
      respond(200, { body: buildOffer({ address, sessionId, sessionVersion: ++version.n, kind: "t38", port: media.udptl.address().port, t38: local }), headers: [["Content-Type", "application/sdp"]] });
      // A T.38 session already running keeps its far-end address: the answer only confirms it.
      void answer.then((a) => (a?.kind === "t38" ? !current() && onT38(a.t38) : a && dialog.bye()));
      return;
    }
    const r = answerOffer(req.body, { address, sessionId, sessionVersion: ++version.n, t38Port: media.udptl.address().port, audioPort: media.audio.address().port, local, requireT38: true });
    if (r.kind !== "t38") return respond(r.kind === "reject" ? r.status : 488);
    respond(200, { body: r.sdp, headers: [["Content-Type", "application/sdp"]] });
    if (!current()) onT38(r.t38);
  });
}

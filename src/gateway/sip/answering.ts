/**
 * The answering side (UAS, RFC 3261 §13.3): an INVITE that starts a call, 100 Trying, 180 Ringing,
 * the 2xx that makes the dialog (§12.1.1) or a rejection, and the caller's CANCEL before we answer (§9.2).
 */
import { buildResponse, getHeader, getHeaders, headerParam, nameAddrUri, parseCSeq, type SipRequest } from "./message.js";
import type { Destination, ServerTransaction } from "./transaction.js";
import { Dialog, routeDestination } from "./dialog.js";
import { capabilities, token } from "./identity.js";
import type { UserAgent } from "./ua.js";

export interface IncomingInvite {
  request: SipRequest;
  source: Destination;
  /** 180 Ringing (creates nothing; we do not use early dialogs). */
  ringing(): void;
  accept(sdp: string): Dialog;
  reject(status: number, reason?: string): void;
  /** Called when the caller CANCELs before we answered (§9.2). */
  onCancel(handler: () => void): void;
}

/** UAS: an INVITE outside any dialog (§13.3): 100 Trying at once, then the handler decides. */
export function answerInvite(ua: UserAgent, handler: ((invite: IncomingInvite) => void) | undefined, req: SipRequest, source: Destination, tx: ServerTransaction): void {
  const localTag = token(6);
  const trying = () => tx.respond(buildResponse(req, 100));
  trying(); // §17.2.1: 100 Trying at once stops the caller's Timer A retransmissions.
  if (!handler) {
    tx.respond(buildResponse(req, 480, { toTag: localTag, reason: "Temporarily Unavailable" }));
    return;
  }
  const contentType = getHeader(req, "Content-Type");
  if (req.body && contentType && !/^application\/sdp/i.test(contentType)) {
    tx.respond(buildResponse(req, 415, { toTag: localTag, headers: [["Accept", "application/sdp"]] }));
    return;
  }
  const remoteContact = nameAddrUri(getHeader(req, "Contact"));
  const cseq = parseCSeq(getHeader(req, "CSeq"))!;
  let cancelHandler: (() => void) | undefined;
  ua.cancelHandlers.set(tx.key, () => cancelHandler?.());
  const invite: IncomingInvite = {
    request: req,
    source,
    ringing: () => tx.respond(buildResponse(req, 180, { toTag: localTag, headers: [["Contact", ua.contact()]] })),
    accept: (sdp: string) => {
      // §12.1.1: the UAS's route set is the Record-Route list in order; the remote target is Contact.
      const routes = getHeaders(req, "Record-Route");
      const target = remoteContact ?? nameAddrUri(getHeader(req, "From")) ?? req.uri;
      const peer = routeDestination(routes, target) ?? source;
      const d = new Dialog(
        ua,
        getHeader(req, "Call-ID")!,
        localTag,
        headerParam(getHeader(req, "From"), "tag") ?? "",
        nameAddrUri(getHeader(req, "To")) ?? req.uri,
        nameAddrUri(getHeader(req, "From")) ?? "",
        target,
        routes,
        Math.floor(Math.random() * 10000),
        cseq.seq,
        peer,
      );
      ua.addDialog(d);
      tx.respond(
        buildResponse(req, 200, {
          toTag: localTag,
          body: sdp,
          headers: [["Contact", ua.contact()], ["Content-Type", "application/sdp"], ...capabilities()],
        }),
      );
      ua.cancelHandlers.delete(tx.key);
      return d;
    },
    reject: (status: number, reason?: string) => {
      ua.cancelHandlers.delete(tx.key);
      tx.respond(buildResponse(req, status, { toTag: localTag, ...(reason ? { reason } : {}) }));
    },
    onCancel: (h) => {
      cancelHandler = h;
    },
  };
  handler(invite);
}

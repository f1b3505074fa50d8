/**
 * The calling side (UAC, RFC 3261 §13.2): the INVITE we send, its digest retry (§22.2), CANCEL
 * (§9.1), the ACK for the 2xx (§13.2.2.4), and the dialog made from that 2xx (§12.1.2).
 */
import { getHeader, getHeaders, headerParam, nameAddrUri, parseCSeq, viaBranch, type SipHeaders, type SipRequest, type SipResponse } from "./message.js";
import { transactionKey, type Destination } from "./transaction.js";
import { Dialog, routeDestination } from "./dialog.js";
import { ALLOWED_METHODS, USER_AGENT, newBranch, token } from "./identity.js";
import type { UserAgent } from "./ua.js";

export interface CallOptions {
  target: string;
  sdp: string;
  from?: string;
  headers?: SipHeaders;
  onProvisional?: (res: SipResponse) => void;
}

export interface OutgoingCall {
  /** Final outcome: a confirmed dialog, or the failure status (408 for Timer B). */
  result: Promise<{ ok: true; dialog: Dialog; response: SipResponse } | { ok: false; status: number; reason: string; response?: SipResponse }>;
  /** CANCEL (§9.1) before a final answer. */
  cancel(): void;
}

/** UAC: start a call (§13.2.1). */
export function placeCall(ua: UserAgent, opts: CallOptions): OutgoingCall {
  const callId = `${token(12)}@${ua.address}`;
  const localTag = token(6);
  const localUri = opts.from ?? `sip:${ua.options.user ?? "edgefax"}@${ua.address}`;
  let seq = 1;
  const build = (branch: string): SipRequest => ({
    kind: "request",
    method: "INVITE",
    uri: opts.target,
    headers: [
      ["Via", ua.via(branch)],
      ["Max-Forwards", "70"],
      ["From", `<${localUri}>;tag=${localTag}`],
      ["To", `<${opts.target}>`],
      ["Call-ID", callId],
      ["CSeq", `${seq} INVITE`],
      ["Contact", ua.contact()],
      ["Allow", ALLOWED_METHODS.join(", ")],
      ["User-Agent", USER_AGENT],
      ["Content-Type", "application/sdp"],
      ...(opts.headers ?? []),
    ],
    body: opts.sdp,
  });
  let current = build(newBranch());
  let provisional = false;
  let cancelWanted = false;
  let cancelled = false;
  const to = ua.destinationFor(opts.target);
  let giveUp: (res: SipResponse) => void = () => undefined;
  const abandoned = new Promise<SipResponse>((resolve) => (giveUp = resolve));
  const sendCancel = () => {
    if (cancelled || !to) return;
    cancelled = true;
    // §9.1: no final response 64*T1 after the CANCEL: consider the INVITE transaction cancelled.
    const timerB = setTimeout(() => {
      const branch = viaBranch(current);
      if (branch) ua.clients.get(transactionKey(branch, "INVITE"))?.terminate();
      giveUp({ kind: "response", status: 487, reason: "Request Terminated", headers: [["CSeq", getHeader(current, "CSeq") ?? ""]], body: "" });
    }, 64 * ua.timers.T1);
    timerB.unref();
    void result.finally(() => clearTimeout(timerB));
    // §9.1: CANCEL copies Request-URI, Call-ID, To, From, top Via and the CSeq number of the INVITE.
    const cseq = parseCSeq(getHeader(current, "CSeq"))!;
    const cancel: SipRequest = {
      kind: "request",
      method: "CANCEL",
      uri: current.uri,
      headers: [
        ["Via", getHeaders(current, "Via")[0]!],
        ["Max-Forwards", "70"],
        ["From", getHeader(current, "From")!],
        ["To", getHeader(current, "To")!],
        ["Call-ID", callId],
        ["CSeq", `${cseq.seq} CANCEL`],
      ],
      body: "",
    };
    void ua.sendRequest(cancel, to);
  };
  const result: OutgoingCall["result"] = (async () => {
    if (!to) return { ok: false as const, status: 416, reason: "Unsupported URI Scheme" };
    const sent = ua.sendRequest(
      current,
      to,
      (p) => {
        provisional = true;
        opts.onProvisional?.(p);
        if (cancelWanted) sendCancel();
      },
      // §22.2: the authenticated retry is a new transaction with CSeq + 1; CANCEL and ACK follow it.
      (retry, s) => {
        current = retry;
        seq = s;
      },
    );
    const res = await Promise.race([sent, abandoned]);
    if (res.status >= 200 && res.status < 300) {
      const dialog = dialogFromResponse(ua, res, callId, localTag, localUri, opts.target, seq, to);
      const ack = dialog.buildRequest("ACK", "", undefined, seq);
      dialog.lastAck = ack;
      ua.sendRaw(ack, dialog.peer);
      if (cancelled) {
        // §9.1: the 2xx won the race with our CANCEL; hang up.
        await dialog.bye();
        return { ok: false as const, status: 487, reason: "Request Terminated", response: res };
      }
      return { ok: true as const, dialog, response: res };
    }
    return { ok: false as const, status: res.status, reason: res.reason, response: res };
  })();
  return {
    result,
    cancel: () => {
      cancelWanted = true;
      if (provisional) sendCancel();
    },
  };
}

function dialogFromResponse(ua: UserAgent, res: SipResponse, callId: string, localTag: string, localUri: string, remoteUri: string, seq: number, fallback: Destination): Dialog {
  const remoteTag = headerParam(getHeader(res, "To"), "tag") ?? "";
  const contact = nameAddrUri(getHeader(res, "Contact")) ?? remoteUri;
  // §12.1.2: the UAC's route set is the Record-Route list in reverse order.
  const routes = getHeaders(res, "Record-Route").reverse();
  const peer = ua.options.outboundProxy ?? routeDestination(routes, contact) ?? fallback;
  const d = new Dialog(ua, callId, localTag, remoteTag, localUri, remoteUri, contact, routes, seq, undefined, peer);
  ua.addDialog(d);
  return d;
}

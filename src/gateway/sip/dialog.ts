/**
 * A SIP dialog (RFC 3261 §12): its identifiers, route set and CSeq counters, requests within it
 * (§12.2.1.1), BYE (§15.1.1) and re-INVITE (§14.1). Both call sides make one: calling.ts from the
 * 2xx to our INVITE (§12.1.2), answering.ts from the INVITE we accept (§12.1.1).
 */
import { getHeader, nameAddrUri, parseCSeq, parseSipUri, type SipHeaders, type SipRequest, type SipResponse } from "./message.js";
import type { Destination } from "./transaction.js";
import { ALLOWED_METHODS, USER_AGENT, newBranch } from "./identity.js";
import type { UserAgent } from "./ua.js";

export type RequestHandler = (req: SipRequest, respond: (status: number, opts?: { body?: string; headers?: SipHeaders }) => void) => void;

export class Dialog {
  localSeq: number;
  remoteSeq: number | undefined;
  remoteTarget: string;
  private handlers: RequestHandler[] = [];
  private terminatedHandlers: Array<(reason: string) => void> = [];
  private ackHandlers: Array<(ack: SipRequest) => void> = [];
  terminated = false;
  /** §14.1: a re-INVITE of ours is pending (a second one must wait; one from the far end gets 491). */
  inviteInProgress = false;
  lastAck: SipRequest | undefined;

  constructor(
    private readonly ua: UserAgent,
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    readonly localUri: string,
    readonly remoteUri: string,
    remoteTarget: string,
    readonly routeSet: string[],
    localSeq: number,
    remoteSeq: number | undefined,
    readonly peer: Destination,
  ) {
    this.localSeq = localSeq;
    this.remoteSeq = remoteSeq;
    this.remoteTarget = remoteTarget;
  }

  get id(): string {
    return `${this.callId}|${this.localTag}|${this.remoteTag}`;
  }

  /** Requests the far end sends within this dialog (re-INVITE, BYE, ...). */
  onRequest(handler: RequestHandler): void {
    this.handlers.push(handler);
  }

  /**
   * The ACK confirming our 2xx to an INVITE (or re-INVITE) of the far end. When that 2xx carried our
   * offer (the INVITE had none), the ACK carries the answer (§13.2.1, RFC 3264 §4).
   */
  onAck(handler: (ack: SipRequest) => void): void {
    this.ackHandlers.push(handler);
  }

  /** @internal */
  acked(ack: SipRequest): void {
    for (const h of this.ackHandlers) h(ack);
  }

  onTerminated(handler: (reason: string) => void): void {
    if (this.terminated) handler("already");
    else this.terminatedHandlers.push(handler);
  }

  /** @internal */
  dispatch(req: SipRequest, respond: Parameters<RequestHandler>[1]): boolean {
    if (this.handlers.length === 0) return false;
    for (const h of this.handlers) h(req, respond);
    return true;
  }

  /** @internal */
  end(reason: string): void {
    if (this.terminated) return;
    this.terminated = true;
    this.ua.forgetDialog(this);
    for (const h of this.terminatedHandlers) h(reason);
  }

  /** §12.2.1.1: a request within the dialog. */
  buildRequest(method: string, body = "", contentType?: string, seq?: number): SipRequest {
    const headers: SipHeaders = [
      ["Via", this.ua.via(newBranch())],
      ["Max-Forwards", "70"],
      ["From", `<${this.localUri}>;tag=${this.localTag}`],
      ["To", `<${this.remoteUri}>;tag=${this.remoteTag}`],
      ["Call-ID", this.callId],
      ["CSeq", `${seq ?? ++this.localSeq} ${method}`],
    ];
    for (const r of this.routeSet) headers.push(["Route", r]);
    if (method !== "ACK") headers.push(["Contact", this.ua.contact()], ["User-Agent", USER_AGENT]);
    if (method === "INVITE") headers.push(["Allow", ALLOWED_METHODS.join(", ")]);
    if (contentType) headers.push(["Content-Type", contentType]);
    return { kind: "request", method, uri: this.remoteTarget, headers, body };
  }

  /** Send BYE (§15.1.1) and end the dialog whatever the answer. */
  async bye(): Promise<void> {
    if (this.terminated) return;
    const req = this.buildRequest("BYE");
    this.end("local BYE");
    await this.ua.sendRequest(req, this.peer, undefined, (_retry, seq) => (this.localSeq = seq)).catch(() => undefined);
  }

  /**
   * re-INVITE (§14.1) with a new offer; resolves with the final response (after ACKing a 2xx).
   * 491 Request Pending is retried once after 2.1-4 s, as §14.1 asks of the dialog's owner (Call-ID's UAC).
   */
  async reinvite(sdp: string): Promise<SipResponse> {
    if (this.inviteInProgress) throw new Error("re-INVITE already in progress");
    this.inviteInProgress = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const req = this.buildRequest("INVITE", sdp, "application/sdp");
        const res = await this.ua.sendRequest(req, this.peer, undefined, (_retry, seq) => (this.localSeq = seq));
        if (res.status >= 200 && res.status < 300) {
          // §13.2.2.4: the ACK carries the CSeq number of the INVITE it acknowledges (after any auth retry).
          this.lastAck = this.buildRequest("ACK", "", undefined, parseCSeq(getHeader(res, "CSeq"))?.seq ?? this.localSeq);
          this.ua.sendRaw(this.lastAck, this.peer);
          const contact = nameAddrUri(getHeader(res, "Contact"));
          if (contact) this.remoteTarget = contact;
        }
        if (res.status !== 491 || attempt > 0) return res;
        await new Promise((r) => setTimeout(r, 2100 + Math.random() * 1900));
      }
    } finally {
      this.inviteInProgress = false;
    }
  }
}

/** §12.2.1.1 / §8.1.2: the next hop is the first route, else the remote target (no DNS: IPs). */
export function routeDestination(routes: string[], target: string): Destination | undefined {
  const first = routes[0] ? nameAddrUri(routes[0]) : target;
  const u = first ? parseSipUri(first) : undefined;
  if (!u) return undefined;
  return { address: u.host === "localhost" ? "127.0.0.1" : u.host, port: u.port ?? 5060 };
}

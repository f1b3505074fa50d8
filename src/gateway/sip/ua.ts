/**
 * A small SIP user agent over UDP (RFC 3261): the UA core (§8) with its socket, transactions (§17),
 * digest authentication toward a carrier trunk (§22), and the routing of what arrives: requests
 * within a dialog (§12.2.2: BYE, OPTIONS, re-INVITE §14.2), CANCEL (§9.2), and new INVITEs.
 * The calling side is ./calling.ts, the answering side ./answering.ts, a dialog ./dialog.ts,
 * REGISTER ./register.ts. Anything malformed is answered 400 or dropped (§8.2, §18.3); nothing
 * received can throw.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import {
  buildResponse,
  getHeader,
  headerParam,
  parseCSeq,
  parseSipMessage,
  parseSipUri,
  serializeSipMessage,
  viaBranch,
  type SipHeaders,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from "./message.js";
import { ClientTransaction, DEFAULT_TIMERS, ServerTransaction, transactionKey, type Destination, type SipTimers } from "./transaction.js";
import { authorizationHeader, parseChallenge, type DigestCredentials } from "./digest.js";
import { Registration, type RegisterOptions } from "./register.js";
import type { Dialog } from "./dialog.js";
import { answerInvite, type IncomingInvite } from "./answering.js";
import { placeCall, type CallOptions, type OutgoingCall } from "./calling.js";
import { ALLOWED_METHODS, capabilities, newBranch, token } from "./identity.js";

export interface UserAgentOptions {
  /** Address to bind and to advertise (Via, Contact, SDP) unless `publicAddress` is given. */
  address: string;
  port?: number;
  publicAddress?: string;
  /** User part of our From/Contact URIs. */
  user?: string;
  /** For carrier trunks that challenge with 401/407 (§22.2). */
  credentials?: DigestCredentials;
  timers?: Partial<SipTimers>;
  /** Every request we send goes here (a carrier's SBC), whatever the Request-URI says. */
  outboundProxy?: Destination;
}


export class UserAgent {
  readonly timers: SipTimers;
  /** @internal */
  readonly clients = new Map<string, ClientTransaction>();
  private servers = new Map<string, ServerTransaction>();
  private dialogs = new Map<string, Dialog>();
  private inviteHandler: ((invite: IncomingInvite) => void) | undefined;
  /** @internal The answering side's hooks for a CANCEL, by INVITE server transaction (§9.2). */
  readonly cancelHandlers = new Map<string, () => void>();
  private registrations = new Set<Registration>();
  readonly stats = { received: 0, malformed: 0, badRequests: 0 };
  closed = false;

  private constructor(
    readonly socket: Socket,
    readonly options: UserAgentOptions,
    readonly port: number,
  ) {
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    socket.on("message", (msg, rinfo) => {
      try {
        this.onDatagram(msg, rinfo);
      } catch {
        // A bug in handling one datagram must not take the gateway down; the datagram is dropped.
        this.stats.malformed++;
      }
    });
    socket.on("error", () => undefined);
  }

  static async create(options: UserAgentOptions): Promise<UserAgent> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port ?? 0, options.address, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new UserAgent(socket, options, socket.address().port);
  }

  get address(): string {
    return this.options.publicAddress ?? this.options.address;
  }

  via(branch: string): string {
    return `SIP/2.0/UDP ${this.address}:${this.port};branch=${branch};rport`;
  }

  contact(): string {
    return `<sip:${this.options.user ?? "edgefax"}@${this.address}:${this.port}>`;
  }

  onInvite(handler: (invite: IncomingInvite) => void): void {
    this.inviteHandler = handler;
  }

  /** @internal Random hex for Call-IDs and tags (§8.1.1.3, §19.3). */
  token(bytes = 8): string {
    return token(bytes);
  }

  /** @internal */
  newBranch(): string {
    return newBranch();
  }

  /**
   * REGISTER our Contact for `aor` (§10.2), answering a digest challenge with `username`/`password`.
   * Resolves once the registrar accepted (the binding then refreshes itself before it expires); rejects
   * with a RegistrationError carrying the registrar's status. `close()` removes the binding.
   */
  async register(opts: RegisterOptions): Promise<Registration> {
    if (this.closed) throw new Error("user agent closed");
    const r = new Registration(this, opts);
    this.registrations.add(r);
    try {
      await r.refresh();
    } catch (err) {
      this.registrations.delete(r);
      throw err;
    }
    return r;
  }

  /** @internal */
  forgetRegistration(r: Registration): void {
    this.registrations.delete(r);
  }

  close(): void {
    if (this.closed) return;
    const unregisters = [...this.registrations].flatMap((r) => r.unregisterNow() ?? []);
    this.registrations.clear();
    this.closed = true;
    for (const t of [...this.clients.values()]) t.terminate();
    for (const t of [...this.servers.values()]) t.terminate();
    for (const d of [...this.dialogs.values()]) d.end("closed");
    const closeSocket = () => {
      try {
        this.socket.close();
      } catch {
        // already closed
      }
    };
    // A send is queued, not done, when socket.send returns: close only once the unregisters went out.
    let pending = unregisters.length;
    if (pending === 0) return closeSocket();
    for (const u of unregisters) {
      try {
        this.socket.send(serializeSipMessage(u.request), u.to.port, u.to.address, () => --pending === 0 && closeSocket());
      } catch {
        if (--pending === 0) closeSocket();
      }
    }
  }

  /** @internal A dialog a call side has made (§12.1). */
  addDialog(d: Dialog): void {
    this.dialogs.set(d.id, d);
  }

  /** @internal */
  forgetDialog(d: Dialog): void {
    this.dialogs.delete(d.id);
  }

  sendRaw(m: SipMessage, to: Destination): void {
    if (this.closed) return;
    try {
      this.socket.send(serializeSipMessage(m), to.port, to.address);
    } catch {
      // socket closed while a timer fired
    }
  }

  /** Where a request for `uri` goes: the outbound proxy, else the URI's host:port (§8.1.2; no DNS: IPs). */
  destinationFor(uri: string): Destination | undefined {
    if (this.options.outboundProxy) return this.options.outboundProxy;
    const u = parseSipUri(uri);
    if (!u) return undefined;
    const host = u.params.maddr ?? u.host;
    return { address: host === "localhost" ? "127.0.0.1" : host, port: u.port ?? 5060 };
  }

  /** Send a request in a new client transaction; answers a 401/407 challenge once (§22.2). */
  sendRequest(
    req: SipRequest,
    to: Destination,
    onProvisional?: (res: SipResponse) => void,
    onAuthRetry?: (retry: SipRequest, seq: number, challenge: SipResponse) => void,
    credentials: DigestCredentials | undefined = this.options.credentials,
  ): Promise<SipResponse> {
    return new Promise((resolve) => {
      let authTried = false;
      const start = (r: SipRequest) => {
        const tx = new ClientTransaction(
          r,
          to,
          (m, d) => this.sendRaw(m, d),
          this.timers,
          (res, retransmission) => {
            if (retransmission) return;
            if (res.status < 200) return onProvisional?.(res);
            if ((res.status === 401 || res.status === 407) && credentials && !authTried && r.method !== "ACK" && r.method !== "CANCEL") {
              authTried = true;
              const retry = this.withAuthorization(r, res, credentials);
              if (retry) {
                onAuthRetry?.(retry, parseCSeq(getHeader(retry, "CSeq"))!.seq, res);
                return start(retry);
              }
            }
            resolve(res);
          },
          () => resolve(buildTimeout(r)),
          () => this.clients.delete(tx.key),
        );
        this.clients.set(tx.key, tx);
      };
      start(req);
    });
  }

  /** §22.2: the same request again, new branch and CSeq, with Authorization / Proxy-Authorization. */
  private withAuthorization(req: SipRequest, res: SipResponse, credentials: DigestCredentials): SipRequest | undefined {
    const proxy = res.status === 407;
    const challenge = parseChallenge(getHeader(res, proxy ? "Proxy-Authenticate" : "WWW-Authenticate"));
    if (!challenge) return undefined;
    let value: string;
    try {
      value = authorizationHeader({ challenge, credentials, method: req.method, uri: req.uri });
    } catch {
      return undefined;
    }
    const cseq = parseCSeq(getHeader(req, "CSeq"))!;
    const headers: SipHeaders = req.headers
      .filter(([n]) => !["via", "cseq", "authorization", "proxy-authorization"].includes(n.toLowerCase()))
      .map(([n, v]) => [n, v] as [string, string]);
    headers.unshift(["Via", this.via(newBranch())]);
    headers.push(["CSeq", `${cseq.seq + 1} ${req.method}`], [proxy ? "Proxy-Authorization" : "Authorization", value]);
    return { ...req, headers };
  }

  /** UAC: start a call (§13.2.1); calling.ts. */
  invite(opts: CallOptions): OutgoingCall {
    return placeCall(this, opts);
  }


  private findDialog(m: { headers: SipHeaders }, asUas: boolean): Dialog | undefined {
    const callId = getHeader(m, "Call-ID");
    const fromTag = headerParam(getHeader(m, "From"), "tag");
    const toTag = headerParam(getHeader(m, "To"), "tag");
    // For a request we receive, our tag is in To; for a response, in From.
    const local = asUas ? toTag : fromTag;
    const remote = asUas ? fromTag : toTag;
    return this.dialogs.get(`${callId}|${local}|${remote}`);
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.stats.received++;
    if (msg.length === 0 || msg.toString("latin1").trim() === "") return; // §7.5 keep-alive CRLFs
    const source = { address: rinfo.address, port: rinfo.port };
    const parsed = parseSipMessage(msg);
    if (!parsed.ok) {
      this.stats.malformed++;
      const req = parsed.request;
      // §8.2 / §21.4.1: answer 400 when we can address the answer; never answer an ACK.
      if (req && req.method !== "ACK" && getHeader(req, "Via") && getHeader(req, "Call-ID") && getHeader(req, "From") && getHeader(req, "To") && parseCSeq(getHeader(req, "CSeq"))) {
        this.stats.badRequests++;
        this.sendRaw(buildResponse(req, 400, { reason: `Bad Request (${parsed.reason})`, toTag: token(6) }), source);
      }
      return;
    }
    const m = parsed.message;
    if (m.kind === "response") return this.onResponse(m);
    this.onRequest(m, source);
  }

  private onResponse(res: SipResponse): void {
    const branch = viaBranch(res);
    const cseq = parseCSeq(getHeader(res, "CSeq"));
    if (!branch || !cseq) return;
    const tx = this.clients.get(transactionKey(branch, cseq.method));
    if (tx) return tx.receive(res);
    // A 2xx retransmitted after the transaction ended: re-send the dialog's ACK (§13.2.2.4).
    if (cseq.method === "INVITE" && res.status >= 200 && res.status < 300) {
      const d = this.findDialog(res, false);
      if (d?.lastAck) this.sendRaw(d.lastAck, d.peer);
    }
  }

  private onRequest(req: SipRequest, source: Destination): void {
    const branch = viaBranch(req) ?? `nobranch-${getHeader(req, "Call-ID")}-${getHeader(req, "CSeq")}`;
    const cseq = parseCSeq(getHeader(req, "CSeq"))!;
    if (req.method === "ACK") {
      // ACK for a 2xx is its own transaction (§17.1.1.3): find the accepted INVITE by dialog and CSeq.
      const tx =
        this.servers.get(transactionKey(branch, "INVITE")) ??
        [...this.servers.values()].find((t) => t.isInvite && getHeader(t.request, "Call-ID") === getHeader(req, "Call-ID") && parseCSeq(getHeader(t.request, "CSeq"))?.seq === cseq.seq);
      if (tx?.ack()) this.findDialog(req, true)?.acked(req);
      return;
    }
    const existing = this.servers.get(transactionKey(branch, req.method));
    if (existing) return existing.retransmission();

    const tx = new ServerTransaction(
      req,
      source,
      (m, d) => this.sendRaw(m, d),
      this.timers,
      () => this.servers.delete(tx.key),
      (final) => {
        // §13.3.1.4: no ACK for our 2xx within 64*T1: end the dialog with BYE.
        if (final.status < 300) {
          const d = this.findDialog({ headers: final.headers }, true);
          void d?.bye();
        }
      },
    );
    this.servers.set(tx.key, tx);
    const respond = (status: number, opts: { body?: string; headers?: SipHeaders; toTag?: string } = {}) =>
      tx.respond(buildResponse(req, status, { ...opts, toTag: opts.toTag ?? headerParam(getHeader(req, "To"), "tag") ?? token(6) }));

    if (!ALLOWED_METHODS.includes(req.method)) {
      // §8.2.1: a method we do not implement at all is 501 (405 is for known methods not allowed here).
      return respond(501, { headers: [["Allow", ALLOWED_METHODS.join(", ")]] });
    }
    const require = getHeader(req, "Require");
    if (require && req.method !== "CANCEL") {
      // §8.2.2.3: we support no extensions.
      return respond(420, { headers: [["Unsupported", require]] });
    }
    if (req.method === "CANCEL") return this.onCancel(req, branch, respond);

    const toTag = headerParam(getHeader(req, "To"), "tag");
    if (toTag) {
      const d = this.findDialog(req, true);
      if (!d) return respond(481);
      // §12.2.2: a lower CSeq than the last one is out of order.
      if (d.remoteSeq !== undefined && cseq.seq <= d.remoteSeq && req.method !== "ACK") return respond(500, { headers: [["Retry-After", "1"]] });
      d.remoteSeq = cseq.seq;
      if (req.method === "BYE") {
        respond(200);
        d.end("remote BYE");
        return;
      }
      if (req.method === "INVITE" && d.inviteInProgress) return respond(491); // §14.2 glare
      const dialogRespond = (status: number, opts: { body?: string; headers?: SipHeaders } = {}) =>
        respond(status, { ...opts, headers: [...(opts.headers ?? []), ...(status >= 200 && status < 300 && req.method === "INVITE" ? [["Contact", this.contact()] as [string, string]] : [])] });
      if (req.method === "OPTIONS") return respond(200, { headers: capabilities() });
      if (!d.dispatch(req, dialogRespond)) respond(req.method === "INVITE" ? 488 : 200);
      return;
    }
    switch (req.method) {
      case "OPTIONS":
        return respond(200, { headers: capabilities() });
      case "BYE":
        return respond(481);
      case "INVITE":
        return answerInvite(this, this.inviteHandler, req, source, tx);
    }
  }

  private onCancel(req: SipRequest, branch: string, respond: (status: number) => void): void {
    // §9.2: the CANCEL matches the INVITE server transaction with the same branch.
    const invite = this.servers.get(transactionKey(branch, "INVITE"));
    if (!invite) return respond(481);
    respond(200);
    if (!invite.finalSent) {
      invite.respond(buildResponse(invite.request, 487, { toTag: token(6) }));
      this.cancelHandlers.get(invite.key)?.();
    }
  }

}

function buildTimeout(req: SipRequest): SipResponse {
  // §8.1.3.1: a transaction timeout is treated as a 408.
  return { kind: "response", status: 408, reason: "Request Timeout", headers: [["CSeq", getHeader(req, "CSeq") ?? ""]], body: "" };
}

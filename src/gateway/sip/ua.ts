/**
 * A small SIP user agent over UDP (RFC 3261): UAC and UAS cores (§8), INVITE/ACK/BYE/CANCEL/OPTIONS,
 * re-INVITE within a dialog (§14), dialogs (§12), REGISTER (§10, ./register.ts), and digest
 * authentication toward a carrier trunk (§22). Anything malformed is answered 400 or dropped (§8.2, §18.3); nothing received can throw.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { randomBytes } from "node:crypto";
import {
  buildResponse,
  getHeader,
  getHeaders,
  headerParam,
  nameAddrUri,
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

export const ALLOWED_METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"];
const USER_AGENT = "edgefax-gateway";

const token = (bytes = 8) => randomBytes(bytes).toString("hex");
/** §8.1.1.7: branch IDs start with the magic cookie z9hG4bK. */
const newBranch = () => `z9hG4bK${token(8)}`;

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

export interface OutgoingCall {
  /** Final outcome: a confirmed dialog, or the failure status (408 for Timer B). */
  result: Promise<{ ok: true; dialog: Dialog; response: SipResponse } | { ok: false; status: number; reason: string; response?: SipResponse }>;
  /** CANCEL (§9.1) before a final answer. */
  cancel(): void;
}

export class UserAgent {
  readonly timers: SipTimers;
  private clients = new Map<string, ClientTransaction>();
  private servers = new Map<string, ServerTransaction>();
  private dialogs = new Map<string, Dialog>();
  private inviteHandler: ((invite: IncomingInvite) => void) | undefined;
  private cancelHandlers = new Map<string, () => void>();
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

  /** UAC: start a call (§13.2.1). */
  invite(opts: { target: string; sdp: string; from?: string; headers?: SipHeaders; onProvisional?: (res: SipResponse) => void }): OutgoingCall {
    const callId = `${token(12)}@${this.address}`;
    const localTag = token(6);
    const localUri = opts.from ?? `sip:${this.options.user ?? "edgefax"}@${this.address}`;
    let seq = 1;
    const build = (branch: string): SipRequest => ({
      kind: "request",
      method: "INVITE",
      uri: opts.target,
      headers: [
        ["Via", this.via(branch)],
        ["Max-Forwards", "70"],
        ["From", `<${localUri}>;tag=${localTag}`],
        ["To", `<${opts.target}>`],
        ["Call-ID", callId],
        ["CSeq", `${seq} INVITE`],
        ["Contact", this.contact()],
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
    const to = this.destinationFor(opts.target);
    let giveUp: (res: SipResponse) => void = () => undefined;
    const abandoned = new Promise<SipResponse>((resolve) => (giveUp = resolve));
    const sendCancel = () => {
      if (cancelled || !to) return;
      cancelled = true;
      // §9.1: no final response 64*T1 after the CANCEL: consider the INVITE transaction cancelled.
      const timerB = setTimeout(() => {
        const branch = viaBranch(current);
        if (branch) this.clients.get(transactionKey(branch, "INVITE"))?.terminate();
        giveUp({ kind: "response", status: 487, reason: "Request Terminated", headers: [["CSeq", getHeader(current, "CSeq") ?? ""]], body: "" });
      }, 64 * this.timers.T1);
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
      void this.sendRequest(cancel, to);
    };
    const result: OutgoingCall["result"] = (async () => {
      if (!to) return { ok: false as const, status: 416, reason: "Unsupported URI Scheme" };
      const sent = this.sendRequest(
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
        const dialog = this.dialogFromResponse(res, callId, localTag, localUri, opts.target, seq, to);
        const ack = dialog.buildRequest("ACK", "", undefined, seq);
        dialog.lastAck = ack;
        this.sendRaw(ack, dialog.peer);
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

  private dialogFromResponse(res: SipResponse, callId: string, localTag: string, localUri: string, remoteUri: string, seq: number, fallback: Destination): Dialog {
    const remoteTag = headerParam(getHeader(res, "To"), "tag") ?? "";
    const contact = nameAddrUri(getHeader(res, "Contact")) ?? remoteUri;
    // §12.1.2: the UAC's route set is the Record-Route list in reverse order.
    const routes = getHeaders(res, "Record-Route").reverse();
    const peer = this.options.outboundProxy ?? this.routeDestination(routes, contact) ?? fallback;
    const d = new Dialog(this, callId, localTag, remoteTag, localUri, remoteUri, contact, routes, seq, undefined, peer);
    this.dialogs.set(d.id, d);
    return d;
  }

  private routeDestination(routes: string[], target: string): Destination | undefined {
    const first = routes[0] ? nameAddrUri(routes[0]) : target;
    const u = first ? parseSipUri(first) : undefined;
    if (!u) return undefined;
    return { address: u.host === "localhost" ? "127.0.0.1" : u.host, port: u.port ?? 5060 };
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
      if (req.method === "OPTIONS") return respond(200, { headers: this.capabilities() });
      if (!d.dispatch(req, dialogRespond)) respond(req.method === "INVITE" ? 488 : 200);
      return;
    }
    switch (req.method) {
      case "OPTIONS":
        return respond(200, { headers: this.capabilities() });
      case "BYE":
        return respond(481);
      case "INVITE":
        return this.onInitialInvite(req, source, tx);
    }
  }

  private capabilities(): SipHeaders {
    return [
      ["Allow", ALLOWED_METHODS.join(", ")],
      ["Accept", "application/sdp"],
      ["User-Agent", USER_AGENT],
    ];
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

  private onInitialInvite(req: SipRequest, source: Destination, tx: ServerTransaction): void {
    const localTag = token(6);
    const trying = () => tx.respond(buildResponse(req, 100));
    trying(); // §17.2.1: 100 Trying at once stops the caller's Timer A retransmissions.
    if (!this.inviteHandler) {
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
    this.cancelHandlers.set(tx.key, () => cancelHandler?.());
    const invite: IncomingInvite = {
      request: req,
      source,
      ringing: () => tx.respond(buildResponse(req, 180, { toTag: localTag, headers: [["Contact", this.contact()]] })),
      accept: (sdp: string) => {
        // §12.1.1: the UAS's route set is the Record-Route list in order; the remote target is Contact.
        const routes = getHeaders(req, "Record-Route");
        const target = remoteContact ?? nameAddrUri(getHeader(req, "From")) ?? req.uri;
        const peer = this.routeDestination(routes, target) ?? source;
        const d = new Dialog(
          this,
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
        this.dialogs.set(d.id, d);
        tx.respond(
          buildResponse(req, 200, {
            toTag: localTag,
            body: sdp,
            headers: [["Contact", this.contact()], ["Content-Type", "application/sdp"], ...this.capabilities()],
          }),
        );
        this.cancelHandlers.delete(tx.key);
        return d;
      },
      reject: (status: number, reason?: string) => {
        this.cancelHandlers.delete(tx.key);
        tx.respond(buildResponse(req, status, { toTag: localTag, ...(reason ? { reason } : {}) }));
      },
      onCancel: (h) => {
        cancelHandler = h;
      },
    };
    this.inviteHandler(invite);
  }
}

function buildTimeout(req: SipRequest): SipResponse {
  // §8.1.3.1: a transaction timeout is treated as a 408.
  return { kind: "response", status: 408, reason: "Request Timeout", headers: [["CSeq", getHeader(req, "CSeq") ?? ""]], body: "" };
}

/**
 * SIP transactions over UDP, RFC 3261 §17 with the RFC 6026 "Accepted" state for INVITE 2xx.
 * Timers (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2, Table 4): A/B (INVITE client retransmit/timeout),
 * D, E/F (non-INVITE client), G/H/I (INVITE server non-2xx), J, K; RFC 6026 L and M.
 */
import type { SipMessage, SipRequest, SipResponse } from "./message.js";
import { getHeader, getHeaders, viaBranch } from "./message.js";

export interface SipTimers {
  /** RTT estimate, 500 ms by default (§17.1.1.1). */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s. */
  T2: number;
  /** Maximum duration a message remains in the network, 5 s. */
  T4: number;
}

export const DEFAULT_TIMERS: SipTimers = { T1: 500, T2: 4000, T4: 5000 };

export interface Destination {
  address: string;
  port: number;
}

export type SendFn = (message: SipMessage, to: Destination) => void;

/** RFC 3261 §17.1.3 / §17.2.3: transactions are matched by the top Via branch and the CSeq method. */
export function transactionKey(branch: string, method: string): string {
  return `${branch}|${method === "ACK" ? "INVITE" : method}`;
}

/** §17.1.1.3: the ACK for a non-2xx final response is part of the INVITE transaction. */
function ackForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const cseq = getHeader(invite, "CSeq")!.split(/\s+/)[0];
  const headers: SipRequest["headers"] = [
    ["Via", getHeaders(invite, "Via")[0]!],
    ["Max-Forwards", "70"],
    ["From", getHeader(invite, "From")!],
    ["To", getHeader(response, "To")!],
    ["Call-ID", getHeader(invite, "Call-ID")!],
    ["CSeq", `${cseq} ACK`],
  ];
  for (const r of getHeaders(invite, "Route")) headers.push(["Route", r]);
  return { kind: "request", method: "ACK", uri: invite.uri, headers, body: "" };
}

export class ClientTransaction {
  readonly key: string;
  private state: "calling" | "proceeding" | "completed" | "accepted" | "terminated" = "calling";
  private timers: ReturnType<typeof setTimeout>[] = [];
  private interval: number;
  private finalSeen = false;

  constructor(
    readonly request: SipRequest,
    private readonly to: Destination,
    private readonly send: SendFn,
    private readonly t: SipTimers,
    private readonly onResponse: (res: SipResponse, retransmission: boolean) => void,
    private readonly onTimeout: () => void,
    private readonly onTerminated: () => void,
  ) {
    this.key = transactionKey(viaBranch(request)!, request.method);
    this.interval = t.T1;
    this.send(request, to);
    const isInvite = request.method === "INVITE";
    // Timer A (INVITE) / E (non-INVITE): retransmit, doubling; Timer B / F: give up after 64*T1.
    this.schedule(this.t.T1, () => this.retransmit());
    this.schedule(64 * this.t.T1, () => {
      if (this.state === "calling" || (!isInvite && this.state === "proceeding")) {
        this.terminate();
        this.onTimeout();
      }
    });
  }

  get isInvite(): boolean {
    return this.request.method === "INVITE";
  }

  private schedule(ms: number, fn: () => void): void {
    const h = setTimeout(fn, ms);
    h.unref?.();
    this.timers.push(h);
  }

  private retransmit(): void {
    if (this.state !== "calling" && !(this.state === "proceeding" && !this.isInvite)) return;
    this.send(this.request, this.to);
    // §17.1.2.2: non-INVITE intervals cap at T2 (and are T2 once a provisional arrived).
    this.interval = this.isInvite ? this.interval * 2 : Math.min(this.interval * 2, this.t.T2);
    if (!this.isInvite && this.state === "proceeding") this.interval = this.t.T2;
    this.schedule(this.interval, () => this.retransmit());
  }

  receive(res: SipResponse): void {
    if (this.state === "terminated") return;
    if (res.status < 200) {
      if (this.state === "calling" || this.state === "proceeding") {
        this.state = "proceeding";
        this.onResponse(res, false);
      }
      return;
    }
    const retransmission = this.finalSeen;
    this.finalSeen = true;
    if (this.isInvite) {
      if (res.status < 300) {
        // RFC 6026 §7.2: Accepted; 2xx retransmissions go to the TU, which re-sends its ACK. Timer M.
        if (this.state !== "accepted") {
          this.state = "accepted";
          this.schedule(64 * this.t.T1, () => this.terminate());
        }
        this.onResponse(res, retransmission);
        return;
      }
      this.send(ackForNon2xx(this.request, res), this.to);
      if (this.state !== "completed") {
        this.state = "completed";
        // Timer D: at least 32 s over UDP (§17.1.1.2), to absorb retransmitted finals; shorter only with test timers.
        this.schedule(Math.min(32_000, 64 * this.t.T1), () => this.terminate());
        this.onResponse(res, false);
      }
      return;
    }
    if (this.state === "completed") return;
    this.state = "completed";
    this.schedule(this.t.T4, () => this.terminate()); // Timer K
    this.onResponse(res, retransmission);
  }

  terminate(): void {
    if (this.state === "terminated") return;
    this.state = "terminated";
    for (const h of this.timers) clearTimeout(h);
    this.timers = [];
    this.onTerminated();
  }
}

export class ServerTransaction {
  readonly key: string;
  private state: "trying" | "proceeding" | "completed" | "confirmed" | "accepted" | "terminated" = "trying";
  private last: SipResponse | undefined;
  private timers: ReturnType<typeof setTimeout>[] = [];

  constructor(
    readonly request: SipRequest,
    private readonly from: Destination,
    private readonly send: SendFn,
    private readonly t: SipTimers,
    private readonly onTerminated: () => void,
    /** INVITE only: no ACK came for our final response (Timer H, or 64*T1 of 2xx retransmission). */
    private readonly onAckTimeout: (final: SipResponse) => void = () => {},
  ) {
    this.key = transactionKey(viaBranch(request)!, request.method);
  }

  get isInvite(): boolean {
    return this.request.method === "INVITE";
  }

  get finalSent(): boolean {
    return this.state !== "trying" && this.state !== "proceeding";
  }

  private schedule(ms: number, fn: () => void): void {
    const h = setTimeout(fn, ms);
    h.unref?.();
    this.timers.push(h);
  }

  respond(res: SipResponse): void {
    if (this.finalSent) return;
    this.last = res;
    this.send(res, this.from);
    if (res.status < 200) {
      this.state = "proceeding";
      return;
    }
    if (!this.isInvite) {
      this.state = "completed";
      this.schedule(64 * this.t.T1, () => this.terminate()); // Timer J
      return;
    }
    // INVITE: Timer G retransmits the final response until the ACK (§17.2.1); for 2xx the UAS core
    // does the same (§13.3.1.4), which RFC 6026 places in the Accepted state. Timer H / L: 64*T1.
    this.state = res.status < 300 ? "accepted" : "completed";
    let interval = this.t.T1;
    const retransmit = () => {
      if (this.state !== "completed" && this.state !== "accepted") return;
      this.send(res, this.from);
      interval = Math.min(interval * 2, this.t.T2);
      this.schedule(interval, retransmit);
    };
    this.schedule(interval, retransmit);
    this.schedule(64 * this.t.T1, () => {
      if (this.state === "completed" || this.state === "accepted") {
        this.terminate();
        this.onAckTimeout(res);
      }
    });
  }

  /** A retransmitted request: answer with the last response again (§17.2.1, §17.2.2). */
  retransmission(): void {
    if (this.last && this.state !== "terminated" && this.state !== "confirmed") this.send(this.last, this.from);
  }

  /** The ACK for our final response arrived; true when it is the first ACK for a 2xx (the one the TU wants, §13.3.1.4). */
  ack(): boolean {
    if (this.state === "completed") {
      this.state = "confirmed";
      this.schedule(this.t.T4, () => this.terminate()); // Timer I
    } else if (this.state === "accepted") {
      this.terminate();
      return true;
    }
    return false;
  }

  terminate(): void {
    if (this.state === "terminated") return;
    this.state = "terminated";
    for (const h of this.timers) clearTimeout(h);
    this.timers = [];
    this.onTerminated();
  }
}

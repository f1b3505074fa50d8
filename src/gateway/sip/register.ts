/**
 * Registration (RFC 3261 §10.2): bind our Contact to an address-of-record at a registrar, answer its
 * 401/407 digest challenge (§22.2, via the user agent's challenge handling), refresh before the granted
 * interval runs out (§10.2.4), and remove the binding (Expires: 0, §10.2.2) when we stop.
 */
import { getHeader, getHeaders, headerParam, nameAddrUri, parseSipUri, splitHeaderList, type SipRequest, type SipResponse } from "./message.js";
import { authorizationHeader, parseChallenge, type DigestChallenge, type DigestCredentials } from "./digest.js";
import type { Destination } from "./transaction.js";
import type { UserAgent } from "./ua.js";

export interface RegisterOptions {
  /** HOST:PORT of the registrar (an IP address: the user agent does no DNS). */
  registrar: string;
  /** The address-of-record, sip:user@domain (To and From of the REGISTER, §10.2). */
  aor: string;
  username?: string;
  password?: string;
  /** Seconds asked for (§10.2.1.1); the registrar may grant less. Default 3600. */
  expires?: number;
  /** A refresh failed; it is tried again after a backoff (5 s doubling to 5 min). */
  onRefreshError?: (err: RegistrationError) => void;
  /** Test hook: how the refresh is scheduled (default: an unref'd setTimeout). */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
}

/** A REGISTER the registrar did not accept: `status` is its final response (408 for no answer at all). */
export class RegistrationError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly aor: string,
  ) {
    super(`REGISTER of ${aor} failed: SIP ${status} ${reason}`);
    this.name = "RegistrationError";
  }
}

const DEFAULT_EXPIRES = 3600;
const REFRESH_BACKOFF_MS = [5_000, 10_000, 30_000, 60_000, 300_000];

const defaultSchedule = (fn: () => void, ms: number) => {
  const h = setTimeout(fn, ms);
  h.unref();
  return { cancel: () => clearTimeout(h) };
};

/** §10.2.4: refresh well before the binding lapses: at 85% of the interval granted. */
export function refreshDelayMs(grantedSeconds: number): number {
  return Math.max(500, Math.floor(grantedSeconds * 850));
}

function parseRegistrar(registrar: string): Destination {
  const m = registrar.match(/^([^:\s]+):(\d{1,5})$/);
  if (!m) throw new Error(`registrar must be HOST:PORT, not ${JSON.stringify(registrar)}`);
  return { address: m[1] === "localhost" ? "127.0.0.1" : m[1]!, port: Number(m[2]) };
}

export class Registration {
  /** Seconds granted by the last successful REGISTER; 0 before the first and after unregistering. */
  expires = 0;
  private readonly to: Destination;
  private readonly requestUri: string;
  private readonly callId: string;
  private readonly fromTag: string;
  private readonly credentials: DigestCredentials | undefined;
  private readonly schedule: NonNullable<RegisterOptions["schedule"]>;
  /** §10.2.4: every REGISTER to this registrar uses the same Call-ID and a rising CSeq. */
  private cseq = 0;
  private timer: { cancel(): void } | undefined;
  private failures = 0;
  private challenge: { header: "Authorization" | "Proxy-Authorization"; value: DigestChallenge; nc: number } | undefined;
  private stopped = false;

  constructor(
    private readonly ua: UserAgent,
    private readonly opts: RegisterOptions,
  ) {
    this.to = parseRegistrar(opts.registrar);
    const aor = parseSipUri(opts.aor);
    if (!aor) throw new Error(`aor must be a SIP URI, not ${JSON.stringify(opts.aor)}`);
    // §10.2: the Request-URI names the domain of the location service, without user part.
    this.requestUri = `${aor.scheme}:${aor.host}${aor.port ? `:${aor.port}` : ""}`;
    this.callId = `${ua.token(12)}@${ua.address}`;
    this.fromTag = ua.token(6);
    this.credentials = opts.username !== undefined && opts.password !== undefined ? { username: opts.username, password: opts.password } : undefined;
    this.schedule = opts.schedule ?? defaultSchedule;
  }

  get aor(): string {
    return this.opts.aor;
  }

  private build(expires: number, authorization?: [string, string]): SipRequest {
    return {
      kind: "request",
      method: "REGISTER",
      uri: this.requestUri,
      headers: [
        ["Via", this.ua.via(this.ua.newBranch())],
        ["Max-Forwards", "70"],
        ["From", `<${this.opts.aor}>;tag=${this.fromTag}`],
        ["To", `<${this.opts.aor}>`],
        ["Call-ID", this.callId],
        ["CSeq", `${++this.cseq} REGISTER`],
        ["Contact", this.ua.contact()],
        ["Expires", String(expires)],
        ["User-Agent", "edgefax-gateway"],
        ...(authorization ? [authorization] : []),
      ],
      body: "",
    };
  }

  private async send(expires: number): Promise<SipResponse> {
    const req = this.build(expires);
    return this.ua.sendRequest(
      req,
      this.to,
      undefined,
      (_retry, seq, challenged) => {
        this.cseq = seq;
        const proxy = challenged.status === 407;
        const value = parseChallenge(getHeader(challenged, proxy ? "Proxy-Authenticate" : "WWW-Authenticate"));
        if (value) this.challenge = { header: proxy ? "Proxy-Authorization" : "Authorization", value, nc: 1 };
      },
      this.credentials,
    );
  }

  /** REGISTER now; resolves with the seconds granted and schedules the next refresh. */
  async refresh(): Promise<number> {
    this.timer?.cancel();
    let asked = this.opts.expires ?? DEFAULT_EXPIRES;
    let res = await this.send(asked);
    // §10.2.8: 423 Interval Too Brief names the shortest interval the registrar accepts.
    const minExpires = Number(getHeader(res, "Min-Expires"));
    if (res.status === 423 && Number.isInteger(minExpires) && minExpires > asked) {
      asked = minExpires;
      res = await this.send(asked);
    }
    if (this.stopped) return 0;
    if (res.status < 200 || res.status >= 300) throw new RegistrationError(res.status, res.reason, this.opts.aor);
    this.expires = this.granted(res, asked);
    this.failures = 0;
    this.timer = this.schedule(() => void this.refreshInBackground(), refreshDelayMs(this.expires));
    return this.expires;
  }

  private async refreshInBackground(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.refresh();
    } catch (err) {
      if (this.stopped) return;
      const e = err instanceof RegistrationError ? err : new RegistrationError(500, (err as Error).message, this.opts.aor);
      this.opts.onRefreshError?.(e);
      const delay = REFRESH_BACKOFF_MS[Math.min(this.failures++, REFRESH_BACKOFF_MS.length - 1)]!;
      this.timer = this.schedule(() => void this.refreshInBackground(), delay);
    }
  }

  /** §10.2.4: our binding's expires param in the 200's Contact list, else its Expires header, else what we asked. */
  private granted(res: SipResponse, asked: number): number {
    const ours = nameAddrUri(this.ua.contact());
    const contacts = getHeaders(res, "Contact").flatMap(splitHeaderList);
    const mine = contacts.find((c) => nameAddrUri(c) === ours) ?? (contacts.length === 1 ? contacts[0] : undefined);
    for (const v of [headerParam(mine, "expires"), getHeader(res, "Expires")]) {
      const n = Number(v);
      if (v !== undefined && v.trim() !== "" && Number.isInteger(n) && n >= 0) return n;
    }
    return asked;
  }

  /** Remove our binding (§10.2.2: Expires: 0) and stop refreshing. */
  async unregister(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.ua.forgetRegistration(this);
    if (this.expires === 0) return;
    const res = await this.send(0);
    this.expires = 0;
    if (res.status < 200 || res.status >= 300) throw new RegistrationError(res.status, res.reason, this.opts.aor);
  }

  /**
   * @internal The user agent is closing: the unregister request to send as one datagram, no transaction
   * (the socket is about to go). It carries credentials for the registrar's last challenge (RFC 7616 §3.4: the next nonce count),
   * as there will be no chance to answer a new one.
   */
  unregisterNow(): { request: SipRequest; to: Destination } | undefined {
    this.stopped = true;
    this.timer?.cancel();
    if (this.expires === 0) return undefined;
    this.expires = 0;
    let auth: [string, string] | undefined;
    if (this.challenge && this.credentials) {
      const c = this.challenge;
      try {
        auth = [c.header, authorizationHeader({ challenge: c.value, credentials: this.credentials, method: "REGISTER", uri: this.requestUri, nc: ++c.nc })];
      } catch {
        auth = undefined;
      }
    }
    return { request: this.build(0, auth), to: this.to };
  }
}

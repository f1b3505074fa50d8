/**
 * SIP messages, RFC 3261 §7 and the grammar of §25, tolerant in what it accepts (§7.3.1 folding,
 * compact header names, §20 multi-value Via) and never throwing: a datagram that is not a usable SIP
 * message comes back as an error, with enough of the request (if any) to answer 400 (§8.2.2, §21.4.1).
 */

export type SipHeaders = Array<[name: string, value: string]>;

export interface SipRequest {
  kind: "request";
  method: string;
  uri: string;
  headers: SipHeaders;
  body: string;
}

export interface SipResponse {
  kind: "response";
  status: number;
  reason: string;
  headers: SipHeaders;
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §7.3.3 compact forms. */
const COMPACT: Record<string, string> = {
  v: "Via",
  f: "From",
  t: "To",
  i: "Call-ID",
  m: "Contact",
  l: "Content-Length",
  c: "Content-Type",
  k: "Supported",
  s: "Subject",
  e: "Content-Encoding",
};

const CANONICAL: Record<string, string> = Object.fromEntries(
  ["Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Length", "Content-Type", "Max-Forwards", "Allow",
    "Supported", "User-Agent", "Record-Route", "Route", "WWW-Authenticate", "Proxy-Authenticate", "Authorization",
    "Proxy-Authorization", "Expires", "Server", "Accept", "Require", "Unsupported"].map((h) => [h.toLowerCase(), h]),
);

export function canonicalHeaderName(name: string): string {
  const n = name.trim();
  if (n.length === 1) return COMPACT[n.toLowerCase()] ?? n;
  return CANONICAL[n.toLowerCase()] ?? n;
}

export function getHeader(m: { headers: SipHeaders }, name: string): string | undefined {
  const lower = name.toLowerCase();
  return m.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function getHeaders(m: { headers: SipHeaders }, name: string): string[] {
  const lower = name.toLowerCase();
  return m.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** Split on commas outside quotes and angle brackets (RFC 3261 §7.3.1: combined header values). */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== "\\") quoted = !quoted;
    else if (!quoted && ch === "<") depth++;
    else if (!quoted && ch === ">") depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === ",") {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** Headers whose comma-separated values are separate entries we need one by one (RFC 3261 §7.3.1). */
const LIST_HEADERS = new Set(["via", "route", "record-route"]);

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string | undefined): CSeq | undefined {
  const m = value?.trim().match(/^(\d{1,10})\s+([A-Za-z!%*_+`'~.-]+)$/);
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) return undefined; // §8.1.1.5: CSeq is less than 2**31
  return { seq, method: m[2]!.toUpperCase() };
}

export type ParseResult =
  | { ok: true; message: SipMessage }
  | { ok: false; reason: string; request?: SipRequest };

const TOKEN = /^[A-Za-z0-9!%*_+`'~.-]+$/;

/**
 * Parse one datagram (RFC 3261 §18.3: over UDP the datagram is the message; Content-Length, if
 * present, bounds the body and a shorter body makes the message malformed).
 */
export function parseSipMessage(input: Uint8Array | string): ParseResult {
  const text = typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1");
  let headEnd = text.indexOf("\r\n\r\n");
  let sepLen = 4;
  if (headEnd < 0) {
    headEnd = text.indexOf("\n\n");
    sepLen = 2;
  }
  if (headEnd < 0) {
    headEnd = text.length;
    sepLen = 0;
  }
  // §7.5: skip leading CRLFs (keep-alives).
  const head = text.slice(0, headEnd).replace(/^(\r?\n)+/, "");
  const rawLines = head.split(/\r?\n/);
  const startLine = rawLines.shift() ?? "";
  const lines: string[] = [];
  for (const line of rawLines) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && lines.length > 0) lines[lines.length - 1] += " " + line.trim();
    else lines.push(line);
  }
  const headers: SipHeaders = [];
  let headerError: string | undefined;
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim() : "";
    if (!name || !TOKEN.test(name)) {
      headerError = "malformed header line";
      continue;
    }
    const canonical = canonicalHeaderName(name);
    const value = line.slice(colon + 1).trim();
    if (LIST_HEADERS.has(canonical.toLowerCase())) for (const v of splitHeaderList(value)) headers.push([canonical, v]);
    else headers.push([canonical, value]);
  }
  let body = sepLen > 0 ? text.slice(headEnd + sepLen) : "";

  const req = startLine.match(/^([A-Za-z!%*_+`'~.-]+) (\S+) SIP\/2\.0$/);
  const res = startLine.match(/^SIP\/2\.0 (\d{3}) ?(.*)$/);
  if (!req && !res) return { ok: false, reason: "bad start line" };
  const partial: SipRequest | undefined = req ? { kind: "request", method: req[1]!.toUpperCase(), uri: req[2]!, headers, body: "" } : undefined;
  const fail = (reason: string): ParseResult => (partial ? { ok: false, reason, request: partial } : { ok: false, reason });

  if (headerError) return fail(headerError);
  const lengthHeader = getHeader({ headers }, "Content-Length");
  if (lengthHeader !== undefined) {
    if (!/^\d{1,7}$/.test(lengthHeader)) return fail("bad Content-Length");
    const length = Number(lengthHeader);
    const bodyBytes = Buffer.byteLength(body, "latin1");
    if (bodyBytes < length) return fail("body shorter than Content-Length");
    body = body.slice(0, length);
  }
  // §8.1.1: the mandatory headers.
  for (const h of ["Via", "From", "To", "Call-ID", "CSeq"]) {
    if (!getHeader({ headers }, h)) return fail(`missing ${h}`);
  }
  const cseq = parseCSeq(getHeader({ headers }, "CSeq"));
  if (!cseq) return fail("bad CSeq");
  if (req) {
    const method = req[1]!.toUpperCase();
    if (cseq.method !== method) return fail("CSeq method does not match");
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(req[2]!)) return fail("bad Request-URI");
    return { ok: true, message: { kind: "request", method, uri: req[2]!, headers, body } };
  }
  const status = Number(res![1]);
  if (status < 100 || status > 699) return { ok: false, reason: "bad status code" };
  return { ok: true, message: { kind: "response", status, reason: res![2] ?? "", headers, body } };
}

export function serializeSipMessage(m: SipMessage): Buffer {
  const start = m.kind === "request" ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [start];
  for (const [n, v] of m.headers) if (n.toLowerCase() !== "content-length") lines.push(`${n}: ${v}`);
  lines.push(`Content-Length: ${Buffer.byteLength(m.body, "latin1")}`);
  return Buffer.from(lines.join("\r\n") + "\r\n\r\n" + m.body, "latin1");
}

/** A `;name=value` parameter of a header value (outside the <URI>), e.g. tag (§19.3) or branch (§8.1.1.7). */
export function headerParam(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const close = value.lastIndexOf(">");
  const params = (close >= 0 ? value.slice(close + 1) : value).split(";").slice(1);
  for (const p of params) {
    const eq = p.indexOf("=");
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (key === name.toLowerCase()) return eq < 0 ? "" : p.slice(eq + 1).trim();
  }
  return undefined;
}

/** The URI of a name-addr or addr-spec (From, To, Contact, Route; §20.10). */
export function nameAddrUri(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const lt = value.indexOf("<");
  if (lt >= 0) {
    const gt = value.indexOf(">", lt);
    return gt > lt ? value.slice(lt + 1, gt) : undefined;
  }
  return value.split(";")[0]!.trim();
}

export interface SipUri {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}

/** RFC 3261 §19.1.1 SIP-URI, enough to route: user, host, port and ;transport/;maddr/;lr params. */
export function parseSipUri(uri: string): SipUri | undefined {
  const m = uri.match(/^(sips?):(?:([^@;]+)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d{1,5}))?((?:;[^?]*)?)(?:\?.*)?$/i);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[5] ?? "").split(";").slice(1)) {
    const [k, v] = p.split("=");
    if (k) params[k.toLowerCase()] = v ?? "";
  }
  const port = m[4] ? Number(m[4]) : undefined;
  if (port !== undefined && port > 65535) return undefined;
  const u: SipUri = { scheme: m[1]!.toLowerCase(), host: m[3]!, params };
  if (m[2]) u.user = m[2];
  if (port !== undefined) u.port = port;
  return u;
}

/** The top Via's address to answer to, RFC 3261 §18.2.2 with RFC 3581 received/rport. */
export function viaBranch(m: { headers: SipHeaders }): string | undefined {
  return headerParam(getHeader(m, "Via"), "branch");
}

export const REASON_PHRASES: Record<number, string> = {
  100: "Trying",
  180: "Ringing",
  183: "Session Progress",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  415: "Unsupported Media Type",
  481: "Call/Transaction Does Not Exist",
  486: "Busy Here",
  487: "Request Terminated",
  488: "Not Acceptable Here",
  491: "Request Pending",
  500: "Server Internal Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  603: "Decline",
};

/** §8.2.6.2: a response copies Via, From, To (adding our tag), Call-ID and CSeq from the request. */
export function buildResponse(req: SipRequest, status: number, opts: { toTag?: string; headers?: SipHeaders; body?: string; reason?: string } = {}): SipResponse {
  const headers: SipHeaders = [];
  for (const v of getHeaders(req, "Via")) headers.push(["Via", v]);
  let to = getHeader(req, "To") ?? "";
  if (opts.toTag && headerParam(to, "tag") === undefined && status !== 100) to += `;tag=${opts.toTag}`;
  headers.push(["From", getHeader(req, "From") ?? ""], ["To", to], ["Call-ID", getHeader(req, "Call-ID") ?? ""], ["CSeq", getHeader(req, "CSeq") ?? ""]);
  if (status >= 180 && status < 300) for (const rr of getHeaders(req, "Record-Route")) headers.push(["Record-Route", rr]);
  headers.push(...(opts.headers ?? []));
  return { kind: "response", status, reason: opts.reason ?? REASON_PHRASES[status] ?? "Unknown", headers, body: opts.body ?? "" };
}

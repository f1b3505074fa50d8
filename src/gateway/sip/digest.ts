/**
 * HTTP Digest authentication for SIP (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 7616 §3.4 with MD5):
 * answering a carrier trunk's 401 WWW-Authenticate / 407 Proxy-Authenticate challenge.
 */
import { createHash, randomBytes } from "node:crypto";

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: string;
  qop?: string[];
  stale?: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

/** Parse `Digest realm="..", nonce="..", qop="auth,auth-int", ...` (RFC 7616 §3.3). */
export function parseChallenge(header: string | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const m = header.match(/^\s*Digest\s+(.*)$/is);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let p = re.exec(m[1]!); p; p = re.exec(m[1]!)) params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? "";
  if (params.realm === undefined || params.nonce === undefined) return undefined;
  const c: DigestChallenge = { realm: params.realm, nonce: params.nonce, algorithm: params.algorithm ?? "MD5" };
  if (params.opaque !== undefined) c.opaque = params.opaque;
  if (params.qop !== undefined) c.qop = params.qop.split(",").map((q) => q.trim().toLowerCase());
  if (params.stale !== undefined) c.stale = params.stale.toLowerCase() === "true";
  return c;
}

export interface DigestResponseInput {
  challenge: DigestChallenge;
  credentials: DigestCredentials;
  method: string;
  uri: string;
  nc?: number;
  cnonce?: string;
}

/** RFC 2617 §3.2.2.1: request-digest = KD(H(A1), nonce:nc:cnonce:qop:H(A2)) or KD(H(A1), nonce:H(A2)). */
export function digestResponse(i: DigestResponseInput): { response: string; nc: string; cnonce: string; qop?: string } {
  const c = i.challenge;
  const cnonce = i.cnonce ?? randomBytes(8).toString("hex");
  const nc = (i.nc ?? 1).toString(16).padStart(8, "0");
  let ha1 = md5(`${i.credentials.username}:${c.realm}:${i.credentials.password}`);
  if (c.algorithm.toUpperCase() === "MD5-SESS") ha1 = md5(`${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = md5(`${i.method}:${i.uri}`);
  if (c.qop?.includes("auth")) {
    return { response: md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`), nc, cnonce, qop: "auth" };
  }
  return { response: md5(`${ha1}:${c.nonce}:${ha2}`), nc, cnonce };
}

/** The Authorization / Proxy-Authorization header value answering `challenge`. */
export function authorizationHeader(i: DigestResponseInput): string {
  const c = i.challenge;
  if (!["MD5", "MD5-SESS"].includes(c.algorithm.toUpperCase())) throw new Error(`unsupported digest algorithm ${c.algorithm}`);
  const r = digestResponse(i);
  const parts = [
    `username="${i.credentials.username}"`,
    `realm="${c.realm}"`,
    `nonce="${c.nonce}"`,
    `uri="${i.uri}"`,
    `response="${r.response}"`,
    `algorithm=${c.algorithm}`,
  ];
  if (r.qop) parts.push(`qop=${r.qop}`, `nc=${r.nc}`, `cnonce="${r.cnonce}"`);
  if (c.opaque !== undefined) parts.push(`opaque="${c.opaque}"`);
  return `Digest ${parts.join(", ")}`;
}

/** Server side (for tests and for a trunk that must authenticate to us): check an Authorization header. */
export function verifyAuthorization(header: string | undefined, method: string, credentials: DigestCredentials, realm: string, nonce: string): boolean {
  const m = header?.match(/^\s*Digest\s+(.*)$/is);
  if (!m) return false;
  const p: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let x = re.exec(m[1]!); x; x = re.exec(m[1]!)) p[x[1]!.toLowerCase()] = x[2] ?? x[3] ?? "";
  if (p.username !== credentials.username || p.realm !== realm || p.nonce !== nonce || !p.uri) return false;
  const challenge: DigestChallenge = { realm, nonce, algorithm: p.algorithm ?? "MD5" };
  if (p.qop) challenge.qop = [p.qop];
  const expected = digestResponse({ challenge, credentials, method, uri: p.uri, nc: Number.parseInt(p.nc ?? "1", 16), cnonce: p.cnonce ?? "" });
  return expected.response === p.response;
}

// A registrar of our own over loopback UDP for the REGISTER tests (RFC 3261 §10.3 with a §22 digest challenge).
import { createSocket, type Socket } from "node:dgram";
import { buildResponse, getHeader, parseSipMessage, serializeSipMessage, type SipRequest } from "../../src/gateway/sip/message.js";
import { verifyAuthorization } from "../../src/gateway/sip/digest.js";

export const CREDS = { username: "alice", password: "s3cret" };
const REALM = "example.com";
const NONCE = "c0ffee1234";

export interface Registrar {
  port: number;
  requests: Array<{ req: SipRequest; verified: boolean | null }>;
  /** Resolves once `n` REGISTERs have arrived. */
  received(n: number): Promise<void>;
  close(): void;
}

/** 503 to the first `unavailableFirst`; 401 with a nonce to any REGISTER without credentials; 200 with `;expires=` to one whose digest verifies, else `refuse`. */
export async function registrar(opts: { grant?: number; refuse?: number; unavailableFirst?: number } = {}): Promise<Registrar> {
  const socket: Socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  const requests: Registrar["requests"] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  socket.on("message", (msg, rinfo) => {
    const parsed = parseSipMessage(msg);
    if (!parsed.ok || parsed.message.kind !== "request") return;
    const req = parsed.message;
    const auth = getHeader(req, "Authorization");
    const verified = auth ? verifyAuthorization(auth, "REGISTER", CREDS, REALM, NONCE) : null;
    requests.push({ req, verified });
    for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
    let res;
    if (requests.length <= (opts.unavailableFirst ?? 0)) res = buildResponse(req, 503, { toTag: "r1" });
    else if (verified === null) res = buildResponse(req, 401, { toTag: "r1", headers: [["WWW-Authenticate", `Digest realm="${REALM}", nonce="${NONCE}", qop="auth", algorithm=MD5`]] });
    else if (!verified || opts.refuse) res = buildResponse(req, opts.refuse ?? 403, { toTag: "r1" });
    else {
      const expires = getHeader(req, "Expires") === "0" ? 0 : (opts.grant ?? 60);
      res = buildResponse(req, 200, { toTag: "r1", headers: [["Contact", `${getHeader(req, "Contact")};expires=${expires}`], ["Expires", "7200"]] });
    }
    socket.send(serializeSipMessage(res), rinfo.port, rinfo.address);
  });
  return {
    port: socket.address().port,
    requests,
    received: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => socket.close(),
  };
}


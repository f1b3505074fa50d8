// SIP message parsing (RFC 3261 §7, §25) and digest authentication (RFC 2617 §3.5's worked example).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { getHeader, getHeaders, headerParam, parseSipMessage, parseSipUri, serializeSipMessage } from "../../src/gateway/sip/message.js";
import { authorizationHeader, digestResponse, parseChallenge, verifyAuthorization } from "../../src/gateway/sip/digest.js";

const invite = [
  "INVITE sip:15551234@127.0.0.1:5060 SIP/2.0",
  "v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKold",
  "Max-Forwards: 70",
  "To: <sip:15551234@127.0.0.1>",
  "f: \"Fax, Inc\" <sip:caller@127.0.0.1>;tag=1928301774",
  "i: a84b4c76e66710@pc33",
  "CSeq: 314159 INVITE",
  "Subject: a folded",
  "  header",
  "c: application/sdp",
  "l: 4",
  "",
  "v=0\r\nextra",
].join("\r\n");

describe("SIP message parser", () => {
  it("reads compact names, folded lines, multi-value Via and cuts the body at Content-Length", () => {
    const r = parseSipMessage(invite);
    expect(r.ok).toBe(true);
    if (!r.ok || r.message.kind !== "request") return;
    expect(r.message.method).toBe("INVITE");
    expect(getHeaders(r.message, "Via")).toHaveLength(2);
    expect(headerParam(getHeader(r.message, "Via"), "branch")).toBe("z9hG4bK776asdhds");
    expect(headerParam(getHeader(r.message, "From"), "tag")).toBe("1928301774");
    expect(getHeader(r.message, "Subject")).toBe("a folded header");
    expect(r.message.body).toBe("v=0\r");
    const again = parseSipMessage(serializeSipMessage(r.message));
    expect(again.ok && again.message).toEqual({ ...r.message, headers: expect.any(Array) });
  });

  it("reports what is wrong, keeping the request so it can be answered 400", () => {
    const noCallId = invite.replace("i: a84b4c76e66710@pc33\r\n", "");
    expect(parseSipMessage(noCallId)).toMatchObject({ ok: false, reason: "missing Call-ID", request: { method: "INVITE" } });
    expect(parseSipMessage(invite.replace("l: 4", "l: 400"))).toMatchObject({ ok: false, reason: "body shorter than Content-Length" });
    expect(parseSipMessage(invite.replace("314159 INVITE", "314159 BYE"))).toMatchObject({ ok: false });
    expect(parseSipMessage("garbage")).toEqual({ ok: false, reason: "bad start line" });
    expect(parseSipMessage("SIP/2.0 999 Nope\r\n\r\n").ok).toBe(false);
  });

  it("parses SIP URIs", () => {
    expect(parseSipUri("sip:15551234@127.0.0.1:5062;transport=udp")).toEqual({ scheme: "sip", user: "15551234", host: "127.0.0.1", port: 5062, params: { transport: "udp" } });
    expect(parseSipUri("sip:carrier.example")).toEqual({ scheme: "sip", host: "carrier.example", params: {} });
    expect(parseSipUri("tel:+1555")).toBeUndefined();
  });

  it("fuzz: random bytes and mutated messages never throw", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void parseSipMessage(b)), { numRuns: 3000 });
    fc.assert(
      fc.property(fc.nat(invite.length), fc.nat(invite.length), fc.string({ maxLength: 20 }), (a, b, s) => {
        const text = invite.slice(0, Math.min(a, b)) + s + invite.slice(Math.max(a, b));
        const r = parseSipMessage(text);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 3000 },
    );
  });
});

describe("digest authentication", () => {
  // RFC 2617 §3.5: Mufasa / "Circle Of Life" at testrealm@host.com.
  const challenge = parseChallenge(
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  )!;
  const credentials = { username: "Mufasa", password: "Circle Of Life" };

  it("reproduces RFC 2617's worked example", () => {
    expect(challenge.qop).toEqual(["auth", "auth-int"]);
    const r = digestResponse({ challenge, credentials, method: "GET", uri: "/dir/index.html", nc: 1, cnonce: "0a4f113b" });
    expect(r.response).toBe("6629fae49393a05397450978507c4ef1");
    const header = authorizationHeader({ challenge, credentials, method: "GET", uri: "/dir/index.html", cnonce: "0a4f113b" });
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain("qop=auth, nc=00000001");
    expect(verifyAuthorization(header, "GET", credentials, "testrealm@host.com", challenge.nonce)).toBe(true);
    expect(verifyAuthorization(header, "GET", { ...credentials, password: "x" }, "testrealm@host.com", challenge.nonce)).toBe(false);
  });

  it("computes the RFC 2069 form when the challenge has no qop", () => {
    const noQop = parseChallenge('Digest realm="r", nonce="n"')!;
    const r = digestResponse({ challenge: noQop, credentials: { username: "u", password: "p" }, method: "INVITE", uri: "sip:a@b" });
    expect(r.qop).toBeUndefined();
    expect(r.response).toMatch(/^[0-9a-f]{32}$/);
    expect(parseChallenge("Basic realm=x")).toBeUndefined();
  });
});

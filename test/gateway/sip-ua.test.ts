// Two user agents over loopback UDP: a call, a T.38 re-INVITE, BYE, CANCEL, OPTIONS, 501, 400 and digest auth.
import { afterEach, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { UserAgent } from "../../src/gateway/sip/ua.js";
import { getHeader, parseSipMessage, serializeSipMessage, buildResponse, type SipResponse } from "../../src/gateway/sip/message.js";
import { verifyAuthorization } from "../../src/gateway/sip/digest.js";

const agents: UserAgent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.close();
});
async function ua(extra: Partial<Parameters<typeof UserAgent.create>[0]> = {}) {
  const a = await UserAgent.create({ address: "127.0.0.1", timers: { T1: 50, T2: 400, T4: 500 }, ...extra });
  agents.push(a);
  return a;
}

/** Send one raw datagram to `port` and resolve with the first SIP response that comes back. */
async function raw(port: number, text: string): Promise<SipResponse> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  try {
    s.send(Buffer.from(text, "latin1"), port, "127.0.0.1");
    const [msg] = (await once(s, "message")) as [Buffer];
    const parsed = parseSipMessage(msg);
    if (!parsed.ok || parsed.message.kind !== "response") throw new Error("not a response");
    return parsed.message;
  } finally {
    s.close();
  }
}

const req = (method: string, port: number, extra = "") =>
  `${method} sip:x@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK${Math.random()}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: ${Math.random()}\r\nCSeq: 1 ${method}\r\n${extra}Content-Length: 0\r\n\r\n`;

describe("SIP user agent", () => {
  it("places a call, switches by re-INVITE in either direction, and hangs up", async () => {
    const caller = await ua();
    const callee = await ua();
    const reinvites: string[] = [];
    callee.onInvite((inv) => {
      inv.ringing();
      const d = inv.accept("v=0 answer\r\n");
      d.onRequest((r, respond) => {
        reinvites.push(r.body);
        respond(200, { body: "v=0 t38 answer\r\n", headers: [["Content-Type", "application/sdp"]] });
      });
    });
    const provisional: number[] = [];
    const call = caller.invite({ target: `sip:123@127.0.0.1:${callee.port}`, sdp: "v=0 offer\r\n", onProvisional: (r) => provisional.push(r.status) });
    const r = await call.result;
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(provisional).toContain(180);
    expect(r.response.body).toBe("v=0 answer\r\n");
    const re = await r.dialog.reinvite("v=0 t38 offer\r\n");
    expect(re.status).toBe(200);
    expect(re.body).toBe("v=0 t38 answer\r\n");
    expect(reinvites).toEqual(["v=0 t38 offer\r\n"]);
    const ended = new Promise<string>((res) => {
      for (const d of [r.dialog]) d.onTerminated(res);
    });
    await r.dialog.bye();
    expect(await ended).toBe("local BYE");
  });

  it("passes a 488 from the far end back to the caller, and CANCEL ends a ringing call with 487", async () => {
    const caller = await ua();
    const callee = await ua();
    let cancelled = false;
    callee.onInvite((inv) => {
      if (inv.request.body.includes("audio-only")) return inv.reject(488);
      inv.ringing();
      inv.onCancel(() => (cancelled = true));
    });
    const refused = await caller.invite({ target: `sip:1@127.0.0.1:${callee.port}`, sdp: "audio-only" }).result;
    expect(refused).toMatchObject({ ok: false, status: 488 });
    const ringing = caller.invite({ target: `sip:1@127.0.0.1:${callee.port}`, sdp: "t38", onProvisional: (p) => p.status === 180 && ringing.cancel() });
    expect(await ringing.result).toMatchObject({ ok: false, status: 487 });
    expect(cancelled).toBe(true);
  });

  it("answers OPTIONS 200, unknown methods 501, malformed requests 400, stray BYE 481", async () => {
    const a = await ua();
    const options = await raw(a.port, req("OPTIONS", a.port));
    expect(options.status).toBe(200);
    expect(getHeader(options, "Allow")).toContain("INVITE");
    expect((await raw(a.port, req("FROBNICATE", a.port))).status).toBe(501);
    expect((await raw(a.port, req("BYE", a.port))).status).toBe(481);
    expect((await raw(a.port, req("OPTIONS", a.port, "Require: 100rel\r\n"))).status).toBe(420);
    const bad = await raw(a.port, req("OPTIONS", a.port).replace("Content-Length: 0", "Content-Length: 99"));
    expect(bad.status).toBe(400);
    expect((await raw(a.port, req("OPTIONS", a.port))).status).toBe(200); // still alive
  });

  it("answers a trunk's 407 digest challenge (RFC 3261 §22.3)", async () => {
    const trunk = createSocket("udp4");
    await new Promise<void>((r) => trunk.bind(0, "127.0.0.1", r));
    const credentials = { username: "edgefax", password: "s3cret" };
    const seen: string[] = [];
    trunk.on("message", (msg, rinfo) => {
      const p = parseSipMessage(msg);
      if (!p.ok || p.message.kind !== "request" || p.message.method !== "INVITE") return;
      const invite = p.message;
      const auth = getHeader(invite, "Proxy-Authorization");
      seen.push(getHeader(invite, "CSeq")!);
      const res = !auth
        ? buildResponse(invite, 407, { toTag: "t", headers: [["Proxy-Authenticate", 'Digest realm="trunk", nonce="abc123", qop="auth", algorithm=MD5']] })
        : verifyAuthorization(auth, "INVITE", credentials, "trunk", "abc123")
          ? buildResponse(invite, 486, { toTag: "t" })
          : buildResponse(invite, 403, { toTag: "t" });
      trunk.send(serializeSipMessage(res), rinfo.port, rinfo.address);
    });
    try {
      const caller = await ua({ credentials });
      const r = await caller.invite({ target: `sip:1@127.0.0.1:${trunk.address().port}`, sdp: "v=0" }).result;
      // 486 (not 403) proves the trunk accepted our Proxy-Authorization; the retry used CSeq 2.
      expect(r).toMatchObject({ ok: false, status: 486 });
      expect(seen).toEqual(["1 INVITE", "2 INVITE"]);
    } finally {
      trunk.close();
    }
  });

  it("reports 408 when nobody answers (Timer B)", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    try {
      const caller = await ua({ timers: { T1: 10, T2: 80, T4: 100 } });
      expect(await caller.invite({ target: `sip:1@127.0.0.1:${silent.address().port}`, sdp: "v=0" }).result).toMatchObject({ ok: false, status: 408 });
    } finally {
      silent.close();
    }
  });
});

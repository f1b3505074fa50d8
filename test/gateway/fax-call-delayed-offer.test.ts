// An INVITE without SDP (a "delayed offer", RFC 3261 §13.2.1 / RFC 3264 §4, as SBCs such as Cisco CUBE
// send): a scripted far end over loopback UDP against our answerer. Our offer goes in the 200 OK, the
// answer comes in the ACK; an ACK without a usable answer gets a BYE (RFC 3261 §13.2.2.4's rule).
import { afterEach, describe, expect, it } from "vitest";
import { createSocket, type Socket } from "node:dgram";
import { answerFaxes, type FaxCallEvent, type ReceivedFax } from "../../src/gateway/fax-call.js";
import { buildOffer, readAnswer } from "../../src/gateway/sdp/offer-answer.js";
import { UserAgent } from "../../src/gateway/sip/ua.js";
import { buildResponse, getHeader, headerParam, nameAddrUri, parseSipMessage, serializeSipMessage, type SipMessage } from "../../src/gateway/sip/message.js";

const TIMERS = { T1: 50, T2: 400, T4: 500 };

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function bound(): Promise<Socket> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  closers.push(() => s.close());
  return s;
}

/** A far end speaking raw SIP from one socket: sends what the test scripts, queues what arrives. */
async function farEnd(gatewayPort: number) {
  const sock = await bound();
  const port = sock.address().port;
  const inbox: SipMessage[] = [];
  const waiters: Array<() => void> = [];
  sock.on("message", (msg) => {
    const p = parseSipMessage(msg);
    if (!p.ok) return;
    // Our BYE is answered at once, so the gateway's BYE transaction ends without Timer F.
    if (p.message.kind === "request" && p.message.method === "BYE") sock.send(serializeSipMessage(buildResponse(p.message, 200)), gatewayPort, "127.0.0.1");
    inbox.push(p.message);
    for (const w of waiters.splice(0)) w();
  });
  const callId = `delayed-${Math.random()}@127.0.0.1`;
  const send = (text: string) => sock.send(Buffer.from(text, "latin1"), gatewayPort, "127.0.0.1");
  return {
    port,
    /** The first message (in arrival order, not yet taken) that `match` accepts. */
    async take(match: (m: SipMessage) => boolean): Promise<SipMessage> {
      for (;;) {
        const i = inbox.findIndex(match);
        if (i >= 0) return inbox.splice(i, 1)[0]!;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    invite(body = "") {
      send(
        `INVITE sip:5551000@127.0.0.1:${gatewayPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKinv${Math.random()}\r\nMax-Forwards: 70\r\n` +
          `From: <sip:caller@127.0.0.1>;tag=far1\r\nTo: <sip:5551000@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:${port}>\r\n` +
          (body ? `Content-Type: application/sdp\r\n` : "") +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
    },
    /** ACK the 200 OK (§13.2.2.4: a new transaction, CSeq number of the INVITE), with `answer` as body. */
    ack(ok: SipMessage, answer: string) {
      const toTag = headerParam(getHeader(ok, "To"), "tag");
      send(
        `ACK ${nameAddrUri(getHeader(ok, "Contact"))} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKack${Math.random()}\r\nMax-Forwards: 70\r\n` +
          `From: <sip:caller@127.0.0.1>;tag=far1\r\nTo: <sip:5551000@127.0.0.1>;tag=${toTag}\r\nCall-ID: ${callId}\r\nCSeq: 1 ACK\r\n` +
          (answer ? `Content-Type: application/sdp\r\n` : "") +
          `Content-Length: ${answer.length}\r\n\r\n${answer}`,
      );
    },
  };
}

const isResponse = (status: number) => (m: SipMessage) => m.kind === "response" && m.status === status;
const isRequest = (method: string) => (m: SipMessage) => m.kind === "request" && m.method === method;

async function listen(opts: { audioOnly?: "reject" | "reinvite"; reinviteAfterMs?: number }) {
  const events: FaxCallEvent[] = [];
  let done: (f: ReceivedFax) => void = () => undefined;
  const fax = new Promise<ReceivedFax>((r) => (done = r));
  const listener = await answerFaxes({ pacing: "none", uaOptions: { timers: TIMERS }, onFax: done, onEvent: (e) => events.push(e), ...opts });
  closers.push(() => listener.close());
  return { listener, events, fax };
}

describe("answering an INVITE without SDP (delayed offer)", () => {
  it("offers audio (PCMU, PCMA) in the 200 OK, takes the audio answer from the ACK, then switches by its own T.38 re-INVITE", async () => {
    const { listener } = await listen({ reinviteAfterMs: 100 });
    const far = await farEnd(listener.port);
    far.invite();
    await far.take(isResponse(180));
    const ok = await far.take(isResponse(200));
    expect(getHeader(ok, "Content-Type")).toBe("application/sdp");
    expect(ok.body).toMatch(/^m=audio \d+ RTP\/AVP 0 8\r$/m);
    expect(readAnswer(ok.body)).toMatchObject({ kind: "audio", address: "127.0.0.1" });
    far.ack(ok, buildOffer({ address: "127.0.0.1", sessionId: "7", sessionVersion: 1, kind: "audio", port: 40000 }));
    const reinvite = await far.take(isRequest("INVITE"));
    expect(readAnswer(reinvite.body)).toMatchObject({ kind: "t38" });
  });

  it("offers T.38 directly when it requires T.38, and runs T.30 to the UDPTL address the ACK's answer gives", async () => {
    const { listener, events } = await listen({ audioOnly: "reject" });
    const far = await farEnd(listener.port);
    const udptl = await bound();
    const datagram = new Promise<Buffer>((r) => udptl.once("message", r));
    far.invite();
    const ok = await far.take(isResponse(200));
    expect(ok.body).toMatch(/^m=image \d+ udptl t38\r$/m);
    far.ack(ok, buildOffer({ address: "127.0.0.1", sessionId: "7", sessionVersion: 1, kind: "t38", port: udptl.address().port }));
    // The answering fax speaks first (CED, then DIS: T.30 §5.3.1); its UDPTL reaches the answer's port.
    expect((await datagram).length).toBeGreaterThan(0);
    expect(events).toContainEqual(expect.objectContaining({ type: "t38", t38: expect.objectContaining({ address: "127.0.0.1", port: udptl.address().port }) }));
    expect(events).toContainEqual({ type: "sip", state: "t38" });
  });

  it.each([
    ["no SDP", "", {}],
    ["audio only to our T.38 offer", buildOffer({ address: "127.0.0.1", sessionId: "7", sessionVersion: 1, kind: "audio", port: 40000 }), { audioOnly: "reject" as const }],
  ])("hangs up with BYE when the ACK carries %s, reporting fax.t38_refused", async (_what, answer, opts) => {
    const { listener, fax } = await listen(opts);
    const far = await farEnd(listener.port);
    far.invite();
    const ok = await far.take(isResponse(200));
    far.ack(ok, answer);
    const bye = await far.take(isRequest("BYE"));
    expect(getHeader(bye, "Call-ID")).toBe(getHeader(ok, "Call-ID"));
    expect(await fax).toMatchObject({ success: false, failureCode: "fax.t38_refused", sipStatus: 200 });
  });

  it("still answers 488 to an INVITE whose offer is present but unusable", async () => {
    const { listener, fax } = await listen({ audioOnly: "reject" });
    const far = await farEnd(listener.port);
    far.invite(buildOffer({ address: "127.0.0.1", sessionId: "7", sessionVersion: 1, kind: "audio", port: 40000 }));
    await far.take(isResponse(488));
    expect(await fax).toMatchObject({ failureCode: "fax.t38_refused", sipStatus: 488 });
  });

  it("puts a T.38 offer in the 200 OK to a re-INVITE without SDP (RFC 3261 §14.2), and hangs up when the ACK brings no answer", async () => {
    const { listener } = await listen({ reinviteAfterMs: 60_000 });
    const caller = await UserAgent.create({ address: "127.0.0.1", timers: TIMERS });
    closers.push(() => caller.close());
    const r = await caller.invite({ target: `sip:1@127.0.0.1:${listener.port}`, sdp: buildOffer({ address: "127.0.0.1", sessionId: "7", sessionVersion: 1, kind: "audio", port: 40000 }) }).result;
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const ended = new Promise<string>((res) => r.dialog.onTerminated(res));
    // Dialog.reinvite ACKs a 2xx without a body: no answer to the gateway's offer.
    const re = await r.dialog.reinvite("");
    expect(re.status).toBe(200);
    expect(readAnswer(re.body)).toMatchObject({ kind: "t38", t38: { agreed: { rateManagement: "transferredTCF" } } });
    expect(await ended).toBe("remote BYE");
  });
});

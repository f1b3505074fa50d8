// RFC 3261 §17 transaction timers, with vitest's fake clock (no real waiting).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ClientTransaction, DEFAULT_TIMERS, ServerTransaction } from "../../src/gateway/sip/transaction.js";
import { buildResponse, type SipMessage, type SipRequest } from "../../src/gateway/sip/message.js";

function request(method: string): SipRequest {
  return {
    kind: "request",
    method,
    uri: "sip:1@127.0.0.1",
    headers: [
      ["Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc"],
      ["From", "<sip:a@127.0.0.1>;tag=1"],
      ["To", "<sip:1@127.0.0.1>"],
      ["Call-ID", "c1"],
      ["CSeq", `1 ${method}`],
    ],
    body: "",
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());
const to = { address: "127.0.0.1", port: 1 };

describe("client transactions", () => {
  it("INVITE: Timer A doubles from T1 and Timer B gives up at 64*T1 (7 transmissions)", () => {
    const sent: number[] = [];
    const onTimeout = vi.fn();
    new ClientTransaction(request("INVITE"), to, () => sent.push(Date.now()), DEFAULT_TIMERS, () => {}, onTimeout, () => {});
    vi.advanceTimersByTime(31_999);
    const t0 = sent[0]!;
    expect(sent.map((t) => t - t0)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledOnce();
  });

  it("non-INVITE: Timer E caps at T2, Timer F at 64*T1 (11 transmissions)", () => {
    const sent: number[] = [];
    const onTimeout = vi.fn();
    new ClientTransaction(request("OPTIONS"), to, () => sent.push(Date.now()), DEFAULT_TIMERS, () => {}, onTimeout, () => {});
    vi.advanceTimersByTime(32_000);
    const t0 = sent[0]!;
    expect(sent.map((t) => t - t0)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(onTimeout).toHaveBeenCalledOnce();
  });

  it("INVITE: a provisional stops retransmission; a non-2xx final is ACKed, also when retransmitted", () => {
    const sent: SipMessage[] = [];
    const responses: number[] = [];
    const req = request("INVITE");
    const tx = new ClientTransaction(req, to, (m) => sent.push(m), DEFAULT_TIMERS, (r) => responses.push(r.status), () => {}, () => {});
    tx.receive(buildResponse(req, 100));
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
    const busy = buildResponse(req, 486, { toTag: "x" });
    tx.receive(busy);
    tx.receive(busy);
    expect(responses).toEqual([100, 486]);
    expect(sent.slice(1).map((m) => m.kind === "request" && m.method)).toEqual(["ACK", "ACK"]);
  });
});

describe("server transactions", () => {
  it("INVITE non-2xx: Timer G retransmits until ACK; Timer H reports a missing ACK", () => {
    const sent: number[] = [];
    const noAck = vi.fn();
    const req = request("INVITE");
    const tx = new ServerTransaction(req, to, () => sent.push(Date.now()), DEFAULT_TIMERS, () => {}, noAck);
    tx.respond(buildResponse(req, 488, { toTag: "t" }));
    vi.advanceTimersByTime(32_000);
    const t0 = sent[0]!;
    expect(sent.map((t) => t - t0)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(noAck).toHaveBeenCalledOnce();
  });

  it("INVITE: the ACK stops retransmission, and a retransmitted request gets the last response", () => {
    const sent: SipMessage[] = [];
    const req = request("INVITE");
    const tx = new ServerTransaction(req, to, (m) => sent.push(m), DEFAULT_TIMERS, () => {});
    tx.respond(buildResponse(req, 100));
    tx.retransmission();
    expect(sent.map((m) => m.kind === "response" && m.status)).toEqual([100, 100]);
    tx.respond(buildResponse(req, 200, { toTag: "t" }));
    tx.ack();
    vi.advanceTimersByTime(60_000);
    expect(sent.map((m) => m.kind === "response" && m.status)).toEqual([100, 100, 200]);
  });
});

// SDP offer/answer (RFC 3264) for T.38 (T.38 Annex D, RFC 4612) and the audio leg before the switch.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { answerOffer, buildOffer, readAnswer, DEFAULT_T38_PARAMS } from "../../src/gateway/sdp/offer-answer.js";
import { parseSdp } from "../../src/gateway/sdp/sdp.js";

const spandspStyleOffer = [
  "v=0",
  "o=- 1 1 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 0 RTP/AVP 0",
  "m=image 40000 udptl t38",
  "a=T38FaxVersion:0",
  "a=T38MaxBitRate:9600",
  "a=T38FaxFillBitRemoval",
  "a=T38FaxRateManagement:transferredTCF",
  "a=T38FaxMaxBuffer:200",
  "a=T38FaxMaxDatagram:72",
  "a=T38FaxUdpEC:t38UDPRedundancy",
  "",
].join("\r\n");

const opts = { address: "127.0.0.1", sessionId: "7", sessionVersion: 1, t38Port: 50000, audioPort: 50002 };

describe("SDP for T.38", () => {
  it("answers a T.38 offer keeping m-line order and refusing the audio stream with port 0", () => {
    const r = answerOffer(spandspStyleOffer, { ...opts, requireT38: true });
    expect(r.kind).toBe("t38");
    if (r.kind !== "t38") return;
    const answer = parseSdp(r.sdp)!;
    expect(answer.media.map((m) => [m.media, m.port])).toEqual([["audio", 0], ["image", 50000]]);
    const attrs = Object.fromEntries(answer.media[1]!.attributes.map((a) => [a.name, a.value]));
    expect(attrs).toMatchObject({ T38FaxVersion: "0", T38MaxBitRate: "9600", T38FaxRateManagement: "transferredTCF", T38FaxUdpEC: "t38UDPRedundancy" });
    expect(r.t38).toMatchObject({ address: "127.0.0.1", port: 40000, remote: { maxDatagram: 72, fillBitRemoval: true } });
  });

  it("answers 488 when T.38 is required and only audio is offered", () => {
    const audioOnly = buildOffer({ address: "127.0.0.1", sessionId: "1", sessionVersion: 1, kind: "audio", port: 4000 });
    expect(answerOffer(audioOnly, { ...opts, requireT38: true })).toMatchObject({ kind: "reject", status: 488 });
    const r = answerOffer(audioOnly, { ...opts, requireT38: false });
    expect(r).toMatchObject({ kind: "audio", port: 4000 });
    if (r.kind === "audio") expect(r.sdp).toContain("m=audio 50002 RTP/AVP 0\r\n");
  });

  it("answers 400 for a body that is not SDP, 488 for SDP with nothing usable", () => {
    expect(answerOffer("hello", { ...opts, requireT38: false })).toMatchObject({ kind: "reject", status: 400 });
    const video = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n";
    expect(answerOffer(video, { ...opts, requireT38: false })).toMatchObject({ kind: "reject", status: 488 });
  });

  it("offers T.38 with every attribute a carrier expects, and reads the answer", () => {
    const offer = buildOffer({ address: "127.0.0.1", sessionId: "1", sessionVersion: 2, kind: "t38", port: 6000, t38: DEFAULT_T38_PARAMS });
    expect(offer).toContain("m=image 6000 udptl t38\r\n");
    for (const a of ["T38FaxVersion:0", "T38MaxBitRate:14400", "T38FaxRateManagement:transferredTCF", "T38FaxMaxBuffer:1800", "T38FaxMaxDatagram:400", "T38FaxUdpEC:t38UDPRedundancy"]) {
      expect(offer).toContain(`a=${a}\r\n`);
    }
    expect(readAnswer(spandspStyleOffer)).toMatchObject({ kind: "t38", t38: { port: 40000, agreed: { maxBitRate: 9600 } } });
    expect(readAnswer(offer.replace("m=image 6000", "m=image 0"))).toEqual({ kind: "none" });
  });

  it("fuzz: parsing and answering arbitrary text never throws", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom("v=0", "m=image 1 udptl t38", "m=audio x RTP/AVP", "c=IN IP4", "a=T38FaxMaxDatagram:-5", "m=image 99999 udptl t38", "c=IN"),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const text = lines.join("\r\n");
        parseSdp(text);
        const r = answerOffer(text, { ...opts, requireT38: true });
        expect(["t38", "audio", "reject"]).toContain(r.kind);
      }),
      { numRuns: 3000 },
    );
  });
});

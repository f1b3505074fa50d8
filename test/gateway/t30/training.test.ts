/**
 * V.17 short training: once the receiver has confirmed our long train at a rate (CFR after TCF),
 * image data at that rate starts with the short train, as spandsp's t30.c does; every retrain
 * (FTT, RTN, a new DCS after EOM, CTC) starts again with the long one.
 */
import { describe, expect, it } from "vitest";
import type { IfpPacket } from "../../../src/gateway/t38/ifp-types.js";
import { FakeClock } from "../../../src/gateway/t30/index.js";
import { MODEM_RATES, buildFrame, FCF, type ModemRate } from "../../../src/gateway/t30/frames.js";
import { T38Transmitter, type Training } from "../../../src/gateway/t30/t38-io.js";
import { framesOf, runPair, type PairResult } from "./harness.js";
import { testPages } from "./pages.js";

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** What the sender put on the line, in order: training indicators and the phase B/D commands. */
function senderTimeline(r: PairResult): string[] {
  const commands = new Set(["DCS", "CTC", "MPS", "EOM", "EOP", "PPS"]);
  return r.log
    .filter((l) => l.from === "a")
    .flatMap((l) => {
      if (l.packet.kind === "indicator") return l.packet.indicator.endsWith("training") ? [l.packet.indicator] : [];
      return framesOf(l.packet)
        .map((f) => f.name)
        .filter((n) => commands.has(n));
    });
}

const LONG = "v17-14400-long-training";
const SHORT = "v17-14400-short-training";

describe("V.17 short training after a confirmed long train", () => {
  it("non-ECM: TCF after the long train, every page after CFR with the short one", async () => {
    const pages = testPages(3, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false }, { role: "receiver", callingParty: false });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 3 });
    expect(senderTimeline(r)).toEqual(["DCS", LONG, SHORT, "MPS", SHORT, "MPS", SHORT, "EOP"]);
    r.receiver.pages.forEach((p, i) => expect(same(p.bitmap.data, pages[i]!.bitmap.data)).toBe(true));
  });

  it("ECM: every partial page after CFR starts with the short train", async () => {
    const pages = testPages(2, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: true, schemes: ["mr"] }, { role: "receiver", callingParty: false });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(senderTimeline(r)).toEqual(["DCS", LONG, SHORT, "PPS", SHORT, "PPS"]);
    r.receiver.pages.forEach((p, i) => expect(same(p.bitmap.data, pages[i]!.bitmap.data)).toBe(true));
  });

  it("FTT: the TCF at the lower rate is long again, and only its CFR allows the short train", async () => {
    const r = await runPair({ role: "sender", callingParty: true, pages: testPages(1, "standard"), ecm: false }, { role: "receiver", callingParty: false, failTrainingAt: [14400] });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 1 });
    expect(senderTimeline(r)).toEqual(["DCS", LONG, "DCS", "v17-12000-long-training", "v17-12000-short-training", "EOP"]);
  });

  it("RTN: the retrain (DCS, TCF) is long, the resent page after its CFR short", async () => {
    const pages = testPages(3, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false }, { role: "receiver", callingParty: false, rejectPages: [2] });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 3 });
    expect(senderTimeline(r)).toEqual(["DCS", LONG, SHORT, "MPS", SHORT, "MPS", "DCS", LONG, SHORT, "MPS", SHORT, "EOP"]);
  });

  it("EOM: the new DCS goes back to the long train", async () => {
    const pages = [...testPages(1, "standard"), ...testPages(1, "fine")];
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false }, { role: "receiver", callingParty: false });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(senderTimeline(r)).toEqual(["DCS", LONG, SHORT, "EOM", "DCS", LONG, SHORT, "EOP"]);
  });

  it("CTC: the block at the new rate starts with the long train, the blocks after it with the short one", async () => {
    const pages = testPages(2, "standard", 600);
    let eorSent = false;
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: true, schemes: ["mr"] }, { role: "receiver", callingParty: false }, {
      filter: (p, from) => {
        const f = framesOf(p)[0];
        if (from === "a" && f?.name === "EOR") eorSent = true;
        // Frame 1 never gets through until the sender gives up on that block with EOR.
        return from === "a" && f?.name === "FCD" && f.fif[0] === 1 && !eorSent ? null : p;
      },
    });
    const timeline = senderTimeline(r);
    const ctc = timeline.indexOf("CTC");
    expect(ctc).toBeGreaterThan(0);
    // Before CTC: one long train (TCF), then short trains at 14400 only.
    expect(timeline.slice(0, ctc).filter((s) => s.endsWith("training"))).toEqual([LONG, ...Array(4).fill(SHORT)]);
    const after = timeline.slice(ctc).filter((s) => s.endsWith("training"));
    expect(after[0]).toBe("v17-12000-long-training");
    expect(after.length).toBeGreaterThan(1);
    expect(after.slice(1).every((s) => s === "v17-12000-short-training")).toBe(true);
    expect(r.sender.pagesTransferred).toBe(1);
  });
});

describe("training on the line (realtime pacing)", () => {
  function firstDataAfterTraining(rate: ModemRate, training: Training): { indicator: string; ms: number } {
    const clock = new FakeClock({ autoRun: false });
    const sent: { at: number; packet: IfpPacket }[] = [];
    const tx = new T38Transmitter({ send: (packet) => sent.push({ at: clock.now(), packet }), onPacket: () => {} }, clock, { mode: "realtime" });
    tx.fastHdlcFrames(rate, training, [buildFrame(FCF.RCP, [], { final: false })]);
    clock.runAll();
    const ind = sent.find((s) => s.packet.kind === "indicator")!;
    const data = sent.find((s) => s.packet.kind === "data")!;
    return { indicator: ind.packet.kind === "indicator" ? ind.packet.indicator : "", ms: data.at - ind.at };
  }
  const v17 = MODEM_RATES.find((r) => r.t38 === "v17-14400")!;
  const v29 = MODEM_RATES.find((r) => r.t38 === "v29-9600")!;

  it("the V.17 short train lasts 142 ms, the long one 1393 ms", () => {
    expect(firstDataAfterTraining(v17, "short")).toEqual({ indicator: SHORT, ms: 142 });
    expect(firstDataAfterTraining(v17, "long")).toEqual({ indicator: LONG, ms: 1393 });
  });

  it("modems without a short train (V.29) keep their only training", () => {
    expect(firstDataAfterTraining(v29, "short")).toEqual({ indicator: "v29-9600-training", ms: 253 });
  });
});

/**
 * Our T.30 sender against our T.30 receiver through an in-memory T.38 port pair on a fake clock:
 * every coding/ECM/resolution combination with pixel-identical pages, then the procedures that
 * only show up when something goes wrong (FTT, RTN, lost ECM frames, silence, DCN).
 */
import { describe, expect, it } from "vitest";
import type { CodingScheme, FaxResolution, T30Event } from "../../../src/gateway/t30/index.js";
import type { IfpPacket } from "../../../src/gateway/t38/ifp-types.js";
import { FCF, buildFrame, toT38Octets } from "../../../src/gateway/t30/frames.js";
import { T1_MS } from "../../../src/gateway/t30/session.js";
import { framesOf, runPair } from "./harness.js";
import { testPages } from "./pages.js";

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("sender against receiver: every combination", () => {
  const combos: { ecm: boolean; scheme: CodingScheme }[] = [
    { ecm: false, scheme: "mh" },
    { ecm: false, scheme: "mr" },
    { ecm: true, scheme: "mh" },
    { ecm: true, scheme: "mr" },
    { ecm: true, scheme: "mmr" },
  ];
  for (const { ecm, scheme } of combos) {
    for (const resolution of ["standard", "fine"] as FaxResolution[]) {
      for (const count of [1, 3]) {
        it(`ECM ${ecm ? "on" : "off"}, ${scheme}, ${resolution}, ${count} page(s)`, async () => {
          const pages = testPages(count, resolution);
          const r = await runPair(
            { role: "sender", callingParty: true, ecm, schemes: [scheme], pages, localIdent: "+1 555 0100" },
            { role: "receiver", callingParty: false, ecm: true, localIdent: "+1 555 0199" },
          );
          expect(r.sender).toMatchObject({ success: true, pagesTransferred: count, t30Result: "OK", failureCode: null, remoteIdent: "+1 555 0199" });
          expect(r.receiver).toMatchObject({ success: true, pagesTransferred: count, t30Result: "OK", remoteIdent: "+1 555 0100" });
          expect(r.sender.negotiated).toEqual({ bitRate: 14400, modem: "v17", scheme, resolution, ecm, width: 1728 });
          expect(r.receiver.pages).toHaveLength(count);
          r.receiver.pages.forEach((p, i) => {
            expect(p).toMatchObject({ scheme, resolution, badRows: 0 });
            expect(p.bitmap.height).toBe(pages[i]!.bitmap.height);
            expect(same(p.bitmap.data, pages[i]!.bitmap.data)).toBe(true);
          });
          // The post-page commands: MPS between pages, EOP at the end (in PPS with ECM).
          const cmds = r.frames("a").filter((n) => ["MPS", "EOP", "PPS", "DCN"].includes(n));
          expect(cmds.at(-1)).toBe("DCN");
          if (!ecm) expect(cmds).toEqual([...Array(count - 1).fill("MPS"), "EOP", "DCN"]);
        });
      }
    }
  }

  it("refuses MMR without ECM: the sender falls back to MR (T.30: T.6 needs ECM)", async () => {
    const pages = testPages(1, "fine");
    const r = await runPair(
      { role: "sender", callingParty: true, ecm: false, schemes: ["mmr", "mr", "mh"], pages },
      { role: "receiver", callingParty: false },
    );
    expect(r.sender.negotiated).toMatchObject({ scheme: "mr", ecm: false });
    expect(r.receiver.success).toBe(true);
  });
});

describe("phase B variants", () => {
  it("a called sender and a calling receiver: DIS (ready to transmit), DTC, DCS", async () => {
    const pages = testPages(2, "standard");
    const r = await runPair({ role: "receiver", callingParty: true }, { role: "sender", callingParty: false, pages, ecm: false });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(r.receiver).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(r.frames("b").slice(0, 2)).toEqual(["CSI", "DIS"]);
    expect(r.frames("a").slice(0, 2)).toEqual(["CIG", "DTC"]);
    expect(same(r.receiver.pages[1]!.bitmap.data, pages[1]!.bitmap.data)).toBe(true);
  });

  it("changes resolution between pages with EOM and a new DCS", async () => {
    const pages = [...testPages(1, "standard"), ...testPages(1, "fine")];
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false }, { role: "receiver", callingParty: false });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(r.frames("a").filter((n) => ["DCS", "EOM", "EOP"].includes(n))).toEqual(["DCS", "EOM", "DCS", "EOP"]);
    expect(r.receiver.pages.map((p) => p.resolution)).toEqual(["standard", "fine"]);
    expect(same(r.receiver.pages[1]!.bitmap.data, pages[1]!.bitmap.data)).toBe(true);
  });

  it("pads rows to the receiver's minimum scan line time without ECM (T.4 §4.1.3 fill)", async () => {
    const pages = testPages(1, "standard", 200);
    const plain = await runPair({ role: "sender", callingParty: true, pages, ecm: false, schemes: ["mh"] }, { role: "receiver", callingParty: false });
    const padded = await runPair({ role: "sender", callingParty: true, pages, ecm: false, schemes: ["mh"] }, { role: "receiver", callingParty: false, minScanLineMs: 20 });
    // 20 ms at 14400 bit/s is 288 bits: 200 rows need at least 7200 octets.
    expect(padded.receiver.pages[0]!.coded.length).toBeGreaterThanOrEqual((200 * 288) / 8);
    expect(plain.receiver.pages[0]!.coded.length).toBeLessThan(padded.receiver.pages[0]!.coded.length);
    expect(same(padded.receiver.pages[0]!.bitmap.data, pages[0]!.bitmap.data)).toBe(true);
  });
});

describe("training and page failures", () => {
  it("falls back from 14400 to 12000 after FTT", async () => {
    const r = await runPair({ role: "sender", callingParty: true, pages: testPages(1, "standard"), ecm: false }, { role: "receiver", callingParty: false, failTrainingAt: [14400] });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 1 });
    expect(r.sender.negotiated).toMatchObject({ bitRate: 12000, modem: "v17" });
    expect(r.frames("b").filter((n) => n === "FTT" || n === "CFR")).toEqual(["FTT", "CFR"]);
    // The second TCF went out at 12000 bit/s.
    const trainings = r.log.filter((l) => l.from === "a" && l.packet.kind === "indicator" && l.packet.indicator.endsWith("training"));
    expect(trainings.map((l) => (l.packet.kind === "indicator" ? l.packet.indicator : ""))).toContain("v17-12000-long-training");
  });

  it("gives up with fax.training_failed when even 2400 fails", async () => {
    const r = await runPair(
      { role: "sender", callingParty: true, pages: testPages(1, "standard"), ecm: false },
      { role: "receiver", callingParty: false, failTrainingAt: [14400, 12000, 9600, 7200, 4800, 2400] },
    );
    expect(r.sender).toMatchObject({ success: false, failureCode: "fax.training_failed", t30Result: "FTT at the lowest speed", pagesTransferred: 0 });
    expect(r.frames("b").filter((n) => n === "FTT")).toHaveLength(6);
    expect(r.receiver.success).toBe(false);
  });

  it("answers RTN to a rejected page; the sender retrains and sends it again", async () => {
    const pages = testPages(3, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false }, { role: "receiver", callingParty: false, rejectPages: [2] });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 3 });
    expect(r.receiver.pages).toHaveLength(3);
    expect(r.frames("b").filter((n) => ["MCF", "RTN"].includes(n))).toEqual(["MCF", "RTN", "MCF", "MCF"]);
    // RTN is followed by DCS/TCF again (T.30 §5.3.6.1.6).
    expect(r.frames("a").filter((n) => n === "DCS")).toHaveLength(2);
    const rejected = r.events.a.filter((e): e is Extract<T30Event, { type: "page" }> => e.type === "page" && !e.accepted);
    expect(rejected.map((e) => e.page)).toEqual([2]);
    r.receiver.pages.forEach((p, i) => expect(same(p.bitmap.data, pages[i]!.bitmap.data)).toBe(true));
  });

  it("ends with fax.partial when a page keeps getting RTN", async () => {
    const r = await runPair(
      { role: "sender", callingParty: true, pages: testPages(2, "standard"), ecm: false },
      // A receiver that cannot decode anything (its decoder always fails) answers RTN every time.
      { role: "receiver", callingParty: false, coder: { encode: () => new Uint8Array(0), decode: () => ({ bitmap: { width: 1728, height: 0, data: new Uint8Array(0) }, badRows: 0 }) } },
    );
    expect(r.sender).toMatchObject({ success: false, failureCode: "fax.protocol_error", pagesTransferred: 0 });
    expect(r.sender.t30Result).toMatch(/^RTN/);
    expect(r.frames("b").filter((n) => n === "RTN")).toHaveLength(3);
  });
});

describe("post-page responses", () => {
  const replaceFirst = (name: string, by: number) => {
    let done = false;
    return (p: IfpPacket, from: "a" | "b"): IfpPacket => {
      if (!done && from === "b" && framesOf(p)[0]?.name === name) {
        done = true;
        return { kind: "data", dataType: "v21", fields: [{ type: "hdlc-data", data: toT38Octets(buildFrame(by)) }, { type: "hdlc-fcs-OK-sig-end" }] };
      }
      return p;
    };
  };

  it("RTP confirms the page but makes the sender retrain (DCS, TCF) before the next one", async () => {
    const pages = testPages(2, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false }, { role: "receiver", callingParty: false }, { filter: replaceFirst("MCF", FCF.RTP) });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(r.frames("a").filter((n) => ["DCS", "MPS", "EOP"].includes(n))).toEqual(["DCS", "MPS", "DCS", "EOP"]);
  });

  it("RNR to a PPS makes the sender ask again with RR until the receiver answers (T.30 A.6)", async () => {
    const pages = testPages(2, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: true }, { role: "receiver", callingParty: false }, { filter: replaceFirst("MCF", FCF.RNR) });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(r.frames("a")).toContain("RR");
    expect(r.receiver.pages).toHaveLength(2);
    r.receiver.pages.forEach((p, i) => expect(same(p.bitmap.data, pages[i]!.bitmap.data)).toBe(true));
  });
});

describe("ECM error recovery (T.30 Annex A)", () => {
  it("resends the frames a PPR asks for, and only those", async () => {
    const pages = testPages(1, "fine", 1200);
    const dropped = new Set<number>();
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: true, schemes: ["mh"] }, { role: "receiver", callingParty: false }, {
      filter: (p, from) => {
        const f = framesOf(p)[0];
        if (from === "a" && f?.name === "FCD" && (f.fif[0] === 3 || f.fif[0] === 7) && !dropped.has(f.fif[0])) {
          dropped.add(f.fif[0]);
          return null;
        }
        return p;
      },
    });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 1 });
    expect(r.receiver.success).toBe(true);
    expect(same(r.receiver.pages[0]!.bitmap.data, pages[0]!.bitmap.data)).toBe(true);
    expect(r.frames("b").filter((n) => n === "PPR")).toHaveLength(1);
    // This page needs two partial pages (blocks): 256 frames, the resent frames 3 and 7 alone, then
    // the second block from frame 0 again.
    const fcd = r.log.filter((l) => l.from === "a").flatMap((l) => framesOf(l.packet)).filter((f) => f.name === "FCD").map((f) => f.fif[0]);
    expect(fcd.slice(0, 256)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(fcd.slice(256, 259)).toEqual([3, 7, 0]);
    const pps = r.log.filter((l) => l.from === "a").flatMap((l) => framesOf(l.packet)).filter((f) => f.name === "PPS").map((f) => [f.fif[0]! & 0xfe, f.fif[2], f.fif[3]]);
    // PPS-NULL for block 0 (256 frames, then 2 resent), PPS-EOP for block 1.
    expect(pps[0]).toEqual([0, 0, 255]);
    expect(pps[1]).toEqual([0, 0, 1]);
    expect(pps.at(-1)![0]).toBe(FCF.EOP);
    expect(pps.at(-1)![1]).toBe(1);
  });

  it("after four PPRs sends CTC at a lower rate, then EOR; both sides report fax.ecm_failed", async () => {
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
    const a = r.frames("a");
    expect(a).toContain("CTC");
    expect(a).toContain("EOR");
    expect(r.frames("b")).toContain("CTR");
    expect(r.frames("b")).toContain("ERR");
    expect(r.frames("b").filter((n) => n === "PPR").length).toBeGreaterThanOrEqual(4);
    expect(r.sender).toMatchObject({ success: false, failureCode: "fax.ecm_failed" });
    expect(r.receiver).toMatchObject({ success: false, failureCode: "fax.ecm_failed" });
    // CTC moved to 12000 bit/s.
    expect(r.sender.negotiated?.bitRate).toBe(12000);
    // The second page still went through.
    expect(r.sender.pagesTransferred).toBe(1);
  });
});

describe("timeouts and disconnects", () => {
  it("T1 expires when nobody answers: fax.not_a_fax after 35 s", async () => {
    const r = await runPair({ role: "sender", callingParty: true, pages: testPages(1, "standard") }, { role: "receiver", callingParty: false }, { filter: (p, from) => (from === "b" ? null : p) });
    expect(r.sender).toMatchObject({ success: false, failureCode: "fax.not_a_fax", t30Result: "T1 expired: no response from the far end", pagesTransferred: 0 });
    expect(r.clock.now()).toBeGreaterThanOrEqual(T1_MS);
    expect(r.clock.now()).toBeLessThan(T1_MS + 10_000);
  });

  it("a DCN after page 1 ends with fax.carrier_lost and pagesTransferred 1", async () => {
    let mcf = 0;
    const dcn = { kind: "data", dataType: "v21", fields: [{ type: "hdlc-data", data: toT38Octets(buildFrame(FCF.DCN)) }, { type: "hdlc-fcs-OK-sig-end" }] } as const;
    const r = await runPair({ role: "sender", callingParty: true, pages: testPages(3, "standard"), ecm: false }, { role: "receiver", callingParty: false }, {
      filter: (p, from) => (from === "b" && framesOf(p)[0]?.name === "MCF" && ++mcf === 2 ? { ...dcn, fields: [...dcn.fields] } : p),
    });
    expect(r.sender).toMatchObject({ success: false, failureCode: "fax.carrier_lost", pagesTransferred: 1 });
    expect(r.sender.t30Result).toBe("Received a DCN from remote after sending a page");
  });

  it("repeats MPS after T4 when MCF is lost, and the receiver repeats MCF without counting the page twice", async () => {
    let dropped = false;
    const pages = testPages(2, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false }, { role: "receiver", callingParty: false }, {
      filter: (p, from) => {
        if (!dropped && from === "b" && framesOf(p)[0]?.name === "MCF") {
          dropped = true;
          return null;
        }
        return p;
      },
    });
    expect(r.sender).toMatchObject({ success: true, pagesTransferred: 2 });
    expect(r.receiver.pages).toHaveLength(2);
    expect(r.frames("a").filter((n) => n === "MPS")).toHaveLength(2);
  });

  it("gives up after three unanswered post-page commands: fax.partial", async () => {
    let mcf = 0;
    const r = await runPair({ role: "sender", callingParty: true, pages: testPages(3, "standard"), ecm: false }, { role: "receiver", callingParty: false }, {
      filter: (p, from) => {
        if (from === "b" && framesOf(p)[0]?.name === "MCF") mcf++;
        return from === "b" && mcf >= 2 ? null : p;
      },
    });
    expect(r.sender).toMatchObject({ success: false, failureCode: "fax.partial", pagesTransferred: 1 });
    expect(r.sender.t30Result).toBe("No response after sending MPS (3 tries)");
    // One MPS for page 1, then three tries for page 2.
    expect(r.frames("a").filter((n) => n === "MPS")).toHaveLength(4);
  });

  it("repeats DCS and TCF when CFR is lost", async () => {
    let dropped = false;
    const r = await runPair({ role: "sender", callingParty: true, pages: testPages(1, "standard"), ecm: true }, { role: "receiver", callingParty: false }, {
      filter: (p, from) => {
        if (!dropped && from === "b" && framesOf(p)[0]?.name === "CFR") {
          dropped = true;
          return null;
        }
        return p;
      },
    });
    expect(r.sender.success).toBe(true);
    expect(r.frames("a").filter((n) => n === "DCS")).toHaveLength(2);
  });
});

describe("pacing, events and abort", () => {
  it("paces fast-modem data in 30 ms packets on a realtime schedule", async () => {
    const pages = testPages(1, "standard");
    const r = await runPair({ role: "sender", callingParty: true, pages, ecm: false, pacing: "realtime" }, { role: "receiver", callingParty: false, pacing: "realtime" });
    expect(r.sender.success).toBe(true);
    const chunks = r.log.filter((l) => l.from === "a" && l.packet.kind === "data" && l.packet.fields[0]?.type === "t4-non-ecm-data");
    const sizes = chunks.map((l) => (l.packet.kind === "data" ? l.packet.fields[0]!.data!.length : 0));
    // 30 ms at 14400 bit/s = 54 octets.
    expect(Math.max(...sizes)).toBe(54);
    const pageBytes = r.receiver.pages[0]!.coded.length;
    // The call lasts at least CED (3 s) + TCF (1.5 s) + the page at line speed.
    expect(r.clock.now()).toBeGreaterThan(3000 + 1500 + (pageBytes * 8000) / 14400);
  });

  it("emits negotiated, page and done events", async () => {
    const r = await runPair({ role: "sender", callingParty: true, pages: testPages(2, "fine"), ecm: true }, { role: "receiver", callingParty: false });
    const types = r.events.b.map((e) => e.type);
    expect(types).toContain("negotiated");
    expect(types.filter((t) => t === "page")).toHaveLength(2);
    expect(types.at(-1)).toBe("done");
    const page = r.events.b.find((e) => e.type === "page");
    expect(page).toMatchObject({ page: 1, badRows: 0, accepted: true });
    expect(page && page.type === "page" && page.bytes).toBeGreaterThan(0);
  });

  it("abort sends DCN and ends the call as fax.carrier_lost", async () => {
    const { FakeClock, createLoopbackPair, startT30Session } = await import("../../../src/gateway/t30/index.js");
    const clock = new FakeClock({ autoRun: false });
    const pair = createLoopbackPair({ clock });
    const sent: string[] = [];
    pair.b.onPacket((p) => framesOf(p).forEach((f) => sent.push(f.name)));
    const s = startT30Session({ role: "sender", callingParty: true, port: pair.a, clock, pages: testPages(1, "standard"), coder: { encode: () => new Uint8Array(1), decode: () => ({ bitmap: { width: 0, height: 0, data: new Uint8Array(0) }, badRows: 0 }) } });
    await new Promise((r) => setImmediate(r));
    s.abort("call hung up");
    clock.runAll();
    const o = await s.outcome;
    expect(o).toMatchObject({ success: false, failureCode: "fax.carrier_lost", t30Result: "Aborted: call hung up" });
    expect(sent).toEqual(["DCN"]);
  });
});

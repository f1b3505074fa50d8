/**
 * Our T.30 engine against spandsp 0.0.6's t38_terminal (the engine inside Asterisk and FreeSWITCH),
 * in virtual time through spandsp-lockstep.c: DIS/DCS bit order, transferred TCF, non-ECM pages
 * with RTC, ECM blocks with PPS, MH/MR/MMR, in both directions. The pages are compared pixel for
 * pixel: what spandsp stored in its TIFF when it receives, what we decoded when it sends.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTiff, writeTiff } from "../../../src/codec/index.js";
import type { CodingScheme } from "../../../src/gateway/t30/index.js";
import { testPages } from "../../gateway/t30/pages.js";
import { framesOf } from "../../gateway/t30/harness.js";
import type { IfpPacket } from "../../../src/gateway/t38/ifp-types.js";
import { fromT38Octets, parseFrame } from "../../../src/gateway/t30/frames.js";
import { buildLockstep, runLockstep } from "./lockstep.js";

/**
 * spandsp streams an HDLC frame over several packets; this follows the stream and returns the
 * FCD frame number a packet belongs to (the 4th octet of its frame), or -1.
 */
let streamOctets: number[] = [];
/** The names of the V.21 frames one side sent, reassembled across packets. */
function v21Frames(trace: { from: "us" | "them"; packet: IfpPacket }[], from: "us" | "them"): string[] {
  const names: string[] = [];
  let octets: number[] = [];
  for (const t of trace) {
    if (t.from !== from || t.packet.kind !== "data" || t.packet.dataType !== "v21") continue;
    for (const f of t.packet.fields) {
      if (f.data) octets.push(...fromT38Octets(f.data));
      if (f.type !== "hdlc-data") {
        const frame = parseFrame(Uint8Array.from(octets));
        if (frame) names.push(frame.name);
        octets = [];
      }
    }
  }
  return names;
}

function framesOfStream(p: IfpPacket): number {
  if (p.kind !== "data") return -1;
  let frame = -1;
  for (const f of p.fields) {
    if (f.data) streamOctets.push(...fromT38Octets(f.data));
    if (streamOctets.length >= 4 && streamOctets[2] === 0x06) frame = streamOctets[3]!;
    if (f.type !== "hdlc-data" && f.type !== "t4-non-ecm-data") streamOctets = [];
  }
  return frame;
}

const bin = buildLockstep();
const dir = mkdtempSync(join(tmpdir(), "t30-interop-"));

const cases: { ecm: boolean; scheme: CodingScheme; resolution: "standard" | "fine" }[] = [
  { ecm: false, scheme: "mh", resolution: "standard" },
  { ecm: false, scheme: "mr", resolution: "fine" },
  { ecm: true, scheme: "mh", resolution: "fine" },
  { ecm: true, scheme: "mr", resolution: "standard" },
  { ecm: true, scheme: "mmr", resolution: "fine" },
];

describe.runIf(bin !== null)("T.30 against spandsp t38_terminal (lockstep, virtual time)", () => {
  for (const c of cases) {
    it(`we send to spandsp: ECM ${c.ecm ? "on" : "off"}, ${c.scheme}, ${c.resolution}, 2 pages`, async () => {
      const pages = testPages(2, c.resolution);
      const rxTiff = join(dir, `rx-${c.ecm}-${c.scheme}-${c.resolution}.tif`);
      const run = await runLockstep({
        spandspArgs: ["--mode", "receive", "--tiff", rxTiff, "--ecm", c.ecm ? "1" : "0"],
        ours: { role: "sender", callingParty: true, localIdent: "+1 555 0100", ecm: c.ecm, schemes: [c.scheme], pages },
      });
      expect(run.spandsp.text).toBe("OK");
      expect(run.spandsp.pages).toBe(2);
      expect(run.spandsp.ecm).toBe(c.ecm);
      expect(run.ours).toMatchObject({ success: true, pagesTransferred: 2, t30Result: "OK", remoteIdent: "5551234" });
      expect(run.ours.negotiated).toMatchObject({ bitRate: 14400, modem: "v17", scheme: c.scheme, ecm: c.ecm, resolution: c.resolution });
      const stored = readTiff(new Uint8Array(readFileSync(rxTiff)));
      expect(stored).toHaveLength(2);
      stored.forEach((p, i) => {
        expect(p.yResolution).toBe(c.resolution === "fine" ? 196 : 98);
        expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true);
      });
    });

    it(`spandsp sends to us: ECM ${c.ecm ? "on" : "off"}, ${c.scheme}, ${c.resolution}, 2 pages`, async () => {
      const pages = testPages(2, c.resolution);
      const txTiff = join(dir, `tx-${c.ecm}-${c.scheme}-${c.resolution}.tif`);
      const yResolution = c.resolution === "fine" ? 196 : 98;
      writeFileSync(txTiff, writeTiff(pages.map((p) => ({ bitmap: p.bitmap, xResolution: 204, yResolution })), { scheme: "mh" }));
      const run = await runLockstep({
        spandspArgs: ["--mode", "send", "--tiff", txTiff, "--calling", "--ecm", c.ecm ? "1" : "0", "--compressions", c.scheme],
        ours: { role: "receiver", callingParty: false, localIdent: "+1 555 0199", ecm: c.ecm },
      });
      expect(run.spandsp.text).toBe("OK");
      expect(run.spandsp.pages).toBe(2);
      expect(run.ours).toMatchObject({ success: true, pagesTransferred: 2, t30Result: "OK", remoteIdent: "5551234" });
      expect(run.ours.negotiated).toMatchObject({ scheme: c.scheme, ecm: c.ecm, resolution: c.resolution });
      run.ours.pages.forEach((p, i) => {
        expect(p.badRows).toBe(0);
        expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true);
      });
    });
  }

  it("turned around: we are the called sender (DIS ready to transmit) and spandsp calls to receive (DTC)", async () => {
    const pages = testPages(2, "standard");
    const rxTiff = join(dir, "rx-turnaround.tif");
    const run = await runLockstep({
      spandspArgs: ["--mode", "receive", "--calling", "--tiff", rxTiff, "--ecm", "1"],
      ours: { role: "sender", callingParty: false, ecm: true, pages },
    });
    expect(run.spandsp).toMatchObject({ ok: true, pages: 2 });
    expect(run.ours).toMatchObject({ success: true, pagesTransferred: 2 });
    readTiff(new Uint8Array(readFileSync(rxTiff))).forEach((p, i) => expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true));
  });

  it("turned around: spandsp is the called sender and we call to receive", async () => {
    const pages = testPages(2, "standard");
    const txTiff = join(dir, "tx-turnaround.tif");
    writeFileSync(txTiff, writeTiff(pages.map((p) => ({ bitmap: p.bitmap, xResolution: 204, yResolution: 98 })), { scheme: "mh" }));
    const run = await runLockstep({
      spandspArgs: ["--mode", "send", "--tiff", txTiff, "--ecm", "1"],
      ours: { role: "receiver", callingParty: true, ecm: true },
    });
    expect(run.spandsp).toMatchObject({ ok: true, pages: 2 });
    expect(run.ours).toMatchObject({ success: true, pagesTransferred: 2 });
    run.ours.pages.forEach((p, i) => expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true));
  });

  it("ECM: spandsp's PPR brings back the frames we lost on the way, and we resend only those", async () => {
    const pages = testPages(1, "fine", 900);
    const rxTiff = join(dir, "rx-ppr.tif");
    const lost = new Set<number>();
    const run = await runLockstep({
      spandspArgs: ["--mode", "receive", "--tiff", rxTiff, "--ecm", "1"],
      ours: { role: "sender", callingParty: true, ecm: true, schemes: ["mh"], pages },
      filter: (p, from) => {
        const f = from === "us" ? framesOf(p)[0] : undefined;
        if (f?.name === "FCD" && [2, 5, 40].includes(f.fif[0]!) && !lost.has(f.fif[0]!)) {
          lost.add(f.fif[0]!);
          return false;
        }
        return true;
      },
    });
    expect(lost.size).toBe(3);
    expect(run.spandsp).toMatchObject({ ok: true, pages: 1 });
    expect(run.ours).toMatchObject({ success: true, pagesTransferred: 1 });
    expect(v21Frames(run.trace, "them").filter((n) => n === "PPR")).toHaveLength(1);
    const ours = run.trace.filter((t) => t.from === "us").flatMap((t) => framesOf(t.packet)).filter((f) => f.name === "FCD").map((f) => f.fif[0]);
    const firstBurst = ours.indexOf(0, 1);
    expect(ours.slice(ours.lastIndexOf(2), ours.lastIndexOf(2) + 3)).toEqual([2, 5, 40]);
    expect(firstBurst === -1 || firstBurst > 40).toBe(true);
    readTiff(new Uint8Array(readFileSync(rxTiff))).forEach((p, i) => expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true));
  });

  it("ECM: our PPR gets spandsp to resend the frames we did not get", async () => {
    const pages = testPages(1, "fine", 900);
    const txTiff = join(dir, "tx-ppr.tif");
    writeFileSync(txTiff, writeTiff(pages.map((p) => ({ bitmap: p.bitmap, xResolution: 204, yResolution: 196 })), { scheme: "mh" }));
    const lost = new Set<number>();
    const run = await runLockstep({
      spandspArgs: ["--mode", "send", "--calling", "--tiff", txTiff, "--ecm", "1", "--compressions", "mr"],
      ours: { role: "receiver", callingParty: false, ecm: true },
      filter: (p, from) => {
        if (from !== "them" || p.kind !== "data" || p.dataType === "v21") return true;
        // spandsp sends an ECM frame's octets over several packets: lose the packet that closes frame 7 once.
        const closes = p.fields.some((f) => f.type === "hdlc-fcs-OK");
        const frame = framesOfStream(p);
        if (closes && frame === 7 && !lost.has(7)) {
          lost.add(7);
          return false;
        }
        return true;
      },
    });
    expect(lost.size).toBe(1);
    expect(run.spandsp).toMatchObject({ ok: true, pages: 1 });
    expect(run.ours).toMatchObject({ success: true, pagesTransferred: 1 });
    expect(run.trace.filter((t) => t.from === "us").flatMap((t) => framesOf(t.packet).map((f) => f.name))).toContain("PPR");
    expect(Buffer.from(run.ours.pages[0]!.bitmap.data).equals(Buffer.from(pages[0]!.bitmap.data))).toBe(true);
  });

  it("DIS goes on the wire bit-reversed per octet, as spandsp sends it (FF C8 01 ...)", async () => {
    const run = await runLockstep({
      spandspArgs: ["--mode", "receive", "--tiff", join(dir, "rx-dis.tif"), "--ecm", "1"],
      ours: { role: "sender", callingParty: true, ecm: true, pages: testPages(1, "standard") },
    });
    const hdlc = (from: "us" | "them") =>
      run.trace
        .filter((t) => t.from === from && t.packet.kind === "data" && t.packet.dataType === "v21")
        .flatMap((t) => (t.packet.kind === "data" ? t.packet.fields.map((f) => Buffer.from(f.data ?? []).toString("hex")) : []))
        .join("");
    expect(hdlc("them")).toContain("ffc801"); // spandsp's DIS
    expect(hdlc("us")).toContain("ffc8c1"); // our DCS, FF 13 83 in T.30 order (X bit set: we are the caller)
    expect(run.spandsp.text).toBe("OK");
  });
});

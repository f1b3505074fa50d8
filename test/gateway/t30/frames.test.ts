/**
 * T.30 frames against hand-checked bytes. T.30 Table 2 numbers FIF bits in line order and HDLC
 * sends each octet LSB first, so FIF bit n is (1 << ((n-1) % 8)) of octet floor((n-1)/8).
 */
import { describe, expect, it } from "vitest";
import {
  FCF,
  buildFrame,
  decodeDcs,
  decodeDis,
  decodeIdent,
  decodePps,
  encodeDcs,
  encodeDis,
  encodeFrameMap,
  encodeIdent,
  encodePps,
  fallbackSequence,
  frameMapHas,
  minScanMsFromDis,
  parseFrame,
  toT38Octets,
  MODEM_RATES,
  type DisInfo,
} from "../../../src/gateway/t30/frames.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const rate = (t38: string) => MODEM_RATES.find((r) => r.t38 === t38)!;

const V17_FINE_2D_ECM_T6: DisInfo = {
  t38: false,
  readyToTransmit: false,
  readyToReceive: true,
  modems: { v27ter: true, v29: true, v17: true },
  fine: true,
  mr: true,
  mmr: true,
  ecm: true,
  maxWidth: 1728,
  maxLength: "a4",
  minScanField: 0b111,
};

describe("FCF and frame layout (T.30 §5.3.5-5.3.6)", () => {
  it("DIS is FF 13 80 in T.30 order and FF C8 01 on the T.38 wire", () => {
    const frame = buildFrame(FCF.DIS, [0x00]);
    expect(hex(frame)).toBe("ff138000");
    // T.38 carries the octets with the first bit on the line in the MSB (spandsp bit-reverses them).
    expect(hex(toT38Octets(frame))).toBe("ffc80100");
  });

  it("sets the X bit on commands from the station that received DIS, never on DIS/DTC/CSI", () => {
    expect(hex(buildFrame(FCF.DCS, [], { x: true }))).toBe("ff1383");
    expect(hex(buildFrame(FCF.MCF, [], { x: false }))).toBe("ff138c");
    expect(hex(buildFrame(FCF.DIS, [], { x: true }))).toBe("ff1380");
    expect(hex(buildFrame(FCF.CSI, [], { x: true, final: false }))).toBe("ff0340");
    // T.4 A.3: FCD and RCP carry no X bit and are not final frames.
    expect(hex(buildFrame(FCF.RCP, [], { x: true, final: false }))).toBe("ff0386");
  });

  it("parses DIS vs DTC by their own bit 1, and strips the X bit from everything else", () => {
    expect(parseFrame(Uint8Array.of(0xff, 0x13, 0x81))?.name).toBe("DTC");
    expect(parseFrame(Uint8Array.of(0xff, 0x13, 0x80))?.name).toBe("DIS");
    expect(parseFrame(Uint8Array.of(0xff, 0x13, 0x83))).toMatchObject({ name: "DCS", x: true, final: true });
    expect(parseFrame(Uint8Array.of(0xff, 0x13, 0xfb))?.name).toBe("DCN");
    expect(parseFrame(Uint8Array.of(0xfe, 0x13, 0xfb))).toBeNull();
    expect(parseFrame(Uint8Array.of(0xff, 0x13))).toBeNull();
  });
});

describe("DIS/DTC FIF (T.30 Table 2)", () => {
  it("encodes V.17, fine, 2-D, A4 1728, ECM and T.6 as 00 EE F0 44", () => {
    // Octet 1, bits 1-8: nothing (no T.37/T.38, no V.8, 256-octet frames preferred).
    // Octet 2, bits 9-16: bit 10 ready to receive (0x02); bits 11,12,13,14 = 1,1,0,1 "V.27 ter, V.29
    //   and V.17" (0x04 + 0x08 + 0x20); bit 15 R8x7.7 fine (0x40); bit 16 2-D coding (0x80) -> 0xEE.
    // Octet 3, bits 17-24: 17-18 = 0,0 width 215 mm / 1728; 19-20 = 0,0 A4; 21-23 = 1,1,1 minimum
    //   scan line time 0 ms (0x10 + 0x20 + 0x40); bit 24 extend (0x80) -> 0xF0.
    // Octet 4, bits 25-32: bit 27 ECM (0x04); bit 31 T.6 (0x40); bit 32 extend = 0 -> 0x44.
    const fif = encodeDis(V17_FINE_2D_ECM_T6);
    expect(hex(fif)).toBe("00eef044");
    expect(hex(toT38Octets(buildFrame(FCF.DIS, fif)))).toBe("ffc80100770f22");
  });

  it("decodes spandsp 0.0.6's own DIS (as logged by t30.c)", () => {
    // "Tx: ff 13 80 04 ee f8 c4 80 91 80 80 80 18" from spandsp-lockstep --log.
    const fif = Uint8Array.from(Buffer.from("04eef8c48091808080 18".replace(/ /g, ""), "hex"));
    expect(decodeDis(fif)).toMatchObject({
      t38: true,
      readyToReceive: true,
      readyToTransmit: false,
      modems: { v27ter: true, v29: true, v17: true },
      fine: true,
      mr: true,
      ecm: true,
      mmr: true,
      maxWidth: 1728,
      maxLength: "unlimited",
      minScanField: 0b111,
    });
  });

  it("ignores bits past an extend bit of 0 (ECM/T.6 need octet 4)", () => {
    // Octet 3 with bit 24 clear: octet 4's ECM and T.6 bits must not count.
    expect(decodeDis(Uint8Array.of(0x00, 0xee, 0x70, 0x44))).toMatchObject({ ecm: false, mmr: false });
  });

  it("round-trips every modem combination and width", () => {
    for (const modems of [
      { v27ter: false, v29: false, v17: false },
      { v27ter: true, v29: false, v17: false },
      { v27ter: false, v29: true, v17: false },
      { v27ter: true, v29: true, v17: false },
      { v27ter: true, v29: true, v17: true },
    ]) {
      for (const maxWidth of [1728, 2048, 2432] as const) {
        const d = { ...V17_FINE_2D_ECM_T6, modems, maxWidth };
        expect(decodeDis(encodeDis(d))).toMatchObject({ modems, maxWidth });
      }
    }
  });
});

describe("DCS FIF (T.30 Table 2)", () => {
  it("encodes V.17 14400, fine, T.6, ECM 256-octet frames as 00 62 F0 44", () => {
    // Octet 2: bit 10 receive (0x02); bits 11-14 = 0,0,0,1 "14400 V.17" (0x20); bit 15 fine (0x40);
    //   bit 16 = 0 (T.6 is bit 31, not 2-D) -> 0x62.
    // Octet 3: minimum scan line time 0 ms = 1,1,1 (0x70), extend (0x80) -> 0xF0.
    // Octet 4: bit 27 ECM (0x04), bit 28 = 0 (256 octets), bit 31 T.6 (0x40) -> 0x44.
    const fif = encodeDcs({
      rate: rate("v17-14400"),
      resolution: "fine",
      scheme: "mmr",
      ecm: true,
      frameSize: 256,
      width: 1728,
      maxLength: "a4",
      minScanMs: 0,
      t38: false,
    });
    expect(hex(fif)).toBe("0062f044");
    expect(hex(buildFrame(FCF.DCS, fif, { x: true }))).toBe("ff1383" + "0062f044");
  });

  it("encodes V.29 9600, standard, MH, no ECM, 20 ms as the 3-octet 00 06 00", () => {
    // Octet 2: bit 10 (0x02); bits 11-14 = 1,0,0,0 "9600 V.29" (0x04). Octet 3: 20 ms = 0,0,0; no extend.
    const fif = encodeDcs({ rate: rate("v29-9600"), resolution: "standard", scheme: "mh", ecm: false, frameSize: 256, width: 1728, maxLength: "a4", minScanMs: 20, t38: false });
    expect(hex(fif)).toBe("000600");
    expect(decodeDcs(fif)).toMatchObject({ rate: { bitRate: 9600, modem: "v29" }, scheme: "mh", ecm: false, minScanMs: 20, resolution: "standard" });
  });

  it("maps every DCS rate code of Table 2 both ways", () => {
    const codes: [string, number, string][] = [
      ["v17-14400", 14400, "0001"],
      ["v17-12000", 12000, "0101"],
      ["v17-9600", 9600, "1001"],
      ["v17-7200", 7200, "1101"],
      ["v29-9600", 9600, "1000"],
      ["v29-7200", 7200, "1100"],
      ["v27-4800", 4800, "0100"],
      ["v27-2400", 2400, "0000"],
    ];
    for (const [t38, bitRate, bits11to14] of codes) {
      const fif = encodeDcs({ rate: rate(t38), resolution: "standard", scheme: "mr", ecm: false, frameSize: 256, width: 1728, maxLength: "a4", minScanMs: 0, t38: false });
      const bits = [11, 12, 13, 14].map((n) => ((fif[(n - 1) >> 3]! >> ((n - 1) & 7)) & 1).toString()).join("");
      expect(bits).toBe(bits11to14);
      expect(decodeDcs(fif)?.rate).toMatchObject({ t38, bitRate });
    }
  });

  it("reads the DIS minimum scan line time the way Table 2 halves it at fine resolution", () => {
    expect(minScanMsFromDis(0b000, "standard")).toBe(20);
    expect(minScanMsFromDis(0b011, "standard")).toBe(20); // 1,1,0: 20 ms at 3.85 l/mm, T7.7 = T3.85/2
    expect(minScanMsFromDis(0b011, "fine")).toBe(10);
    expect(minScanMsFromDis(0b100, "fine")).toBe(40);
    expect(minScanMsFromDis(0b111, "fine")).toBe(0);
  });
});

describe("speed fallback", () => {
  it("walks V.17 14400 -> 12000 -> 9600 -> 7200, then V.27 ter", () => {
    expect(fallbackSequence({ v27ter: true, v29: true, v17: true }, 14400).map((r) => r.t38)).toEqual([
      "v17-14400", "v17-12000", "v17-9600", "v17-7200", "v27-4800", "v27-2400",
    ]);
  });
  it("walks V.29 9600 -> 7200 -> V.27 ter 4800 -> 2400 without V.17", () => {
    expect(fallbackSequence({ v27ter: true, v29: true, v17: false }, 14400).map((r) => r.t38)).toEqual(["v29-9600", "v29-7200", "v27-4800", "v27-2400"]);
  });
  it("respects our own limit", () => {
    expect(fallbackSequence({ v27ter: true, v29: true, v17: true }, 4800).map((r) => r.t38)).toEqual(["v27-4800", "v27-2400"]);
  });
});

describe("identification and ECM fields", () => {
  it("sends TSI/CSI as 20 characters, last character first, space padded (T.30 §5.3.6.2.4)", () => {
    // spandsp's CSI for "5551234": 34 33 32 31 35 35 35 then 13 spaces.
    expect(hex(encodeIdent("5551234"))).toBe("34333231353535" + "20".repeat(13));
    expect(decodeIdent(encodeIdent("+1 555 0100"))).toBe("+1 555 0100");
    expect(encodeIdent("x".repeat(30))).toHaveLength(20);
  });

  it("builds PPS as FCF2, page, block, frames-1 and reads it back", () => {
    expect(hex(encodePps(FCF.MPS, 2, 1, 256, true))).toBe("4f0201ff");
    expect(hex(encodePps(FCF.NULL, 0, 0, 10, true))).toBe("00000009");
    expect(decodePps(Uint8Array.of(0x2f, 0, 3, 0x7f))).toEqual({ postPage: FCF.EOP, page: 0, block: 3, frames: 128 });
  });

  it("maps frame n of a PPR to FIF bit n+1", () => {
    const map = encodeFrameMap((n) => n === 0 || n === 9 || n === 255);
    expect(hex(map.subarray(0, 2))).toBe("0102");
    expect(map[31]).toBe(0x80);
    expect([0, 1, 9, 255].map((n) => frameMapHas(map, n))).toEqual([true, false, true, true]);
  });
});

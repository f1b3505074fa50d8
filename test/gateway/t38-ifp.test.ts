// T.38 Annex A IFP packets in ALIGNED PER: byte vectors worked out by hand from X.691 and T.38 Annex A.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeIfp, encodeIfp } from "../../src/gateway/t38/ifp.js";
import { T30_INDICATORS, T38_DATA_TYPES, T38_FIELD_TYPES, type IfpPacket } from "../../src/gateway/t38/ifp-types.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("IFP PER encoding", () => {
  it.each([
    // bit 7: data-field absent; bit 6: CHOICE t30-indicator; bit 5: extension bit; bits 4-1: index.
    ["no-signal", "00"],
    ["cng", "02"],
    ["ced", "04"],
    ["v21-preamble", "06"],
    ["v17-14400-long-training", "1e"],
    // Extension values: bit 5 set, then a normally-small number (0 + 6 bits) spanning two octets.
    ["v8-ansam", "2000"],
    ["v8-signal", "2040"],
    ["v33-14400-training", "2180"],
  ] as const)("indicator %s is %s", (indicator, bytes) => {
    const packet: IfpPacket = { kind: "indicator", indicator };
    expect(hex(encodeIfp(packet))).toBe(bytes);
    expect(decodeIfp(Buffer.from(bytes, "hex"))).toEqual({ ok: true, packet });
  });

  it("encodes a V.21 HDLC frame as T.38 version 0 (no field-type extension bit), as spandsp and Wireshark do", () => {
    const packet: IfpPacket = {
      kind: "data",
      dataType: "v21",
      fields: [{ type: "hdlc-data", data: Uint8Array.from([0xff, 0x13]) }, { type: "hdlc-fcs-OK-sig-end" }],
    };
    // 80: field-data present, type 0; 40: no data, type 4 in bits 6-4. c0 01 40 is exactly what spandsp 0.0.6 sends.
    expect(hex(encodeIfp(packet))).toBe("c0028000" + "01ff1340");
    expect(hex(encodeIfp({ kind: "data", dataType: "v21", fields: [{ type: "hdlc-fcs-OK-sig-end" }] }))).toBe("c00140");
    expect(decodeIfp(Buffer.from("c00140", "hex"))).toEqual({ ok: true, packet: { kind: "data", dataType: "v21", fields: [{ type: "hdlc-fcs-OK-sig-end" }] } });
  });

  it("encodes a V.21 HDLC frame with its FCS-OK-sig-end field (version 2: extensible field-type)", () => {
    const packet: IfpPacket = {
      kind: "data",
      dataType: "v21",
      fields: [{ type: "hdlc-data", data: Uint8Array.from([0xff, 0x13]) }, { type: "hdlc-fcs-OK-sig-end" }],
    };
    // c0: fields present, CHOICE data, v21; 02: two fields; 80: field-data present, hdlc-data;
    // 0001: length-1 as 16 bits; ff13; 20: no data, type 4 (hdlc-fcs-OK-sig-end) in bits 5-3.
    expect(hex(encodeIfp(packet, { version: 2 }))).toBe("c0028000" + "01ff1320");
    expect(decodeIfp(encodeIfp(packet, { version: 2 }), { version: 2 })).toEqual({ ok: true, packet });
  });

  it("encodes V.17 14400 non-ECM image data and V.8 (an extension data type)", () => {
    const image: IfpPacket = { kind: "data", dataType: "v17-14400", fields: [{ type: "t4-non-ecm-data", data: Uint8Array.from([0, 1, 2]) }] };
    expect(hex(encodeIfp(image))).toBe("d001e00002000102"); // version 0: presence | type 6 in bits 6-4
    expect(hex(encodeIfp(image, { version: 3 }))).toBe("d001b00002000102");
    const v8: IfpPacket = { kind: "data", dataType: "v8", fields: [] };
    expect(hex(encodeIfp(v8))).toBe("6000");
    expect(decodeIfp(Buffer.from("6000", "hex"))).toEqual({ ok: true, packet: v8 });
  });

  it("rejects truncated and out-of-range packets without throwing", () => {
    expect(decodeIfp(new Uint8Array(0)).ok).toBe(false);
    expect(decodeIfp(Buffer.from("c002800001ff", "hex")).ok).toBe(false); // field data cut short
    expect(decodeIfp(Buffer.from("c00140", "hex"), { version: 2 }).ok).toBe(false); // v2: ext bit set, number missing
    expect(decodeIfp(Buffer.from("5e", "hex")).ok).toBe(false); // data index 15 is beyond the 9 root values
    expect(decodeIfp(Buffer.from("2f00", "hex")).ok).toBe(false); // indicator extension 60: unknown
  });

  it("round-trips every packet shape", () => {
    const field = fc.record({
      type: fc.constantFrom(...T38_FIELD_TYPES),
      data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
    });
    const packet: fc.Arbitrary<IfpPacket> = fc.oneof(
      fc.constantFrom(...T30_INDICATORS).map((indicator) => ({ kind: "indicator" as const, indicator })),
      fc.record({ kind: fc.constant("data" as const), dataType: fc.constantFrom(...T38_DATA_TYPES), fields: fc.array(field, { maxLength: 5 }) }),
    );
    fc.assert(
      fc.property(packet, fc.constantFrom(0, 2, 3), (p, version) => {
        const normal = p.kind === "data" ? { ...p, fields: p.fields.map((f) => (f.data ? { type: f.type, data: f.data } : { type: f.type })) } : p;
        expect(decodeIfp(encodeIfp(p, { version }), { version })).toEqual({ ok: true, packet: normal });
      }),
    );
  });

  it("fuzz: arbitrary bytes never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const version of [0, 3]) expect(typeof decodeIfp(bytes, { version }).ok).toBe("boolean");
      }),
      { numRuns: 5000 },
    );
  });
});

// UDPTL (T.38 §9.1): packet layout, redundancy recovery and garbage handling.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeUdptl, encodeUdptl, udptlLength } from "../../src/gateway/udptl/packet.js";
import { UdptlReceiver, UdptlSender } from "../../src/gateway/udptl/session.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ifp = (n: number) => Uint8Array.from([n]);

describe("UDPTL packets", () => {
  it("lays out seq, primary and secondaries newest first", () => {
    const bytes = encodeUdptl({ seq: 5, primary: ifp(6), secondary: [ifp(4), ifp(2)] });
    // 0005 seq; 01 06 primary (length, IFP); 00 error-recovery CHOICE secondary; 02 count; 01 04; 01 02.
    expect(hex(bytes)).toBe("000501060002010401" + "02");
    expect(decodeUdptl(bytes)).toEqual({ seq: 5, primary: ifp(6), secondary: [ifp(4), ifp(2)] });
  });

  it("parses parity FEC without using it", () => {
    const bytes = encodeUdptl({ seq: 65535, primary: ifp(0x1e), fec: { npackets: 3, data: [Uint8Array.from([1, 2])] } });
    expect(hex(bytes)).toBe("ffff011e80010301020102");
    expect(decodeUdptl(bytes)).toEqual({ seq: 65535, primary: ifp(0x1e), fec: { npackets: 3, data: [Uint8Array.from([1, 2])] } });
  });

  it("uses a two-octet length for IFPs of 128 bytes and more (X.691 §11.9.3.7)", () => {
    const big = new Uint8Array(300).fill(7);
    const bytes = encodeUdptl({ seq: 1, primary: big, secondary: [] });
    expect(hex(bytes.subarray(0, 4))).toBe("0001812c");
    expect(decodeUdptl(bytes)?.primary).toEqual(big);
  });

  it("knows a datagram's length before encoding it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 8 }), (p, s) => {
        const bytes = encodeUdptl({ seq: 1, primary: new Uint8Array(p), secondary: s.map((n) => new Uint8Array(n)) });
        expect(udptlLength(p, s)).toBe(bytes.length);
      }),
    );
  });

  it("drops garbage", () => {
    expect(decodeUdptl(Buffer.from("0001", "hex"))).toBeNull();
    expect(decodeUdptl(Buffer.from("00010106", "hex"))).toBeNull(); // no error-recovery
    expect(decodeUdptl(Buffer.from("000105060002", "hex"))).toBeNull();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => void decodeUdptl(b)), { numRuns: 5000 });
  });
});

describe("UDPTL redundancy", () => {
  it("recovers up to N consecutive losses from the next packet's secondaries", () => {
    const tx = new UdptlSender({ redundancy: 3, maxDatagram: 400 });
    const datagrams = [1, 2, 3, 4, 5, 6].map((n) => tx.next(ifp(n)));
    const rx = new UdptlReceiver();
    const got: number[] = [];
    for (const i of [0, 4, 5]) for (const p of rx.receive(datagrams[i]!)) got.push(p[0]!); // 2, 3, 4 lost
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rx.stats).toMatchObject({ recovered: 3, lost: 0 });
  });

  it("delivers each IFP once: duplicates and late packets are dropped", () => {
    const tx = new UdptlSender({ redundancy: 2, maxDatagram: 400 });
    const d = [1, 2, 3].map((n) => tx.next(ifp(n)));
    const rx = new UdptlReceiver();
    const got = [d[0]!, d[0]!, d[2]!, d[1]!, d[2]!].flatMap((x) => rx.receive(x).map((p) => p[0]));
    expect(got).toEqual([1, 2, 3]);
    expect(rx.stats.duplicates).toBe(3);
  });

  it("counts a gap wider than the redundancy as lost and moves on", () => {
    const tx = new UdptlSender({ redundancy: 1, maxDatagram: 400 });
    const d = [1, 2, 3, 4].map((n) => tx.next(ifp(n)));
    const rx = new UdptlReceiver();
    const got = [d[0]!, d[3]!].flatMap((x) => rx.receive(x).map((p) => p[0]));
    expect(got).toEqual([1, 3, 4]);
    expect(rx.stats.lost).toBe(1);
  });

  it("wraps sequence numbers at 65536", () => {
    const tx = new UdptlSender({ redundancy: 2, maxDatagram: 400, firstSeq: 65534 });
    const d = [1, 2, 3, 4].map((n) => tx.next(ifp(n)));
    const rx = new UdptlReceiver();
    expect([d[0]!, d[3]!].flatMap((x) => rx.receive(x).map((p) => p[0]))).toEqual([1, 2, 3, 4]);
  });

  it("trims secondaries to respect T38FaxMaxDatagram", () => {
    const tx = new UdptlSender({ redundancy: 3, maxDatagram: 120 });
    for (let i = 0; i < 4; i++) {
      const d = tx.next(new Uint8Array(50).fill(i));
      expect(d.length).toBeLessThanOrEqual(120);
    }
    expect(decodeUdptl(tx.next(new Uint8Array(50)))?.secondary?.length).toBe(1);
  });

  it("repeats each IFP in as many later datagrams as it asks for, with no gaps in between", () => {
    const tx = new UdptlSender({ redundancy: 3, maxDatagram: 400 });
    // Five deep IFPs (non-ECM data), then shallow ones (sig-end, no-signal, ...).
    const d = [5, 5, 5, 5, 5, 3, 3, 3, 3, 3, 3].map((depth, n) => decodeUdptl(tx.next(ifp(n), depth))!);
    const carried = d.map((p) => p.secondary!.map((s) => s[0]));
    expect(carried[5]).toEqual([4, 3, 2, 1, 0]);
    expect(carried[6]).toEqual([5, 4, 3, 2, 1]); // IFP 1 asked for 5: IFPs 2-5 ride along to reach it
    expect(carried[8]).toEqual([7, 6, 5, 4, 3]);
    expect(carried[9]).toEqual([8, 7, 6, 5, 4]);
    expect(carried[10]).toEqual([9, 8, 7]); // IFP 5 onwards asked for 3
  });

  it("loses nothing to a burst as long as the IFPs in it asked for that much redundancy", () => {
    const tx = new UdptlSender({ redundancy: 3, maxDatagram: 400 });
    const datagrams = Array.from({ length: 12 }, (_, n) => tx.next(ifp(n), n < 9 ? 5 : 3));
    for (const burst of [[3, 4, 5, 6], [4, 5, 6, 7, 8], [6, 7, 8, 9, 10]]) {
      const rx = new UdptlReceiver();
      const got = datagrams.filter((_, i) => !burst.includes(i)).flatMap((x) => rx.receive(x).map((p) => p[0]));
      expect(rx.stats.lost, `burst ${burst.join(",")}`).toBe(0);
      expect(got).toEqual(Array.from({ length: 12 }, (_, n) => n));
    }
  });
});

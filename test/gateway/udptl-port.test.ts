// A non-ECM page through the whole transmit path (T38Transmitter -> IFP -> UDPTL -> UDP on 127.0.0.1)
// with chosen datagrams lost: what arrives must be the page, octet for octet, because nothing above
// UDPTL sends non-ECM data again. Interop case 060 (spandsp, 5% loss, seed 60) lost the 4th-7th
// datagrams of a page; with 3 secondaries per datagram the first of them was gone for good.
import { afterEach, describe, expect, it } from "vitest";
import { createSocket, type Socket } from "node:dgram";
import { createUdptlPort } from "../../src/gateway/t38/udptl-port.js";
import { DEFAULT_REDUNDANCY, type UdptlRedundancy } from "../../src/gateway/t38/redundancy.js";
import { decodeUdptl } from "../../src/gateway/udptl/packet.js";
import { T38Receiver, T38Transmitter } from "../../src/gateway/t30/t38-io.js";
import { realClock, type T30Clock } from "../../src/gateway/t30/clock.js";
import { MODEM_RATES } from "../../src/gateway/t30/frames.js";

const V17_14400 = MODEM_RATES[0]!;
/** Real-time pacing compressed to 1 ms a chunk: fast, yet no burst overflows the receiving socket. */
const briskClock: T30Clock = { ...realClock, setTimer: (ms, fn) => realClock.setTimer(Math.min(ms, 1), fn) };
const sockets: Socket[] = [];

async function udpSocket(): Promise<Socket> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  sockets.push(s);
  return s;
}

afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** 250 chunks of page-like data (54 octets each at 14400 bit/s), no two alike. */
const PAGE = Uint8Array.from({ length: 54 * 250 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

interface Outcome {
  /** The page as the far end reassembled it. */
  received: Uint8Array;
  /** Every datagram that crossed the wire (dropped ones never do). */
  datagrams: Uint8Array[];
  lost: number;
}

/**
 * Sends PAGE as one non-ECM transmission (short training, data, sig-end, no-signal) and drops the
 * datagrams whose index (0 = the first copy of the training indicator) is in `drop`.
 */
async function sendPage(opts: { drop: Set<number>; redundancy?: UdptlRedundancy; maxDatagram?: number }): Promise<Outcome> {
  const [a, b] = [await udpSocket(), await udpSocket()];
  let index = 0;
  const tx = createUdptlPort({
    socket: a,
    remote: { address: "127.0.0.1", port: b.address().port },
    ...(opts.redundancy ? { redundancy: opts.redundancy } : {}),
    ...(opts.maxDatagram ? { maxDatagram: opts.maxDatagram } : {}),
    txLoss: 1,
    random: () => (opts.drop.has(index++) ? 0 : 1),
  });
  const rx = createUdptlPort({ socket: b, remote: { address: "127.0.0.1", port: a.address().port } });
  const datagrams: Uint8Array[] = [];
  b.on("message", (m: Buffer) => datagrams.push(Uint8Array.from(m)));
  const chunks: Uint8Array[] = [];
  const ended = new Promise<void>((resolve) => {
    const signals = new T38Receiver((s) => {
      if (s.kind === "non-ecm") chunks.push(s.data);
      if (s.kind === "non-ecm-end") resolve();
    });
    rx.onPacket((p) => signals.receive(p));
  });
  new T38Transmitter(tx, briskClock, { mode: "realtime" }).nonEcm(V17_14400, "short", PAGE);
  await ended;
  await new Promise((r) => setTimeout(r, 20)); // the no-signal's last copies
  return { received: Buffer.concat(chunks), datagrams, lost: rx.stats.lost };
}

describe("non-ECM image data over UDPTL with losses", () => {
  // Datagrams 0-2: the training indicator (3 copies); 3..252: the 250 data chunks; 253: sig-end;
  // 254-256: no-signal (3 copies).
  const burstOf4 = new Set([6, 7, 8, 9]); // the 4th-7th data chunks, as in interop case 060

  it("recovers a burst of 4 lost datagrams in the page (interop case 060)", async () => {
    const r = await sendPage({ drop: burstOf4 });
    expect(r.lost).toBe(0);
    expect(Buffer.from(r.received).equals(Buffer.from(PAGE))).toBe(true);
  });

  it("recovers a burst of 5, the depth of non-ECM redundancy", async () => {
    const r = await sendPage({ drop: new Set([100, 101, 102, 103, 104]) });
    expect(r.lost).toBe(0);
    expect(Buffer.from(r.received).equals(Buffer.from(PAGE))).toBe(true);
  });

  it("recovers the page's end from the no-signal that follows it (last 4 chunks and the sig-end lost)", async () => {
    const r = await sendPage({ drop: new Set([249, 250, 251, 252, 253]) });
    expect(r.lost).toBe(0);
    expect(Buffer.from(r.received).equals(Buffer.from(PAGE))).toBe(true);
  });

  it("with the old depth of 3 for everything, the same burst of 4 loses a chunk of the page", async () => {
    const r = await sendPage({ drop: burstOf4, redundancy: { repeatable: 3, nonEcm: 3 } });
    expect(r.lost).toBe(1);
    expect(r.received.length).toBe(PAGE.length - 54);
  });

  it("respects T38FaxMaxDatagram: 5 secondaries within 400 octets, fewer when the far end allows less", async () => {
    const at400 = await sendPage({ drop: new Set() });
    const data400 = at400.datagrams.slice(10, 250).map((d) => ({ length: d.length, secondaries: decodeUdptl(d)!.secondary!.length }));
    expect(data400.every((d) => d.length <= 400 && d.secondaries === DEFAULT_REDUNDANCY.nonEcm)).toBe(true);

    const at160 = await sendPage({ drop: new Set(), maxDatagram: 160 });
    expect(Math.max(...at160.datagrams.map((d) => d.length))).toBeLessThanOrEqual(160);
    expect(decodeUdptl(at160.datagrams[100]!)!.secondary!.length).toBe(1); // 64 + 60 octets; a second would not fit
    expect(Buffer.from(at160.received).equals(Buffer.from(PAGE))).toBe(true);
  });
});

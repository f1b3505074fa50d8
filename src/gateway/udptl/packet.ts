/**
 * UDPTL packets, ITU-T T.38 §9.1 and its ASN.1 (`UDPTLPacket`), ALIGNED PER:
 *
 *   UDPTLPacket ::= SEQUENCE {
 *     seq-number          INTEGER (0..65535),
 *     primary-ifp-packet  TYPE-IDENTIFIER.&Type(IFPPacket),      -- open type: length + octets
 *     error-recovery      CHOICE {
 *       secondary-ifp-packets SEQUENCE OF TYPE-IDENTIFIER.&Type(IFPPacket),
 *       fec-info SEQUENCE { fec-npackets INTEGER, fec-data SEQUENCE OF OCTET STRING } } }
 *
 * Secondary packets are carried newest first: the i-th secondary is sequence number seq - 1 - i.
 */
import { BitReader, BitWriter, PerError } from "../asn1/per.js";

export interface UdptlPacket {
  seq: number;
  primary: Uint8Array;
  /** Redundant copies of the preceding IFPs, newest first (seq-1, seq-2, ...). */
  secondary?: Uint8Array[];
  /** Parity FEC (T.38 §9.1.1.2): parsed so a peer using it cannot break us, not used for recovery. */
  fec?: { npackets: number; data: Uint8Array[] };
}

export function encodeUdptl(packet: UdptlPacket): Uint8Array {
  const w = new BitWriter();
  w.bits(packet.seq & 0xffff, 16);
  w.length(packet.primary.length);
  w.octets(packet.primary);
  if (packet.fec) {
    w.bit(1);
    // fec-npackets: an unconstrained INTEGER (X.691 §12.2.6): length then two's-complement octets.
    w.length(1);
    w.octets([packet.fec.npackets & 0x7f]);
    w.length(packet.fec.data.length);
    for (const d of packet.fec.data) {
      w.length(d.length);
      w.octets(d);
    }
  } else {
    w.bit(0);
    const secondary = packet.secondary ?? [];
    w.length(secondary.length);
    for (const s of secondary) {
      w.length(s.length);
      w.octets(s);
    }
  }
  return w.finish();
}

/** X.691 §11.9.3.6-7: an unconstrained length determinant is one octet below 128, else two. */
const lengthOctets = (n: number) => (n < 128 ? 1 : 2);

/**
 * What `encodeUdptl` makes of a primary and secondaries of these sizes, in octets, without building
 * it: seq (2), primary (length + octets), error-recovery CHOICE bit padded to an octet, count, and
 * each secondary (length + octets). Lets a sender fit redundancy to T38FaxMaxDatagram before encoding.
 */
export function udptlLength(primaryLength: number, secondaryLengths: readonly number[]): number {
  let n = 2 + lengthOctets(primaryLength) + primaryLength + 1 + lengthOctets(secondaryLengths.length);
  for (const len of secondaryLengths) n += lengthOctets(len) + len;
  return n;
}

/** Decode one UDPTL datagram; `null` for anything malformed (it is then dropped, never thrown). */
export function decodeUdptl(buf: Uint8Array): UdptlPacket | null {
  try {
    const r = new BitReader(buf);
    const seq = r.bits(16);
    const primaryLen = r.length();
    if (primaryLen === 0) return null;
    const primary = Uint8Array.from(r.octets(primaryLen));
    if (r.remaining <= 0) return null; // error-recovery is mandatory
    if (r.bit() === 0) {
      const count = r.length();
      const secondary: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const len = r.length();
        secondary.push(Uint8Array.from(r.octets(len)));
      }
      return { seq, primary, secondary };
    }
    const nlen = r.length();
    if (nlen < 1 || nlen > 4) return null;
    let npackets = 0;
    for (const b of r.octets(nlen)) npackets = npackets * 256 + b;
    const count = r.length();
    const data: Uint8Array[] = [];
    for (let i = 0; i < count; i++) data.push(Uint8Array.from(r.octets(r.length())));
    return { seq, primary, fec: { npackets, data } };
  } catch (err) {
    if (err instanceof PerError) return null;
    throw err;
  }
}

/**
 * UDPTL sender and receiver state, T.38 §9.1.1: the sender numbers IFPs and repeats the previous
 * ones as secondary packets (redundancy error recovery, T.38 §9.1.1.1); the receiver delivers each
 * IFP once, in sequence order, filling gaps from the redundancy of later packets.
 */
import { decodeUdptl, encodeUdptl } from "./packet.js";

export interface UdptlSenderOptions {
  /** How many earlier IFPs each datagram repeats (SDP T38FaxUdpEC:t38UDPRedundancy). */
  redundancy: number;
  /** SDP T38FaxMaxDatagram: the far end's limit on a whole UDPTL datagram; secondaries are trimmed to fit. */
  maxDatagram: number;
  /** First sequence number (T.38 does not require 0). */
  firstSeq?: number;
}

export class UdptlSender {
  private seq: number;
  private history: Uint8Array[] = []; // newest first

  constructor(private readonly options: UdptlSenderOptions) {
    this.seq = (options.firstSeq ?? 0) & 0xffff;
  }

  /** Wrap one encoded IFP in the next UDPTL datagram. */
  next(ifp: Uint8Array): Uint8Array {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    let secondary = this.history.slice(0, this.options.redundancy);
    let datagram = encodeUdptl({ seq, primary: ifp, secondary });
    while (datagram.length > this.options.maxDatagram && secondary.length > 0) {
      secondary = secondary.slice(0, -1);
      datagram = encodeUdptl({ seq, primary: ifp, secondary });
    }
    this.history.unshift(ifp);
    if (this.history.length > this.options.redundancy) this.history.length = this.options.redundancy;
    return datagram;
  }
}

export interface UdptlReceiveStats {
  received: number;
  duplicates: number;
  recovered: number;
  lost: number;
  malformed: number;
}

/** Sequence numbers wrap at 65536 (T.38 §9.1.2); a packet more than half the space behind is old. */
function seqDistance(from: number, to: number): number {
  const d = (to - from) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}

export class UdptlReceiver {
  private expected: number | undefined;
  readonly stats: UdptlReceiveStats = { received: 0, duplicates: 0, recovered: 0, lost: 0, malformed: 0 };

  /** Returns the IFPs this datagram makes deliverable, in order; [] for duplicates and garbage. */
  receive(datagram: Uint8Array): Uint8Array[] {
    const packet = decodeUdptl(datagram);
    if (!packet) {
      this.stats.malformed++;
      return [];
    }
    this.stats.received++;
    if (this.expected === undefined) this.expected = packet.seq;
    const ahead = seqDistance(this.expected, packet.seq);
    if (ahead < 0) {
      this.stats.duplicates++;
      return [];
    }
    const out: Uint8Array[] = [];
    // Gap [expected, seq-1]: take each missing IFP from this packet's secondaries, oldest first.
    const secondary = packet.secondary ?? [];
    for (let missing = ahead; missing >= 1; missing--) {
      const copy = secondary[missing - 1];
      if (copy && copy.length > 0) {
        out.push(copy);
        this.stats.recovered++;
      } else {
        this.stats.lost++;
      }
    }
    out.push(packet.primary);
    this.expected = (packet.seq + 1) & 0xffff;
    return out;
  }
}

/**
 * UDPTL sender and receiver state, T.38 §9.1.1: the sender numbers IFPs and repeats the previous
 * ones as secondary packets (redundancy error recovery, T.38 §9.1.1.1); the receiver delivers each
 * IFP once, in sequence order, filling gaps from the redundancy of later packets.
 */
import { decodeUdptl, encodeUdptl, udptlLength } from "./packet.js";

export interface UdptlSenderOptions {
  /**
   * How many of the following datagrams repeat an IFP as a secondary, unless `next` is given a depth
   * of its own (SDP T38FaxUdpEC:t38UDPRedundancy; 0 when it was not agreed).
   */
  redundancy: number;
  /** SDP T38FaxMaxDatagram: the far end's limit on a whole UDPTL datagram; secondaries are trimmed to fit. */
  maxDatagram: number;
  /** First sequence number (T.38 does not require 0). */
  firstSeq?: number;
}

interface SentIfp {
  ifp: Uint8Array;
  /** How many following datagrams should carry this IFP. */
  redundancy: number;
}

/**
 * Redundancy is a property of each IFP: "repeat me in the next N datagrams". Because secondaries are
 * the IFPs just before the primary, newest first and without gaps (T.38 §9.1), a datagram carries
 * everything back to the farthest earlier IFP that still asks for it. So a loss burst of N datagrams
 * loses nothing whose redundancy is at least N, however the IFPs after it are classed: the no-signal
 * after a page carries the page's last data as deep as the data asked.
 */
export class UdptlSender {
  private seq: number;
  private history: SentIfp[] = []; // newest first; only what some later datagram may still carry

  constructor(private readonly options: UdptlSenderOptions) {
    this.seq = (options.firstSeq ?? 0) & 0xffff;
  }

  /** Wrap one encoded IFP in the next UDPTL datagram; `redundancy`: how many later datagrams repeat it. */
  next(ifp: Uint8Array, redundancy = this.options.redundancy): Uint8Array {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    let depth = 0;
    this.history.forEach((sent, i) => {
      if (sent.redundancy > i) depth = i + 1;
    });
    const lengths = this.history.slice(0, depth).map((s) => s.ifp.length);
    // The far end's T38FaxMaxDatagram wins over redundancy: drop the oldest secondaries until it fits.
    while (lengths.length > 0 && udptlLength(ifp.length, lengths) > this.options.maxDatagram) lengths.pop();
    const datagram = encodeUdptl({ seq, primary: ifp, secondary: this.history.slice(0, lengths.length).map((s) => s.ifp) });
    this.history.unshift({ ifp, redundancy });
    // An IFP at distance d (index d - 1 next time) is wanted only if its redundancy reaches d; the
    // ones nearer than a wanted one stay as the filler the gap-free layout requires.
    while (this.history.length > 0 && this.history[this.history.length - 1]!.redundancy < this.history.length) this.history.pop();
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

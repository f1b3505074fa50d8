/**
 * A `T38Port` over one UDP socket: IFP packets (./ifp.ts) framed in UDPTL (../udptl) with redundancy.
 * The T.30 engine above sees each received IFP exactly once, in sequence order.
 */
import type { Socket, RemoteInfo } from "node:dgram";
import { decodeIfp, encodeIfp } from "./ifp.js";
import type { IfpPacket, T38Port } from "./ifp-types.js";
import { UdptlReceiver, UdptlSender, type UdptlReceiveStats } from "../udptl/session.js";
import { DEFAULT_REDUNDANCY, redundancyOf, type UdptlRedundancy } from "./redundancy.js";

export interface UdptlPortOptions {
  socket: Socket;
  remote: { address: string; port: number };
  /** How many later datagrams repeat each IFP, by kind (T38FaxUdpEC:t38UDPRedundancy). Default ./redundancy.ts. */
  redundancy?: UdptlRedundancy;
  /** The far end's T38FaxMaxDatagram. Default 400. */
  maxDatagram?: number;
  /**
   * Indicator datagrams are sent this many times, identical (same sequence number): an indicator
   * often ends a transmission, and no later packet may carry it as redundancy (spandsp does the same).
   * A *-sig-end data packet is not repeated: the no-signal indicator that follows it carries it as a
   * secondary, and identical repeats of HDLC/T.4 data confuse reassembling analysers. Default 3.
   */
  endRepeats?: number;
  /** Test hook: drop this fraction of outgoing datagrams (0..1) to exercise the far end's recovery. */
  txLoss?: number;
  /** Test hook: drop this fraction of incoming datagrams. */
  rxLoss?: number;
  random?: () => number;
  /** T38FaxVersion agreed in SDP: selects the IFP field-type layout (see ../t38/ifp.ts). */
  t38Version?: number;
}

export interface UdptlPort extends T38Port {
  readonly stats: UdptlReceiveStats & { sent: number; undecodableIfp: number };
  close(): void;
}


export function createUdptlPort(options: UdptlPortOptions): UdptlPort {
  const { socket, remote } = options;
  const random = options.random ?? Math.random;
  const depths = options.redundancy ?? DEFAULT_REDUNDANCY;
  const sender = new UdptlSender({ redundancy: depths.repeatable, maxDatagram: options.maxDatagram ?? 400 });
  const receiver = new UdptlReceiver();
  const handlers: Array<(p: IfpPacket) => void> = [];
  const pending: IfpPacket[] = [];
  const extra = { sent: 0, undecodableIfp: 0 };
  let closed = false;

  const deliver = (packet: IfpPacket) => {
    if (handlers.length === 0) pending.push(packet);
    else for (const h of handlers) h(packet);
  };

  const onMessage = (msg: Buffer, rinfo: RemoteInfo) => {
    if (closed) return;
    // Only the negotiated far end (SDP c=/m=) may feed the session; anything else is dropped.
    if (rinfo.port !== remote.port || rinfo.address !== remote.address) return;
    if (options.rxLoss && random() < options.rxLoss) return;
    for (const ifp of receiver.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.length))) {
      const decoded = decodeIfp(ifp, { version: options.t38Version ?? 0 });
      if (decoded.ok) deliver(decoded.packet);
      else extra.undecodableIfp++;
    }
  };
  socket.on("message", onMessage);

  return {
    get stats() {
      return { ...receiver.stats, ...extra };
    },
    send(packet: IfpPacket) {
      if (closed) return;
      const datagram = sender.next(encodeIfp(packet, { version: options.t38Version ?? 0 }), redundancyOf(packet, depths));
      const copies = packet.kind === "indicator" ? (options.endRepeats ?? 3) : 1;
      for (let i = 0; i < copies; i++) {
        if (options.txLoss && random() < options.txLoss) continue;
        extra.sent++;
        try {
          socket.send(datagram, remote.port, remote.address);
        } catch {
          // The socket closed under us (call torn down): the IFP has nowhere to go.
        }
      }
    },
    onPacket(handler) {
      handlers.push(handler);
      while (pending.length > 0) {
        const p = pending.shift()!;
        for (const h of handlers) h(p);
      }
    },
    close() {
      closed = true;
      socket.off("message", onMessage);
    },
  };
}

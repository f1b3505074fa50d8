/**
 * How many later UDPTL datagrams repeat each IFP (T.38 §9.1.1.1, redundancy error recovery), by what
 * the IFP carries. T.38 leaves the depth to the sender; like gateways that set it per class of packet
 * (spandsp's packet categories, the low-/high-speed redundancy of others), we set it by what a loss
 * would cost:
 *
 * - Indicators, V.21 control frames and ECM frames have a repetition of their own above UDPTL:
 *   indicators go out three times (./udptl-port.ts), T.30 repeats a command left unanswered for T4
 *   (§5.4.3.4), and ECM asks for lost frames again (T.30 Annex A, PPR). Depth 3 is plenty.
 * - Non-ECM data (a T.4 page, and the TCF that decides the rate) has nothing above UDPTL: an octet
 *   lost there is a damaged row on the page. Depth 5 survives a burst of 5 consecutive lost datagrams;
 *   at 14400 bit/s with 30 ms chunks (54 octets, a 59-octet IFP) a datagram is 364 octets: it fits
 *   the usual T38FaxMaxDatagram of 400, and a smaller one trims it (the far end's limit always wins).
 */
import type { IfpPacket } from "./ifp-types.js";

export interface UdptlRedundancy {
  /** Indicators, HDLC (V.21 control, ECM frames): what T.30 or the indicator repeats recover anyway. */
  repeatable: number;
  /** t4-non-ecm-data and t4-non-ecm-sig-end: a page or TCF that no one sends again. */
  nonEcm: number;
}

/** With T38FaxUdpEC:t38UDPRedundancy agreed. */
export const DEFAULT_REDUNDANCY: UdptlRedundancy = { repeatable: 3, nonEcm: 5 };

/** T38FaxUdpEC not agreed: primaries only. */
export const NO_REDUNDANCY: UdptlRedundancy = { repeatable: 0, nonEcm: 0 };

export function redundancyOf(packet: IfpPacket, depths: UdptlRedundancy): number {
  const nonEcm = packet.kind === "data" && packet.fields.some((f) => f.type === "t4-non-ecm-data" || f.type === "t4-non-ecm-sig-end");
  return nonEcm ? depths.nonEcm : depths.repeatable;
}

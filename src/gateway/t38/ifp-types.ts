/**
 * The vocabulary shared by the T.30 engine (src/gateway/t30) and the T.38 transport
 * (src/gateway/t38 IFP codec over src/gateway/udptl). Names follow ITU-T T.38 (2010) Annex A ASN.1:
 * `Type-of-msg` is either a `t30-indicator` or `data`, and data packets carry `Data-Field` elements.
 *
 * The T.30 engine only ever sees these values; it never sees PER bytes, UDPTL sequence numbers or
 * redundancy, which stay below this line.
 */

/** T.38 Annex A `T30-indicator` (values 0-22; the V.34 and V.33 ones are kept for decoding only). */
export const T30_INDICATORS = [
  "no-signal",
  "cng",
  "ced",
  "v21-preamble",
  "v27-2400-training",
  "v27-4800-training",
  "v29-7200-training",
  "v29-9600-training",
  "v17-7200-short-training",
  "v17-7200-long-training",
  "v17-9600-short-training",
  "v17-9600-long-training",
  "v17-12000-short-training",
  "v17-12000-long-training",
  "v17-14400-short-training",
  "v17-14400-long-training",
  "v8-ansam",
  "v8-signal",
  "v34-cntl-channel-1200",
  "v34-pri-channel",
  "v34-CC-retrain",
  "v33-12000-training",
  "v33-14400-training",
] as const;
export type T30Indicator = (typeof T30_INDICATORS)[number];

/** T.38 Annex A `Data` (values 0-14). */
export const T38_DATA_TYPES = [
  "v21",
  "v27-2400",
  "v27-4800",
  "v29-7200",
  "v29-9600",
  "v17-7200",
  "v17-9600",
  "v17-12000",
  "v17-14400",
  "v8",
  "v34-pri-rate",
  "v34-CC-1200",
  "v34-pri-ch",
  "v33-12000",
  "v33-14400",
] as const;
export type T38DataType = (typeof T38_DATA_TYPES)[number];

/** T.38 Annex A `Data-Field` `field-type` (values 0-7). */
export const T38_FIELD_TYPES = [
  "hdlc-data",
  "hdlc-sig-end",
  "hdlc-fcs-OK",
  "hdlc-fcs-BAD",
  "hdlc-fcs-OK-sig-end",
  "hdlc-fcs-BAD-sig-end",
  "t4-non-ecm-data",
  "t4-non-ecm-sig-end",
] as const;
export type T38FieldType = (typeof T38_FIELD_TYPES)[number];

export interface T38DataField {
  type: T38FieldType;
  /** Present for hdlc-data and t4-non-ecm-data (and optionally on the *-sig-end types). */
  data?: Uint8Array;
}

/** One Internet Facsimile Protocol packet, T.38 §7 / Annex A `IFPPacket`. */
export type IfpPacket =
  | { kind: "indicator"; indicator: T30Indicator }
  | { kind: "data"; dataType: T38DataType; fields: T38DataField[] };

/**
 * What a T.30 engine needs from the transport: send one IFP packet, and be told of each IFP
 * packet received in order (UDPTL has already removed duplicates and recovered losses from
 * redundancy). HDLC frames travel without flags or FCS; the transport reports FCS as a field type.
 */
export interface T38Port {
  send(packet: IfpPacket): void;
  onPacket(handler: (packet: IfpPacket) => void): void;
}

/**
 * Modem for a given signalling rate, as T.30 Table 2 pairs DCS bit rates with modulations.
 * Used by both sides so the engine can name a rate and the transport the matching indicator/data type.
 */
export const FAST_MODEMS = {
  "v17-14400": { bitsPerSecond: 14400, training: "v17-14400-long-training", data: "v17-14400" },
  "v17-12000": { bitsPerSecond: 12000, training: "v17-12000-long-training", data: "v17-12000" },
  "v17-9600": { bitsPerSecond: 9600, training: "v17-9600-long-training", data: "v17-9600" },
  "v17-7200": { bitsPerSecond: 7200, training: "v17-7200-long-training", data: "v17-7200" },
  "v29-9600": { bitsPerSecond: 9600, training: "v29-9600-training", data: "v29-9600" },
  "v29-7200": { bitsPerSecond: 7200, training: "v29-7200-training", data: "v29-7200" },
  "v27-4800": { bitsPerSecond: 4800, training: "v27-4800-training", data: "v27-4800" },
  "v27-2400": { bitsPerSecond: 2400, training: "v27-2400-training", data: "v27-2400" },
} as const satisfies Record<string, { bitsPerSecond: number; training: T30Indicator; data: T38DataType }>;
export type FastModem = keyof typeof FAST_MODEMS;

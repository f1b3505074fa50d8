/**
 * T.38 IFP packets (ITU-T T.38 §7 and Annex A `IFPPacket`) in ALIGNED PER, as T.38 §A.1 requires.
 *
 *   IFPPacket ::= SEQUENCE { type-of-msg Type-of-msg, data-field Data-Field OPTIONAL }
 *   Type-of-msg ::= CHOICE { t30-indicator ENUMERATED {16 root values, ..., 7 more},
 *                            data ENUMERATED {9 root values, ..., 6 more} }
 *   Data-Field ::= SEQUENCE OF SEQUENCE { field-type ENUMERATED {8 root values, ..., 4 more},
 *                                         field-data OCTET STRING (SIZE(1..65535)) OPTIONAL }
 *
 * So the first octet is: data-field present | choice index | enumeration extension bit | value.
 *
 * One difference between editions matters on the wire: in T.38 (1998), T38FaxVersion 0 and 1, the
 * `field-type` enumeration has no extension marker, so a field's first octet is presence | 3-bit type;
 * from T.38 (2002), version 2 on, it is presence | extension bit | 3-bit type. spandsp and Wireshark
 * follow this, so the version agreed in SDP (T38FaxVersion) selects the layout.
 */
import { BitReader, BitWriter, PerError } from "../asn1/per.js";
import {
  T30_INDICATORS,
  T38_DATA_TYPES,
  T38_FIELD_TYPES,
  type IfpPacket,
  type T38DataField,
} from "./ifp-types.js";

/** Root (pre-extension-marker) sizes of the Annex A enumerations. */
const INDICATOR_ROOT = 16; // no-signal .. v17-14400-long-training
const DATA_ROOT = 9; // v21 .. v17-14400
const FIELD_ROOT = 8; // hdlc-data .. t4-non-ecm-sig-end

/** X.691 §13: an extensible ENUMERATED: extension bit, then a constrained index or a small number. */
function writeEnum(w: BitWriter, index: number, rootCount: number, rootBits: number): void {
  if (index < rootCount) {
    w.bit(0);
    w.bits(index, rootBits);
  } else {
    w.bit(1);
    w.smallNumber(index - rootCount);
  }
}

function readEnum(r: BitReader, rootCount: number, rootBits: number): number {
  if (r.bit() === 0) {
    const v = r.bits(rootBits);
    if (v >= rootCount) throw new PerError("enumeration index out of root range");
    return v;
  }
  return rootCount + r.smallNumber();
}

export interface IfpOptions {
  /** T38FaxVersion agreed in SDP (default 0). */
  version?: number;
}

/** T.38 (2002) added the extension marker to `field-type` (version 2 and later). */
const fieldTypeExtensible = (o: IfpOptions | undefined) => (o?.version ?? 0) >= 2;

export function encodeIfp(packet: IfpPacket, options?: IfpOptions): Uint8Array {
  const w = new BitWriter();
  if (packet.kind === "indicator") {
    const index = T30_INDICATORS.indexOf(packet.indicator);
    if (index < 0) throw new PerError(`unknown indicator ${packet.indicator}`);
    w.bit(0); // data-field absent
    w.bit(0); // CHOICE index 0: t30-indicator
    writeEnum(w, index, INDICATOR_ROOT, 4);
    return w.finish();
  }
  const index = T38_DATA_TYPES.indexOf(packet.dataType);
  if (index < 0) throw new PerError(`unknown data type ${packet.dataType}`);
  const hasFields = packet.fields.length > 0;
  w.bit(hasFields ? 1 : 0);
  w.bit(1); // CHOICE index 1: data
  writeEnum(w, index, DATA_ROOT, 4);
  if (hasFields) {
    w.length(packet.fields.length);
    for (const field of packet.fields) {
      const type = T38_FIELD_TYPES.indexOf(field.type);
      if (type < 0) throw new PerError(`unknown field type ${field.type}`);
      const data = field.data && field.data.length > 0 ? field.data : undefined;
      w.bit(data ? 1 : 0); // field-data OPTIONAL
      if (fieldTypeExtensible(options)) writeEnum(w, type, FIELD_ROOT, 3);
      else w.bits(type, 3);
      if (data) {
        if (data.length > 65535) throw new PerError("field-data longer than 65535");
        // X.691 §16.8 / §11.9.4.1: constrained length (1..65535) is a 16-bit aligned offset from 1.
        w.align();
        w.bits(data.length - 1, 16);
        w.octets(data);
      }
    }
  }
  return w.finish();
}

export type IfpDecodeResult =
  | { ok: true; packet: IfpPacket }
  | { ok: false; reason: string };

/**
 * Decode one IFP packet. Never throws: malformed or truncated input, and extension values this
 * version does not know (T.38 §A.2 asks receivers to ignore what they do not understand), come back
 * as `ok: false`. Data fields with extension field types (cm/jm/ci-message, v34rate: V.34 only) are skipped.
 */
export function decodeIfp(buf: Uint8Array, options?: IfpOptions): IfpDecodeResult {
  try {
    const r = new BitReader(buf);
    const hasFields = r.bit() === 1;
    const choice = r.bit();
    if (choice === 0) {
      const index = readEnum(r, INDICATOR_ROOT, 4);
      const indicator = T30_INDICATORS[index];
      if (!indicator) return { ok: false, reason: `unknown t30-indicator ${index}` };
      return { ok: true, packet: { kind: "indicator", indicator } };
    }
    const index = readEnum(r, DATA_ROOT, 4);
    const dataType = T38_DATA_TYPES[index];
    if (!dataType) return { ok: false, reason: `unknown data type ${index}` };
    const fields: T38DataField[] = [];
    if (hasFields) {
      const count = r.length();
      if (count === 0) return { ok: false, reason: "empty data-field" };
      for (let i = 0; i < count; i++) {
        const hasData = r.bit() === 1;
        const type = fieldTypeExtensible(options) ? readEnum(r, FIELD_ROOT, 3) : r.bits(3);
        let data: Uint8Array | undefined;
        if (hasData) {
          r.align();
          const len = r.bits(16) + 1;
          data = Uint8Array.from(r.octets(len));
        }
        const name = T38_FIELD_TYPES[type];
        if (name) fields.push(data ? { type: name, data } : { type: name });
      }
    }
    return { ok: true, packet: { kind: "data", dataType, fields } };
  } catch (err) {
    if (err instanceof PerError) return { ok: false, reason: err.message };
    throw err;
  }
}

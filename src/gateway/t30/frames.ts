/**
 * T.30 HDLC frames: control fields, facsimile control fields (FCF) and the information fields (FIF)
 * of DIS/DTC/DCS, TSI/CSI/CIG and the ECM frames.
 * ITU-T T.30 (09/2005) §5.3.6 and Table 2; T.4 Annex A for FCD/RCP.
 *
 * Bit order. T.30 numbers the bits of a frame in the order they are sent on the line, and HDLC
 * sends each octet least significant bit first. So in this module an octet holds its first bit
 * on the line in its LSB, as spandsp's t30.c does: DIS, written "0000 0001" in T.30, is 0x80;
 * FIF bit 1 is 0x01 of the first FIF octet, bit 9 is 0x01 of the second, and so on.
 * T.38 carries HDLC octets the other way round (first bit on the line in the MSB; spandsp's
 * t38_terminal.c bit-reverses every HDLC octet), so `toT38Octets`/`fromT38Octets` turn a frame
 * around at the T.38 boundary: a DIS frame FF 13 80 ... here is FF C8 01 ... on the wire.
 */
import type { CodingScheme, FaxBitRate, FaxModulation, FaxResolution } from "./types.js";

/** T.30 §5.3.5: the address field is always all ones. */
export const ADDRESS = 0xff;
/** T.30 §5.3.5: control field, 0000 0011 (non-final) / 0001 0011 (final frame of a sequence), LSB first. */
export const CONTROL_NON_FINAL = 0x03;
export const CONTROL_FINAL = 0x13;

/**
 * T.30 §5.3.6 FCF values (first bit on the line in the LSB; the X bit, bit 1, left 0).
 * The X bit (LSB) is 1 in frames from the station that received a valid DIS.
 */
export const FCF = {
  DIS: 0x80, CSI: 0x40, NSF: 0x20,
  DTC: 0x81, CIG: 0x41, NSC: 0x21,
  DCS: 0x82, TSI: 0x42, NSS: 0x22, CTC: 0x12,
  CFR: 0x84, FTT: 0x44, CTR: 0xc4,
  EOM: 0x8e, MPS: 0x4e, EOP: 0x2e, PRI_EOM: 0x9e, PRI_MPS: 0x5e, PRI_EOP: 0x3e,
  PPS: 0xbe, EOR: 0xce, RR: 0x6e,
  MCF: 0x8c, RTP: 0xcc, RTN: 0x4c, PIP: 0xac, PIN: 0x2c, PPR: 0xbc, RNR: 0xec, ERR: 0x1c,
  DCN: 0xfa, CRP: 0x1a, FNV: 0xca,
  /** T.30 Annex A / T.4 A.3: the PPS/EOR second FCF "no end of page" value. */
  NULL: 0x00,
  /** T.4 Annex A: facsimile coded data and return to control for partial page. */
  FCD: 0x06, RCP: 0x86,
} as const;
export type FcfName = keyof typeof FCF;

const FCF_NAMES = new Map<number, FcfName>(Object.entries(FCF).map(([k, v]) => [v, k as FcfName]));

/** A command's name for logs and results ("MPS", "EOP", ...): the first FCF entry with this value. */
export function fcfName(fcf: number): string {
  for (const [k, v] of Object.entries(FCF)) if (v === fcf) return k;
  return `0x${fcf.toString(16)}`;
}

/** The initial identification frames use bit 1 as part of the code (DIS vs DTC), not as the X bit. */
const NO_X_BIT = new Set<number>([FCF.DIS, FCF.CSI, FCF.NSF, FCF.DTC, FCF.CIG, FCF.NSC]);

export interface T30Frame {
  name: FcfName | "unknown";
  fcf: number;
  x: boolean;
  final: boolean;
  fif: Uint8Array;
}

export function buildFrame(fcf: number, fif: ArrayLike<number> = [], opts: { final?: boolean; x?: boolean } = {}): Uint8Array {
  const out = new Uint8Array(3 + fif.length);
  out[0] = ADDRESS;
  out[1] = opts.final === false ? CONTROL_NON_FINAL : CONTROL_FINAL;
  out[2] = NO_X_BIT.has(fcf) || fcf === FCF.FCD || fcf === FCF.RCP ? fcf : fcf | (opts.x ? 1 : 0);
  out.set(Array.from(fif), 3);
  return out;
}

/** Returns null for anything that is not an HDLC frame with a T.30 address and control field. */
export function parseFrame(bytes: Uint8Array): T30Frame | null {
  if (bytes.length < 3 || bytes[0] !== ADDRESS) return null;
  const control = bytes[1]!;
  if (control !== CONTROL_FINAL && control !== CONTROL_NON_FINAL) return null;
  const raw = bytes[2]!;
  const fcf = NO_X_BIT.has(raw) ? raw : raw & 0xfe;
  return {
    name: FCF_NAMES.get(fcf) ?? "unknown",
    fcf,
    x: !NO_X_BIT.has(raw) && (raw & 1) === 1,
    final: control === CONTROL_FINAL,
    fif: bytes.subarray(3),
  };
}

const REVERSED = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >> b;
  REVERSED[i] = r;
}

/** Reverses the bit order of every octet (LSB-first line order <-> T.38's MSB-first octets). */
export function reverseBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = REVERSED[bytes[i]!]!;
  return out;
}
export const toT38Octets = reverseBits;
export const fromT38Octets = reverseBits;

// ---------------------------------------------------------------------------------------------
// FIF bit access, T.30 Table 2 numbering: bit n lives in FIF octet floor((n-1)/8), mask 1 << ((n-1) % 8).

export function getBit(fif: ArrayLike<number>, bit: number): boolean {
  const octet = fif[(bit - 1) >> 3];
  return octet !== undefined && (octet & (1 << ((bit - 1) & 7))) !== 0;
}

export function setBit(fif: Uint8Array, bit: number, on = true): void {
  const i = (bit - 1) >> 3;
  if (i >= fif.length) throw new RangeError(`FIF bit ${bit} beyond ${fif.length} octets`);
  if (on) fif[i]! |= 1 << ((bit - 1) & 7);
  else fif[i]! &= ~(1 << ((bit - 1) & 7));
}

/** Reads `count` bits starting at `first`, `first` being the least significant (as Table 2 lists them). */
function getField(fif: ArrayLike<number>, first: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) if (getBit(fif, first + i)) v |= 1 << i;
  return v;
}
function setField(fif: Uint8Array, first: number, count: number, value: number): void {
  for (let i = 0; i < count; i++) setBit(fif, first + i, ((value >> i) & 1) === 1);
}

/**
 * T.30 Table 2 bit numbers this engine uses. The "extend field" bits (24, 32, 40, 48, ...) say
 * another FIF octet follows.
 */
export const DIS_BIT = {
  T38: 3, // Table 2 bit 3: T.38 operation
  READY_TO_TRANSMIT: 9, // DIS/DTC: ready to transmit a facsimile document (polling)
  READY_TO_RECEIVE: 10, // DIS/DTC: receiver capable; DCS: "receive fax document" (set to 1)
  MODEM_FIRST: 11, // bits 11-14: data signalling rate
  FINE: 15, // R8 x 7.7 lines/mm and/or 200 x 200 pels/25.4 mm
  TWO_D: 16, // two-dimensional coding (T.4 MR)
  WIDTH_FIRST: 17, // bits 17-18: recording width
  LENGTH_FIRST: 19, // bits 19-20: maximum recording length
  MIN_SCAN_FIRST: 21, // bits 21-23: minimum scan line time
  EXTEND_1: 24,
  UNCOMPRESSED: 26,
  ECM: 27, // error correction mode (T.30 Annex A)
  FRAME_64: 28, // DCS: 0 = 256-octet frames, 1 = 64-octet frames
  T6: 31, // T.6 (MMR) coding; only with ECM
  EXTEND_2: 32,
  EXTEND_3: 40,
  METRIC_PREFERRED: 45,
} as const;

/** What a DIS or DTC offers (T.30 Table 2). */
export interface DisInfo {
  readyToTransmit: boolean;
  readyToReceive: boolean;
  /** Table 2 bits 11-14 in DIS: which modems the station has. */
  modems: { v27ter: boolean; v29: boolean; v17: boolean };
  fine: boolean;
  mr: boolean;
  mmr: boolean;
  ecm: boolean;
  /** Widest recording width in pels at R8 (1728 A4, 2048 B4, 2432 A3). */
  maxWidth: 1728 | 2048 | 2432;
  /** Table 2 bits 19-20. */
  maxLength: "a4" | "b4" | "unlimited";
  /** Bits 21-23 as a 3-bit value, bit 21 least significant. */
  minScanField: number;
  t38: boolean;
}

/** Table 2, bits 11-14 in DIS/DTC (bit 11 least significant in the field value). */
function disModemField(m: DisInfo["modems"]): number {
  if (m.v17) return 0b1011; // 1 1 0 1: V.27ter, V.29 and V.17 (V.17 implies the other two)
  if (m.v29 && m.v27ter) return 0b0011; // 1 1 0 0
  if (m.v29) return 0b0001; // 1 0 0 0
  if (m.v27ter) return 0b0010; // 0 1 0 0
  return 0; // 0 0 0 0: V.27ter fallback mode, 2400 bit/s only
}

function disModemsFromField(v: number): DisInfo["modems"] {
  // Bit 11 = V.29, bit 12 = V.27ter, bit 14 = V.17 (Table 2, with its notes on combinations).
  return { v29: (v & 1) !== 0, v27ter: (v & 2) !== 0, v17: (v & 8) !== 0 };
}

const WIDTH_CODES: Record<DisInfo["maxWidth"], number> = { 1728: 0, 2048: 1, 2432: 2 };
const LENGTH_CODES: Record<DisInfo["maxLength"], number> = { a4: 0, b4: 1, unlimited: 2 };

/** Sets the extend bits so the FIF ends at its last non-zero octet (at least 3 octets). */
function trimWithExtendBits(fif: Uint8Array): Uint8Array {
  let len = fif.length;
  while (len > 3 && fif[len - 1] === 0) len--;
  const out = fif.slice(0, len);
  // Bits 24, 32, 40, ...: 1 when another octet follows.
  for (let octet = 3; octet <= out.length; octet++) setBit(out, octet * 8, octet < out.length);
  return out;
}

export function encodeDis(d: DisInfo): Uint8Array {
  const fif = new Uint8Array(8);
  if (d.t38) setBit(fif, DIS_BIT.T38);
  if (d.readyToTransmit) setBit(fif, DIS_BIT.READY_TO_TRANSMIT);
  if (d.readyToReceive) setBit(fif, DIS_BIT.READY_TO_RECEIVE);
  setField(fif, DIS_BIT.MODEM_FIRST, 4, disModemField(d.modems));
  if (d.fine) setBit(fif, DIS_BIT.FINE);
  if (d.mr) setBit(fif, DIS_BIT.TWO_D);
  setField(fif, DIS_BIT.WIDTH_FIRST, 2, WIDTH_CODES[d.maxWidth]);
  setField(fif, DIS_BIT.LENGTH_FIRST, 2, LENGTH_CODES[d.maxLength]);
  setField(fif, DIS_BIT.MIN_SCAN_FIRST, 3, d.minScanField);
  if (d.ecm) setBit(fif, DIS_BIT.ECM);
  // T.30 §5.3.6.2.1 note: T.6 coding is only offered together with ECM.
  if (d.ecm && d.mmr) setBit(fif, DIS_BIT.T6);
  return trimWithExtendBits(fif);
}

export function decodeDis(fif: Uint8Array): DisInfo {
  const width = getField(fif, DIS_BIT.WIDTH_FIRST, 2);
  const length = getField(fif, DIS_BIT.LENGTH_FIRST, 2);
  // Extension octets only count when the previous extend bit says they are there.
  const has4 = getBit(fif, DIS_BIT.EXTEND_1);
  const ecm = has4 && getBit(fif, DIS_BIT.ECM);
  return {
    t38: getBit(fif, DIS_BIT.T38),
    readyToTransmit: getBit(fif, DIS_BIT.READY_TO_TRANSMIT),
    readyToReceive: getBit(fif, DIS_BIT.READY_TO_RECEIVE),
    modems: disModemsFromField(getField(fif, DIS_BIT.MODEM_FIRST, 4)),
    fine: getBit(fif, DIS_BIT.FINE),
    mr: getBit(fif, DIS_BIT.TWO_D),
    // Table 2 note: 1 1 (invalid) is read as 1 0 (A4, B4 and A3), as spandsp does.
    maxWidth: width === 0 ? 1728 : width === 1 ? 2048 : 2432,
    maxLength: length === 0 ? "a4" : length === 1 ? "b4" : "unlimited",
    minScanField: getField(fif, DIS_BIT.MIN_SCAN_FIRST, 3),
    ecm,
    mmr: ecm && getBit(fif, DIS_BIT.T6),
  };
}

// ---------------------------------------------------------------------------------------------
// Signalling rates: DCS bits 11-14 (Table 2), with the modem each implies.

export interface ModemRate {
  bitRate: FaxBitRate;
  modem: FaxModulation;
  /** The FAST_MODEMS key of ../t38/ifp-types.ts, which names the training indicator and data type. */
  t38: "v17-14400" | "v17-12000" | "v17-9600" | "v17-7200" | "v29-9600" | "v29-7200" | "v27-4800" | "v27-2400";
  /** DCS bits 11-14 as a field value, bit 11 least significant. */
  dcsField: number;
}

/** Fallback order, fastest first (T.30 §5.3.2.3 leaves the sequence to the sender; this is spandsp's, by family). */
export const MODEM_RATES: readonly ModemRate[] = [
  { bitRate: 14400, modem: "v17", t38: "v17-14400", dcsField: 0b1000 }, // 0 0 0 1
  { bitRate: 12000, modem: "v17", t38: "v17-12000", dcsField: 0b1010 }, // 0 1 0 1
  { bitRate: 9600, modem: "v17", t38: "v17-9600", dcsField: 0b1001 }, // 1 0 0 1
  { bitRate: 7200, modem: "v17", t38: "v17-7200", dcsField: 0b1011 }, // 1 1 0 1
  { bitRate: 9600, modem: "v29", t38: "v29-9600", dcsField: 0b0001 }, // 1 0 0 0
  { bitRate: 7200, modem: "v29", t38: "v29-7200", dcsField: 0b0011 }, // 1 1 0 0
  { bitRate: 4800, modem: "v27ter", t38: "v27-4800", dcsField: 0b0010 }, // 0 1 0 0
  { bitRate: 2400, modem: "v27ter", t38: "v27-2400", dcsField: 0b0000 }, // 0 0 0 0
];

export function rateFromDcsField(field: number): ModemRate | null {
  return MODEM_RATES.find((r) => r.dcsField === field) ?? null;
}

/**
 * The rates to try, fastest first, that both our limit and the far end's DIS allow:
 * V.17 14400 -> 12000 -> 9600 -> 7200, then V.27ter 4800 -> 2400; without V.17, V.29 9600 -> 7200
 * then V.27ter.
 */
export function fallbackSequence(remote: DisInfo["modems"], maxBitRate: number): ModemRate[] {
  const has = (m: FaxModulation) => (m === "v17" ? remote.v17 : m === "v29" ? remote.v29 || remote.v17 : remote.v27ter || remote.v29 || remote.v17);
  const seq: ModemRate[] = [];
  const v17 = has("v17");
  for (const r of MODEM_RATES) {
    if (r.bitRate > maxBitRate || !has(r.modem)) continue;
    if (r.modem === "v29" && v17 && maxBitRate >= 7200) continue; // V.17 covers 9600 and 7200 already
    seq.push(r);
  }
  // V.27ter 2400 is always possible: Table 2 "V.27 ter fallback mode".
  if (!seq.some((r) => r.bitRate === 2400)) seq.push(MODEM_RATES[MODEM_RATES.length - 1]!);
  return seq;
}

/** What a DCS commands (T.30 Table 2). */
export interface DcsInfo {
  rate: ModemRate;
  resolution: FaxResolution;
  scheme: CodingScheme;
  ecm: boolean;
  /** ECM frame size: 256 (bit 28 = 0) or 64 (bit 28 = 1). */
  frameSize: 256 | 64;
  width: 1728 | 2048 | 2432;
  maxLength: "a4" | "b4" | "unlimited";
  /** The minimum scan line time in ms the sender will use, from bits 21-23. */
  minScanMs: number;
  t38: boolean;
}

/** DCS bits 21-23: the minimum scan line time in use (Table 2; 0 ms is 1 1 1). */
const DCS_MIN_SCAN_CODES: Record<number, number> = { 20: 0b000, 5: 0b001, 10: 0b010, 40: 0b100, 0: 0b111 };
const DCS_MIN_SCAN_MS: Record<number, number> = { 0b000: 20, 0b001: 5, 0b010: 10, 0b100: 40, 0b111: 0 };

export function encodeDcs(d: DcsInfo): Uint8Array {
  const fif = new Uint8Array(8);
  if (d.t38) setBit(fif, DIS_BIT.T38);
  setBit(fif, DIS_BIT.READY_TO_RECEIVE); // Table 2 bit 10 in DCS: receive fax document
  setField(fif, DIS_BIT.MODEM_FIRST, 4, d.rate.dcsField);
  if (d.resolution === "fine") setBit(fif, DIS_BIT.FINE);
  if (d.scheme === "mr") setBit(fif, DIS_BIT.TWO_D);
  setField(fif, DIS_BIT.WIDTH_FIRST, 2, WIDTH_CODES[d.width]);
  setField(fif, DIS_BIT.LENGTH_FIRST, 2, LENGTH_CODES[d.maxLength]);
  setField(fif, DIS_BIT.MIN_SCAN_FIRST, 3, DCS_MIN_SCAN_CODES[d.minScanMs] ?? 0b111);
  if (d.ecm) {
    setBit(fif, DIS_BIT.ECM);
    if (d.frameSize === 64) setBit(fif, DIS_BIT.FRAME_64);
    if (d.scheme === "mmr") setBit(fif, DIS_BIT.T6);
  }
  return trimWithExtendBits(fif);
}

/** Null when the DCS names a rate we do not know (Table 2 "invalid" codes). */
export function decodeDcs(fif: Uint8Array): DcsInfo | null {
  const rate = rateFromDcsField(getField(fif, DIS_BIT.MODEM_FIRST, 4));
  if (!rate || fif.length < 3) return null;
  const has4 = getBit(fif, DIS_BIT.EXTEND_1);
  const ecm = has4 && getBit(fif, DIS_BIT.ECM);
  const t6 = ecm && getBit(fif, DIS_BIT.T6);
  const width = getField(fif, DIS_BIT.WIDTH_FIRST, 2);
  const length = getField(fif, DIS_BIT.LENGTH_FIRST, 2);
  return {
    rate,
    resolution: getBit(fif, DIS_BIT.FINE) ? "fine" : "standard",
    scheme: t6 ? "mmr" : getBit(fif, DIS_BIT.TWO_D) ? "mr" : "mh",
    ecm,
    frameSize: ecm && getBit(fif, DIS_BIT.FRAME_64) ? 64 : 256,
    width: width === 0 ? 1728 : width === 1 ? 2048 : 2432,
    maxLength: length === 0 ? "a4" : length === 1 ? "b4" : "unlimited",
    minScanMs: DCS_MIN_SCAN_MS[getField(fif, DIS_BIT.MIN_SCAN_FIRST, 3)] ?? 0,
    t38: getBit(fif, DIS_BIT.T38),
  };
}

/**
 * The minimum scan line time the sender must respect, from the receiver's DIS bits 21-23
 * (Table 2; the 3-bit value has bit 21 least significant). For fine resolution some codes halve
 * the time ("T7.7 = T3.85/2").
 */
export function minScanMsFromDis(field: number, resolution: FaxResolution): number {
  const standard = [20, 5, 10, 20, 40, 40, 10, 0];
  const fine = [20, 5, 10, 10, 40, 20, 5, 0];
  return (resolution === "fine" ? fine : standard)[field & 7] ?? 20;
}

/** The DIS bits 21-23 value that asks for `ms` at both resolutions (0, 5, 10, 20 or 40 ms). */
export function disMinScanField(ms: number): number {
  return ms <= 0 ? 0b111 : ms <= 5 ? 0b001 : ms <= 10 ? 0b010 : ms <= 20 ? 0b000 : 0b100;
}

// ---------------------------------------------------------------------------------------------
// Identification (T.30 §5.3.6.2.4-5): 20 characters, digits, "+" and space, the last character
// sent first, padded with spaces.

export function encodeIdent(ident: string): Uint8Array {
  // Right-aligned: the last character goes first and the unused positions at the end are spaces.
  const clean = ident.replace(/[^0-9+ ]/g, "").slice(0, 20).padStart(20, " ");
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = clean.charCodeAt(19 - i);
  return out;
}

export function decodeIdent(fif: Uint8Array): string {
  let s = "";
  for (let i = Math.min(fif.length, 20) - 1; i >= 0; i--) {
    const c = fif[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : " ";
  }
  return s.trim();
}

// ---------------------------------------------------------------------------------------------
// ECM (T.30 Annex A, T.4 Annex A)

/** PPS FIF: the post-page FCF (or NULL), page counter, block counter, frames in the burst minus one. */
export function encodePps(postPage: number, page: number, block: number, frames: number, x: boolean): Uint8Array {
  return Uint8Array.of(postPage === FCF.NULL ? 0 : postPage | (x ? 1 : 0), page & 0xff, block & 0xff, Math.max(0, frames - 1) & 0xff);
}

export function decodePps(fif: Uint8Array): { postPage: number; page: number; block: number; frames: number } | null {
  if (fif.length < 4) return null;
  return { postPage: fif[0]! & 0xfe, page: fif[1]!, block: fif[2]!, frames: fif[3]! + 1 };
}

/** PPR FIF: 256 bits, frame n in bit n+1 (Table 2 numbering), 1 = the frame must be sent again. */
export function encodeFrameMap(missing: (frame: number) => boolean): Uint8Array {
  const map = new Uint8Array(32);
  for (let n = 0; n < 256; n++) if (missing(n)) map[n >> 3]! |= 1 << (n & 7);
  return map;
}

export function frameMapHas(map: Uint8Array, frame: number): boolean {
  return ((map[frame >> 3] ?? 0) & (1 << (frame & 7))) !== 0;
}

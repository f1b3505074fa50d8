/**
 * Page coding behind two small interfaces, so the engine never depends on how pages are coded:
 * a `PageSource` codes the sender's pages with the parameters DCS fixed, a `PageSink` decodes what
 * the receiver got. The default implementation is the platform codec (src/codec, T.4/T.6 in WASM),
 * loaded lazily so this module loads even where the codec's WASM is not built.
 *
 * Coded data is in T.38 octet order: the first bit on the line is the MSB of the first octet
 * (which is also TIFF FillOrder 1, the codec's order).
 */
import type { CodingScheme, FaxBitmap, FaxResolution } from "./types.js";

export interface PageEncodeParams {
  scheme: CodingScheme;
  resolution: FaxResolution;
  /** T.30 minimum scan line time as bits at the line rate (non-ECM only; 0 for ECM). */
  minBitsPerRow: number;
  ecm: boolean;
}

export interface PageSource {
  encode(bitmap: FaxBitmap, params: PageEncodeParams): Uint8Array;
}

export interface PageSink {
  decode(coded: Uint8Array, params: { scheme: CodingScheme; width: number; resolution: FaxResolution }): { bitmap: FaxBitmap; badRows: number };
}

export type PageCoder = PageSource & PageSink;

let codecCoder: Promise<PageCoder> | null = null;

/** The platform codec as a PageCoder: T.4 with EOLs and RTC (MR with K = 2/4, T.4 §4.2.1), T.6 with EOFB. */
export function loadCodecCoder(): Promise<PageCoder> {
  codecCoder ??= import("../../codec/index.js").then((codec) => ({
    encode(bitmap, p) {
      return codec.encodePage(bitmap, {
        scheme: p.scheme,
        k: p.resolution === "fine" ? 4 : 2,
        eol: true,
        byteAlign: false,
        rtc: true,
        minBitsPerRow: p.minBitsPerRow,
      });
    },
    decode(coded, p) {
      const page = codec.decodePage(coded, { scheme: p.scheme, width: p.width });
      return { bitmap: page.bitmap, badRows: page.badRows };
    },
  }));
  return codecCoder;
}

/** Joins a page's coded data as it arrived, in pieces (non-ECM chunks, ECM frames), into one buffer. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

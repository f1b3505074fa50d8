/**
 * Test pages for the T.38 interop suite: deterministic fax-like 1728-pixel pages (a header line, text-like
 * word blocks, rules and a box), written as PBM and turned into TIFF Class F by libtiff's own tools
 * (ppm2tiff, tiffcp, tiffset), so the page bytes come from an independent encoder.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

/** execFile as a promise: the T.38 suite's concurrent calls must never wait on a child process. */
export const run = promisify(execFile);

export type Compression = "mh" | "mr" | "mmr";
export type Resolution = "standard" | "fine";

const WIDTH = 1728; // T.4 §2.2: A4 scan line, 1728 pixels at 8 pels/mm

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** A page as PBM (P4): rows packed MSB first, 1 = black, like the codec's Bitmap. */
export function pagePbm(page: number, resolution: Resolution, rows = resolution === "fine" ? 1100 : 550): Buffer {
  const stride = WIDTH / 8;
  const data = new Uint8Array(stride * rows);
  const set = (x: number, y: number) => {
    if (x >= 0 && x < WIDTH && y >= 0 && y < rows) data[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
  };
  const random = rng(page * 7919 + (resolution === "fine" ? 13 : 0));
  const scale = resolution === "fine" ? 2 : 1;
  // A frame and a rule under the header.
  for (let x = 40; x < WIDTH - 40; x++) {
    set(x, 10 * scale);
    set(x, rows - 10 * scale);
    set(x, 40 * scale);
  }
  for (let y = 10 * scale; y < rows - 10 * scale; y++) {
    set(40, y);
    set(WIDTH - 41, y);
  }
  // Page number as a run of blocks, so each page differs visibly.
  for (let n = 0; n < page; n++) for (let y = 16 * scale; y < 34 * scale; y++) for (let x = 0; x < 20; x++) set(80 + n * 30 + x, y);
  // Text-like lines: words of glyphs (vertical strokes, some with a bar), 9 rows high (x2 for fine).
  for (let line = 60 * scale; line + 12 * scale < rows - 20 * scale; line += 40 * scale) {
    let x = 80;
    for (let w = 0; w < 7 && x < WIDTH - 200; w++) {
      const glyphs = 3 + Math.floor(random() * 7);
      for (let g = 0; g < glyphs; g++, x += 9) {
        const bar = random() < 0.5;
        for (let gy = 0; gy < 9 * scale; gy++) {
          set(x, line + gy);
          set(x + 1, line + gy);
          if (bar && gy < 2 * scale) for (let bx = 2; bx < 6; bx++) set(x + bx, line + gy);
        }
      }
      x += 40 + Math.floor(random() * 60);
    }
  }
  // A diagonal, which 2D coding (MR/MMR) handles differently from MH.
  for (let i = 0; i < Math.min(rows, 600); i++) set(1200 + i / 2, rows - 40 * scale - i / 3);
  return Buffer.concat([Buffer.from(`P4\n${WIDTH} ${rows}\n`), data]);
}

const COMPRESSION_ARG: Record<Compression, string> = { mh: "g3:1d", mr: "g3:2d", mmr: "g4" };

/** Write an N-page TIFF-F with the given coding and resolution; returns its path. */
export function makeFaxTiff(dir: string, name: string, pages: number, resolution: Resolution, compression: Compression): string {
  const singles: string[] = [];
  for (let p = 1; p <= pages; p++) {
    const pbm = join(dir, `${name}-p${p}.pbm`);
    const tif = join(dir, `${name}-p${p}.tif`);
    writeFileSync(pbm, pagePbm(p, resolution));
    execFileSync("ppm2tiff", ["-c", "none", pbm, tif]);
    // T.4 resolution: 204 x 98 (standard) or 204 x 196 (fine) dots per inch.
    execFileSync("tiffset", ["-s", "282", "204", tif]);
    execFileSync("tiffset", ["-s", "283", resolution === "fine" ? "196" : "98", tif]);
    execFileSync("tiffset", ["-s", "296", "2", tif]);
    singles.push(tif);
  }
  const out = join(dir, `${name}.tif`);
  execFileSync("tiffcp", ["-c", COMPRESSION_ARG[compression], "-f", "lsb2msb", ...singles, out]);
  return out;
}

/** Read the strips of an uncompressed, single-image TIFF (what `tiffcp -c none` writes). */
function uncompressedStrips(file: Buffer): Buffer {
  const le = file.toString("latin1", 0, 2) === "II";
  const u16 = (o: number) => (le ? file.readUInt16LE(o) : file.readUInt16BE(o));
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const ifd = u32(4);
  const tags = new Map<number, number[]>();
  for (let i = 0; i < u16(ifd); i++) {
    const e = ifd + 2 + i * 12;
    if (u16(e) !== 273 && u16(e) !== 279) continue; // StripOffsets, StripByteCounts: SHORT or LONG
    const type = u16(e + 2);
    const count = u32(e + 4);
    const size = type === 3 ? 2 : 4;
    const at = count * size <= 4 ? e + 8 : u32(e + 8);
    tags.set(u16(e), Array.from({ length: count }, (_, k) => (size === 2 ? u16(at + k * 2) : u32(at + k * 4))));
  }
  const offsets = tags.get(273) ?? [];
  const counts = tags.get(279) ?? [];
  return Buffer.concat(offsets.map((o, i) => file.subarray(o, o + counts[i]!)));
}

/**
 * The pixels of every page of a TIFF, decoded by libtiff (tiffsplit, then `tiffcp -c none` with
 * MSB-first fill order): one buffer of packed rows per page, comparable byte for byte.
 * Asynchronous on purpose: the T.38 suite runs calls concurrently in one process, and a blocking
 * child process here would stall the other calls' real-time T.38 pacing (spandsp then reports
 * "The HDLC carrier did not stop in a timely manner").
 */
export async function tiffPagePixels(path: string, scratch: string): Promise<Buffer[]> {
  const prefix = join(scratch, `split-${Math.random().toString(36).slice(2)}-`);
  await run("tiffsplit", [path, prefix]);
  const parts = readdirSync(scratch).filter((f) => join(scratch, f).startsWith(prefix)).sort();
  return Promise.all(
    parts.map(async (part) => {
      const plain = join(scratch, `${part}.none.tif`);
      await run("tiffcp", ["-c", "none", "-f", "msb2lsb", "-r", "100000", join(scratch, part), plain]);
      const { stdout: info } = await run("tiffinfo", [plain], { encoding: "utf8" });
      const photometricWhiteIsZero = /min-is-white/.test(info);
      const pixels = uncompressedStrips(readFileSync(plain));
      if (!photometricWhiteIsZero) for (let i = 0; i < pixels.length; i++) pixels[i] = ~pixels[i]! & 0xff;
      return pixels;
    }),
  );
}

// Writes wasm/build/pdfium.wasm: the pinned @embedpdf/pdfium build with its two 1-bit glyph loops replaced by
// loops that move a byte (8 pels) at a time. Run by wasm/build.mjs (so by `npm install`); uses the `binaryen`
// package already installed with assemblyscript, so it works offline.
//
// Why: a fax page is 1-bit, so we render text without anti-aliasing (FPDF_RENDER_NO_SMOOTHTEXT), and PDFium then
// draws every text object in two steps, each testing one bit per pel (`npm run bench:render` profile: 83% of
// PDFium's render time on a page of text):
//   1. CFX_DIBitmap::CompositeOneBPPMask ORs each glyph's 1-bit bitmap into a 1-bit mask of the text object, row
//      by row, with two std::variant visits and a virtual GetScanline call per glyph row;
//   2. CFX_ScanlineCompositor's 1-bit-mask-to-grey row (CompositeRow_BitMask2Gray) blends the mask into the page,
//      pel by pel, through all the blank pels between glyphs.
// The replacements compute the same bytes:
//   1. edgefax_or_glyph_rows takes a glyph that is a plain CFX_DIBitmap (its vtable slot is GetScanline's) and
//      ORs all its rows in one call of edgefax_or_bit_rows, a whole destination byte at a time; other sources
//      keep the original row loop, whose inner loop also calls edgefax_or_bit_rows;
//   2. edgefax_mask_to_grey skips blank mask bytes (eight at once where it can), writes opaque ink 8 pels per
//      store, and blends the rest with PDFium's own formula.
// Anything outside the fast paths (a negative bit offset) runs the original per-pel arithmetic, div_s and all.
// test/render/pdfium-glyphs.test.ts renders the same pages with the original and the patched module and
// requires identical bitmaps (text in every size, angle, colour, opacity and clip), and unit-tests both loops.
//
// Each loop is found by the SHA-256 of its text, and must be found exactly once; a different PDFium build fails
// here, loudly, rather than being patched blind. To find the new hashes after a deliberate upgrade:
// `PDFIUM_GLYPHS_DUMP='part|part' node wasm/pdfium-glyphs.mjs` prints the hash and text of every loop whose text
// holds all the parts (e.g. `offset=28 (local.get $8)|offset=12 (local.get $8)`); then read them against
// PDFium's source (core/fxge/dib/cfx_dibitmap.cpp, cfx_scanlinecompositor.cpp) before pinning them here.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** The loops we replace, by the SHA-256 of binaryen's text of the `loop` expression in the pinned build. */
export const LOOPS = {
  /** CompositeOneBPPMask's inner loop: for each pel of a glyph row, test its bit and OR it into the mask. */
  orGlyphRow: "f7d686bb495cd1ed859620a5b5c85c382180f94bc1ba557a6e699751021030db",
  /** The 1-bit mask → grey row: for each pel whose mask bit is set, blend the colour at the mask alpha. */
  maskToGrey: "96667469f9fc1d0544c77d792d4700f9f5ad56cde2ef507925df3785ac12f064",
  /** CompositeOneBPPMask's row loop: per glyph row, two std::variant visits and a virtual GetScanline call. */
  glyphRows: "21242755bb33608d935deac6616d5c68ad40d2baaa5b0d89a9ca55de6b57e8f2",
};

/** CFX_DIBitmap::GetScanline, by the SHA-256 of its body's text: a glyph bitmap's rows are then base + row × pitch. */
export const DIB_GET_SCANLINE = "6004f2d3c44b82c08fb1a7baf4df6abad550a87a36c30e88bf4e6502c3818ce4";

const { default: binaryen } = await import("binaryen");

export function patchPdfium(bytes) {
  const m = binaryen.readBinary(bytes);
  m.setFeatures(binaryen.Features.All);
  const i32 = binaryen.i32;
  const none = binaryen.none;
  const get = (i) => m.local.get(i, i32);
  const set = (i, v) => m.local.set(i, v);
  const c = (n) => m.i32.const(n);
  const ld = (p) => m.i32.load8_u(0, 1, p);
  const st = (p, v) => m.i32.store8(0, 1, p, v);
  const { add, sub, and, or, shl, shr_u: shru, shr_s: shrs, div_s: divs, div_u: divu, mul, xor, gt_s: gts, ge_s: ges, le_s: les, eqz } = m.i32;
  /** PDFium's own bit address arithmetic for bit x of the row at p: byte p + x/8 (div_s), shift (x/8)*8 − x + 7. */
  const bitOf = (p, x, q) => and(shru(ld(add(p, m.local.tee(q, divs(x(), c(8)), i32))), add(sub(shl(get(q), c(3)), x()), c(7))), c(1));
  const forEach = (label, i, end, body) =>
    m.block(`${label}_done`, [
      m.loop(label, m.block(null, [m.br(`${label}_done`, m.i32.ge_s(get(i), end())), ...body, set(i, add(get(i), c(1))), m.br(label)])),
    ]);

  // or_bit_rows(src, srcPitch, srcLeft, dst, dstPitch, dstLeft, n, rows): in each of `rows` rows, for i in 0..n, if
  // bit srcLeft+i of the source row is set, set bit dstLeft+i of the destination row (CompositeOneBPPMask's loop).
  // Fast path: one step per destination byte. Its 8 source bits come from a 16-bit window of the two source bytes
  // they straddle, at a shift that is the same for every byte (bytes outside the row's own read as 0), and the
  // first and last destination bytes are masked to dstLeft..dstLeft+n. All of that is worked out once per glyph.
  {
    const [src, sp, sl, dst, dp, dl, n, rows, row, k, kStart, kEnd, dq, r, first, last, head, tail, v, q, i] = Array.from({ length: 21 }, (_, x) => x);
    // An `if`, not a `select`: a byte outside the row is never loaded.
    const byteAt = (b) => m.if(and(ges(b(), get(first)), les(b(), get(last))), ld(add(get(src), b())), c(0));
    const nextRow = () => [set(src, add(get(src), get(sp))), set(dst, add(get(dst), get(dp)))];
    const body = [
      m.if(m.i32.or(les(get(n), c(0)), les(get(rows), c(0))), m.return()),
      set(row, c(0)),
      m.if(
        and(ges(get(sl), c(0)), ges(get(dl), c(0))),
        m.block(null, [
          set(kStart, shrs(get(dl), c(3))),
          set(kEnd, shrs(sub(add(get(dl), get(n)), c(1)), c(3))),
          set(dq, shrs(sub(get(sl), get(dl)), c(3))),
          set(r, and(sub(get(sl), get(dl)), c(7))),
          set(first, shrs(get(sl), c(3))),
          set(last, shrs(sub(add(get(sl), get(n)), c(1)), c(3))),
          set(head, shru(c(255), and(get(dl), c(7)))),
          set(tail, and(shl(c(255), sub(c(7), and(sub(add(get(dl), get(n)), c(1)), c(7)))), c(255))),
          forEach("rows", row, () => get(rows), [
            set(k, get(kStart)),
            m.block("bytes_done", [
              m.loop(
                "bytes",
                m.block(null, [
                  m.br("bytes_done", gts(get(k), get(kEnd))),
                  set(q, add(get(k), get(dq))),
                  set(v, and(shru(or(shl(byteAt(() => get(q)), c(8)), byteAt(() => add(get(q), c(1)))), sub(c(8), get(r))), c(255))),
                  m.if(m.i32.eq(get(k), get(kStart)), set(v, and(get(v), get(head)))),
                  m.if(m.i32.eq(get(k), get(kEnd)), set(v, and(get(v), get(tail)))),
                  m.if(get(v), m.block(null, [set(q, add(get(dst), get(k))), st(get(q), or(ld(get(q)), get(v)))])),
                  set(k, add(get(k), c(1))),
                  m.br("bytes"),
                ]),
              ),
            ]),
            ...nextRow(),
          ]),
          m.return(),
        ]),
      ),
      // Otherwise (a negative offset), pel by pel with PDFium's own arithmetic.
      forEach("generic_rows", row, () => get(rows), [
        set(i, c(0)),
        forEach("pels", i, () => get(n), [
          m.if(
            bitOf(get(src), () => add(get(sl), get(i)), q),
            st(
              add(get(dst), m.local.tee(q, divs(add(get(dl), get(i)), c(8)), i32)),
              or(ld(add(get(dst), get(q))), shl(c(1), add(sub(shl(get(q), c(3)), add(get(dl), get(i))), c(7)))),
            ),
          ),
        ]),
        ...nextRow(),
      ]),
    ];
    m.addFunction("edgefax_or_bit_rows", binaryen.createType(Array(8).fill(i32)), none, Array(13).fill(i32), m.block(null, body));
  }

  // or_glyph_rows(mask, glyph, frame, visitors, getScanlineSlot) → 1 when done, 0 to leave it to the original loop.
  // CompositeOneBPPMask's frame: +8 source top, +12 source left, +16 height, +20 width, +24 dest top, +28 dest left.
  // A CFX_DIBitmap (+28 height, +32 pitch, +36 its buffer, a std::variant whose index is at +40, 255 = valueless)
  // has its buffer from a visit through the visitor table in `visitors` (stored at frame+40, as the original
  // does), and its row r at buffer + r × pitch (CFX_DIBitmap::GetScanline, whose bounds check is done here once).
  {
    const [mask, glyph, frame, visitors, slot, maskBase, glyphBase, row, srcRow, dstRow, height] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const f = (offset) => m.i32.load(offset, 4, get(frame));
    const visit = (obj) =>
      m.block(null, [
        m.i32.store(36, 4, get(frame), add(get(frame), c(35))),
        m.i64.store(40, 8, get(frame), m.local.get(visitors, binaryen.i64)),
        m.call_indirect("0", m.i32.load(0, 4, add(add(get(frame), c(40)), shl(m.i32.load8_u(40, 1, get(obj)), c(2)))), [add(get(frame), c(36)), add(get(obj), c(36))], binaryen.createType([i32, i32]), i32),
      ], i32);
    const body = [
      m.if(m.i32.eq(m.i32.load8_u(40, 1, get(mask)), c(255)), m.return(c(0))),
      m.if(m.i32.eq(m.i32.load8_u(40, 1, get(glyph)), c(255)), m.return(c(0))),
      m.if(m.i32.ne(m.i32.load(8, 4, m.i32.load(0, 4, get(glyph))), get(slot)), m.return(c(0))),
      set(maskBase, visit(mask)),
      set(glyphBase, visit(glyph)),
      m.if(eqz(get(glyphBase)), m.return(c(0))),
      set(height, f(16)),
      // GetScanline's own check, for the last row: (top + height) × pitch within pitch × the bitmap's height.
      m.if(m.i32.lt_s(f(8), c(0)), m.return(c(0))),
      m.if(m.i32.gt_s(add(f(8), get(height)), m.i32.load(28, 4, get(glyph))), m.return(c(0))),
      set(srcRow, add(get(glyphBase), mul(f(8), m.i32.load(32, 4, get(glyph))))),
      set(dstRow, add(get(maskBase), mul(f(24), m.i32.load(32, 4, get(mask))))),
      m.if(
        gts(f(20), c(0)),
        m.call("edgefax_or_bit_rows", [get(srcRow), m.i32.load(32, 4, get(glyph)), f(12), get(dstRow), m.i32.load(32, 4, get(mask)), f(28), f(20), get(height)], none),
      ),
      m.return(c(1)),
    ];
    m.addFunction("edgefax_or_glyph_rows", binaryen.createType([i32, i32, i32, binaryen.i64, i32]), i32, Array(6).fill(i32), m.block(null, body));
  }

  // mask_to_grey(dst, src, srcLeft, n, clip, alpha, grey): for col in 0..n whose mask bit srcLeft+col is set,
  // a = clip ? alpha·clip[col]/255 : alpha; if a, dst[col] = ((a^255)·dst[col] + a·grey)/255. Fast path: one step
  // per mask byte, bits outside srcLeft..srcLeft+n masked off, then only its set bits visited (clz), so the blank
  // pels between glyphs cost nothing.
  {
    const [dst, src, sl, n, clip, alpha, grey, col, q, a, b, bEnd, v, j, solid, splat, lanes] = Array.from({ length: 17 }, (_, x) => x);
    const l64 = (x) => m.local.get(x, binaryen.i64);
    const i64and = m.i64.and;
    const blend = () =>
      m.block(null, [
        set(a, get(alpha)),
        m.if(get(clip), set(a, divu(mul(get(alpha), ld(add(get(clip), get(col)))), c(255)))),
        m.if(
          get(a),
          st(add(get(dst), get(col)), divu(add(mul(xor(get(a), c(255)), ld(add(get(dst), get(col)))), mul(get(a), get(grey))), c(255))),
        ),
      ]);
    const body = [
      set(col, c(0)),
      // Opaque ink without a clip mask, the usual text: ((0 · dst) + 255 · grey) / 255 is grey itself, so set pels
      // are stored as grey, and a whole byte of ink as 8 greys at once.
      set(solid, and(eqz(get(clip)), m.i32.eq(get(alpha), c(255)))),
      m.local.set(splat, m.i64.mul(m.i64.extend_u(get(grey)), m.i64.const(0x0101010101010101n))),
      m.if(
        ges(get(sl), c(0)),
        m.block(null, [
          set(b, shrs(get(sl), c(3))),
          set(bEnd, shrs(sub(add(get(sl), get(n)), c(1)), c(3))),
          m.block("bytes_done", [
            m.loop(
              "bytes",
              m.block(null, [
                m.br("bytes_done", gts(get(b), get(bEnd))),
                // Eight blank mask bytes (64 pels between glyphs or above them) in one test; all within the row.
                m.if(
                  m.i32.and(les(add(get(b), c(7)), get(bEnd)), m.i64.eqz(m.i64.load(0, 1, add(get(src), get(b))))),
                  m.block(null, [set(b, add(get(b), c(8))), m.br("bytes")]),
                ),
                set(v, ld(add(get(src), get(b)))),
                m.if(gts(sub(get(sl), shl(get(b), c(3))), c(0)), set(v, and(get(v), shru(c(255), sub(get(sl), shl(get(b), c(3))))))),
                m.if(
                  gts(sub(add(shl(get(b), c(3)), c(8)), add(get(sl), get(n))), c(0)),
                  set(v, and(get(v), and(shl(c(255), sub(add(shl(get(b), c(3)), c(8)), add(get(sl), get(n)))), c(255)))),
                ),
                // Opaque ink, a whole byte of pels inside the row: the byte's bits spread to a mask of 8 byte lanes
                // (first pel, the top bit, in the lowest address), and the 8 pels written in one store.
                m.if(
                  m.i32.and(
                    m.i32.and(get(solid), get(v)),
                    m.i32.and(ges(sub(shl(get(b), c(3)), get(sl)), c(0)), les(add(sub(shl(get(b), c(3)), get(sl)), c(8)), get(n))),
                  ),
                  m.block(null, [
                    m.local.set(lanes, i64and(m.i64.mul(m.i64.extend_u(get(v)), m.i64.const(0x0101010101010101n)), m.i64.const(0x0102040810204080n))),
                    m.local.set(lanes, m.i64.mul(m.i64.shr_u(i64and(m.i64.add(l64(lanes), m.i64.const(0x7f7f7f7f7f7f7f7fn)), m.i64.const(0x8080808080808080n)), m.i64.const(7n)), m.i64.const(255n))),
                    set(q, add(get(dst), sub(shl(get(b), c(3)), get(sl)))),
                    m.i64.store(0, 1, get(q), m.i64.or(i64and(m.i64.load(0, 1, get(q)), m.i64.xor(l64(lanes), m.i64.const(-1n))), i64and(l64(splat), l64(lanes)))),
                    set(v, c(0)),
                  ]),
                ),
                m.block("set_done", [
                  m.loop(
                    "set",
                    m.block(null, [
                      m.br("set_done", eqz(get(v))),
                      set(j, sub(m.i32.clz(get(v)), c(24))),
                      set(col, sub(add(shl(get(b), c(3)), get(j)), get(sl))),
                      m.if(get(solid), st(add(get(dst), get(col)), get(grey)), blend()),
                      set(v, xor(get(v), shru(c(128), get(j)))),
                      m.br("set"),
                    ]),
                  ),
                ]),
                set(b, add(get(b), c(1))),
                m.br("bytes"),
              ]),
            ),
          ]),
          set(col, get(n)),
        ]),
      ),
      forEach("pels", col, () => get(n), [m.if(bitOf(get(src), () => add(get(col), get(sl)), q), blend())]),
    ];
    m.addFunction("edgefax_mask_to_grey", binaryen.createType([i32, i32, i32, i32, i32, i32, i32]), none, [...Array(8).fill(i32), binaryen.i64, binaryen.i64], m.block(null, body));
  }
  // Find each loop (by the hash of its text) and the block holding it.
  const LOOP = binaryen.LoopId;
  const BLOCK = binaryen.BlockId;
  const IF = binaryen.IfId;
  const found = Object.fromEntries(Object.keys(LOOPS).map((name) => [name, []]));
  const hashOf = (expr) => createHash("sha256").update(binaryen.emitText(expr)).digest("hex");
  const visit = (expr, parent, index) => {
    if (!expr) return;
    const id = binaryen.getExpressionId(expr);
    if (id === BLOCK) {
      const n = binaryen.Block.getNumChildren(expr);
      for (let k = 0; k < n; k++) visit(binaryen.Block.getChildAt(expr, k), expr, k);
    } else if (id === LOOP) {
      const h = hashOf(expr);
      for (const [name, want] of Object.entries(LOOPS)) if (h === want) found[name].push({ expr, parent, index });
      const dump = process.env.PDFIUM_GLYPHS_DUMP;
      const text = dump ? binaryen.emitText(expr).replace(/\s+/g, " ") : "";
      if (dump && dump.split("|").every((part) => text.includes(part))) console.log(h, text);
      visit(binaryen.Loop.getBody(expr), null, -1);
    } else if (id === IF) {
      visit(binaryen.If.getIfTrue(expr), null, -1);
      visit(binaryen.If.getIfFalse(expr), null, -1);
    }
  };
  const count = m.getNumFunctions();
  const getScanline = [];
  for (let k = 0; k < count; k++) {
    const fn = m.getFunctionByIndex(k);
    const info = binaryen.getFunctionInfo(fn);
    if (info.module || !info.body) continue;
    visit(info.body, null, -1);
    if (createHash("sha256").update(binaryen.emitText(info.body)).digest("hex") === DIB_GET_SCANLINE) getScanline.push(info.name);
  }
  for (const [name, hits] of Object.entries(found)) {
    if (hits.length !== 1 || !hits[0].parent) {
      throw new Error(`pdfium-glyphs: the ${name} loop was found ${hits.length} times (want once, inside a block); is @embedpdf/pdfium still the pinned version?`);
    }
  }  // Its index in the function table, which is what a CFX_DIBitmap's vtable slot holds.
  const slots = [];
  for (let k = 0; k < m.getNumElementSegments(); k++) {
    const seg = binaryen.getElementSegmentInfo(m.getElementSegmentByIndex(k));
    const base = seg.offset ? binaryen.getExpressionInfo(seg.offset).value : undefined;
    seg.data.forEach((name, at) => name === getScanline[0] && typeof base === "number" && slots.push(base + at));
  }
  if (getScanline.length !== 1 || slots.length !== 1) {
    throw new Error(`pdfium-glyphs: CFX_DIBitmap::GetScanline was found ${getScanline.length} times, in ${slots.length} table slots (want 1, 1)`);
  }


  // orGlyphRow: locals 6 = source row, 7 = destination row, 8 = frame; frame+12 source left, +28 dest left, +20 width.
  {
    const { parent, index } = found.orGlyphRow[0];
    const frame = (offset) => m.i32.load(offset, 4, get(8));
    binaryen.Block.setChildAt(parent, index, m.call("edgefax_or_bit_rows", [get(6), c(0), frame(12), get(7), c(0), frame(28), frame(20), c(1)], none));
  }
  // glyphRows: locals 0 = the mask (dest), 5 = the glyph bitmap (source), 8 = frame, 11 = the variant visitors
  // (i64: two function table slots). Where the glyph is a plain CFX_DIBitmap the rows go in one call; otherwise
  // (it returns 0) the original loop runs.
  {
    const { expr, parent, index } = found.glyphRows[0];
    binaryen.Block.setChildAt(
      parent,
      index,
      m.if(eqz(m.call("edgefax_or_glyph_rows", [get(0), get(5), get(8), m.local.get(11, binaryen.i64), c(slots[0])], i32)), expr),
    );
  }
  // maskToGrey: locals 0 = dest, 8 = mask row, 3 = mask left, 4 = width, 5 = clip row or 0, 10 = alpha, 9 = grey; the
  // loop's last statement is its exit branch, which now follows the call.
  {
    const { expr, parent, index } = found.maskToGrey[0];
    const body = binaryen.Loop.getBody(expr);
    const exit = binaryen.Block.getChildAt(body, binaryen.Block.getNumChildren(body) - 1);
    binaryen.Block.setChildAt(parent, index, m.block(null, [m.call("edgefax_mask_to_grey", [get(0), get(8), get(3), get(4), get(5), get(10), get(9)], none), exit]));
  }
  // Exported so that test/render/pdfium-glyphs.test.ts can check them against the original loops' arithmetic.
  m.addFunctionExport("edgefax_or_bit_rows", "edgefax_or_bit_rows");
  m.addFunctionExport("edgefax_mask_to_grey", "edgefax_mask_to_grey");
  if (!m.validate()) throw new Error("pdfium-glyphs: the patched module does not validate");
  const out = m.emitBinary();
  m.dispose();
  return out;
}

/** Reads the installed package's pdfium.wasm and writes the patched module to wasm/build/pdfium.wasm. */
export function buildPatchedPdfium() {
  const outDir = join(here, "build");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "pdfium.wasm"), patchPdfium(readFileSync(require.resolve("@embedpdf/pdfium/pdfium.wasm"))));
  console.log("wasm: built wasm/build/pdfium.wasm (PDFium with byte-wide 1-bit glyph loops)");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildPatchedPdfium();

// edgefax fax page codec: ITU-T T.4 (07/2003) §4.1 (MH), §4.2 (MR) and T.6 (11/1988) (MMR).
// https://www.itu.int/rec/T-REC-T.4  https://www.itu.int/rec/T-REC-T.6
//
// Shape (after libtiff's tif_fax3.c, written anew): a line is held as its changing elements (T.4 §4.2.1.3.1),
// the pel positions where the colour flips, first flip white->black. Decoding reads Huffman codes through
// single-lookup tables (two short runs per lookup where they fit) and fills black spans wordwise; encoding
// finds changing elements 64 pels at a time with count-leading-zeros. Nothing here loops per pel.
//
// Memory layout (import-free module, runtime stub: no allocator, the glue and these functions own the layout):
//   [static data: code tables]  [cur changes][ref changes]  [decode: coded input | bitmap...grows]
//                                                           [encode: bitmap | coded output...grows]
// The growing region is always last, so it can be extended with memory.grow without moving anything.
import { WHITE_CODES, BLACK_CODES } from "../build/tables";

// ---- tables ----------------------------------------------------------------------------------------------

const WHITE_LOOKUP_BITS: i32 = 12; // longest white code (and EOL) is 12 bits
const BLACK_LOOKUP_BITS: i32 = 13; // longest black make-up code is 13 bits
const MODE_LOOKUP_BITS: i32 = 7; // longest mode code (VR3/VL3) is 7 bits
const PAIR_LOOKUP_BITS: i32 = 10;

// Run table entry (u16, so both tables take 24 KiB of L1 cache rather than 48): run << 4 | code length.
// 0 = not a run code (EOL, a wrong code, or zero fill). A run below 64 is a terminating code, 64 or more a
// make-up code (T.4 §4.1.1).
//
// Pair table entry (u16): first run << 4 | second run << 10 | length of both codes; 0 = no pair. Two
// terminating codes of alternating colours (runs 1..63) that together fit in 10 bits, so the short runs of a
// dithered photo or small print decode two per lookup: white then black in 1-D lines and in horizontal mode
// from white, black then white in horizontal mode from black (T.4 §4.2.1.3.2 c).

// Mode table entry: vertical offset + 3 << 8 | mode << 4 | code length.
const MODE_INVALID: u32 = 0;
const MODE_PASS: u32 = 1;
const MODE_HORIZONTAL: u32 = 2;
const MODE_VERTICAL: u32 = 3;
const V0_ENTRY: u32 = (3 << 8) | (MODE_VERTICAL << 4) | 1;

const WHITE_TABLE: usize = memory.data(4096 * 2, 16);
const BLACK_TABLE: usize = memory.data(8192 * 2, 16);
const PAIR_WHITE_BLACK: usize = memory.data(1024 * 2, 16);
const PAIR_BLACK_WHITE: usize = memory.data(1024 * 2, 16);
const MODE_TABLE: usize = memory.data(128 * 4, 16);
const REVERSE_TABLE: usize = memory.data(256, 16);
/**
 * Encoder: the whole code of a run of 0..RUN_CODES_MAX pels, make-up and terminating code joined, white runs
 * then black ones (u32: length << 27 | code; at most 13 + 12 bits). One lookup and one putBits per run instead
 * of a branch and two; a text page at fine resolution has ~120 000 runs.
 */
const RUN_CODES_MAX: i32 = 2623;
const RUN_CODES: usize = memory.data((RUN_CODES_MAX + 1) * 2 * 4, 16);

const EOL_CODE: u32 = 1; // 000000000001, T.4 §4.1.2
const EOL_LENGTH: i32 = 12;

function fillMode(code: u32, length: i32, mode: u32, offset: i32): void {
  const value = (<u32>(offset + 3) << 8) | (mode << 4) | <u32>length;
  const shift = MODE_LOOKUP_BITS - length;
  for (let i = code << shift; i < (code + 1) << shift; i++) store<u32>(MODE_TABLE + (<usize>i << 2), value);
}

function fillLookup16(table: usize, bits: i32, code: u32, length: i32, value: u32): void {
  const shift = bits - length;
  for (let i = code << shift, end = (code + 1) << shift; i < end; i++) store<u16>(table + (<usize>i << 1), <u16>value);
}

@inline function whiteEntry(bits: u64): u32 {
  return <u32>load<u16>(WHITE_TABLE + (<usize>(bits >> 52) << 1));
}

@inline function blackEntry(bits: u64): u32 {
  return <u32>load<u16>(BLACK_TABLE + (<usize>(bits >> 51) << 1));
}

function fillPairs(table: usize, first: StaticArray<u32>, second: StaticArray<u32>): void {
  for (let r1 = 1; r1 < 64; r1++) {
    const c1 = unchecked(first[r1]);
    for (let r2 = 1; r2 < 64; r2++) {
      const c2 = unchecked(second[r2]);
      const length = <i32>((c1 >> 16) + (c2 >> 16));
      if (length > PAIR_LOOKUP_BITS) continue;
      const code = ((c1 & 0xffff) << (c2 >> 16)) | (c2 & 0xffff);
      fillLookup16(table, PAIR_LOOKUP_BITS, code, length, (<u32>r2 << 10) | (<u32>r1 << 4) | <u32>length);
    }
  }
}

/** RUN_CODES' entry for `run`: the make-up code for its multiple of 64 (if any), then the terminating code. */
function joinedRunCode(codes: StaticArray<u32>, run: i32): u32 {
  const term = unchecked(codes[run & 63]);
  if (run < 64) return ((term >> 16) << 27) | (term & 0xffff);
  const makeup = unchecked(codes[63 + (run >> 6)]);
  const length = (makeup >> 16) + (term >> 16);
  return (length << 27) | ((makeup & 0xffff) << (term >> 16)) | (term & 0xffff);
}

let ready = false;

/** Builds the decode tables from the encode tables; idempotent. */
export function init(): void {
  if (ready) return;
  for (let i = 0; i < 104; i++) {
    const run: u32 = i < 64 ? <u32>i : <u32>(i - 63) * 64;
    const w = unchecked(WHITE_CODES[i]);
    fillLookup16(WHITE_TABLE, WHITE_LOOKUP_BITS, w & 0xffff, <i32>(w >> 16), (run << 4) | (w >> 16));
    const b = unchecked(BLACK_CODES[i]);
    fillLookup16(BLACK_TABLE, BLACK_LOOKUP_BITS, b & 0xffff, <i32>(b >> 16), (run << 4) | (b >> 16));
  }
  for (let run = 0; run <= RUN_CODES_MAX; run++) {
    store<u32>(RUN_CODES + (<usize>run << 2), joinedRunCode(WHITE_CODES, run));
    store<u32>(RUN_CODES + (<usize>(RUN_CODES_MAX + 1 + run) << 2), joinedRunCode(BLACK_CODES, run));
  }
  fillPairs(PAIR_WHITE_BLACK, WHITE_CODES, BLACK_CODES);
  fillPairs(PAIR_BLACK_WHITE, BLACK_CODES, WHITE_CODES);
  // Table 4/T.4
  fillMode(0b0001, 4, MODE_PASS, 0);
  fillMode(0b001, 3, MODE_HORIZONTAL, 0);
  fillMode(0b1, 1, MODE_VERTICAL, 0);
  fillMode(0b011, 3, MODE_VERTICAL, 1);
  fillMode(0b000011, 6, MODE_VERTICAL, 2);
  fillMode(0b0000011, 7, MODE_VERTICAL, 3);
  fillMode(0b010, 3, MODE_VERTICAL, -1);
  fillMode(0b000010, 6, MODE_VERTICAL, -2);
  fillMode(0b0000010, 7, MODE_VERTICAL, -3);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >> b;
    store<u8>(REVERSE_TABLE + <usize>i, <u8>r);
  }
  ready = true;
}

// ---- memory ----------------------------------------------------------------------------------------------

const MAX_MEMORY: usize = 192 << 20;

function ensureMemory(end: usize): bool {
  const have = <usize>memory.size() << 16;
  if (end <= have) return true;
  if (end > MAX_MEMORY) return false;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
}

let curPtr: usize = 0; // changing elements of the line being coded
let refPtr: usize = 0; // changing elements of the reference line
let curCount: i32 = 0;
let refCount: i32 = 0;
let width: i32 = 0;
let stride: i32 = 0;

function layoutLines(w: i32): usize {
  width = w;
  stride = (w + 7) >> 3;
  const base = (__heap_base + 15) & ~<usize>15;
  const lineBytes = ((<usize>(w + 8) << 2) + 15) & ~<usize>15;
  curPtr = base;
  refPtr = base + lineBytes;
  return refPtr + lineBytes;
}

function swapLines(): void {
  const p = curPtr;
  curPtr = refPtr;
  refPtr = p;
  const n = curCount;
  curCount = refCount;
  refCount = n;
}

/** Changing elements end with sentinels at `width`, so b1/b2 and a1/a2 lookups past the last change see the line end. */
@inline function terminateLine(ptr: usize, count: i32): void {
  const p = ptr + (<usize>count << 2);
  store<i32>(p, width);
  store<i32>(p, width, 4);
  store<i32>(p, width, 8);
  store<i32>(p, width, 12);
}

function clearReference(): void {
  refCount = 0;
  terminateLine(refPtr, 0);
}

/** Records a colour change at `pos`; two changes at one pel cancel (a zero-length run inside a line). */
@inline function pushChange(pos: i32): void {
  if (curCount > 0 && load<i32>(curPtr + (<usize>(curCount - 1) << 2)) == pos) {
    curCount--;
  } else {
    store<i32>(curPtr + (<usize>curCount << 2), pos);
    curCount++;
  }
}

// ---- bit reader ------------------------------------------------------------------------------------------

let rdStart: usize = 0;
let rdEnd: usize = 0;
let rdPtr: usize = 0; // next byte to load; runs past rdEnd, supplying zero bits, so overruns are measurable
let acc: u64 = 0; // next bits, MSB first, left aligned
let accBits: i32 = 0;

@inline function refill(): void {
  if (accBits < 32) {
    let w: u32 = 0;
    if (rdPtr < rdEnd) w = bswap<u32>(load<u32>(rdPtr)); // up to 3 bytes past rdEnd are zeroed padding
    acc |= (<u64>w) << <u64>(32 - accBits);
    rdPtr += 4;
    accBits += 32;
  }
}

@inline function skipBits(n: i32): void {
  acc <<= <u64>n;
  accBits -= n;
}

@inline function bitsConsumed(): i64 {
  return (<i64>(rdPtr - rdStart) << 3) - <i64>accBits;
}

@inline function totalBits(): i64 {
  return <i64>(rdEnd - rdStart) << 3;
}

/** True when nothing but zero bits is left: trailing fill after the last line is not a damaged line. */
function restIsZero(): bool {
  if (acc != 0) return false;
  for (let p = rdPtr; p < rdEnd; p++) if (load<u8>(p) != 0) return false;
  return true;
}

const SCAN_EOL: i32 = 0;
const SCAN_END: i32 = 1;
const SCAN_NOT_EOL: i32 = 2;

/**
 * Reads fill bits and an EOL (T.4 §4.1.2-4.1.3: any number of 0s, then 000000000001). With `resync`, skips
 * whatever precedes the next EOL, which is how a receiver recovers from a damaged line.
 */
function scanEol(resync: bool): i32 {
  let zeros = 0;
  while (true) {
    refill();
    if (bitsConsumed() >= totalBits()) return SCAN_END;
    if (acc == 0) {
      zeros += accBits;
      skipBits(accBits);
      continue;
    }
    const lz = <i32>clz<u64>(acc);
    if (lz > 0) {
      zeros += lz;
      skipBits(lz);
      continue;
    }
    skipBits(1);
    if (bitsConsumed() > totalBits()) return SCAN_END;
    if (zeros >= 11) return SCAN_EOL;
    if (!resync) return SCAN_NOT_EOL;
    zeros = 0;
  }
  return SCAN_END;
}

@inline function readBit(): i32 {
  refill();
  const b = <i32>(acc >> 63);
  skipBits(1);
  return b;
}

// ---- decoding --------------------------------------------------------------------------------------------
//
// The line decoders keep the reader state (acc, accBits, rdPtr) and the change count in locals and write them
// back once per line: WebAssembly globals live in memory, locals in registers, and these loops run once per
// code. The run-length loop is therefore written out where it is used rather than called, once per colour so
// each copy reads its own table without a branch on the colour.

/**
 * T.4 §4.1 one-dimensional line into `cur`: white and black runs alternate, starting with white. Past the end
 * of the data the reader supplies zero bits, which are no valid code, so the loop always ends.
 */
function decodeLine1D(): bool {
  let bitsAcc = acc;
  let bits = accBits;
  let p = rdPtr;
  const end = rdEnd;
  const w = width;
  const cur = curPtr;
  let n = 0;
  let a0 = 0;
  let ok = true;
  while (true) {
    if (bits < 32) {
      let word: u32 = 0;
      if (p < end) word = bswap<u32>(load<u32>(p));
      bitsAcc |= (<u64>word) << <u64>(32 - bits);
      p += 4;
      bits += 32;
    }
    const pair = <u32>load<u16>(PAIR_WHITE_BLACK + (<usize>(bitsAcc >> 54) << 1));
    if (pair != 0) {
      const a1 = a0 + <i32>((pair >> 4) & 63);
      const a2 = a1 + <i32>(pair >> 10);
      if (a2 < w) {
        // both runs end inside the line and neither is 0, so nothing cancels
        const length = <i32>(pair & 15);
        bitsAcc <<= <u64>length;
        bits -= length;
        store<i32>(cur + (<usize>n << 2), a1);
        store<i32>(cur + (<usize>n << 2), a2, 4);
        n += 2;
        a0 = a2;
        continue;
      }
    }
    // white run: make-up codes, then a terminating code
    let run = 0;
    while (true) {
      if (bits < 32) {
        let word: u32 = 0;
        if (p < end) word = bswap<u32>(load<u32>(p));
        bitsAcc |= (<u64>word) << <u64>(32 - bits);
        p += 4;
        bits += 32;
      }
      const e = whiteEntry(bitsAcc);
      const length = <i32>(e & 15);
      const r = <i32>(e >> 4);
      bitsAcc <<= <u64>length;
      bits -= length;
      run += r;
      if (length == 0 || run > w) {
        ok = false;
        break;
      }
      if (r < 64) break;
    }
    if (!ok) break;
    a0 += run;
    // a zero-length run inside the line cancels the change before it (only the first white run may be 0)
    if (run == 0 && n > 0) n--;
    else if (a0 < w) {
      store<i32>(cur + (<usize>n << 2), a0);
      n++;
    }
    if (a0 >= w) {
      ok = a0 == w;
      break;
    }

    // black run
    run = 0;
    while (true) {
      if (bits < 32) {
        let word: u32 = 0;
        if (p < end) word = bswap<u32>(load<u32>(p));
        bitsAcc |= (<u64>word) << <u64>(32 - bits);
        p += 4;
        bits += 32;
      }
      const e = blackEntry(bitsAcc);
      const length = <i32>(e & 15);
      const r = <i32>(e >> 4);
      bitsAcc <<= <u64>length;
      bits -= length;
      run += r;
      if (length == 0 || run > w) {
        ok = false;
        break;
      }
      if (r < 64) break;
    }
    if (!ok) break;
    a0 += run;
    if (run == 0) n--; // n > 0 here: the white run before it ended inside the line
    else if (a0 < w) {
      store<i32>(cur + (<usize>n << 2), a0);
      n++;
    }
    if (a0 >= w) {
      ok = a0 == w;
      break;
    }
  }
  acc = bitsAcc;
  accBits = bits;
  rdPtr = p;
  curCount = n;
  return ok;
}

/** T.4 §4.2.1.3 / T.6 §2.2 two-dimensional line against `ref` into `cur`. */
function decodeLine2D(): bool {
  let bitsAcc = acc;
  let bits = accBits;
  let p = rdPtr;
  const end = rdEnd;
  const w = width;
  const cur = curPtr;
  const ref = refPtr;
  let n = 0;
  let a0 = -1; // T.4 §4.2.1.3.1: an imaginary white changing element before the first pel
  let black = 0;
  let j = 0;
  let ops = 0;
  let last = -1; // the last recorded change, cur[n - 1]
  const limit = w * 2 + 8;
  let ok = true;
  while (a0 < w) {
    // b1: first changing element on the reference line right of a0 and of the opposite colour to a0's;
    // a change to black sits at an even index, so b1's index has the parity of a0's colour.
    // Written without branches for the usual step of 0 or 1 (which one is as random as the picture); the loop
    // runs for longer steps only.
    j -= <i32>(j > 0);
    j += (j ^ black) & 1;
    const near = load<i32>(ref + (<usize>j << 2));
    const next = load<i32>(ref + (<usize>j << 2), 8);
    const step = near <= a0;
    j += <i32>step << 1;
    let b1 = select<i32>(next, near, step);
    while (b1 <= a0) {
      j += 2;
      b1 = load<i32>(ref + (<usize>j << 2));
    }
    if (bits < 32) {
      let word: u32 = 0;
      if (p < end) word = bswap<u32>(load<u32>(p));
      bitsAcc |= (<u64>word) << <u64>(32 - bits);
      p += 4;
      bits += 32;
    }
    const e = load<u32>(MODE_TABLE + (<usize>(bitsAcc >> 57) << 2));
    const mode = (e >> 4) & 15;
    const length = <i32>(e & 15);
    bitsAcc <<= <u64>length;
    bits -= length;
    if (mode == MODE_VERTICAL) {
      // The commonest code by far, so its path is short: a1 >= 0 makes `last` = -1 (nothing recorded) never
      // match, and it needs no `ops` count, since every code takes at least one bit and the zero bits past the
      // data are no mode code.
      const a1 = b1 + <i32>(e >> 8) - 3;
      if (<u32>a1 > <u32>w || a1 < a0) {
        ok = false;
        break;
      }
      if (a1 == last) {
        // two changes at one pel cancel
        n--;
        last = n > 0 ? load<i32>(cur + (<usize>(n - 1) << 2)) : -1;
      } else {
        store<i32>(cur + (<usize>n << 2), a1); // at a1 == width this writes into the sentinels, then the line ends
        n += <i32>(a1 < w);
        last = a1;
      }
      a0 = a1;
      black ^= 1;
      if (e == V0_ENTRY) {
        // After V0 (a0 = b1) the next b1 is simply the next reference change, so a string of V0 codes (the
        // straight edges of text and rules) copies reference changes one bit at a time, without a search. A set
        // top bit is a real one: the bits below `bits` are zero.
        while (<i64>bitsAcc < 0 && a0 < w) {
          j++;
          const c = load<i32>(ref + (<usize>j << 2));
          bitsAcc <<= 1;
          bits--;
          store<i32>(cur + (<usize>n << 2), c);
          n += <i32>(c < w);
          a0 = c;
          black ^= 1;
        }
        last = a0;
      }
      continue;
    } else if (mode == MODE_HORIZONTAL) {
      // T.4 §4.2.1.3.2 c): a0a1 in a0's colour, then a1a2 in the other, each coded as in §4.1.1
      let a = a0 < 0 ? 0 : a0;
      // two short runs in one lookup; the mode code took at most 7 of the 32 bits refilled above
      const pair = <u32>load<u16>((black ? PAIR_BLACK_WHITE : PAIR_WHITE_BLACK) + (<usize>(bitsAcc >> 54) << 1));
      if (pair != 0) {
        const a1 = a + <i32>((pair >> 4) & 63);
        const a2 = a1 + <i32>(pair >> 10);
        if (a2 < w) {
          // neither run is 0, so a1 > a0 >= last and nothing cancels
          const pl = <i32>(pair & 15);
          bitsAcc <<= <u64>pl;
          bits -= pl;
          store<i32>(cur + (<usize>n << 2), a1);
          store<i32>(cur + (<usize>n << 2), a2, 4);
          n += 2;
          last = a2;
          a0 = a2;
          if (++ops > limit) {
            ok = false;
            break;
          }
          continue;
        }
      }
      let run = 0;
      while (true) {
        if (bits < 32) {
          let word: u32 = 0;
          if (p < end) word = bswap<u32>(load<u32>(p));
          bitsAcc |= (<u64>word) << <u64>(32 - bits);
          p += 4;
          bits += 32;
        }
        const re = black ? blackEntry(bitsAcc) : whiteEntry(bitsAcc);
        const rl = <i32>(re & 15);
        const r = <i32>(re >> 4);
        bitsAcc <<= <u64>rl;
        bits -= rl;
        run += r;
        if (rl == 0 || run > w) {
          ok = false;
          break;
        }
        if (r < 64) break;
      }
      if (!ok) break;
      a += run;
      if (a > w) {
        ok = false;
        break;
      }
      if (a < w) {
        if (a == last && n > 0) {
          n--;
          last = n > 0 ? load<i32>(cur + (<usize>(n - 1) << 2)) : -1;
        } else {
          store<i32>(cur + (<usize>n << 2), a);
          n++;
          last = a;
        }
      }
      run = 0;
      while (true) {
        if (bits < 32) {
          let word: u32 = 0;
          if (p < end) word = bswap<u32>(load<u32>(p));
          bitsAcc |= (<u64>word) << <u64>(32 - bits);
          p += 4;
          bits += 32;
        }
        const re = black ? whiteEntry(bitsAcc) : blackEntry(bitsAcc);
        const rl = <i32>(re & 15);
        const r = <i32>(re >> 4);
        bitsAcc <<= <u64>rl;
        bits -= rl;
        run += r;
        if (rl == 0 || run > w) {
          ok = false;
          break;
        }
        if (r < 64) break;
      }
      if (!ok) break;
      a += run;
      if (a > w) {
        ok = false;
        break;
      }
      if (a < w) {
        if (a == last && n > 0) {
          n--;
          last = n > 0 ? load<i32>(cur + (<usize>(n - 1) << 2)) : -1;
        } else {
          store<i32>(cur + (<usize>n << 2), a);
          n++;
          last = a;
        }
      }
      a0 = a;
    } else if (mode == MODE_PASS) {
      a0 = load<i32>(ref + (<usize>(j + 1) << 2)); // b2
    } else {
      ok = false; // EOL inside a line, an extension code (uncompressed mode is not supported), or garbage
      break;
    }
    if (++ops > limit) {
      ok = false; // zero-length codes cannot spin a line forever
      break;
    }
  }
  acc = bitsAcc;
  accBits = bits;
  rdPtr = p;
  curCount = n;
  return ok;
}

/**
 * Paints the black spans of `cur` into a row, 32 pels per store: fax lines (dithered photos above all) have
 * many short spans, and gathering them in a register beats a read-modify-write of memory per span. Padding
 * bits stay 0, as PBM wants. A word store may run up to 3 bytes past the row; the next row (or the padding
 * after the bitmap) is written afterwards, so that is harmless.
 */
function paintRow(row: usize): void {
  const cur = curPtr;
  const count = curCount;
  let wordIndex = 0; // next word to store
  let word: u32 = 0;
  for (let k = 0; k < count; k += 2) {
    let s = load<i32>(cur + (<usize>k << 2));
    const e = load<i32>(cur + (<usize>(k + 1) << 2));
    while (s < e) {
      const index = s >> 5;
      while (wordIndex < index) {
        store<u32>(row + (<usize>wordIndex << 2), bswap<u32>(word));
        word = 0;
        wordIndex++;
      }
      const wordEnd = (index + 1) << 5;
      const stop = e < wordEnd ? e : wordEnd;
      const head: u32 = 0xffffffff >>> <u32>(s & 31);
      const tail: u32 = stop == wordEnd ? 0 : 0xffffffff >>> <u32>(stop & 31);
      word |= head & ~tail;
      s = stop;
    }
  }
  const words = (width + 31) >> 5;
  while (wordIndex < words) {
    store<u32>(row + (<usize>wordIndex << 2), bswap<u32>(word));
    word = 0;
    wordIndex++;
  }
}

const SCHEME_MH: i32 = 0;
const SCHEME_MR: i32 = 1;
const SCHEME_MMR: i32 = 2;

const FLAG_EOL: i32 = 1;
const FLAG_BYTE_ALIGN: i32 = 2;
const FLAG_RTC: i32 = 4;

const STATUS_OK: i32 = 0;
const STATUS_TOO_LARGE: i32 = 1;

let inputPtr: usize = 0;
let bitmapPtr: usize = 0;
let outputPtr: usize = 0;
let rowsDone: i32 = 0;
let badRowCount: i32 = 0;

export function getInputPtr(): usize { return inputPtr; }
export function getBitmapPtr(): usize { return bitmapPtr; }
export function getOutputPtr(): usize { return outputPtr; }
export function getRows(): i32 { return rowsDone; }
export function getBadRows(): i32 { return badRowCount; }

/** Lays out memory for decoding a `w`-pel-wide stream of `length` bytes; returns where to copy it, or 0. */
export function prepareDecode(w: i32, length: i32): usize {
  init();
  const linesEnd = layoutLines(w);
  inputPtr = linesEnd;
  const inputEnd = inputPtr + <usize>length;
  bitmapPtr = (inputEnd + 16 + 15) & ~<usize>15;
  if (!ensureMemory(bitmapPtr + 16)) return 0;
  memory.fill(inputEnd, 0, 16); // zero bits past the end, for the reader's 4-byte loads
  return inputPtr;
}

/**
 * Decodes the stream placed by prepareDecode into a bitmap at getBitmapPtr(). `height` 0 means unknown: stop at
 * RTC (T.4 §4.1.4), EOFB (T.6 §2.4.4) or the end of data. Rows past `maxRows` are refused (STATUS_TOO_LARGE).
 */
export function decode(scheme: i32, length: i32, height: i32, flags: i32, maxRows: i32): i32 {
  rdStart = inputPtr;
  rdEnd = inputPtr + <usize>length;
  rdPtr = rdStart;
  acc = 0;
  accBits = 0;
  rowsDone = 0;
  badRowCount = 0;
  clearReference();
  curCount = 0;
  const s = <usize>stride;
  if (height > 0 && !ensureMemory(bitmapPtr + <usize>height * s + 16)) return STATUS_TOO_LARGE;
  const useEol = scheme != SCHEME_MMR && (flags & FLAG_EOL) != 0;
  const rowAlign = scheme == SCHEME_MH && !useEol && (flags & FLAG_BYTE_ALIGN) != 0;
  let pendingEol = false; // resynchronisation already consumed the EOL that starts the next line
  let eolFramed = false; // the first line was preceded by EOL (T.4 §4.1.2), so every line must be followed by one
  let stopped = false; // the stream ended (or broke beyond repair) before `height` rows

  let row = 0;
  while (height == 0 || row < height) {
    if (height == 0 && row >= maxRows) return STATUS_TOO_LARGE;
    const rowPtr = bitmapPtr + <usize>row * s;
    if (height == 0 && !ensureMemory(rowPtr + s + 16)) return STATUS_TOO_LARGE;

    refill();
    if (bitsConsumed() >= totalBits() || ((acc >> 56) == 0 && !pendingEol && restIsZero())) {
      stopped = true;
      break;
    }

    let oneDimensional = scheme == SCHEME_MH;
    let damaged = false;
    if (scheme == SCHEME_MMR) {
      if ((acc >> 52) == <u64>EOL_CODE) {
        stopped = true; // EOFB, T.6 §2.4.4
        break;
      }
    } else if (useEol) {
      let eols = 0;
      if (pendingEol) {
        eols = 1;
        pendingEol = false;
        if (scheme == SCHEME_MR) oneDimensional = readBit() == 1;
      }
      // T.4 §4.1.3: fill (0s) may precede EOL; no line starts with 8 zeros, so 8 zeros mean fill/EOL.
      while (true) {
        refill();
        if ((acc >> 56) != 0) break;
        const r = scanEol(false);
        if (r == SCAN_END) {
          stopped = true;
          break;
        }
        if (r == SCAN_NOT_EOL) {
          damaged = true;
          break;
        }
        eols++;
        // T.4 §4.2.1.3.3 / Figure 7: a tag bit after EOL says whether the next line is 1-D (1) or 2-D (0).
        if (scheme == SCHEME_MR) oneDimensional = readBit() == 1;
      }
      if (stopped) break;
      if (row == 0 && eols > 0) eolFramed = true;
      // T.4 §4.1.4: RTC is six EOLs; two in a row already mean no line follows.
      if (!damaged && eols >= 2 && row > 0 && height == 0) {
        stopped = true;
        break;
      }
      // Without an EOL there is no tag: an MR line can only be guessed 2-D (1-D for the first line).
      if (scheme == SCHEME_MR && eols == 0) oneDimensional = row == 0;
    } else if (rowAlign) {
      // TIFF 6.0 §10: Compression 2 rows begin on byte boundaries.
      skipBits(accBits & 7);
    }

    // Where this line's codes begin: after a damaged line the search for the next EOL restarts here, since a
    // garbled code may have swallowed the leading zeros of the next EOL.
    const lineRdPtr = rdPtr;
    const lineAcc = acc;
    const lineAccBits = accBits;
    let ok = false;
    if (!damaged) {
      if (oneDimensional) ok = decodeLine1D();
      else ok = decodeLine2D();
      if (ok && bitsConsumed() > totalBits()) ok = false; // the line ran past the data: truncated
      if (ok && eolFramed) {
        // A line that decodes but is not followed by fill/EOL had a damaged code that happened to be valid.
        refill();
        if ((acc >> 56) != 0 && bitsConsumed() < totalBits()) ok = false;
      }
    }
    if (ok) {
      terminateLine(curPtr, curCount);
      paintRow(rowPtr);
      swapLines();
      row++;
      continue;
    }

    // A damaged line: repeat the last good row (white at the top), as fax receivers do.
    badRowCount++;
    if (row > 0) memory.copy(rowPtr, rowPtr - s, s);
    else memory.fill(rowPtr, 0, s);
    row++;
    if (!damaged) {
      rdPtr = lineRdPtr;
      acc = lineAcc;
      accBits = lineAccBits;
    }
    if (useEol && scanEol(true) == SCAN_EOL) {
      pendingEol = true;
      continue;
    }
    // MMR and EOL-less MH cannot resynchronise (T.6 has no EOL): the rest of the page is lost.
    stopped = true;
    break;
  }

  if (stopped && height > 0 && row < height) {
    // Missing rows of a page whose height is known (TIFF ImageLength): repeat the last row, count them bad.
    for (let r = row; r < height; r++) {
      const rowPtr = bitmapPtr + <usize>r * s;
      if (r > 0) memory.copy(rowPtr, rowPtr - s, s);
      else memory.fill(rowPtr, 0, s);
    }
    badRowCount += height - row;
    row = height;
  }
  rowsDone = row;
  return STATUS_OK;
}

// ---- encoding --------------------------------------------------------------------------------------------

let wrPtr: usize = 0;
let wacc: u64 = 0;
let waccBits: i32 = 0;

@inline function putBits(code: u32, length: i32): void {
  wacc |= (<u64>code) << <u64>(64 - waccBits - length);
  waccBits += length;
  if (waccBits >= 32) {
    store<u32>(wrPtr, bswap<u32>(<u32>(wacc >> 32)));
    wrPtr += 4;
    wacc <<= 32;
    waccBits -= 32;
  }
}

@inline function putEntry(entry: u32): void {
  putBits(entry & 0xffff, <i32>(entry >> 16));
}

function putZeros(n: i32): void {
  while (n > 24) {
    putBits(0, 24);
    n -= 24;
  }
  if (n > 0) putBits(0, n);
}

/** T.4 §4.1.1: make-up code(s) for the multiple of 64, then the terminating code; 2560 repeats for longer runs. */
@inline function putRun(run: i32, black: i32): void {
  while (run > RUN_CODES_MAX) {
    putEntry(unchecked((black ? BLACK_CODES : WHITE_CODES)[103]));
    run -= 2560;
  }
  const e = load<u32>(RUN_CODES + (<usize>(black * (RUN_CODES_MAX + 1) + run) << 2));
  putBits(e & 0x7ffffff, <i32>(e >> 27));
}

/** Bit position in the output, for fill and alignment. */
@inline function outputBit(): i64 {
  return (<i64>(wrPtr - outputPtr) << 3) + <i64>waccBits;
}

/** Fill so the 12-bit EOL that follows ends on a byte boundary (TIFF T4Options bit 2). */
function alignForEol(): void {
  putZeros((8 - ((waccBits + EOL_LENGTH) & 7)) & 7);
}

/** Finds the changing elements of a bitmap row, 64 pels per step (T.4 §4.2.1.3.1 definitions). */
function findChanges(row: usize): void {
  let n = 0;
  let invert: u64 = 0; // 0 while looking for black pels, all ones while looking for white
  for (let base = 0; base < width; base += 64) {
    let x = bswap<u64>(load<u64>(row + <usize>(base >> 3))) ^ invert;
    while (x != 0) {
      const off = <i32>clz<u64>(x);
      const pos = base + off;
      if (pos >= width) break;
      store<i32>(curPtr + (<usize>n << 2), pos);
      n++;
      invert = ~invert;
      // bits before `off` are done; from `off` on, look for the other colour
      x = ~x & (0xffffffffffffffff >> <u64>off);
    }
  }
  curCount = n;
  terminateLine(curPtr, n);
}

function encodeLine1D(): void {
  let a0 = 0;
  let black = 0;
  for (let i = 0; i <= curCount; i++) {
    const a1 = load<i32>(curPtr + (<usize>i << 2));
    putRun(a1 - a0, black);
    a0 = a1;
    black ^= 1;
  }
}

// Table 4/T.4 vertical mode codes, indexed by a1 - b1 + 3: VL3 VL2 VL1 V0 VR1 VR2 VR3.
const V_CODE: StaticArray<u32> = [0b0000010, 0b000010, 0b010, 0b1, 0b011, 0b000011, 0b0000011];
const V_LENGTH: StaticArray<i32> = [7, 6, 3, 1, 3, 6, 7];

/** T.4 §4.2.1.3 / T.6 §2.2 coding procedure (Figure 7/T.4): pass, vertical or horizontal mode. */
function encodeLine2D(): void {
  let a0 = -1;
  let black = 0;
  let i = 0; // index of a1 in cur
  let j = 0; // index of b1 in ref
  while (a0 < width) {
    if (j > 0) j--;
    if ((j & 1) != black) j++;
    while (load<i32>(refPtr + (<usize>j << 2)) <= a0) j += 2;
    const b1 = load<i32>(refPtr + (<usize>j << 2));
    const b2 = load<i32>(refPtr + (<usize>(j + 1) << 2));
    const a1 = load<i32>(curPtr + (<usize>i << 2));
    if (b2 < a1) {
      putBits(0b0001, 4);
      a0 = b2;
      continue;
    }
    const d = a1 - b1;
    if (d >= -3 && d <= 3) {
      putBits(unchecked(V_CODE[d + 3]), unchecked(V_LENGTH[d + 3]));
      a0 = a1;
      black ^= 1;
      i++;
    } else {
      const a2 = load<i32>(curPtr + (<usize>(i + 1) << 2));
      putBits(0b001, 3);
      putRun(a1 - (a0 < 0 ? 0 : a0), black);
      putRun(a2 - a1, black ^ 1);
      a0 = a2;
      i += 2;
    }
  }
}

/** Lays out memory for encoding a w x h bitmap; returns where to copy it, or 0 if too large. */
export function prepareEncode(w: i32, h: i32): usize {
  init();
  bitmapPtr = layoutLines(w);
  outputPtr = (bitmapPtr + <usize>h * <usize>stride + 16 + 15) & ~<usize>15;
  if (!ensureMemory(outputPtr + 65536)) return 0;
  memory.fill(bitmapPtr + <usize>h * <usize>stride, 0, 16); // findChanges reads up to 7 bytes past a row
  return bitmapPtr;
}

/** Encodes the bitmap placed by prepareEncode; returns the coded length in bytes (from getOutputPtr()), or -1. */
export function encode(scheme: i32, height: i32, k: i32, flags: i32, minBitsPerRow: i32): i32 {
  const useEol = scheme != SCHEME_MMR && ((flags & FLAG_EOL) != 0 || scheme == SCHEME_MR);
  const byteAlign = (flags & FLAG_BYTE_ALIGN) != 0;
  if (k < 1) k = 1;
  wrPtr = outputPtr;
  wacc = 0;
  waccBits = 0;
  clearReference();
  const s = <usize>stride;
  // Worst case per line: a horizontal mode or run pair per changing element, ~26 bits each, plus fill.
  const lineBound: usize = (<usize>width + 8) * 4 + (<usize>minBitsPerRow >> 3) + 64;
  let lineStart: i64 = -1; // where the previous line's EOL began, for the T.30 minimum scan line time
  for (let row = 0; row < height; row++) {
    if (!ensureMemory(wrPtr + lineBound)) return -1;
    findChanges(bitmapPtr + <usize>row * s);
    let oneDimensional = scheme == SCHEME_MH;
    if (useEol) {
      if (lineStart >= 0) {
        const short = <i64>minBitsPerRow - (outputBit() - lineStart);
        if (short > 0) putZeros(<i32>short);
      }
      if (byteAlign) alignForEol();
      lineStart = outputBit();
      putBits(EOL_CODE, EOL_LENGTH);
      if (scheme == SCHEME_MR) {
        // T.4 §4.2.1: one 1-D line, then at most K-1 2-D lines.
        oneDimensional = row % k == 0;
        putBits(oneDimensional ? 1 : 0, 1);
      }
    } else if (byteAlign && scheme == SCHEME_MH) {
      putZeros((8 - (waccBits & 7)) & 7);
    }
    if (oneDimensional) encodeLine1D();
    else encodeLine2D();
    swapLines();
  }
  if (!ensureMemory(wrPtr + 256)) return -1;
  if ((flags & FLAG_RTC) != 0) {
    if (scheme == SCHEME_MMR) {
      putBits(EOL_CODE, EOL_LENGTH); // EOFB, T.6 §2.4.4
      putBits(EOL_CODE, EOL_LENGTH);
    } else {
      if (lineStart >= 0) {
        const short = <i64>minBitsPerRow - (outputBit() - lineStart);
        if (short > 0) putZeros(<i32>short);
      }
      if (byteAlign) alignForEol();
      // T.4 §4.1.4 RTC: six EOLs; in MR each carries tag bit 1 (T.4 §4.2.1.3.4).
      for (let n = 0; n < 6; n++) {
        putBits(EOL_CODE, EOL_LENGTH);
        if (scheme == SCHEME_MR) putBits(1, 1);
      }
    }
  }
  while (waccBits > 0) {
    store<u8>(wrPtr, <u8>(wacc >> 56));
    wrPtr++;
    wacc <<= 8;
    waccBits -= 8;
  }
  return <i32>(wrPtr - outputPtr);
}

/** TIFF FillOrder 2 (TIFF 6.0 §8): bits within each byte are stored LSB first; reverse in place. */
export function reverseBits(ptr: usize, length: i32): void {
  init();
  const end = ptr + <usize>length;
  for (let p = ptr; p < end; p++) store<u8>(p, load<u8>(REVERSE_TABLE + <usize>load<u8>(p)));
}

/** Reserves `length` bytes after the line arrays (for reverseBits on data that is not being decoded). */
export function prepareScratch(length: i32): usize {
  init();
  const base = (__heap_base + 15) & ~<usize>15;
  if (!ensureMemory(base + <usize>length + 16)) return 0;
  return base;
}

/**
 * Render pipeline (src/fax/render/bilevel.ts): 8-bit grey rows to 1-bit, for the pels that are pure black (0)
 * or paper white (255), which is all of a page of 1-bit glyphs and solid fills. Eight pels are one u64 and one
 * output byte (1 = black, first pel in the top bit). `rows` rows of `width` pels, `stride` bytes apart, at
 * `grey`; output rows of (width + 7) / 8 bytes at `out`. `flags[y]` is set to 1 for a row holding any other
 * grey or a partial last byte: its output is left for the caller to redo; white groups in it are 0.
 * Returns how many rows are flagged.
 */
export function packBlackWhiteRows(grey: usize, out: usize, flags: usize, width: i32, rows: i32, stride: i32): i32 {
  const bytes = width >> 3;
  const outStride = (width + 7) >> 3;
  let flagged = 0;
  for (let y = 0; y < rows; y++) {
    const row = grey + <usize>y * <usize>stride;
    const o = out + <usize>y * <usize>outStride;
    let mixed: u64 = 0;
    for (let xb = 0; xb < bytes; xb++) {
      // Paper, the most of a text page, 64 pels (eight output bytes) at a time.
      if ((xb & 7) == 0 && xb + 8 <= bytes) {
        const at = row + (<usize>xb << 3);
        const all =
          load<u64>(at) & load<u64>(at, 8) & load<u64>(at, 16) & load<u64>(at, 24) &
          load<u64>(at, 32) & load<u64>(at, 40) & load<u64>(at, 48) & load<u64>(at, 56);
        if (all == 0xffffffffffffffff) {
          store<u64>(o + <usize>xb, 0);
          xb += 7;
          continue;
        }
      }
      const x = load<u64>(row + (<usize>xb << 3));
      if (x == 0xffffffffffffffff) {
        store<u8>(o + <usize>xb, 0);
        continue;
      }
      // Each lane's top bit copied through the lane equals the lane only for 0 and 255.
      mixed |= (((x >> 7) & 0x0101010101010101) * 0xff) ^ x;
      // Lane i's ink bit moved to bit 63 - i (the products of the multiply never overlap, so never carry).
      store<u8>(o + <usize>xb, <u8>(((((~x) >> 7) & 0x0101010101010101) * 0x8040201008040201) >> 56));
    }
    if (bytes < outStride) {
      store<u8>(o + <usize>bytes, 0);
      mixed = 1;
    }
    const isMixed = <i32>(mixed != 0);
    store<u8>(flags + <usize>y, <u8>isMixed);
    flagged += isMixed;
  }
  return flagged;
}

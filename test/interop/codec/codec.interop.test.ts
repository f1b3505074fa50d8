// The codec against independent implementations from Debian: libtiff (tiffcp, tifftopnm), netpbm (pbmtog3,
// g3topbm) and ghostscript's fax devices. Each direction is checked pel for pel on generated fax pages.
// Needs: libtiff-tools netpbm ghostscript.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodePage, encodePage, readPbm, readTiff, readTiffRaw, writeCodedTiff, writeTiff } from "../../../src/codec/node.js";
import type { Bitmap, CodingScheme } from "../../../src/codec/index.js";
import { firstDifferentRow } from "../../fixtures/bitmaps.js";
import { fixturePages, postScriptPage, uncompressedTiff, writePbmFixtures } from "../../fixtures/pages.js";
import type { FixturePage } from "../../fixtures/pages.js";

const SCHEMES: CodingScheme[] = ["mh", "mr", "mmr"];
let dir = "";
let pages: FixturePage[] = [];

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "edgefax-codec-interop-"));
  pages = fixturePages();
  writePbmFixtures(dir, pages);
  for (const p of pages) writeFileSync(join(dir, `${p.name}.none.tif`), uncompressedTiff([p]));
});

describe("libtiff and netpbm decode what we encode", () => {
  for (const scheme of SCHEMES) {
    it(`${scheme}: tiffcp -c none + tifftopnm give our pels back (standard and fine pages)`, () => {
      for (const p of pages) {
        const ours = join(dir, `${p.name}.ours.${scheme}.tif`);
        writeFileSync(ours, writeTiff([p], { scheme }));
        const none = join(dir, `${p.name}.ours.${scheme}.none.tif`);
        run("tiffcp", ["-c", "none", ours, none]);
        const [back] = readPbm(run("tifftopnm", [none]));
        expect(firstDifferentRow(back as Bitmap, p.bitmap), `${p.name} ${scheme}`).toBe(-1);
      }
    });
  }

  it("libtiff reads pages filed as received (writeCodedTiff: EOLs unaligned, RTC / EOFB kept)", () => {
    for (const p of pages.filter((x) => x.kind !== "photo")) {
      for (const scheme of SCHEMES) {
        const data = encodePage(p.bitmap, { scheme, k: 4, rtc: true });
        const file = join(dir, `${p.name}.coded.${scheme}.tif`);
        writeFileSync(file, writeCodedTiff([{ width: 1728, height: p.bitmap.height, xResolution: 204, yResolution: p.yResolution, data }], { scheme, byteAlign: false }));
        const [back] = readPbm(run("tifftopnm", [file]));
        expect(firstDifferentRow(back as Bitmap, p.bitmap), `${p.name} ${scheme}`).toBe(-1);
      }
    }
  });

  it("libtiff reads a multi-page file of ours page by page with the right fields", () => {
    const file = join(dir, "multi.tif");
    writeFileSync(file, writeTiff(pages, { scheme: "mr" }));
    const info = run("tiffinfo", [file]).toString();
    expect(info.match(/TIFF Directory at offset/g)).toHaveLength(pages.length);
    expect(info).toMatch(/Compression Scheme: CCITT Group 3/);
    expect(info).toMatch(/Group 3 Options: 2-d encoding\+EOL padding/);
    expect(info).toMatch(/Resolution: 204, 98 pixels\/inch/);
    expect(info).toMatch(/Resolution: 204, 196 pixels\/inch/);
    expect(info).toMatch(/Page Number: 7-8/);
  });

  it("g3topbm (netpbm) decodes our raw T.4 MH streams, with and without EOL alignment", () => {
    for (const p of pages) {
      for (const byteAlign of [false, true]) {
        const g3 = join(dir, `${p.name}.${byteAlign}.g3`);
        writeFileSync(g3, encodePage(p.bitmap, { scheme: "mh", rtc: true, byteAlign }));
        const [back] = readPbm(run("g3topbm", ["-stop_error", g3]));
        expect(firstDifferentRow(back as Bitmap, p.bitmap), `${p.name} align ${byteAlign}`).toBe(-1);
      }
    }
  });
});

describe("we decode what libtiff, netpbm and ghostscript encode", () => {
  const variants: [string, string[], CodingScheme][] = [
    ["g3:1d", ["-c", "g3:1d"], "mh"],
    ["g3:1d:fill", ["-c", "g3:1d:fill"], "mh"],
    ["g3:2d", ["-c", "g3:2d"], "mr"],
    ["g3:2d:fill", ["-c", "g3:2d:fill"], "mr"],
    ["g4", ["-c", "g4"], "mmr"],
    ["g3:2d, FillOrder 2, big-endian, 64-row strips", ["-c", "g3:2d", "-f", "lsb2msb", "-B", "-r", "64"], "mr"],
    ["g4, FillOrder 2, 100-row strips", ["-c", "g4", "-f", "lsb2msb", "-r", "100"], "mmr"],
  ];
  for (const [name, args, scheme] of variants) {
    it(`tiffcp ${name}: every page, pel for pel`, () => {
      const multi = join(dir, "all.none.tif");
      writeFileSync(multi, uncompressedTiff(pages));
      const out = join(dir, `lib.${name.replace(/[^a-z0-9]+/gi, "_")}.tif`);
      run("tiffcp", [...args, multi, out]);
      const read = readTiff(readFileSync(out));
      expect(read).toHaveLength(pages.length);
      read.forEach((page, i) => {
        const p = pages[i] as FixturePage;
        expect(page.scheme).toBe(scheme);
        expect(page.badRows).toBe(0);
        expect(page.yResolution).toBe(p.yResolution);
        expect(firstDifferentRow(page.bitmap, p.bitmap), `${p.name}`).toBe(-1);
      });
      // and the raw strips, as a PDF would embed them, decode to the same pels
      readTiffRaw(readFileSync(out)).forEach((raw, i) => {
        const p = pages[i] as FixturePage;
        const decoded = decodePage(raw.data, { scheme: raw.scheme, width: raw.width, height: raw.height, eol: raw.eol || raw.scheme !== "mh" });
        expect(firstDifferentRow(decoded.bitmap, p.bitmap), `raw ${p.name}`).toBe(-1);
      });
    });
  }

  it("pbmtog3 (netpbm) raw MH, plain and with -align8", () => {
    for (const p of pages) {
      for (const extra of [[], ["-align8"]]) {
        const g3 = run("pbmtog3", [...extra, join(dir, `${p.name}.pbm`)]);
        const decoded = decodePage(g3, { scheme: "mh", width: 1728 });
        expect(decoded.badRows).toBe(0);
        expect(firstDifferentRow(decoded.bitmap, p.bitmap), `${p.name} ${extra.join(" ")}`).toBe(-1);
      }
    }
  });

  for (const [device, scheme] of [["tiffg3", "mh"], ["tiffg32d", "mr"], ["tiffg4", "mmr"]] as const) {
    it(`ghostscript -sDEVICE=${device}: same pels as its own PBM rendering of the page`, () => {
      const ps = join(dir, "page.ps");
      writeFileSync(ps, postScriptPage());
      for (const [res, rows] of [["204x196", 2156], ["204x98", 1078]] as const) {
        const common = ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", `-r${res}`, `-g1728x${rows}`];
        const tif = join(dir, `gs.${device}.${res}.tif`);
        const pbm = join(dir, `gs.${res}.pbm`);
        run("gs", [...common, `-sDEVICE=${device}`, `-sOutputFile=${tif}`, ps]);
        run("gs", [...common, "-sDEVICE=pbmraw", `-sOutputFile=${pbm}`, ps]);
        const [page] = readTiff(readFileSync(tif));
        const [reference] = readPbm(readFileSync(pbm));
        expect(page?.scheme).toBe(scheme);
        expect(page?.badRows).toBe(0);
        expect(Math.round(page?.yResolution as number)).toBe(Number(res.split("x")[1]));
        expect((reference as Bitmap).data.some((b) => b !== 0)).toBe(true);
        expect(firstDifferentRow((page as { bitmap: Bitmap }).bitmap, reference as Bitmap), `${device} ${res}`).toBe(-1);
      }
    });
  }
});

describe("MMR is canonical", () => {
  it("our MMR strip has the size of libtiff's for the same page (within 1%)", () => {
    for (const p of pages) {
      const lib = join(dir, `${p.name}.lib.g4.tif`);
      run("tiffcp", ["-c", "g4", "-r", "1000000", join(dir, `${p.name}.none.tif`), lib]);
      const [raw] = readTiffRaw(readFileSync(lib));
      const ours = encodePage(p.bitmap, { scheme: "mmr", rtc: true }); // libtiff ends G4 strips with EOFB too
      const libSize = (raw as { data: Uint8Array }).data.length;
      expect(Math.abs(ours.length - libSize) / libSize, `${p.name}: ours ${ours.length}, libtiff ${libSize}`).toBeLessThanOrEqual(0.01);
    }
  });
});

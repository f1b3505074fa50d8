// The codec's WASM module loads in Node as an import-free module, and the CLI converts PBM <-> TIFF-F.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codecMemoryBytes, readPbm, readTiff, writePbm } from "../../src/codec/node.js";
import { compileCodec } from "../../src/codec/engine.js";
import { firstDifferentRow, styledBitmap } from "../fixtures/bitmaps.js";

const wasmPath = new URL("../../wasm/build/codec.wasm", import.meta.url);

describe("WASM module", () => {
  it("is built, import-free (runtime stub), and instantiates with an empty imports object in Node", () => {
    const module = compileCodec(readFileSync(wasmPath));
    expect(WebAssembly.Module.imports(module)).toEqual([]);
    const names = WebAssembly.Module.exports(module).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["memory", "decode", "encode", "prepareDecode", "prepareEncode"]));
    const instance = new WebAssembly.Instance(module, {});
    expect(instance.exports.memory).toBeInstanceOf(WebAssembly.Memory);
    expect(codecMemoryBytes()).toBeGreaterThan(0);
  });
});

describe("CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgefax-codec-cli-"));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ["node_modules/tsx/dist/cli.mjs", "src/codec/cli.ts", ...args], { encoding: "utf8" });

  // Each CLI run starts a tsx process (seconds on a loaded machine), so one scheme here; the API tests cover all.
  it("encode PBM -> TIFF-F and decode back, multi-page", () => {
    const pages = [styledBitmap("shifted", 1728, 40, 1), styledBitmap("noise", 1728, 20, 2, 0.05)];
    const pbm = join(dir, "in.pbm");
    writeFileSync(pbm, writePbm(pages));
    for (const scheme of ["mr"]) {
      const tif = join(dir, `${scheme}.tif`);
      const out = join(dir, `${scheme}.pbm`);
      expect(cli("encode", "--scheme", scheme, "--resolution", "standard", pbm, tif).status).toBe(0);
      const read = readTiff(readFileSync(tif));
      expect(read.map((p) => [p.scheme, p.yResolution])).toEqual([
        [scheme, 98],
        [scheme, 98],
      ]);
      expect(cli("decode", tif, out).status).toBe(0);
      const back = readPbm(readFileSync(out));
      back.forEach((b, i) => expect(firstDifferentRow(b, pages[i] as typeof b)).toBe(-1));
    }
  });

  it("fails with one line and exit code 1", () => {
    const notTiff = join(dir, "not.tif");
    writeFileSync(notTiff, "hello");
    const malformed = cli("decode", notTiff, join(dir, "x.pbm"));
    const badScheme = cli("encode", "--scheme", "g5", notTiff, join(dir, "y.tif"));
    for (const r of [malformed, badScheme]) {
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^codec: /);
    }
    expect(malformed.stderr).toMatch(/tiff\.malformed/);
    expect(badScheme.stderr).toMatch(/--scheme must be mh, mr or mmr/);
  });
});

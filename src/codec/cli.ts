/**
 * `npm run -s codec -- encode --scheme mh|mr|mmr [--k N] [--resolution standard|fine|superfine] IN.pbm OUT.tif`
 * `npm run -s codec -- decode IN.tif OUT.pbm`
 *
 * PBM files are binary P4; several images one after another are several pages (netpbm's convention).
 * PBM carries no resolution, so encode stamps the TIFF with --resolution (default fine, 204 x 196 dpi).
 * Any failure prints one line on stderr and exits with status 1.
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { CodecError, decodeTiffPages, FAX_RESOLUTIONS, readPbm, writePbm, writeTiff } from "./node.js";
import type { FaxResolutionName } from "./raster.js";
import type { CodingScheme } from "./types.js";

const USAGE =
  "usage: codec encode --scheme mh|mr|mmr [--k N] [--resolution standard|fine|superfine] IN.pbm OUT.tif | codec decode IN.tif OUT.pbm";

class UsageError extends Error {}

function parse(argv: string[]): { command: string; files: string[]; flags: Map<string, string> } {
  const [command, ...rest] = argv;
  const files: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      else {
        const value = rest[++i];
        if (value === undefined) throw new UsageError(`${arg} needs a value`);
        flags.set(arg.slice(2), value);
      }
    } else files.push(arg);
  }
  if (!command) throw new UsageError(USAGE);
  return { command, files, flags };
}

function run(argv: string[]): void {
  const { command, files, flags } = parse(argv);
  const [input, output] = files;
  if (!input || !output || files.length !== 2) throw new UsageError(USAGE);
  if (command === "encode") {
    const scheme = flags.get("scheme") ?? "mh";
    if (scheme !== "mh" && scheme !== "mr" && scheme !== "mmr") throw new UsageError(`--scheme must be mh, mr or mmr`);
    const resolution = (flags.get("resolution") ?? "fine") as FaxResolutionName;
    const res = FAX_RESOLUTIONS[resolution];
    if (!res) throw new UsageError(`--resolution must be standard, fine or superfine`);
    const kFlag = flags.get("k");
    const k = kFlag === undefined ? undefined : Number(kFlag);
    if (k !== undefined && !(Number.isInteger(k) && k >= 1)) throw new UsageError(`--k must be a positive integer`);
    const pages = readPbm(readFileSync(input)).map((bitmap) => ({ bitmap, ...res }));
    writeFileSync(output, writeTiff(pages, { scheme: scheme as CodingScheme, k }));
  } else if (command === "decode") {
    // One page at a time, appended to the PBM as it is decoded: memory stays at one page's bitmap.
    const fd = openSync(output, "w");
    let bad = 0;
    try {
      for (const page of decodeTiffPages(readFileSync(input))) {
        writeSync(fd, writePbm([page.bitmap]));
        bad += page.badRows;
      }
    } finally {
      closeSync(fd);
    }
    if (bad > 0) process.stderr.write(`warning: ${bad} damaged rows repaired\n`);
  } else {
    throw new UsageError(`unknown command ${command}; ${USAGE}`);
  }
}

try {
  run(process.argv.slice(2));
} catch (err) {
  const message =
    err instanceof CodecError
      ? `${err.code}: ${err.message}`
      : err instanceof UsageError
        ? err.message
        : err instanceof Error && "code" in err && typeof err.code === "string"
          ? `${err.code}: ${err.message}` // fs errors (ENOENT, EACCES)
          : String(err);
  process.stderr.write(`codec: ${message.split("\n")[0]}\n`);
  process.exit(1);
}

/**
 * Plumbing for the T.38 interop suite: the spandsp harness (compiled on first use), SIPp, tshark
 * captures, and one fax call between our gateway and spandsp with everything checked.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTiff, writeTiff } from "../../../src/codec/index.js";
import { answerFaxes, sendFax, type FaxCallResult } from "../../../src/gateway/fax-call.js";
import type { CodingScheme, FaxPageImage } from "../../../src/gateway/t30/index.js";
import { prng } from "../../fixtures/pages.js";
import { makeFaxTiff, run, tiffPagePixels, type Compression, type Resolution } from "./pages.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const WORK = join(tmpdir(), `edgefax-t38-interop-${process.pid}`);
mkdirSync(WORK, { recursive: true });

/** Compile harness/spandsp-t38.c once per source version. */
export function harnessBinary(): string {
  const source = join(HERE, "harness", "spandsp-t38.c");
  const hash = createHash("sha1").update(readFileSync(source)).digest("hex").slice(0, 12);
  const bin = join(tmpdir(), `edgefax-spandsp-t38-${hash}`);
  if (!existsSync(bin)) {
    execFileSync("cc", ["-O2", "-Wall", "-o", `${bin}.tmp`, source, "-lspandsp", "-ltiff"], { stdio: "inherit" });
    execFileSync("mv", [`${bin}.tmp`, bin]);
  }
  return bin;
}

export interface HarnessResult {
  ok: boolean;
  text: string;
  pages: number;
  rate: number;
  ecm: boolean;
  encoding: number;
  /** From the first UDPTL datagram received to phase E (the harness's own clock). */
  t38Ms: number;
  line: string;
}

export interface Harness {
  port: number;
  result: Promise<HarnessResult>;
  kill(): void;
}

export async function startHarness(args: string[]): Promise<Harness> {
  const child = spawn(harnessBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(/UDPTL_PORT (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", () => reject(new Error(`harness exited early: ${err}`)));
  });
  const result = new Promise<HarnessResult>((resolve) => {
    child.once("exit", () => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT")) ?? `RESULT ok=0 text="no result" ${err.slice(-300)}`;
      const field = (k: string) => line.match(new RegExp(`${k}=("[^"]*"|\\S+)`))?.[1]?.replace(/"/g, "") ?? "";
      resolve({ ok: field("ok") === "1", text: field("text"), pages: Number(field("pages")), rate: Number(field("rate")), ecm: field("ecm") === "1", encoding: Number(field("encoding")), t38Ms: Number(field("t38_ms") || -1), line });
    });
  });
  return { port, result, kill: () => child.exitCode === null && child.kill("SIGKILL") };
}

export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Sipp {
  port: number;
  done: Promise<number>;
  kill(): void;
}

/** SIPp with one of our scenarios; `remote` for UAC scenarios. */
export async function startSipp(scenario: string, keys: Record<string, string | number>, remote?: string): Promise<Sipp> {
  const port = await freeUdpPort();
  const args = [
    ...(remote ? [remote] : []),
    "-sf", join(HERE, "scenarios", scenario),
    "-i", "127.0.0.1",
    "-p", String(port),
    "-m", "1",
    "-nostdin",
    "-timeout", "180s",
    "-timeout_error",
    ...Object.entries(keys).flatMap(([k, v]) => ["-key", k, String(v)]),
  ];
  const child: ChildProcess = spawn("sipp", args, { stdio: "ignore", cwd: WORK });
  const done = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 99)));
  return { port, done, kill: () => child.exitCode === null && child.kill("SIGKILL") };
}

export interface Capture {
  stop(): Promise<{ t38Packets: number; malformed: number; file: string }>;
}

/** tshark on lo for one UDPTL port; `stop` decodes the file as T.38 and counts malformed packets. */
export async function startCapture(port: number, name: string): Promise<Capture> {
  const file = join(WORK, `${name}.pcapng`);
  const child = spawn("tshark", ["-i", "lo", "-f", `udp port ${port}`, "-w", file, "-q"], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve) => {
    let err = "";
    const t = setTimeout(resolve, 5000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("Capturing on")) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 300));
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      await exited;
      // tshark runs asynchronously: other calls of the suite are mid-T.30 in this same event loop.
      const count = async (filter: string) =>
        (await run("tshark", ["-r", file, "-d", `udp.port==${port},t38`, "-Y", filter, "-T", "fields", "-e", "frame.number"], { encoding: "utf8" })).stdout
          .split("\n")
          .filter((l) => l.trim()).length;
      const [t38Packets, malformed] = await Promise.all([count("t38"), count("_ws.malformed")]);
      return { t38Packets, malformed, file };
    },
  };
}

export interface MatrixCase {
  direction: "send" | "receive";
  ecm: boolean;
  compression: Compression;
  resolution: Resolution;
  pages: 1 | 3;
  offer: "invite" | "reinvite";
  loss: 0 | 5;
}

export function caseName(c: MatrixCase): string {
  return `${c.direction === "send" ? "we send" : "we receive"} ecm=${c.ecm ? "on" : "off"} ${c.compression} ${c.resolution} ${c.pages}p t38-by-${c.offer} loss=${c.loss}%`;
}

export interface CaseOutcome {
  ours: FaxCallResult;
  spandsp: HarnessResult;
  pixelsEqual: boolean;
  pagesCompared: number;
  capture: { t38Packets: number; malformed: number; file: string };
  seconds: number;
}

const tiffCache = new Map<string, string>();
export function sourceTiff(compression: Compression, resolution: Resolution, pages: number): string {
  const key = `${compression}-${resolution}-${pages}`;
  let file = tiffCache.get(key);
  if (!file) {
    file = makeFaxTiff(WORK, `src-${key}`, pages, resolution, compression);
    tiffCache.set(key, file);
  }
  return file;
}

export function pagesOf(file: string): FaxPageImage[] {
  return readTiff(readFileSync(file)).map((p) => ({ bitmap: p.bitmap, resolution: p.yResolution > 150 ? "fine" : "standard" }));
}

/** spandsp's compressions for a case: what the harness supports (as receiver: what its DIS offers). */
function harnessCompressions(c: Compression, role: "send" | "receive"): string {
  if (role === "send") return c;
  return c === "mh" ? "mh" : c === "mr" ? "mh,mr" : "mh,mr,mmr";
}

async function samePixels(a: string, b: string): Promise<{ equal: boolean; pages: number }> {
  const [pa, pb] = await Promise.all([tiffPagePixels(a, WORK), tiffPagePixels(b, WORK)]);
  return { equal: pa.length === pb.length && pa.every((p, i) => p.equals(pb[i]!)), pages: pb.length };
}

/**
 * One call between our gateway and the spandsp harness, SIP by SIPp, fully checked by the caller.
 * `caseNumber` (1-based, the matrix row) seeds the simulated loss at both ends (the harness's and
 * ours; ours with the fixtures' mulberry32), so a row drops the same datagrams on every run, alone
 * (T38_CASES) or in the whole matrix.
 */
export async function runCase(c: MatrixCase, caseNumber: number): Promise<CaseOutcome> {
  const id = `case${String(caseNumber).padStart(3, "0")}-${process.pid}`;
  const started = Date.now();
  const source = sourceTiff(c.compression, c.resolution, c.pages);
  const received = join(WORK, `${id}-rx.tif`);
  const common = ["--ecm", c.ecm ? "on" : "off", "--loss", String(c.loss), "--seed", String(caseNumber), "--timeout", "150"];
  if (c.direction === "send") {
    const harness = await startHarness(["--mode", "receive", "--tiff", received, "--compressions", harnessCompressions(c.compression, "receive"), ...common]);
    const capture = await startCapture(harness.port, id);
    const sipp = await startSipp(c.offer === "invite" ? "uas-invite.xml" : "uas-reinvite.xml", { harness_port: harness.port, audio_port: 9 });
    try {
      const ours = await sendFax({
        // Loss is simulated where datagrams are received (the harness drops what we send, we drop what it
        // sends), so the tshark capture holds every packet and checks the encoding of each.
        ...(c.loss ? { udptlRxLoss: c.loss / 100, udptlLossRandom: prng(caseNumber) } : {}),
        to: `sip:5551000@127.0.0.1:${sipp.port}`,
        pages: pagesOf(source),
        t38Offer: c.offer,
        ecm: c.ecm,
        schemes: [c.compression as CodingScheme],
        callTimeoutMs: 150_000,
      });
      const spandsp = await Promise.race([harness.result, new Promise<HarnessResult>((r) => setTimeout(() => r({ ok: false, text: "harness timeout", pages: 0, rate: 0, ecm: false, encoding: 0, t38Ms: -1, line: "" }), 20_000))]);
      const capture_ = await capture.stop();
      const px = spandsp.ok && existsSync(received) ? await samePixels(source, received) : { equal: false, pages: 0 };
      return { ours, spandsp, pixelsEqual: px.equal, pagesCompared: px.pages, capture: capture_, seconds: (Date.now() - started) / 1000 };
    } finally {
      harness.kill();
      sipp.kill();
    }
  }
  let resolveFax: (f: FaxCallResult) => void = () => undefined;
  const fax = new Promise<FaxCallResult>((r) => (resolveFax = r));
  const listener = await answerFaxes({ ecm: c.ecm, reinviteAfterMs: 3000, onFax: resolveFax, callTimeoutMs: 150_000, ...(c.loss ? { udptlRxLoss: c.loss / 100, udptlLossRandom: prng(caseNumber) } : {}) });
  const harness = await startHarness(["--mode", "send", "--calling", "--tiff", source, "--compressions", harnessCompressions(c.compression, "send"), ...common]);
  const capture = await startCapture(harness.port, id);
  const sipp = await startSipp(c.offer === "invite" ? "uac-invite.xml" : "uac-reinvite.xml", { harness_port: harness.port, audio_port: 9 }, `127.0.0.1:${listener.port}`);
  try {
    const ours = await Promise.race([fax, new Promise<never>((_, rej) => setTimeout(() => rej(new Error("no call arrived / finished")), 170_000))]);
    const spandsp = await Promise.race([harness.result, new Promise<HarnessResult>((r) => setTimeout(() => r({ ok: false, text: "harness timeout", pages: 0, rate: 0, ecm: false, encoding: 0, t38Ms: -1, line: "" }), 20_000))]);
    const capture_ = await capture.stop();
    let px = { equal: false, pages: 0 };
    if (ours.pages.length > 0) {
      writeFileSync(received, writeTiff(ours.pages.map((p) => ({ bitmap: p.bitmap, xResolution: 204, yResolution: p.resolution === "fine" ? 196 : 98 })), { scheme: ours.pages[0]!.scheme }));
      px = await samePixels(source, received);
    }
    return { ours, spandsp, pixelsEqual: px.equal, pagesCompared: px.pages, capture: capture_, seconds: (Date.now() - started) / 1000 };
  } finally {
    harness.kill();
    sipp.kill();
    listener.close();
  }
}

/** Every valid combination (T.30: MMR only with ECM). */
export function fullMatrix(): MatrixCase[] {
  const out: MatrixCase[] = [];
  for (const direction of ["send", "receive"] as const)
    for (const ecm of [true, false])
      for (const compression of ["mh", "mr", "mmr"] as const)
        for (const resolution of ["standard", "fine"] as const)
          for (const pages of [1, 3] as const)
            for (const offer of ["invite", "reinvite"] as const)
              for (const loss of [0, 5] as const) if (ecm || compression !== "mmr") out.push({ direction, ecm, compression, resolution, pages, offer, loss });
  return out;
}

/** A greedy all-pairs subset of the full matrix: every value pair of any two parameters appears at least once. */
export function pairwiseMatrix(): MatrixCase[] {
  const all = fullMatrix();
  const keys = ["direction", "ecm", "compression", "resolution", "pages", "offer", "loss"] as const;
  const pairsOf = (c: MatrixCase) => {
    const p: string[] = [];
    for (let i = 0; i < keys.length; i++) for (let j = i + 1; j < keys.length; j++) p.push(`${keys[i]}=${String(c[keys[i]!])}|${keys[j]}=${String(c[keys[j]!])}`);
    return p;
  };
  const uncovered = new Set(all.flatMap(pairsOf));
  const chosen: MatrixCase[] = [];
  while (uncovered.size > 0) {
    let best = all[0]!;
    let bestScore = -1;
    for (const c of all) {
      const score = pairsOf(c).filter((p) => uncovered.has(p)).length;
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    chosen.push(best);
    for (const p of pairsOf(best)) uncovered.delete(p);
  }
  return chosen;
}

/**
 * T38_CASES=060,12 (matrix row numbers, as in the results table) runs only those rows, each with the
 * seed it has in the whole matrix; unset, every row runs.
 */
export function selectedCases(cases: MatrixCase[], filter = process.env.T38_CASES): Array<{ c: MatrixCase; n: number }> {
  const all = cases.map((c, i) => ({ c, n: i + 1 }));
  if (!filter?.trim()) return all;
  const wanted = new Set(filter.split(",").map((s) => Number(s.trim())));
  return all.filter(({ n }) => wanted.has(n));
}

export function writeReport(name: string, text: string): string {
  const file = join(WORK, name);
  writeFileSync(file, text);
  return file;
}

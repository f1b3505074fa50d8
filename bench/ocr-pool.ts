/**
 * `npm run bench:ocr:pool`: a 20-page fax (fine and standard pages alternating, so half the pages get a second
 * reading) read by the offline OCR engine two ways in the same run, on the same warm engine: all pages handed
 * to the engine's pool at once, as the OCR service gets them, and one page after another (each waiting for the
 * previous one). The pool must not be slower (pool/serial ≤ 1).
 *
 * The machine is shared, so each way is timed in ABBA order (pool, serial, serial, pool, ...) and the figures are
 * sums over the rounds; the process's CPU seconds (all threads: the engines are worker threads) and the load
 * average are printed beside the wall time, because a loaded machine shows up there and not in the ratio alone.
 * Both ways must give the same text for every page (the pool changes when pages are read, never what is read).
 *
 * Environment: BENCH_ROUNDS (ABBA rounds, default 1: pool, serial, serial, pool), OCR_WORKERS (pool size; the
 * service's default otherwise).
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { defaultEngineWorkers, startFaxOcrEngine, type FaxOcrEngine, type FaxPage } from "../src/inbound/local-engine/engine.js";
import { makeFaxForm } from "../test/fixtures/fax-forms.js";

export interface PoolAgainstSerial {
  poolSeconds: number;
  serialSeconds: number;
  poolCpuSeconds: number;
  serialCpuSeconds: number;
  /** /proc/loadavg's 1-minute figure before and after ("n/a" off Linux). */
  loadBefore: string;
  loadAfter: string;
  /** Pages whose text differed between the two ways (must be 0). */
  differingPages: number;
}

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const loadAverage = () => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ")[0]!;
  } catch {
    return "n/a";
  }
};

/** The fax bench:ocr and bench:ocr:pool time: 20 labelled forms, odd pages at standard resolution. */
export async function twentyPageFax(): Promise<FaxPage[]> {
  return (await Promise.all(Array.from({ length: 20 }, (_, i) => makeFaxForm(100 + i, i % 2 ? "standard" : "fine")))).map((form) => form.page);
}

export async function timePoolAgainstSerial(engine: FaxOcrEngine, pages: FaxPage[], rounds = 1): Promise<PoolAgainstSerial> {
  const result: PoolAgainstSerial = { poolSeconds: 0, serialSeconds: 0, poolCpuSeconds: 0, serialCpuSeconds: 0, loadBefore: loadAverage(), loadAfter: "", differingPages: 0 };
  let reference: string[] | null = null;
  const compare = (texts: string[]) => {
    if (!reference) reference = texts;
    else result.differingPages = Math.max(result.differingPages, texts.filter((text, i) => text !== reference![i]).length);
  };
  const pool = async () => {
    const [started, cpu] = [performance.now(), cpuSeconds()];
    const texts = (await Promise.all(pages.map((page) => engine.read(page)))).map((r) => r.text);
    result.poolSeconds += (performance.now() - started) / 1000;
    result.poolCpuSeconds += cpuSeconds() - cpu;
    compare(texts);
  };
  const serial = async () => {
    const [started, cpu] = [performance.now(), cpuSeconds()];
    const texts: string[] = [];
    for (const page of pages) texts.push((await engine.read(page)).text);
    result.serialSeconds += (performance.now() - started) / 1000;
    result.serialCpuSeconds += cpuSeconds() - cpu;
    compare(texts);
  };
  // Both ways warm: the fax is read once each way before either is timed. Measured: for the first minute or so
  // V8 still compiles the engines' WASM further on its helper threads (~1.4 s of CPU in the first 20 pages, none
  // after), which would be charged to whichever way ran first (serial first: serial 23.8 s, pool 13.7 s).
  await Promise.all(pages.map((page) => engine.read(page)));
  for (const page of pages) await engine.read(page);
  for (let round = 0; round < rounds; round++) {
    await pool();
    await serial();
    await serial();
    await pool();
  }
  result.loadAfter = loadAverage();
  return result;
}

export function describePoolAgainstSerial(r: PoolAgainstSerial, workers: number, rounds: number): string {
  const runs = 2 * rounds;
  return (
    `A 20-page fax (fine and standard pages), mean of ${runs} warm runs each in ABBA order, pool of ${workers} engine workers: ` +
    `${(r.poolSeconds / runs).toFixed(1)} s through the pool (CPU ${(r.poolCpuSeconds / runs).toFixed(1)} s), ` +
    `${(r.serialSeconds / runs).toFixed(1)} s one page after another (CPU ${(r.serialCpuSeconds / runs).toFixed(1)} s); ` +
    `pool/serial ${(r.poolSeconds / r.serialSeconds).toFixed(2)} (target ≤ 1); load average ${r.loadBefore} → ${r.loadAfter}; ` +
    `pages whose text differed: ${r.differingPages}.`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const workers = process.env.OCR_WORKERS ? Number(process.env.OCR_WORKERS) : defaultEngineWorkers();
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? "1"));
  const engine = await startFaxOcrEngine({ workers });
  const result = await timePoolAgainstSerial(engine, await twentyPageFax(), rounds);
  await engine.stop();
  console.log(describePoolAgainstSerial(result, workers, rounds));
  process.exit(result.differingPages === 0 ? 0 : 1);
}

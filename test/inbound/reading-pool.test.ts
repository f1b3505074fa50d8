/**
 * The OCR service's engine pool (src/inbound/local-engine/reading-pool.ts) with engines written here, each
 * reading only when the test says so: when pages are prepared, in which order engines take them, and what
 * happens to a page whose engine dies. No timing: every step waits for the pool to settle, not for a clock.
 */
import { describe, expect, it } from "vitest";
import { startReadingPool, type EngineImage, type PageEngine, type ReadingPool } from "../../src/inbound/local-engine/reading-pool.js";
import type { DetailedReading } from "../../src/inbound/local-engine/second-reading.js";

interface HeldReading {
  engine: number;
  label: string;
  finish: () => void;
  refuse: () => void;
  /** The engine's thread dies under this reading. */
  die: () => void;
}

/** Engines that hold each reading until the test finishes it; the text read is the image's label. */
function heldEngines() {
  const held: HeldReading[] = [];
  let started = 0;
  const startEngine = async (): Promise<PageEngine> => {
    const id = started++;
    let broken = false;
    return {
      get broken() {
        return broken;
      },
      read: (image: EngineImage) =>
        new Promise<DetailedReading>((resolve, reject) => {
          const label = new TextDecoder().decode(image.image);
          held.push({
            engine: id,
            label,
            finish: () => resolve({ text: `${label} read by engine ${id}`, confidence: 90, lines: [] }),
            refuse: () => reject(new Error(`engine ${id} cannot read ${label}`)),
            die: () => {
              broken = true;
              reject(new Error(`engine ${id}'s thread stopped`));
            },
          });
        }),
      stop: async () => undefined,
    };
  };
  /** The reading of `label` the engines hold now (taken and not finished). */
  const take = (label: string) => {
    const i = held.findIndex((h) => h.label === label);
    if (i === -1) throw new Error(`no engine holds ${label}; held: ${held.map((h) => h.label).join(", ")}`);
    return held.splice(i, 1)[0]!;
  };
  return { held, take, startEngine, started: () => started };
}

/** Lets every promise the pool chained settle (the fake engines answer in microtasks). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function pageReader(pool: ReadingPool) {
  const prepared: string[] = [];
  const image = (label: string): EngineImage => {
    prepared.push(label);
    return { image: new TextEncoder().encode(label), dpi: 204 };
  };
  /** A page as engine.ts reads it: the first reading, and a second queued under the same page once it is prepared. */
  const read = (label: string, secondReading = false) => {
    const page = pool.nextPage();
    let second: Promise<DetailedReading> | null = null;
    const first = pool.read(page, () => {
      if (secondReading) second = pool.read(page, () => image(`${label}'`));
      return image(label);
    });
    return first.then(async (reading) => [reading.text, ...(second ? [(await second).text] : [])]);
  };
  return { prepared, read };
}

describe("the OCR engine pool", () => {
  it("prepares a page only when an engine is free to take it: never more prepared pages than engines", async () => {
    const engines = heldEngines();
    const pool = await startReadingPool({ engines: 2, startEngine: engines.startEngine });
    const { prepared, read } = pageReader(pool);
    const pages = ["p1", "p2", "p3", "p4", "p5"].map((label) => read(label));
    await settle();
    expect(prepared).toEqual(["p1", "p2"]);
    expect(pool.preparedNow).toBe(2);
    for (const [done, next] of [["p1", "p3"], ["p2", "p4"], ["p3", "p5"]]) {
      engines.take(done!).finish();
      await settle();
      expect(prepared.at(-1)).toBe(next);
      expect(pool.preparedNow).toBe(2);
    }
    engines.take("p4").finish();
    engines.take("p5").finish();
    expect((await Promise.all(pages)).map(([text]) => text)).toEqual(["p1 read by engine 0", "p2 read by engine 1", "p3 read by engine 0", "p4 read by engine 1", "p5 read by engine 0"]);
    expect(pool.preparedNow).toBe(0);
    expect(prepared).toEqual(["p1", "p2", "p3", "p4", "p5"]);
  });

  it("takes pages in the order they came, a page's second reading ahead of later pages", async () => {
    const engines = heldEngines();
    const pool = await startReadingPool({ engines: 2, startEngine: engines.startEngine });
    const { read } = pageReader(pool);
    const reading = () => engines.held.map((h) => h.label).sort();
    const pages = [read("a", true), read("b"), read("c", true), read("d")];
    await settle();
    // a and its second reading side by side; b waits although it came before a's second reading was queued.
    expect(reading()).toEqual(["a", "a'"]);
    engines.take("a'").finish();
    await settle();
    expect(reading()).toEqual(["a", "b"]);
    engines.take("b").finish();
    await settle();
    expect(reading()).toEqual(["a", "c"]);
    engines.take("a").finish();
    await settle();
    expect(reading()).toEqual(["c", "c'"]);
    engines.take("c").finish();
    engines.take("c'").finish();
    await settle();
    engines.take("d").finish();
    expect((await Promise.all(pages)).map((texts) => texts.length)).toEqual([2, 1, 2, 1]);
  });

  it("loses no page when an engine's thread dies: the page goes to a fresh engine first, prepared once", async () => {
    const engines = heldEngines();
    const pool = await startReadingPool({ engines: 2, startEngine: engines.startEngine });
    const { prepared, read } = pageReader(pool);
    const pages = ["p1", "p2", "p3"].map((label) => read(label));
    await settle();
    engines.take("p1").die();
    await settle();
    // Engine 0 is replaced by engine 2, which takes p1 before p3.
    expect(engines.started()).toBe(3);
    expect(engines.held.map((h) => `${h.label}@${h.engine}`)).toEqual(["p2@1", "p1@2"]);
    for (const label of ["p1", "p2"]) engines.take(label).finish();
    await settle();
    engines.take("p3").finish();
    expect((await Promise.all(pages)).map(([text]) => text)).toEqual(["p1 read by engine 2", "p2 read by engine 1", "p3 read by engine 2"]);
    expect(prepared).toEqual(["p1", "p2", "p3"]);
    // Still two engines: two pages are taken at once.
    const more = [read("p4"), read("p5")];
    await settle();
    expect(engines.held.map((h) => h.label)).toEqual(["p4", "p5"]);
    for (const label of ["p4", "p5"]) engines.take(label).finish();
    await Promise.all(more);
  });

  it("fails only the page an engine refuses or that kills two engines; the pages after it are read", async () => {
    const engines = heldEngines();
    const pool = await startReadingPool({ engines: 1, startEngine: engines.startEngine });
    const { read } = pageReader(pool);
    const [refused, deadly, after] = [read("refused"), read("deadly"), read("after")];
    await settle();
    engines.take("refused").refuse();
    await expect(refused).rejects.toThrow("engine 0 cannot read refused");
    await settle();
    engines.take("deadly").die();
    await settle();
    engines.take("deadly").die();
    await expect(deadly).rejects.toThrow("engine 1's thread stopped");
    await settle();
    expect(engines.started()).toBe(3);
    expect(pool.preparedNow).toBe(1);
    engines.take("after").finish();
    expect(await after).toEqual(["after read by engine 2"]);
    expect(pool.preparedNow).toBe(0);
  });

  it("fails the pages still waiting when stopped, and refuses new ones", async () => {
    const engines = heldEngines();
    const pool = await startReadingPool({ engines: 1, startEngine: engines.startEngine });
    const { read } = pageReader(pool);
    const [, waiting] = [read("reading"), read("waiting")];
    await settle();
    await pool.stop();
    await expect(waiting).rejects.toThrow("stopped");
    await expect(read("late")).rejects.toThrow("stopped");
  });
});

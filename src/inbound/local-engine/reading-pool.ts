/**
 * The OCR service's pool of page engines: which reading an engine takes next, and when a page is prepared.
 *
 * bench:ocr:pool measured why the pool read a 20-page fax slower than one page after another once standard
 * pages were read twice: every page was prepared and encoded the moment it arrived, so the main thread spent
 * its first ~1.7 s preparing pages no engine could take yet (on a 2-core machine, CPU the engines needed),
 * and the burst of bitmaps kept V8's collector busy (~1 s of CPU on its helper threads, none when reading one
 * page at a time). So a reading is prepared only when an engine is free to take it: at most one prepared
 * reading per engine at any time, and a page waiting in the queue is still the bitmap it arrived as.
 *
 * Order: earlier pages first, and a page's second reading (second-reading.ts) ahead of later pages' readings, so
 * a page's two readings run side by side and pages finish in the order they came (the Worker waits for each).
 *
 * An engine whose thread dies takes no page with it: its reading goes back to the head of the queue for a
 * fresh engine that replaces it (once: a page that kills two engines is failed, not retried for ever), while
 * a reading the engine refused (a page it cannot read) fails that page only.
 */
import type { DetailedReading } from "./second-reading";

/** A page as one engine reads it: the encoded image and its dpi across. */
export interface EngineImage {
  image: Uint8Array;
  dpi: number;
}

export interface PageEngine {
  read(image: EngineImage): Promise<DetailedReading>;
  /** True once the engine can read nothing more (its thread exited); the pool then replaces it. */
  readonly broken: boolean;
  stop(): Promise<void>;
}

export interface ReadingPool {
  /** A number to queue a page's readings under: pages numbered earlier are read first. */
  nextPage(): number;
  /** Reads what `prepare` returns, calling it only once an engine is free to read it. */
  read(page: number, prepare: () => EngineImage): Promise<DetailedReading>;
  /** How many readings are prepared and not yet read (never more than the engines). */
  readonly preparedNow: number;
  stop(): Promise<void>;
}

interface QueuedReading {
  page: number;
  prepare: () => EngineImage;
  /** The image, kept once prepared so a retry on another engine does not prepare it again. */
  prepared?: EngineImage;
  enginesLost: number;
  resolve: (reading: DetailedReading) => void;
  reject: (error: unknown) => void;
}

/** Engines a single reading may lose (threads that died under it) before its page fails. */
const MAX_ENGINES_LOST = 2;

export async function startReadingPool(options: { engines: number; startEngine: () => Promise<PageEngine> }): Promise<ReadingPool> {
  const engines = await Promise.all(Array.from({ length: options.engines }, () => options.startEngine()));
  const idle = [...engines];
  const queue: QueuedReading[] = [];
  let pages = 0;
  let prepared = 0;
  let stopped = false;

  const replace = (lost: PageEngine) => {
    engines.splice(engines.indexOf(lost), 1);
    void lost.stop().catch(() => undefined);
    options.startEngine().then(
      (engine) => {
        if (stopped) return void engine.stop();
        engines.push(engine);
        idle.push(engine);
        dispatch();
      },
      (error: unknown) => {
        // No engine can be started: fail what waits rather than keep it waiting for ever.
        if (engines.length === 0) for (const reading of queue.splice(0)) reading.reject(error);
      },
    );
  };

  const run = async (engine: PageEngine, reading: QueuedReading) => {
    let image: EngineImage;
    try {
      image = reading.prepared ??= reading.prepare();
    } catch (error) {
      prepared--;
      idle.push(engine);
      reading.reject(error);
      return dispatch();
    }
    try {
      const result = await engine.read(image);
      prepared--;
      idle.push(engine);
      reading.resolve(result);
    } catch (error) {
      if (engine.broken) {
        replace(engine);
        if (++reading.enginesLost < MAX_ENGINES_LOST && !stopped) {
          // Still prepared: it goes back ahead of everything so it is the next reading taken.
          queue.unshift(reading);
          return dispatch();
        }
      } else idle.push(engine);
      prepared--;
      reading.reject(error);
    }
    dispatch();
  };

  function dispatch() {
    while (idle.length > 0 && queue.length > 0) {
      const engine = idle.shift()!;
      const reading = queue.shift()!;
      if (!reading.prepared) prepared++;
      void run(engine, reading);
    }
  }

  return {
    nextPage: () => pages++,
    read(page, prepare) {
      if (stopped) return Promise.reject(new Error("the OCR engine is stopped"));
      return new Promise<DetailedReading>((resolve, reject) => {
        // Behind every reading of this page and earlier ones, ahead of later pages'.
        const at = queue.findIndex((queued) => queued.page > page);
        queue.splice(at === -1 ? queue.length : at, 0, { page, prepare, enginesLost: 0, resolve, reject });
        dispatch();
      });
    },
    get preparedNow() {
      return prepared;
    },
    async stop() {
      stopped = true;
      for (const reading of queue.splice(0)) reading.reject(new Error("the OCR engine is stopped"));
      await Promise.all(engines.map((engine) => engine.stop()));
    },
  };
}

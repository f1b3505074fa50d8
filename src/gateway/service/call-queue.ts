/**
 * At most `maxActive` calls at once; beyond that, jobs wait first in, first out, up to `maxQueued`
 * (more are refused, so the Worker retries the attempt later rather than it waiting here unbounded).
 */
export type SubmitOutcome = "started" | "queued" | "full" | "closed";

export class CallQueue<T> {
  private readonly waiting: T[] = [];
  private readonly running = new Set<T>();
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxQueued: number,
    private readonly run: (item: T) => Promise<unknown>,
  ) {}

  get active(): number {
    return this.running.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** The items running now. */
  activeItems(): T[] {
    return [...this.running];
  }

  submit(item: T): SubmitOutcome {
    if (this.closed) return "closed";
    if (this.running.size < this.maxActive) {
      this.start(item);
      return "started";
    }
    if (this.waiting.length >= this.maxQueued) return "full";
    this.waiting.push(item);
    return "queued";
  }

  /** Stops taking items and hands back those still waiting (they never start). */
  close(): T[] {
    this.closed = true;
    return this.waiting.splice(0);
  }

  /** Resolves when nothing runs (true), or after `timeoutMs` (false). */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  private start(item: T): void {
    this.running.add(item);
    void Promise.resolve()
      .then(() => this.run(item))
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(item);
        const next = this.closed ? undefined : this.waiting.shift();
        if (next !== undefined) this.start(next);
        else if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }
}

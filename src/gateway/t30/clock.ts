/**
 * Time for the T.30 engine: its timers (T1-T5, T.30 §5.4.3) and the pacing of fast-modem data.
 * The network uses `realClock`; tests use `FakeClock`, whose virtual time jumps straight to the
 * next due timer, so a whole fax with its 1.5 s TCF and 35 s T1 runs in milliseconds.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface T30Clock {
  /** Milliseconds on this clock's timeline. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle | null | undefined): void;
  /** True for a clock whose time is virtual (no real-time pacing is needed). */
  readonly virtual: boolean;
}

let nextRealId = 1;

export const realClock: T30Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    const handle = { id: nextRealId++, t };
    return handle;
  },
  clearTimer(handle) {
    if (handle && "t" in handle) clearTimeout((handle as unknown as { t: ReturnType<typeof setTimeout> }).t);
  },
  virtual: false,
};

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A virtual clock. Timers run in (time, insertion) order. With `autoRun` (the default) the clock
 * drains itself on the event loop, so `await session.outcome` just works; `steps` counts the timers
 * run, which tests use to bound a session's length.
 */
export class FakeClock implements T30Clock {
  readonly virtual = true;
  steps = 0;
  private time = 0;
  private seq = 0;
  private nextId = 1;
  private timers: FakeTimer[] = [];
  private scheduled = false;

  constructor(private readonly options: { autoRun?: boolean; maxSteps?: number } = {}) {}

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    this.kick();
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Runs the earliest due timer; false when none is left or the step budget is spent. */
  step(): boolean {
    if (this.timers.length === 0) return false;
    if (this.options.maxSteps !== undefined && this.steps >= this.options.maxSteps) return false;
    let best = 0;
    for (let i = 1; i < this.timers.length; i++) {
      const a = this.timers[i]!;
      const b = this.timers[best]!;
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) best = i;
    }
    const [timer] = this.timers.splice(best, 1);
    this.time = Math.max(this.time, timer!.at);
    this.steps++;
    timer!.fn();
    return true;
  }

  /** Runs every timer due up to `time`, then sets the clock to `time` (for lockstep with another simulator). */
  advanceTo(time: number): void {
    for (;;) {
      let best: FakeTimer | null = null;
      for (const t of this.timers) if (t.at <= time && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
      if (!best) break;
      this.timers = this.timers.filter((t) => t !== best);
      this.time = Math.max(this.time, best.at);
      this.steps++;
      best.fn();
    }
    this.time = Math.max(this.time, time);
  }

  /** Runs timers until none is left (or `maxSteps`). */
  runAll(): void {
    while (this.step()) {
      /* keep going */
    }
  }

  private kick(): void {
    if (this.options.autoRun === false || this.scheduled) return;
    this.scheduled = true;
    // A macrotask, so promise continuations (the outcome, test code) see each state in between.
    setImmediate(() => {
      this.scheduled = false;
      for (let i = 0; i < 64 && this.step(); i++) {
        /* a batch, then yield to the event loop */
      }
      if (this.timers.length > 0 && !(this.options.maxSteps !== undefined && this.steps >= this.options.maxSteps)) this.kick();
    });
  }
}

/**
 * Coalesces "something changed" signals into few refreshes.
 *
 * - Trailing and coalesced: any number of `invalidate()` calls between two
 *   refreshes cause one refresh, and the last change is always shown.
 * - At most one refresh per `minIntervalMs` (250 ms), and never two at once.
 * - Adaptive: the gap between refreshes grows to `duration / maxShare`, so
 *   refreshing never takes more than `maxShare` (5%) of the time even when
 *   the store is slow to answer under load (capped at `maxIntervalMs`).
 * - Slow refresh: `slowIntervalMs` (5 s) after the last refresh, one more
 *   happens by itself (ages move on without events).
 * - Paused (e.g. while the page or the element is not visible), nothing
 *   runs; changes are remembered and refreshed on `resume()`.
 */

/** Timer functions, injectable for tests. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Options of a `RefreshScheduler`. */
export interface RefreshSchedulerOptions {
  /** The refresh itself. Its rejection goes to `onError`; scheduling goes on. */
  run: () => Promise<void>;
  /** Shortest gap between the end of one refresh and the start of the next. Default 250 ms. */
  minIntervalMs?: number;
  /** Longest gap the adaptive backoff may impose. Default 5 000 ms. */
  maxIntervalMs?: number;
  /** Largest share of wall time refreshes may take (0..1). Default 0.05. */
  maxShare?: number;
  /** A refresh happens by itself this long after the last one. Default 5 000 ms; 0 turns it off. */
  slowIntervalMs?: number;
  onError?: (error: unknown) => void;
  timers?: Timers;
  now?: () => number;
}

const defaultTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Schedules refreshes: see the module comment for the rules. Starts paused; call `resume()`. */
export class RefreshScheduler {
  private readonly o: Required<RefreshSchedulerOptions>;
  private dirty = false;
  private paused = true;
  private timer: unknown = null;
  private slowTimer: unknown = null;
  private running: Promise<void> | null = null;
  private lastEnd = -Infinity;
  private lastDuration = 0;

  constructor(options: RefreshSchedulerOptions) {
    this.o = {
      minIntervalMs: 250,
      maxIntervalMs: 5_000,
      maxShare: 0.05,
      slowIntervalMs: 5_000,
      onError: () => undefined,
      timers: defaultTimers,
      now: () => performance.now(),
      ...options,
    };
  }

  /** The gap the next refresh keeps after the last one, in ms. */
  get interval(): number {
    const { minIntervalMs, maxIntervalMs, maxShare } = this.o;
    return Math.min(maxIntervalMs, Math.max(minIntervalMs, this.lastDuration / maxShare));
  }

  /** Whether refreshes are paused. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Something changed: refresh soon (coalesced, trailing). Cheap enough to call per event. */
  invalidate(): void {
    this.dirty = true;
    this.arm();
  }

  /** Refreshes right away (after one in flight), ignoring the interval and pausing; for user actions and tests. */
  async refreshNow(): Promise<void> {
    this.dirty = true;
    this.clearTimer();
    while (this.running) await this.running;
    await this.flush(true);
  }

  /** Stops scheduling; changes are still remembered. */
  pause(): void {
    this.paused = true;
    this.clearTimer();
    this.clearSlowTimer();
  }

  /** Starts (again): refreshes now if anything changed or the slow refresh is due. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const since = this.o.now() - this.lastEnd;
    if (this.dirty || (this.o.slowIntervalMs > 0 && since >= this.o.slowIntervalMs)) this.invalidate();
    else this.armSlow(this.o.slowIntervalMs - since);
  }

  private arm(): void {
    if (this.paused || this.timer !== null || this.running) return;
    const delay = Math.max(0, this.lastEnd + this.interval - this.o.now());
    this.timer = this.o.timers.set(() => {
      this.timer = null;
      void this.flush(false);
    }, delay);
  }

  private armSlow(ms: number): void {
    this.clearSlowTimer();
    if (this.paused || this.o.slowIntervalMs <= 0) return;
    this.slowTimer = this.o.timers.set(() => {
      this.slowTimer = null;
      this.invalidate();
    }, Math.max(0, ms));
  }

  private async flush(force: boolean): Promise<void> {
    if ((this.paused && !force) || this.running) return;
    this.clearSlowTimer();
    this.dirty = false;
    const started = this.o.now();
    let done!: () => void;
    this.running = new Promise<void>((resolve) => (done = resolve));
    try {
      await this.o.run();
    } catch (e) {
      this.o.onError(e);
    } finally {
      this.lastEnd = this.o.now();
      this.lastDuration = this.lastEnd - started;
      this.running = null;
      done();
    }
    if (this.paused) return;
    if (this.dirty) this.arm();
    else this.armSlow(this.o.slowIntervalMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.o.timers.clear(this.timer);
    this.timer = null;
  }

  private clearSlowTimer(): void {
    if (this.slowTimer !== null) this.o.timers.clear(this.slowTimer);
    this.slowTimer = null;
  }
}

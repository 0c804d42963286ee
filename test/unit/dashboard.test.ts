import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BUCKET_BOUNDS_MS, emptyHistogram, observe } from "../../src/core/histogram.ts";
import { BUCKET_X, logSplits, visibleRange } from "../../src/dashboard/buckets.ts";
import { handleDrainRequests } from "../../src/dashboard/drain-bridge.ts";
import { describeEvent, EventRing } from "../../src/dashboard/event-log.ts";
import { formatAge, formatBytes, formatDepth, formatMs, formatPercent } from "../../src/dashboard/format.ts";
import { bodyText } from "../../src/dashboard/preview.ts";
import { RefreshScheduler } from "../../src/dashboard/scheduler.ts";

// The dashboard's DOM-free parts, in Node. The element itself is tested in Chromium (test/e2e/dashboard.e2e.ts).

describe("dashboard refresh scheduler", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A scheduler whose refresh takes `cost` ms of (fake) time. */
  function make(cost = 0, options: Partial<ConstructorParameters<typeof RefreshScheduler>[0]> = {}) {
    const runs: number[] = [];
    const s = new RefreshScheduler({
      run: async () => {
        runs.push(Date.now());
        if (cost) await new Promise((r) => setTimeout(r, cost));
      },
      now: () => Date.now(),
      ...options,
    });
    return { s, runs };
  }

  it("coalesces a burst into one leading and one trailing refresh, 250 ms apart", async () => {
    const { s, runs } = make();
    s.resume(); // first refresh at once
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    for (let i = 0; i < 10_000; i++) s.invalidate();
    await vi.advanceTimersByTimeAsync(249);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    // Events spread over a second: at most one refresh per 250 ms, and the last change is shown.
    for (let t = 0; t < 1000; t += 10) {
      s.invalidate();
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(250);
    const gaps = runs.slice(1).map((t, i) => t - runs[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
    expect(runs.length).toBeLessThanOrEqual(2 + 5);
    expect(runs.at(-1)!).toBeGreaterThanOrEqual(runs[1]! + 1000);
    s.pause();
  });

  it("backs off when refreshes are slow, so they take at most 5% of the time", async () => {
    const { s, runs } = make(100, { maxIntervalMs: 10_000, slowIntervalMs: 0 });
    s.resume();
    for (let t = 0; t < 20_000; t += 50) {
      s.invalidate();
      await vi.advanceTimersByTimeAsync(50);
    }
    // 100 ms per refresh at 5%: one start per 100 + 2000 ms.
    expect(runs.length).toBeLessThanOrEqual(Math.ceil(20_000 / 2_100) + 1);
    expect(runs.length).toBeGreaterThanOrEqual(8);
    s.pause();
  });

  it("refreshes by itself every 5 s, never while paused, and catches up on resume", async () => {
    const { s, runs } = make();
    s.resume();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(15_100);
    expect(runs).toHaveLength(4);
    s.pause();
    s.invalidate();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(4);
    s.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(5);
    s.pause();
  });

  it("never runs two refreshes at once", async () => {
    let active = 0;
    let most = 0;
    const s = new RefreshScheduler({
      run: async () => {
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 300));
        active--;
      },
      now: () => Date.now(),
    });
    s.resume();
    const forced = s.refreshNow();
    s.invalidate();
    await vi.advanceTimersByTimeAsync(2_000);
    await forced;
    expect(most).toBe(1);
    s.pause();
  });

  it("refreshNow called during a refresh resolves only after a fresh refresh that started once that one ended", async () => {
    const { s, runs } = make(300, { slowIntervalMs: 0 });
    s.resume();
    s.invalidate(); // a refresh starts at once and takes 300 ms
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    const t0 = runs[0]!;
    let forcedDone = false;
    const forced = s.refreshNow().then(() => (forcedDone = true));
    await vi.advanceTimersByTimeAsync(299);
    expect(forcedDone).toBe(false); // the one in flight has not ended
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2); // the forced refresh began when the first ended
    expect(runs[1]! - t0).toBe(300);
    expect(forcedDone).toBe(false); // and is itself running
    await vi.advanceTimersByTimeAsync(300);
    await forced;
    expect(forcedDone).toBe(true);
    s.pause();
  });

  it("reports a failing refresh and keeps scheduling", async () => {
    const errors: unknown[] = [];
    let n = 0;
    const s = new RefreshScheduler({
      run: async () => {
        if (n++ === 0) throw new Error("worker gone");
      },
      onError: (e) => errors.push(e),
      now: () => Date.now(),
    });
    s.resume();
    await vi.advanceTimersByTimeAsync(0);
    s.invalidate();
    await vi.advanceTimersByTimeAsync(250);
    expect(errors).toHaveLength(1);
    expect(n).toBe(2);
    s.pause();
  });
});

describe("dashboard formatting", () => {
  it("shows depth against a limit, infinity for null", () => {
    expect(formatDepth(37, 100)).toBe("37 / 100");
    expect(formatDepth(5, null)).toBe("5 / ∞");
    expect(formatDepth(0, Infinity)).toBe("0 / ∞");
  });

  it("formats latencies, ages, sizes and shares", () => {
    expect(formatMs(0.42)).toBe("420 µs");
    expect(formatMs(3.214)).toBe("3.21 ms");
    expect(formatMs(1500)).toBe("1.5 s");
    expect(formatAge(400)).toBe("just now");
    expect(formatAge(42_000)).toBe("42 s");
    expect(formatAge(125 * 60_000)).toBe("2 h 5 min");
    expect(formatAge(3 * 86_400_000)).toBe("3 d");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1_234_567)).toBe("1.23 MB");
    expect(formatPercent(0.00001)).toBe("<0.01%");
    expect(formatPercent(0.731)).toBe("73%");
  });
});

describe("dashboard charts and text", () => {
  it("draws the non-empty buckets, padded, at least two decades wide", () => {
    expect(BUCKET_X).toHaveLength(BUCKET_BOUNDS_MS.length + 1);
    const h = emptyHistogram();
    const [a0, b0] = visibleRange(h.counts);
    expect(BUCKET_X[a0]).toBeCloseTo(0.1, 1);
    expect(BUCKET_X[b0]).toBeGreaterThanOrEqual(100);
    observe(h, 2);
    observe(h, 3);
    const [a, b] = visibleRange(h.counts);
    expect(BUCKET_X[a]!).toBeLessThan(2);
    expect(BUCKET_X[b]!).toBeGreaterThan(3);
    expect(Math.log10(BUCKET_X[b]! / BUCKET_X[a]!)).toBeGreaterThanOrEqual(1.9);
    expect(visibleRange([])).toEqual([a0, b0]);
    expect(logSplits(0.5, 30)).toEqual([0.5, 1, 2, 5, 10, 20]);
  });

  it("describes every event type, and keeps the last 100 newest first", () => {
    expect(describeEvent({ type: "stored", owner: "bob@x", ids: ["a", "b"] })).toMatchObject({ label: "Stored", owner: "bob@x", detail: "2 messages" });
    expect(describeEvent({ type: "bounced", owner: "bob@x", reason: "resource-constraint", count: 3 }).detail).toBe("resource-constraint · 3 messages");
    expect(describeEvent({ type: "failed", owner: "bob@x", ids: ["a"], error: { type: "cancel", condition: "not-allowed" } })).toMatchObject({ kind: "failed", label: "Failed", owner: "bob@x" });
    expect(describeEvent({ type: "revived", owner: "bob@x", ids: ["a"] })).toMatchObject({ kind: "revived", label: "Retried" });
    expect(describeEvent({ type: "popped", owner: "bob@x", ids: ["a"] }).label).toBe("Drained");
    expect(describeEvent({ type: "expired", owner: null, count: 4 })).toMatchObject({ owner: "all queues", detail: "4 messages" });
    expect(describeEvent({ type: "brand-new" } as never)).toMatchObject({ kind: "other", label: "brand-new" });
    const ring = new EventRing(100);
    for (let i = 0; i < 250; i++) ring.push({ type: "stored", owner: `p${i}@x`, ids: [] }, i);
    const items = ring.newestFirst();
    expect(items).toHaveLength(100);
    expect(items[0]!.at).toBe(249);
    expect(items[99]!.at).toBe(150);
  });

  it("extracts a body as text with the core parser; markup stays characters", () => {
    const xss = `<message to='a@b'><body>&lt;img src=x onerror=alert(1)&gt;</body></message>`;
    expect(bodyText(xss)).toEqual({ text: "<img src=x onerror=alert(1)>", described: false });
    expect(bodyText(`<message to='a@b'><received xmlns='urn:xmpp:receipts' id='1'/></message>`)).toEqual({ text: "(no body: received)", described: true });
    expect(bodyText("<message><body>unclosed")).toEqual({ text: "(unreadable stanza)", described: true });
    expect(bodyText(`<message><body>${"x".repeat(1000)}</body></message>`).text).toHaveLength(281);
  });
});

describe("dashboard drain bridge", () => {
  it("claims drain requests and starts the engine; stops when asked", () => {
    const target = new EventTarget();
    const drained: string[] = [];
    const stop = handleDrainRequests({ drain: async (peer) => void drained.push(peer) }, target);
    const ask = (peer: string) => target.dispatchEvent(new CustomEvent("offline-dashboard:drain", { detail: { peer }, cancelable: true }));
    expect(ask("bob@x")).toBe(false); // taken
    stop();
    expect(ask("carol@x")).toBe(true); // nobody answered
    expect(drained).toEqual(["bob@x"]);
  });
});

// One timer for many deadlines of the same delay (src/core/deadlines.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Deadlines } from "../../src/core/deadlines.ts";

describe("Deadlines", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("calls onDue for each item once its delay has passed, in the order added, not before", () => {
    const due: string[] = [];
    const d = new Deadlines<string>(100, (x) => due.push(x));
    d.add("a");
    vi.advanceTimersByTime(40);
    d.add("b");
    vi.advanceTimersByTime(59);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(due).toEqual(["a"]);
    vi.advanceTimersByTime(39);
    expect(due).toEqual(["a"]);
    vi.advanceTimersByTime(1);
    expect(due).toEqual(["a", "b"]);
  });

  it("a cancelled item is never due; the others keep their times; one timer at a time", () => {
    const due: number[] = [];
    const d = new Deadlines<number>(50, (x) => due.push(x));
    const handles = [1, 2, 3].map((x) => d.add(x));
    expect(vi.getTimerCount()).toBe(1);
    handles[0]!.cancel();
    handles[1]!.cancel();
    vi.advanceTimersByTime(50);
    expect(due).toEqual([3]);
    expect(vi.getTimerCount()).toBe(0); // nothing left: no timer
  });

  it("wakes for the first item not cancelled, not for cancelled ones ahead of it", () => {
    const due: number[] = [];
    const d = new Deadlines<number>(100, (x) => due.push(x));
    d.add(1);
    vi.advanceTimersByTime(60);
    d.add(2).cancel();
    vi.advanceTimersByTime(10);
    d.add(3); // due at 170
    const timers = vi.spyOn(globalThis, "setTimeout");
    vi.advanceTimersByTime(30); // 1 is due; the next timer is for 3, not for the cancelled 2
    expect(due).toEqual([1]);
    expect(timers).toHaveBeenCalledTimes(1);
    expect(timers.mock.calls[0]![1]).toBe(70);
    vi.advanceTimersByTime(70);
    expect(due).toEqual([1, 3]);
  });

  it("an item added by onDue gets its own full delay; an onDue that throws stops no later deadline", () => {
    const due: string[] = [];
    const d = new Deadlines<string>(10, (x) => {
      due.push(x);
      if (x === "a") d.add("again");
      if (x === "boom") throw new Error("boom");
    });
    d.add("a");
    d.add("boom");
    d.add("b");
    expect(() => vi.advanceTimersByTime(10)).toThrow("boom"); // the timer's task fails, as a throwing setTimeout callback would
    vi.advanceTimersByTime(1); // the rest of that due run, on the next timer (a 0 ms timeout runs after 1 ms)
    expect(due).toEqual(["a", "boom", "b"]);
    expect(vi.getTimerCount()).toBe(1); // re-armed once, not once more by the add it made
    d.add("later");
    vi.advanceTimersByTime(9); // "again" was added at 10 ms: due at 20
    expect(due).toEqual(["a", "boom", "b", "again"]);
    vi.advanceTimersByTime(10);
    expect(due).toEqual(["a", "boom", "b", "again", "later"]);
  });

  it("clear() cancels everything", () => {
    const due: number[] = [];
    const d = new Deadlines<number>(10, (x) => due.push(x));
    d.add(1);
    d.clear();
    vi.advanceTimersByTime(100);
    expect(due).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("many items, most cancelled: each one left is due once, in order", () => {
    const due: number[] = [];
    const d = new Deadlines<number>(5, (x) => due.push(x));
    const handles = Array.from({ length: 5000 }, (_, i) => d.add(i));
    handles.forEach((h, i) => i % 7 !== 0 && h.cancel());
    vi.advanceTimersByTime(5);
    expect(due).toEqual(Array.from({ length: 5000 }, (_, i) => i).filter((i) => i % 7 === 0));
  });

  it("keeps order and times across many rounds of adds and firings (the FIFO compacts as it goes)", () => {
    const due: Array<[number, number]> = [];
    const d = new Deadlines<number>(10, (x) => due.push([x, Date.now()]));
    const start = Date.now();
    let next = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 700; i++) d.add(next++);
      vi.advanceTimersByTime(5);
    }
    vi.advanceTimersByTime(10);
    expect(due.map(([x]) => x)).toEqual(Array.from({ length: next }, (_, i) => i));
    // Each came due 10 ms after its round was added (rounds 5 ms apart), never earlier.
    due.forEach(([x, at]) => expect(at - start).toBe(Math.floor(x / 700) * 5 + 10));
  });
});

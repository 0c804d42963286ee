import { BUCKET_BOUNDS_MS } from "../core/histogram.ts";

/**
 * Geometry of the latency charts over the core's fixed log buckets: where
 * each bucket sits on the x axis, which buckets to draw, and where the grid
 * lines go. Pure functions, no DOM.
 */

/** The x position of each bucket: its upper bound in ms, and one step past the last for +Inf. */
export const BUCKET_X: readonly number[] = [...BUCKET_BOUNDS_MS, BUCKET_BOUNDS_MS[BUCKET_BOUNDS_MS.length - 1]! * Math.SQRT2 ** 0.5];

/** Empty buckets drawn either side of the data. */
const PAD = 3;
/** Buckets per decade (four per doubling). */
const PER_DECADE = Math.round(4 * Math.log2(10));
/** What an empty histogram shows: ≈ 0.1 ms .. 100 ms. */
const EMPTY_RANGE: [number, number] = [BUCKET_X.findIndex((b) => b >= 0.1), BUCKET_X.findIndex((b) => b >= 100)];

/** Which bucket indexes to draw (inclusive): the non-empty ones, padded, at least two decades wide. */
export function visibleRange(counts: readonly number[]): [number, number] {
  const lastIndex = BUCKET_X.length - 1;
  let first = counts.findIndex((c) => c > 0);
  if (first === -1) return EMPTY_RANGE;
  let last = Math.min(lastIndex, counts.length - 1);
  while (last > first && !(counts[last]! > 0)) last--;
  first = Math.max(0, first - PAD);
  last = Math.min(lastIndex, last + PAD);
  while (last - first < 2 * PER_DECADE && (first > 0 || last < lastIndex)) {
    if (first > 0) first--;
    if (last < lastIndex) last++;
  }
  return [first, last];
}

/** Grid lines at 1, 2 and 5 of each decade within [min, max]. */
export function logSplits(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(3));
      if (v >= min && v <= max) out.push(v);
    }
  }
  return out;
}

/** Whether a value is a power of ten (gets an axis label). */
export function isDecade(v: number): boolean {
  const e = Math.log10(v);
  return Math.abs(e - Math.round(e)) < 1e-9;
}

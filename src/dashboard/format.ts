/**
 * Text formatting for the dashboard: counts, latencies, ages, byte sizes.
 * Pure functions, no DOM; every result is plain text for `textContent`.
 */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** A count with the locale's digit grouping, e.g. `1,234`. */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** A queue's depth against its limit, e.g. `37 / 100`; a null limit is infinity (`∞`). */
export function formatDepth(count: number, limit: number | null): string {
  return `${formatCount(count)} / ${limit === null || !Number.isFinite(limit) ? "∞" : formatCount(limit)}`;
}

function significant(n: number, digits = 3): string {
  return Number(n.toPrecision(digits)).toString();
}

/** A latency in ms with a fitting unit and three significant digits: `420 µs`, `3.21 ms`, `1.5 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  if (ms === 0) return "0 ms";
  if (ms < 1) return `${significant(ms * 1000)} µs`;
  if (ms < 1000) return `${significant(ms)} ms`;
  return `${significant(ms / 1000)} s`;
}

/** A short axis label for a bucket bound: `10µs`, `1ms`, `2.5s`. */
export function formatMsShort(ms: number): string {
  return formatMs(ms).replace(" ", "");
}

/** An age (a duration in ms) in at most two units: `just now`, `42 s`, `3 min`, `2 h 5 min`, `3 d 4 h`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 1) return "just now";
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/** A byte size in SI units with three significant digits: `512 B`, `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < BYTE_UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : significant(v)} ${BYTE_UNITS[u]}`;
}

/** A percentage with a precision that keeps small shares visible: `0.02%`, `4.1%`, `73%`. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return "—";
  const p = ratio * 100;
  if (p === 0) return "0%";
  if (p < 0.01) return "<0.01%";
  return `${p < 10 ? significant(p, 2) : Math.round(p)}%`;
}

/** Local wall-clock time with milliseconds, `14:03:07.125`, for the event log. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A file-name-safe local timestamp, `20261125-140307`, for downloads. */
export function fileStamp(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** Plural helper: `1 message`, `3 messages`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

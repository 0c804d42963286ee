import uPlot from "uplot";
import type { HistogramData } from "../core/histogram.ts";
import { summarize } from "../core/metrics.ts";
import { BUCKET_X, isDecade, logSplits, visibleRange } from "./buckets.ts";
import { h, setText } from "../ui/dom.ts";
import { formatCount, formatMs, formatMsShort } from "./format.ts";

/** Canvas colours of a chart (canvas cannot read CSS variables itself). */
export interface ChartColors {
  bar: string;
  barFill: string;
  axis: string;
  grid: string;
}

const HEIGHT = 150;

/**
 * One latency histogram: a uPlot bar chart over the fixed log buckets
 * (log x axis, counts on y), with count, p50, p95 and p99 as text.
 */
export class HistogramChart {
  readonly element: HTMLElement;
  private readonly plotBox: HTMLDivElement;
  private readonly emptyNote: HTMLParagraphElement;
  private readonly stats: Record<"count" | "p50" | "p95" | "p99", HTMLElement>;
  private plot: uPlot | null = null;
  private data: uPlot.AlignedData = [[], []];
  private resizer: ResizeObserver | null = null;

  constructor(
    id: string,
    title: string,
    /** The metric's name (`write_messages`), shown beside the title. */
    private readonly seriesLabel: string,
    private colors: ChartColors,
  ) {
    const dd = () => h("dd", {}, "—");
    this.stats = { count: dd(), p50: dd(), p95: dd(), p99: dd() };
    const stat = (label: string, el: HTMLElement) => h("div", { class: "stat" }, h("dt", {}, label), el);
    this.plotBox = h("div", { class: "plot", attrs: { role: "img", "aria-label": `${title}: histogram of latencies` } });
    this.emptyNote = h("p", { class: "plot-empty" }, "No samples yet");
    this.element = h(
      "section",
      { class: "panel chart", attrs: { "aria-labelledby": id } },
      h("h3", { attrs: { id } }, title, h("span", { class: "muted metric-name" }, seriesLabel)),
      h(
        "dl",
        { class: "quantiles" },
        stat("Count", this.stats.count),
        stat("p50", this.stats.p50),
        stat("p95", this.stats.p95),
        stat("p99", this.stats.p99),
      ),
      h("div", { class: "plot-frame" }, this.plotBox, this.emptyNote),
    );
  }

  /** Shows a histogram: summary text always, the chart once it is attached and laid out. */
  update(hist: HistogramData): void {
    const s = summarize(hist);
    setText(this.stats.count, formatCount(s.count));
    setText(this.stats.p50, s.count ? formatMs(s.p50) : "—");
    setText(this.stats.p95, s.count ? formatMs(s.p95) : "—");
    setText(this.stats.p99, s.count ? formatMs(s.p99) : "—");
    this.emptyNote.hidden = s.count > 0;
    const [a, b] = visibleRange(hist.counts);
    const xs = BUCKET_X.slice(a, b + 1);
    // Empty buckets as null: uPlot draws no bar for them (a 0 would draw a hairline).
    const next: uPlot.AlignedData = [xs, xs.map((_, i) => hist.counts[a + i] || null)];
    if (sameData(this.data, next)) return;
    this.data = next;
    this.plot?.setData(this.data);
  }

  /** Creates the chart; call once the element is in the document. */
  attach(): void {
    if (this.plot) return;
    this.plot = new uPlot(this.options(this.plotBox.clientWidth || 320), this.data, this.plotBox);
    this.resizer = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry?.contentRect.width ?? 0);
      if (width > 0 && this.plot && width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT });
    });
    this.resizer.observe(this.plotBox);
  }

  /** New canvas colours (e.g. the colour scheme changed): rebuilds the chart. */
  setColors(colors: ChartColors): void {
    this.colors = colors;
    if (!this.plot) return;
    this.detach();
    this.attach();
  }

  /** Destroys the chart (the element left the document). */
  detach(): void {
    this.resizer?.disconnect();
    this.resizer = null;
    this.plot?.destroy();
    this.plot = null;
  }

  private options(width: number): uPlot.Options {
    const c = this.colors;
    const axis = { stroke: c.axis, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1, size: 4 }, font: "11px system-ui, sans-serif" };
    return {
      width,
      height: HEIGHT,
      padding: [8, 18, 0, 0],
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false, distr: 3, log: 10 },
        y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.1)] },
      },
      axes: [
        { ...axis, size: 28, gap: 4, splits: (_u, _i, min, max) => logSplits(min, max), values: (_u, splits) => splits.map((v) => (isDecade(v) ? formatMsShort(v) : "")) },
        { ...axis, size: 44, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? formatCount(v) : "")) },
      ],
      series: [
        {},
        {
          label: this.seriesLabel,
          stroke: c.bar,
          fill: c.barFill,
          width: 1,
          points: { show: false },
          paths: uPlot.paths.bars!({ align: -1, size: [1, Infinity], gap: 1 }),
        },
      ],
    };
  }
}

function sameData(a: uPlot.AlignedData, b: uPlot.AlignedData): boolean {
  const [ax, ay] = a;
  const [bx, by] = b;
  if (!ay || !by || ax.length !== bx.length || ax[0] !== bx[0]) return false;
  for (let i = 0; i < ay.length; i++) if (ay[i] !== by[i]) return false;
  return true;
}

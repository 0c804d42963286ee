import uplotCss from "uplot/dist/uPlot.min.css?inline";
import type { MetricsReport, OfflineStoreApi } from "../core/store-api.ts";
import type { StoreEvent } from "../core/events.ts";
import { NoStoreError } from "../core/errors.ts";
import { BreakdownView } from "./breakdown.ts";
import { button, h, setText } from "../ui/dom.ts";
import { EventLogView, EventRing } from "./event-log.ts";
import { DRAIN_EVENT, ERROR_EVENT, type DashboardErrorDetail, type DrainRequestDetail } from "./events.ts";
import { buildExport, download, exportFileName, OPENMETRICS_TYPE } from "./export.ts";
import { formatClock, plural } from "./format.ts";
import { HistogramChart, type ChartColors } from "./histogram-chart.ts";
import { PREVIEW_LIMIT, QueueTable, type QueueRow } from "./queue-table.ts";
import { RefreshScheduler } from "./scheduler.ts";
import { readStorage, StorageView } from "./storage-view.ts";
import { DASHBOARD_CSS } from "./styles.ts";
import { TotalsView } from "./totals.ts";

/** How many events the log keeps. */
export const EVENT_LOG_SIZE = 100;
/** The slow refresh (ages, storage estimate) while visible, in ms. */
export const SLOW_REFRESH_MS = 5_000;
/** The shortest gap between two event-driven refreshes, in ms. */
export const MIN_REFRESH_MS = 1000;

const DEFAULT_HEADING = "Offline storage";

// Lets this module load where there is no DOM (SSR, Node tests): the class is only usable in a browser.
const Base = (typeof HTMLElement === "undefined" ? class {} : HTMLElement) as typeof HTMLElement;

/**
 * `<offline-dashboard>`: a live view of an offline-edge store, for operators
 * and developers. Framework-agnostic, styles isolated in an open shadow root.
 *
 * - Property `store`: any `OfflineStoreApi` (e.g. from `createOfflineStore()`);
 *   setting it attaches, `null` detaches.
 * - Attribute `heading`: the title (default "Offline storage").
 * - Method `refresh()`: refreshes now; resolves when the view is up to date.
 * - Events: `offline-dashboard:drain` (cancelable; see `DRAIN_EVENT`) and
 *   `offline-dashboard:error` (a store call failed), both bubbling and composed.
 *
 * Live updates never call `metrics()` per event: events only mark the view
 * stale, and a `RefreshScheduler` refreshes at most once a second (trailing;
 * longer when the store is slow), plus every 5 s for ages, and not at all
 * while the page is hidden or the element is scrolled out of view.
 */
export class OfflineDashboard extends Base {
  /** Attributes the element reacts to. */
  static readonly observedAttributes = ["heading"];

  #store: OfflineStoreApi | null = null;
  #unsubscribe: (() => void) | null = null;
  #generation = 0;
  #report: MetricsReport | null = null;
  /** Every peer seen since the store was attached, with its last known limit: a drained queue stays visible at 0. */
  readonly #known = new Map<string, number | null>();
  /** Peers named by events but not yet in a report (e.g. written and drained between two refreshes). */
  readonly #unseen = new Set<string>();
  readonly #ring = new EventRing(EVENT_LOG_SIZE);
  readonly #scheduler: RefreshScheduler;
  #lastStorageRead = -Infinity;
  #pageVisible = true;
  #inView = true;
  #failed = false;
  #lastUpdate: number | null = null;
  #intersection: IntersectionObserver | null = null;
  #scheme: MediaQueryList | null = null;

  readonly #root: ShadowRoot;
  readonly #heading: HTMLHeadingElement;
  readonly #dot: HTMLSpanElement;
  readonly #status: HTMLSpanElement;
  readonly #notice: HTMLParagraphElement;
  readonly #buttons: HTMLButtonElement[];
  readonly #totals = new TotalsView();
  readonly #queues: QueueTable;
  readonly #writeChart: HistogramChart;
  readonly #popChart: HistogramChart;
  readonly #bounces = new BreakdownView("od-bounces-title", "Bounces by reason", "No bounces.");
  readonly #drops = new BreakdownView("od-drops-title", "Drops by reason", "No drops.");
  readonly #storage = new StorageView();
  readonly #log = new EventLogView(this.#ring);

  constructor() {
    super();
    this.#scheduler = new RefreshScheduler({
      run: () => this.#refresh(),
      minIntervalMs: MIN_REFRESH_MS,
      slowIntervalMs: SLOW_REFRESH_MS,
      onError: (e) => this.#refreshFailed(e),
    });
    this.#root = this.attachShadow({ mode: "open" });
    this.#queues = new QueueTable({
      drain: (peer) => this.#drain(peer),
      clear: (peer) => this.#clear(peer),
      list: (peer) => this.#require().list(peer, PREVIEW_LIMIT),
    });
    const colors = fallbackColors;
    this.#writeChart = new HistogramChart("od-write-title", "Write latency", "write_messages", colors);
    this.#popChart = new HistogramChart("od-pop-title", "Pop latency", "pop_messages", colors);
    this.#heading = h("h2", {}, DEFAULT_HEADING);
    this.#dot = h("span", { class: "live-dot paused", attrs: { "aria-hidden": "true" } });
    this.#status = h("span", {}, "Not attached to a store.");
    this.#notice = h("p", { class: "notice", attrs: { role: "status", "aria-live": "polite" } });
    this.#notice.hidden = true;
    this.#buttons = [
      button(["Purge expired"], () => void this.#purge()),
      button(["Export JSON"], () => void this.#exportJson()),
      button(["Export OpenMetrics"], () => void this.#exportOpenMetrics()),
    ];
    const style = document.createElement("style");
    style.textContent = `${uplotCss}\n${DASHBOARD_CSS}`;
    this.#root.append(
      style,
      h(
        "div",
        { class: "od", attrs: { part: "container" } },
        h(
          "header",
          { class: "top" },
          h("div", { class: "title" }, this.#heading, h("p", { class: "subtitle" }, this.#dot, this.#status)),
          h("div", { class: "toolbar", attrs: { role: "group", "aria-label": "Store actions" } }, ...this.#buttons),
        ),
        this.#notice,
        this.#totals.element,
        this.#queues.element,
        h("div", { class: "row" }, this.#writeChart.element, this.#popChart.element),
        h("div", { class: "row" }, this.#bounces.element, this.#drops.element, this.#storage.element),
        this.#log.element,
      ),
    );
    this.#syncButtons();
    // `store` set on the element before the tag was defined is an own property hiding the accessor: adopt it.
    if (Object.hasOwn(this, "store")) {
      const early = (this as { store?: OfflineStoreApi | null }).store ?? null;
      delete (this as { store?: unknown }).store;
      this.store = early;
    }
  }

  /** The store shown; any `OfflineStoreApi`. Setting another one starts over; `null` detaches. */
  get store(): OfflineStoreApi | null {
    return this.#store;
  }

  set store(store: OfflineStoreApi | null) {
    if (store === this.#store) return;
    this.#unsubscribeStore();
    this.#generation++;
    this.#store = store ?? null;
    this.#report = null;
    this.#known.clear();
    this.#unseen.clear();
    this.#ring.clear();
    this.#queues.reset();
    this.#lastStorageRead = -Infinity;
    this.#lastUpdate = null;
    this.#failed = false;
    this.#syncButtons();
    if (this.isConnected) this.#subscribeStore();
    this.#syncActivity();
  }

  /** The metrics report on screen, or null before the first refresh. */
  get report(): MetricsReport | null {
    return this.#report;
  }

  /** Refreshes now (metrics and storage estimate), ignoring the throttle; resolves when the view is current. */
  async refresh(): Promise<void> {
    this.#lastStorageRead = -Infinity;
    await this.#scheduler.refreshNow();
  }

  connectedCallback(): void {
    document.addEventListener("visibilitychange", this.#onVisibility);
    this.#pageVisible = document.visibilityState !== "hidden";
    this.#intersection = new IntersectionObserver((entries) => {
      const last = entries[entries.length - 1];
      if (last) this.#inView = last.isIntersecting;
      this.#syncActivity();
    });
    this.#intersection.observe(this);
    this.#scheme = matchMedia("(prefers-color-scheme: dark)");
    this.#scheme.addEventListener("change", this.#onScheme);
    const colors = this.#colors();
    for (const chart of [this.#writeChart, this.#popChart]) {
      chart.setColors(colors);
      chart.attach();
    }
    this.#subscribeStore();
    this.#syncActivity();
  }

  disconnectedCallback(): void {
    document.removeEventListener("visibilitychange", this.#onVisibility);
    this.#intersection?.disconnect();
    this.#intersection = null;
    this.#scheme?.removeEventListener("change", this.#onScheme);
    this.#writeChart.detach();
    this.#popChart.detach();
    this.#unsubscribeStore();
    this.#syncActivity();
  }

  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    if (name === "heading") setText(this.#heading, value || DEFAULT_HEADING);
  }

  // Per event: O(1) work, no store call. The scheduler decides when to refresh.
  readonly #onEvent = (event: StoreEvent): void => {
    this.#ring.push(event);
    if ((event.type === "stored" || event.type === "popped" || event.type === "requeued") && !this.#known.has(event.owner)) {
      this.#unseen.add(event.owner);
    }
    this.#scheduler.invalidate();
  };

  readonly #onVisibility = (): void => {
    this.#pageVisible = document.visibilityState !== "hidden";
    this.#syncActivity();
  };

  readonly #onScheme = (): void => {
    const colors = this.#colors();
    this.#writeChart.setColors(colors);
    this.#popChart.setColors(colors);
  };

  #subscribeStore(): void {
    if (!this.#store || this.#unsubscribe) return;
    this.#unsubscribe = this.#store.subscribe(this.#onEvent);
    this.#scheduler.invalidate();
  }

  #unsubscribeStore(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /** Refreshes only while attached, connected, and visible. */
  #syncActivity(): void {
    const active = this.#store !== null && this.isConnected && this.#pageVisible && this.#inView;
    if (active) this.#scheduler.resume();
    else this.#scheduler.pause();
    this.#showStatus();
  }

  #showStatus(): void {
    const store = this.#store;
    let state: "live" | "paused" | "error" = "paused";
    let text: string;
    if (!store) text = "Not attached to a store.";
    else {
      const mode = store.mode === "worker" ? "Service worker" : "This page";
      const when = this.#lastUpdate === null ? "loading…" : `updated ${formatClock(this.#lastUpdate).slice(0, 8)}`;
      if (this.#failed) {
        state = "error";
        text = `${mode} · update failed, retrying`;
      } else if (this.#scheduler.isPaused) text = `${mode} · paused while hidden · ${when}`;
      else {
        state = "live";
        text = `${mode} · live · ${when}`;
      }
    }
    this.#dot.className = `live-dot ${state === "live" ? "" : state}`.trim();
    setText(this.#status, text);
  }

  #syncButtons(): void {
    for (const b of this.#buttons) b.disabled = this.#store === null;
  }

  #require(): OfflineStoreApi {
    if (!this.#store) throw new NoStoreError("No store attached: set element.store first.");
    return this.#store;
  }

  async #refresh(): Promise<void> {
    const store = this.#store;
    if (!store) return;
    const generation = this.#generation;
    this.#log.render();
    const readStorageToo = performance.now() - this.#lastStorageRead >= SLOW_REFRESH_MS;
    if (readStorageToo) this.#lastStorageRead = performance.now();
    const [report, storage, dead] = await Promise.all([
      store.metrics(),
      readStorageToo ? readStorage() : null,
      // Messages the relay refused for good (src/messaging/README.md); a store without the list shows none.
      store.deadLetters ? store.deadLetters().catch(() => null) : null,
    ]);
    if (generation !== this.#generation) return;
    await this.#learnLimits(store, report);
    if (generation !== this.#generation) return;
    this.#render(report);
    if (storage) this.#storage.update(storage);
    this.#storage.updateDeadLetters(dead);
    this.#failed = false;
    this.#lastUpdate = Date.now();
    this.#showStatus();
  }

  /**
   * Peers that events named but the report does not list (their queue
   * emptied between two refreshes) get a row too: their limit is asked for
   * once per peer, at most a few per refresh.
   */
  async #learnLimits(store: OfflineStoreApi, report: MetricsReport): Promise<void> {
    for (const q of report.queues) this.#unseen.delete(q.owner);
    const owners = [...this.#unseen].filter((o) => !this.#known.has(o)).slice(0, 16);
    if (!owners.length) return;
    const limits = await Promise.all(owners.map((o) => store.limitOf(o).catch(() => null)));
    owners.forEach((o, i) => {
      const l = limits[i];
      this.#unseen.delete(o);
      this.#known.set(o, l === null || l === undefined || !Number.isFinite(l) ? null : l);
    });
  }

  #refreshFailed(error: unknown): void {
    this.#failed = true;
    this.#showStatus();
    this.#emitError("refresh", error);
  }

  #render(report: MetricsReport): void {
    this.#report = report;
    const byOwner = new Map(report.queues.map((q) => [q.owner, q]));
    for (const q of report.queues) this.#known.set(q.owner, report.limits[q.owner] ?? this.#known.get(q.owner) ?? null);
    const rows: QueueRow[] = [...this.#known].map(([owner, limit]) => {
      const q = byOwner.get(owner);
      return { owner, limit, count: q?.count ?? 0, oldest: q?.oldest ?? null };
    });
    this.#queues.update(rows, Date.now());
    this.#totals.update(report);
    this.#writeChart.update(report.snapshot.histograms.write_messages);
    this.#popChart.update(report.snapshot.histograms.pop_messages);
    this.#bounces.update(report.snapshot.counters.bounced);
    this.#drops.update(report.snapshot.counters.dropped);
  }

  #notify(text: string, error = false): void {
    this.#notice.hidden = false;
    this.#notice.classList.toggle("error", error);
    setText(this.#notice, text);
  }

  #emitError(action: string, error: unknown): void {
    const detail: DashboardErrorDetail = { action, error };
    this.dispatchEvent(new CustomEvent(ERROR_EVENT, { detail, bubbles: true, composed: true }));
  }

  /** Runs an action with its button busy; failures are shown and reported as `offline-dashboard:error`. */
  async #act(action: string, busy: HTMLButtonElement | null, work: (store: OfflineStoreApi) => Promise<string>): Promise<void> {
    const store = this.#store;
    if (!store) return;
    if (busy) busy.disabled = true;
    try {
      this.#notify(await work(store));
    } catch (e) {
      this.#notify(`${action} failed: ${e instanceof Error ? e.message : String(e)}`, true);
      this.#emitError(action, e);
    } finally {
      if (busy) busy.disabled = this.#store === null;
      this.#scheduler.invalidate();
    }
  }

  #drain(peer: string): void {
    const detail: DrainRequestDetail = { peer };
    const event = new CustomEvent(DRAIN_EVENT, { detail, bubbles: true, composed: true, cancelable: true });
    const unhandled = this.dispatchEvent(event);
    this.#notify(
      unhandled
        ? `No drain engine answered, so ${peer} was not drained (nothing handled the "${DRAIN_EVENT}" event).`
        : `Drain of ${peer} requested.`,
    );
  }

  #purge(): Promise<void> {
    return this.#act("purge", this.#buttons[0]!, async (store) => {
      const n = await store.removeExpired();
      return n ? `Purged ${plural(n, "expired message")}.` : "No expired messages to purge.";
    });
  }

  #clear(peer: string): Promise<void> {
    return this.#act("clear", null, async (store) => {
      const n = await store.removeUser(peer);
      return `Cleared ${peer}: ${plural(n, "message")} deleted.`;
    });
  }

  #exportJson(): Promise<void> {
    return this.#act("export-json", this.#buttons[1]!, async (store) => {
      const data = await buildExport(store);
      const name = exportFileName("json");
      download(this.#root, name, "application/json", JSON.stringify(data, null, 2));
      return `Exported ${plural(data.queues.length, "queue")} to ${name}.`;
    });
  }

  #exportOpenMetrics(): Promise<void> {
    return this.#act("export-openmetrics", this.#buttons[2]!, async (store) => {
      const { openMetrics } = await store.metrics();
      const name = exportFileName("openmetrics");
      download(this.#root, name, OPENMETRICS_TYPE, openMetrics);
      return `Exported metrics to ${name}.`;
    });
  }

  #colors(): ChartColors {
    const css = getComputedStyle(this);
    const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    return {
      bar: v("--od-accent", fallbackColors.bar),
      barFill: v("--od-accent-soft", fallbackColors.barFill),
      axis: v("--od-muted", fallbackColors.axis),
      grid: v("--od-border", fallbackColors.grid),
    };
  }
}

const fallbackColors: ChartColors = { bar: "#3b6fd8", barFill: "rgba(59, 111, 216, 0.22)", axis: "#66707a", grid: "#e3e6ea" };

declare global {
  interface HTMLElementTagNameMap {
    "offline-dashboard": OfflineDashboard;
  }
}

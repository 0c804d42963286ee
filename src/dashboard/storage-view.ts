import { h, setText } from "../ui/dom.ts";
import type { DeadLetter } from "../core/dead-letter.ts";
import { formatBytes, formatPercent } from "./format.ts";

/** What `navigator.storage` tells about this origin's storage. */
export interface StorageFigures {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

/** Asks `navigator.storage` for usage, quota and persistence; nulls where the browser cannot say. */
export async function readStorage(nav: Navigator = navigator): Promise<StorageFigures> {
  const storage = nav.storage as StorageManager | undefined;
  if (!storage?.estimate) return { usage: null, quota: null, persisted: null };
  const [estimate, persisted] = await Promise.all([
    storage.estimate().catch(() => ({}) as StorageEstimate),
    storage.persisted ? storage.persisted().catch(() => null) : Promise.resolve(null),
  ]);
  return { usage: estimate.usage ?? null, quota: estimate.quota ?? null, persisted };
}

/** The storage panel: used and available bytes for this origin (IndexedDB included), and persistence. */
export class StorageView {
  readonly element: HTMLElement;
  private readonly used: HTMLElement;
  private readonly available: HTMLElement;
  private readonly share: HTMLElement;
  private readonly persisted: HTMLElement;
  private readonly dead: HTMLElement;
  private readonly fill: HTMLSpanElement;

  constructor() {
    const dd = () => h("dd", {}, "—");
    this.used = dd();
    this.available = dd();
    this.share = dd();
    this.persisted = dd();
    this.dead = dd();
    this.fill = h("span", { class: "meter-fill" });
    this.element = h(
      "section",
      { class: "panel", attrs: { "aria-labelledby": "od-storage-title" } },
      h("h3", { attrs: { id: "od-storage-title" } }, "Storage"),
      h("span", { class: "meter wide", attrs: { "aria-hidden": "true" } }, this.fill),
      h(
        "dl",
        { class: "kv" },
        h("div", {}, h("dt", {}, "Used"), this.used),
        h("div", {}, h("dt", {}, "Available"), this.available),
        h("div", {}, h("dt", {}, "Share used"), this.share),
        h("div", {}, h("dt", {}, "Persistent"), this.persisted),
        h("div", {}, h("dt", {}, "Dead letters"), this.dead),
      ),
    );
  }

  /** Messages refused for good and set aside: how many, and the latest one's peer and error. */
  updateDeadLetters(dead: DeadLetter[] | null): void {
    const last = dead?.reduce<DeadLetter | null>((a, d) => (!a || d.failedAt > a.failedAt ? d : a), null);
    setText(this.dead, dead === null ? "—" : last ? `${dead.length} (latest: ${last.record.owner}, ${last.error.condition})` : "0");
  }

  update(f: StorageFigures): void {
    setText(this.used, f.usage === null ? "Unknown" : formatBytes(f.usage));
    setText(this.available, f.quota === null ? "Unknown" : formatBytes(f.quota));
    const ratio = f.usage !== null && f.quota ? f.usage / f.quota : null;
    setText(this.share, ratio === null ? "—" : formatPercent(ratio));
    this.fill.style.width = `${Math.min(100, (ratio ?? 0) * 100).toFixed(2)}%`;
    setText(this.persisted, f.persisted === null ? "Unknown" : f.persisted ? "Yes" : "No (best effort)");
  }
}

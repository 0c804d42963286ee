import type { MetricsReport, OfflineStoreApi } from "../core/store-api.ts";
import { fileStamp } from "./format.ts";

/** Tag of the JSON export format, for tools that read it back. */
export const EXPORT_FORMAT = "offline-edge-dashboard-export/1";

/** The JSON export: the metrics report (OpenMetrics text aside) and every queue's `export()`. */
export interface DashboardExport {
  format: typeof EXPORT_FORMAT;
  exported: string;
  mode: OfflineStoreApi["mode"];
  metrics: Omit<MetricsReport, "openMetrics">;
  queues: Array<Awaited<ReturnType<OfflineStoreApi["export"]>>>;
}

/** Gathers the JSON export from a store: one metrics report, then each of its queues in turn. */
export async function buildExport(store: OfflineStoreApi, now = Date.now()): Promise<DashboardExport> {
  const { openMetrics: _text, ...metrics } = await store.metrics();
  const queues: DashboardExport["queues"] = [];
  // One at a time: a big store's export should not flood the worker.
  for (const q of metrics.queues) queues.push(await store.export(q.owner));
  return { format: EXPORT_FORMAT, exported: new Date(now).toISOString(), mode: store.mode, metrics, queues };
}

/** The MIME type of OpenMetrics text. */
export const OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** File names of the two downloads, stamped with the local time. */
export function exportFileName(kind: "json" | "openmetrics", now = Date.now()): string {
  return `offline-edge-${fileStamp(now)}.${kind === "json" ? "json" : "openmetrics.txt"}`;
}

/**
 * Saves data as a file through a Blob URL and a temporary download link,
 * placed in `parent` (the shadow root) so the page's DOM is untouched.
 */
export function download(parent: Node, name: string, type: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  parent.appendChild(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

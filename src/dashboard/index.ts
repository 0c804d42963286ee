/**
 * offline-edge dashboard: the `<offline-dashboard>` element and a devtools
 * console handle. Browser only; import it where you render UI.
 *
 * ```ts
 * import { defineOfflineDashboard } from "./src/dashboard/index.ts";
 * defineOfflineDashboard();
 * const el = document.createElement("offline-dashboard");
 * el.store = await createOfflineStore();
 * document.body.append(el);
 * ```
 */
export { defineOfflineDashboard, DASHBOARD_TAG } from "./define.ts";
export { OfflineDashboard, EVENT_LOG_SIZE, MIN_REFRESH_MS, SLOW_REFRESH_MS } from "./element.ts";
export { DRAIN_EVENT, ERROR_EVENT, type DashboardErrorDetail, type DrainRequestDetail } from "./events.ts";
export { exposeDebugHandle, type OfflineEdgeDebugHandle } from "./debug.ts";
export { handleDrainRequests, type DrainTarget } from "./drain-bridge.ts";
export { EXPORT_FORMAT, type DashboardExport } from "./export.ts";
export { RefreshScheduler, type RefreshSchedulerOptions } from "./scheduler.ts";

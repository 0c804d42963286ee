/**
 * Events the `<offline-dashboard>` element dispatches. Both bubble and are
 * composed, so a listener on `document` hears them from inside any shadow tree.
 */

/**
 * Asked when a person presses "Drain <peer> now". The dashboard has no
 * transport, so the app's drain engine does the work: listen for this
 * event, start delivering `detail.peer`'s queue, and call
 * `preventDefault()` to say the request was taken. If nobody cancels it,
 * the dashboard tells the person that no drain engine answered.
 *
 * ```ts
 * document.addEventListener(DRAIN_EVENT, (e) => {
 *   e.preventDefault();
 *   void drainEngine.drain(e.detail.peer);
 * });
 * ```
 */
export const DRAIN_EVENT = "offline-dashboard:drain";

/** Dispatched when a store call made by the dashboard fails (a refresh, an action, an export). */
export const ERROR_EVENT = "offline-dashboard:error";

/** `detail` of `offline-dashboard:drain`. */
export interface DrainRequestDetail {
  /** The bare JID whose queue should be delivered now. */
  peer: string;
}

/** `detail` of `offline-dashboard:error`. */
export interface DashboardErrorDetail {
  /** What failed: `refresh`, `purge`, `clear`, `export-json`, `export-openmetrics`, `list`. */
  action: string;
  error: unknown;
}

declare global {
  // On GlobalEventHandlersEventMap, so listeners on elements, document and window are all typed.
  interface GlobalEventHandlersEventMap {
    "offline-dashboard:drain": CustomEvent<DrainRequestDetail>;
    "offline-dashboard:error": CustomEvent<DashboardErrorDetail>;
  }
}

import { OfflineDashboard } from "./element.ts";

let baseRegistered = false;

/** The default tag name of the dashboard element. */
export const DASHBOARD_TAG = "offline-dashboard";

/**
 * Registers `<offline-dashboard>` (or another tag name) once; calling it
 * again, from any copy of this module, is harmless and returns the element
 * class already registered under that name.
 */
export function defineOfflineDashboard(tagName: string = DASHBOARD_TAG): CustomElementConstructor {
  const existing = customElements.get(tagName);
  if (existing) return existing;
  // A class can be registered under one name only: other names get a subclass.
  const ctor = baseRegistered ? class extends OfflineDashboard {} : OfflineDashboard;
  customElements.define(tagName, ctor);
  baseRegistered = true;
  return ctor;
}

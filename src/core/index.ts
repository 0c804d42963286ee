/** The runtime-agnostic core: policy, limits, stanzas, metrics. No DOM, no IndexedDB. */
export * from "./access.ts";
export * from "./backend.ts";
export * from "./bounce.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./histogram.ts";
export * from "./jid.ts";
export * from "./metrics.ts";
export * from "./namespaces.ts";
export * from "./offline-store.ts";
export * from "./openmetrics.ts";
export * from "./policy.ts";
export * from "./prepare.ts";
export * from "./record.ts";
export * from "./stanza.ts";
export * from "./time.ts";

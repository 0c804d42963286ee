/** offline-edge: XEP-0160 offline message storage at the edge. */
export * from "./core/index.ts";
export * from "./storage/index.ts";

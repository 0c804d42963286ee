/** Relays (XMPP, local mesh) and what runs over them: drain, outbox, inbox. */
export type { PresenceChange, Relay, SendOutcome } from "./relay.ts";
export { MeshRelay, MESH_CHANNEL, type MeshOptions } from "./mesh.ts";
export * from "./xmpp.ts";
export { DrainEngine, DRAIN_LOCK_PREFIX, type DrainEvent, type DrainOptions, type DrainReport } from "./drain.ts";
export { Outbox, type OutboxOptions } from "./outbox.ts";
export type { DeliveryState, DeliveryStatus } from "./delivery.ts";
export { Inbox, type InboxOptions } from "./inbox.ts";
export { openSeenIds, type SeenIds } from "./seen.ts";

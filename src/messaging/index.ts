/**
 * What an app wires on top of a store and a relay: the messenger, and its
 * parts (send: outbox and status book; drain: engine and locks; receive:
 * inbox and the claim engine).
 */
export { Messenger, type MessengerOptions } from "./messenger.ts";
export { DrainEngine, DRAIN_LOCK_PREFIX, type DrainEvent, type DrainOptions, type DrainReport, type DrainStop } from "./drain/engine.ts";
export { Outbox, type OutboxOptions } from "./send/outbox.ts";
export type { DeliveryState, DeliveryStatus } from "./send/status-book.ts";
export { Inbox, InboxClosedError, type InboxOptions, type InboxStats } from "./receive/inbox.ts";
export { openSeenIds, MemorySeenIds, IdbSeenIds, SeenIdsClosedError, type SeenIds, type SeenIdsOptions, type IdbSeenIdsOptions } from "./receive/claims.ts";

/** The XMPP relay over @xmpp/client: see README.md beside this file for what an embedder sets up and how `send()` settles. */
export { createXmppRelay, type CreateXmppRelayOptions } from "./create.ts";
export { CAPS_CACHE_KEY, localCapsCache, type CapsCache } from "./caps-cache.ts";
export { PEER_OFFLINE_CONDITIONS, readStanzaError } from "./in-flight.ts";
export { presencePriority } from "./presence.ts";
export { XmppRelay } from "./relay.ts";
export type {
  DeliveryProof,
  LateBounce,
  SentCopy,
  StreamManagementLike,
  XmppClientLike,
  XmppRelayOptions,
  XmppSendOutcome,
} from "./types.ts";

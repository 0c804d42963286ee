/**
 * The relay port: presence, sending with a known outcome, incoming messages.
 * Transports live beside it, each its own entry: `./mesh/index.ts` (tabs of
 * one browser over a BroadcastChannel), `./xmpp/index.ts` (@xmpp/client) and
 * `./webrtc/index.ts` (browsers on other devices over RTCDataChannels).
 */
export type { PresenceChange, Relay, SendOutcome, SendProgress } from "./relay.ts";

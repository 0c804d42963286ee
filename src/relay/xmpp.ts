/**
 * The XMPP relay: offline-edge's `Relay` (./relay.ts) over an `@xmpp/client` 0.14
 * connection (`xmpp://` TCP in Node, `ws://`/`wss://` WebSocket in the
 * browser; the scheme of `service` picks the transport).
 *
 *     // own connection
 *     const relay = await createXmppRelay({ service: "wss://chat.example/xmpp-websocket",
 *       domain: "example", username: "alice", password });
 *     // or plug into the client the app already has (listens only)
 *     const relay = new XmppRelay(xmpp);
 *
 * ## What the embedder must set up
 *
 * - **Presence subscriptions.** A server only tells us a peer's presence if
 *   we are subscribed to it (roster item `to` or `both`), or if the peer
 *   sent us directed presence. Prosody 0.12 does this the standard way: give
 *   both users a mutual subscription, either pre-populated in their rosters
 *   or negotiated once: `relay.subscribe(peer)` on both sides sends a
 *   pre-approval (RFC 6121 §3.4) and a request, which works even when the
 *   other side is not online (checked: alice subscribes while bob is away,
 *   bob later; both then see each other). Prosody delivers subscription
 *   requests only to *available* resources and replays them on the next
 *   initial presence.
 *   Without a subscription `isAvailable(peer)` stays false and the outbox
 *   keeps queueing for that peer.
 * - **Initial presence.** Presence of contacts arrives after *our* initial
 *   presence (the server probes them). `createXmppRelay` sends it (again on
 *   every fresh reconnect). A plugged-in client is the app's: attach the
 *   relay before the app sends initial presence, or call
 *   `relay.probe(...peers)` to learn the peers' current presence.
 * - **Peers at priority >= 0.** A peer counts as available only with an
 *   available resource of priority >= 0 (XEP-0160; the server routes
 *   bare-JID messages only there). `type='unavailable'` and `type='error'`
 *   remove a resource (from the bare JID: all of them).
 *
 * ## Delivery rule (how `send()` settles)
 *
 * Every message in flight is kept by `id` (the relay sends a copy and adds
 * an id if needed), since a bounce from Prosody 0.12 carries no body.
 *
 * - `bounced`: a `<message type='error'/>` with that id came back from the
 *   peer (or its server). `service-unavailable` and `recipient-unavailable`
 *   mean "peer offline" (`peerOffline: true`); any other condition
 *   (`item-not-found`, `not-allowed`, …) is `bounced` too, with its condition.
 * - `delivered` via `receipt`: the peer's client answered a XEP-0184
 *   request. Settles at once; the strongest proof.
 * - `delivered` via `ack`: XEP-0198 is on, the server acked the message
 *   (the relay sends `<r/>` right after a burst instead of waiting for
 *   @xmpp/stream-management's 250 ms debounce), and no bounce came within
 *   `graceMs` (default 250 ms) after the ack. Measured against Prosody 0.12
 *   on loopback: the bounce for an offline local user is routed
 *   synchronously and always arrives *before* the ack on the same stream
 *   (400 of 400 messages; the ack followed the bounce by 0.01 ms median,
 *   2 ms max, one message at a time, and by 0.1–68 ms within a burst of
 *   200), so even `graceMs: 0` catches it (the tests check this). The window
 *   is for slower routes (s2s, clustered servers). Each message costs at
 *   least `graceMs`, so a caller that awaits messages one by one gets about
 *   4 a second with the default; send several before awaiting them.
 * - `delivered` via `ping`: the stanza is not covered by XEP-0198 (the
 *   server or the client does not do it): an XEP-0199 ping is
 *   sent after it, and when the answer is back (RFC 6120 §10.1: a server
 *   processes one session's stanzas in order, so the message has been
 *   routed) and `graceMs` passed without a bounce, it counts as delivered.
 * - `unknown`: our stream went down (`disconnect`/`offline`) before the
 *   outcome was known, the write failed, we were not online, the relay was
 *   closed, or no ack/ping answer came within `confirmTimeoutMs` (30 s).
 *   After a XEP-0198 resumption @xmpp/client re-sends unacked stanzas
 *   itself, so an `unknown` message may still arrive: receivers should drop
 *   duplicates by origin-id.
 *
 * Limits, honestly: an ack (or ping) means the *server* took the message,
 * not that the peer's client got it. If the peer's connection dropped and
 * it used XEP-0198, Prosody keeps its session "hibernating" (and the peer
 * *available*) for `smacks_hibernation_time` (600 s by default), queues our
 * messages there, and when the hibernation ends bounces them with
 * `recipient-unavailable` — long after we said `delivered`. Those late
 * bounces are reported through `onLateBounce` with the kept copy (for
 * `lateBounceWindowMs`, default 15 min), so the outbox can queue them
 * again. If the peer's client had no XEP-0198, a message the server wrote
 * to its dying socket can be lost without any bounce (the textbook case; not
 * reproduced here, since @xmpp/client always enables XEP-0198). Only a receipt rules
 * that out: request receipts (`<request xmlns='urn:xmpp:receipts'/>`)
 * where it matters. This relay answers such requests for the app
 * (`receipts: true`, the default) once the message reached `onMessage`.
 *
 * ## @xmpp/client 0.14 quirks handled here
 *
 * - `online` (and `start()`) fires at resource binding, *before* `<enable/>`
 *   is written, and @xmpp/stream-management zeroes its inbound counter in a
 *   promise continuation after `<enabled/>`: stanzas parsed from the same
 *   read as `<enabled/>` are counted and then forgotten. The client then
 *   acks fewer stanzas than it already had, and Prosody 0.12 kills the
 *   stream ("Client acknowledged less stanzas than already acknowledged"),
 *   bouncing whatever it held for us as `recipient-unavailable`. The relay
 *   therefore writes nothing (presence, messages, pings) until XEP-0198
 *   negotiation is over. A plugged-in app should do the same.
 * - A XEP-0198 resumption emits `resumed` on `streamManagement`, not
 *   `online`; the relay keeps its presence table across it and rebuilds it
 *   on a fresh `online`.
 *
 * ## Browser notes
 *
 * Nothing here imports Node modules. `@xmpp/client` 0.14 maps its TCP/TLS
 * transports and SCRAM-SHA-1 to nothing in browsers (its `browser` field),
 * so there it speaks WebSocket only, and authenticates with PLAIN only over
 * a secure transport (`wss://`, or `ws://` to localhost/127.0.0.1/::1).
 * `client()` calls `crypto.randomUUID()` (secure contexts only) unless given
 * a `userAgent`; `createXmppRelay` always passes one. @xmpp/client 0.14 does
 * not depend on @xmpp/debug (no `process.env` read); `@xmpp/events`
 * imports the `events` package, which is installed. Checked with a vite
 * library build of this file (about 124 kB; vite only warns that it stubs
 * `node:dns` inside @xmpp/resolve, which a `ws://`/`wss://` service never
 * calls) run in Chromium against Prosody's WebSocket endpoint.
 *
 * @module
 */
export { createXmppRelay, type CreateXmppRelayOptions } from "./xmpp/create.ts";
export { PEER_OFFLINE_CONDITIONS, readStanzaError } from "./xmpp/delivery.ts";
export { presencePriority } from "./xmpp/presence.ts";
export { XmppRelay } from "./xmpp/relay.ts";
export type {
  DeliveryProof,
  LateBounce,
  SentCopy,
  StreamManagementLike,
  XmppClientLike,
  XmppRelayOptions,
  XmppSendOutcome,
} from "./xmpp/types.ts";

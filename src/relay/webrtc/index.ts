/**
 * The WebRTC relay: peers in other browsers over RTCDataChannels, with
 * presence heartbeats and acknowledgements (the local mesh's frames), and
 * signalling over the app's XMPP connection or a channel the app brings.
 * PeerJS signalling is its own entry: `./peerjs/index.ts`.
 */
export { WebRtcRelay, type AttachOptions, type DropReason, type WebRtcOptions, type WebRtcStats } from "./relay.ts";
export { FrameRefusedError, type RefusedReason } from "./errors.ts";
export { XmppSignalling, SIGNAL_NS, type SignallingClient } from "./xmpp-signalling.ts";
export { Redial } from "./redial.ts";
export { Negotiator, CHANNEL_LABEL, type Signal } from "./negotiator.ts";

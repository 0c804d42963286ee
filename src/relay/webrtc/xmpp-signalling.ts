import { xml, type Element } from "@xmpp/xml";
import { bareJid } from "../../core/jid.ts";
import { NS } from "../../core/namespaces.ts";
import { randomId } from "../xmpp/ids.ts";
import { Negotiator, readSignal, type Signal } from "./negotiator.ts";
import { Redial } from "./redial.ts";
import type { WebRtcRelay } from "./relay.ts";

/** Namespace of our signalling element: `<signal xmlns='urn:offline-edge:webrtc:0' sid='…' kind='offer|answer'>SDP</signal>`. */
export const SIGNAL_NS = "urn:offline-edge:webrtc:0";

/** What XMPP signalling needs of an `@xmpp/client` (or `XmppRelay.client`): its stanzas and `send`. */
export interface SignallingClient {
  jid?: { toString(): string } | null;
  on(event: "stanza", listener: (stanza: Element) => void): unknown;
  removeListener(event: "stanza", listener: (stanza: Element) => void): unknown;
  send(stanza: Element): Promise<unknown>;
}

/**
 * WebRTC signalling over the app's XMPP connection: offers and answers in
 * `<message type='normal'>` stanzas of our own namespace. The peer of a
 * signal is the bare JID of the stanza's `from`, which the XMPP server
 * stamps from the authenticated session: the server vouches for who dialed.
 * Offers go to the peer's bare JID (the server routes them to its
 * available resources); answers go back to the full JID that offered.
 * A channel that breaks is dialed again ({@link Redial}).
 */
export class XmppSignalling {
  private readonly negotiator: Negotiator;
  private readonly onStanza = (stanza: Element) => this.receive(stanza);
  private readonly redial: Redial;

  constructor(
    private readonly relay: WebRtcRelay,
    private readonly client: SignallingClient,
    rtc: RTCConfiguration = {},
  ) {
    this.negotiator = new Negotiator(relay, (to, signal) => this.carry(to, signal), rtc);
    this.redial = new Redial(relay, (peer) => void this.connect(peer));
    client.on("stanza", this.onStanza);
  }

  /** Dials `peer` (a JID) unless a channel to it is already attached or opening. */
  connect(peer: string): Promise<void> {
    const bare = bareJid(peer);
    return this.relay.hasChannel(bare) ? Promise.resolve() : this.negotiator.dial(bare);
  }

  /** Stops answering and dialing (channels already open stay with the relay). */
  close(): void {
    this.client.removeListener("stanza", this.onStanza);
    this.redial.stop();
    this.negotiator.close();
  }

  private carry(to: string, signal: Signal): void {
    const stanza = xml(
      "message",
      { to, type: "normal", id: randomId() },
      xml("signal", { xmlns: SIGNAL_NS, sid: signal.sid, kind: signal.kind }, signal.sdp),
      // Nothing of this is worth storing or copying to other clients.
      xml("no-store", { xmlns: NS.hints }),
      xml("no-copy", { xmlns: NS.hints }),
    );
    this.client.send(stanza).catch(() => undefined); // offline: the peer dials us when it comes back
  }

  private receive(stanza: Element): void {
    if (stanza.name !== "message" || stanza.attrs.type === "error") return;
    const el = stanza.getChild("signal", SIGNAL_NS);
    const from = stanza.attrs.from;
    if (!el || typeof from !== "string") return;
    let peer: string;
    try {
      peer = bareJid(from);
    } catch {
      return;
    }
    const signal = readSignal(el.attrs.sid, el.attrs.kind, el.getText());
    if (!signal || peer === this.relay.self) return;
    void this.negotiator.receive(peer, from, signal).catch(() => undefined);
  }
}
